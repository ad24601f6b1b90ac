#include "svm/SvmParams.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace deepsvm {

Kernel parseKernel(const std::string& name)
{
    if (name == "linear") return Kernel::Linear;
    if (name == "poly") return Kernel::Poly;
    if (name == "rbf") return Kernel::Rbf;
    if (name == "sigmoid") return Kernel::Sigmoid;
    throw std::invalid_argument("unknown kernel '" + name + "' (use linear, poly, rbf or sigmoid)");
}

std::string kernelName(Kernel k)
{
    switch (k) {
    case Kernel::Linear: return "linear";
    case Kernel::Poly: return "poly";
    case Kernel::Rbf: return "rbf";
    case Kernel::Sigmoid: return "sigmoid";
    }
    return "?";
}

void SvmParams::validate() const
{
    if (!(C > 0) || !std::isfinite(C))
        throw std::invalid_argument("C must be a positive number (got " + std::to_string(C) + ")");
    if (gammaMode.empty() && (!(gamma > 0) || !std::isfinite(gamma)) && kernel != Kernel::Linear)
        throw std::invalid_argument("gamma must be a positive number, 'scale' or 'auto' (got " + std::to_string(gamma) + ")");
    if (!gammaMode.empty() && gammaMode != "scale" && gammaMode != "auto")
        throw std::invalid_argument("gamma '" + gammaMode + "' is not a number, 'scale' or 'auto'");
    if (kernel == Kernel::Poly && (degree < 1 || degree > 20))
        throw std::invalid_argument("degree must be between 1 and 20 (got " + std::to_string(degree) + ")");
    if (!std::isfinite(coef0))
        throw std::invalid_argument("coef0 must be a finite number");
}


SvmParams SvmParams::fromJson(const QJsonObject& o)
{
    SvmParams p;
    p.kernel = parseKernel(o[QStringLiteral("kernel")].toString().toStdString());
    p.C = o[QStringLiteral("C")].toDouble();
    p.gamma = o[QStringLiteral("gamma")].toDouble();
    p.gammaMode = o[QStringLiteral("gamma_mode")].toString().toStdString();
    p.degree = o[QStringLiteral("degree")].toInt(3);
    p.coef0 = o[QStringLiteral("coef0")].toDouble();
    return p;
}

std::string SvmParams::describe() const
{
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s C=%g gamma=%g%s degree=%d coef0=%g", kernelName(kernel).c_str(), C, gamma,
                  gammaMode.empty() ? "" : (" (" + gammaMode + ")").c_str(), degree, coef0);
    return buf;
}

double resolveGamma(const std::string& mode, double gamma, int dims, double variance)
{
    if (mode == "scale")
        return variance > 0 ? 1.0 / (double(dims) * variance) : 1.0;
    if (mode == "auto")
        return 1.0 / double(dims);
    return gamma;
}

std::vector<double> parseValueList(const std::string& text, const std::string& what)
{
    auto number = [&](const std::string& s) {
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != s.size() || s.empty())
            throw std::invalid_argument(what + ": '" + s + "' is not a number");
        return v;
    };
    std::vector<double> values;
    if (text.rfind("log2:", 0) == 0 || text.rfind("log10:", 0) == 0) {
        const double base = text.rfind("log2:", 0) == 0 ? 2.0 : 10.0;
        std::stringstream ss(text.substr(text.find(':') + 1));
        std::string a, b, c;
        std::getline(ss, a, ':');
        std::getline(ss, b, ':');
        std::getline(ss, c, ':');
        const double from = number(a), to = number(b), step = c.empty() ? 1.0 : number(c);
        if (step == 0 || (to - from) / step < 0 || (to - from) / step > 1000)
            throw std::invalid_argument(what + ": range '" + text + "' must step from its start to its end");
        for (double e = from; step > 0 ? e <= to + 1e-9 : e >= to - 1e-9; e += step)
            values.push_back(std::pow(base, e));
    } else {
        std::stringstream ss(text);
        std::string item;
        while (std::getline(ss, item, ','))
            values.push_back(number(item));
    }
    if (values.empty())
        throw std::invalid_argument(what + ": no values given");
    return values;
}

std::vector<std::string> parseGammaList(const std::string& text, const std::string& what)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        std::string token = text.substr(start, comma - start);
        token.erase(0, token.find_first_not_of(" \t"));
        token.erase(token.find_last_not_of(" \t") + 1);
        start = comma + 1;
        if (token.empty())
            continue;
        if (token == "scale" || token == "auto") {
            out.push_back(token);
            continue;
        }
        for (double v : parseValueList(token, what)) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g", v);
            out.push_back(buf);
        }
    }
    if (out.empty())
        throw std::invalid_argument(what + ": give at least one value");
    return out;
}

std::vector<int> parseDegreeList(const std::string& text, const std::string& what)
{
    std::vector<int> out;
    for (double d : parseValueList(text, what)) {
        if (d != std::floor(d) || d < 1 || d > 20)
            throw std::invalid_argument(what + " takes whole numbers from 1 to 20");
        out.push_back(int(d));
    }
    return out;
}

}  // namespace deepsvm
