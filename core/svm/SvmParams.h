#pragma once

#include <QJsonObject>

#include <stdexcept>
#include <string>
#include <vector>

namespace deepsvm {

enum class Kernel { Linear, Poly, Rbf, Sigmoid };
Kernel parseKernel(const std::string& name);  ///< throws std::invalid_argument
std::string kernelName(Kernel k);

/// One SVC setting, with scikit-learn's meaning: poly = (gamma <x,y> + coef0)^degree,
/// rbf = exp(-gamma |x-y|^2), sigmoid = tanh(gamma <x,y> + coef0).
struct SvmParams {
    Kernel kernel = Kernel::Rbf;
    double C = 1.0;
    /// A number > 0, or resolved from "scale" (1 / (d * Var(X))) / "auto" (1 / d).
    double gamma = 0.0;
    std::string gammaMode;  ///< "" for a number, else "scale" or "auto"
    int degree = 3;
    double coef0 = 0.0;

    /// Throws std::invalid_argument for C <= 0, negative gamma, degree < 1, ...
    void validate() const;
    static SvmParams fromJson(const QJsonObject& o);
    std::string describe() const;  ///< "poly C=10 gamma=0.01 degree=3 coef0=0"
};

/// Resolves "scale"/"auto" for data with `dims` columns and overall variance `variance`.
double resolveGamma(const std::string& mode, double gamma, int dims, double variance);

/// Parses "0.1,1,10" or a log range "log2:-5:15:2" / "log10:-3:0:1" (from:to:step in
/// exponents, inclusive) into values. Throws std::invalid_argument naming `what`.
std::vector<double> parseValueList(const std::string& text, const std::string& what);
/// gamma values: numbers, log ranges and the words "scale" / "auto", comma-separated, as the
/// strings SvmOptions::gamma holds (numbers printed exactly). Throws std::invalid_argument.
std::vector<std::string> parseGammaList(const std::string& text, const std::string& what);
/// Polynomial degrees: whole numbers 1..20. Throws std::invalid_argument naming `what`.
std::vector<int> parseDegreeList(const std::string& text, const std::string& what);

}  // namespace deepsvm
