#include "svm/Scaler.h"

#include "features/FeatureStore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace deepsvm {

void Scaler::fit(const std::vector<float>& values, int64_t rows, int64_t cols)
{
    m_identity = false;
    m_mean.assign(std::size_t(cols), 0.0);
    m_scale.assign(std::size_t(cols), 1.0);
    if (rows == 0)
        return;
    // Two passes in double, as numpy's mean and var (population).
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            m_mean[std::size_t(c)] += double(values[std::size_t(r * cols + c)]);
    for (double& m : m_mean)
        m /= double(rows);
    std::vector<double> var(std::size_t(cols), 0.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const double d = double(values[std::size_t(r * cols + c)]) - m_mean[std::size_t(c)];
            var[std::size_t(c)] += d * d;
        }
    for (int64_t c = 0; c < cols; ++c) {
        // scikit-learn's _is_constant_feature: such columns keep scale 1.
        const double v = var[std::size_t(c)] / double(rows);
        const double eps = std::numeric_limits<double>::epsilon();
        const double n = double(rows), mean = m_mean[std::size_t(c)];
        const bool constant = v <= n * eps * v + (n * mean * eps) * (n * mean * eps);
        m_scale[std::size_t(c)] = constant ? 1.0 : std::sqrt(v);
    }
}

void Scaler::setIdentity(int64_t cols)
{
    m_identity = true;
    m_mean.assign(std::size_t(cols), 0.0);
    m_scale.assign(std::size_t(cols), 1.0);
}

void Scaler::transformRow(const float* in, double* out) const
{
    const std::size_t d = m_mean.size();
    for (std::size_t c = 0; c < d; ++c)
        out[c] = (double(in[c]) - m_mean[c]) / m_scale[c];
}

std::vector<double> Scaler::transform(const std::vector<float>& values, int64_t rows) const
{
    const int64_t d = dims();
    if (int64_t(values.size()) != rows * d)
        throw std::invalid_argument("scaler expects " + std::to_string(d) + " columns, the features have "
                                    + std::to_string(rows ? int64_t(values.size()) / rows : 0));
    std::vector<double> out(values.size());
    for (int64_t r = 0; r < rows; ++r)
        transformRow(values.data() + r * d, out.data() + r * d);
    return out;
}

QJsonObject Scaler::toJson() const
{
    QJsonArray mean, scale;
    for (double v : m_mean) mean.append(v);
    for (double v : m_scale) scale.append(v);
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("deepsvm-scaler")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("identity"), m_identity},
                       {QStringLiteral("mean"), mean},
                       {QStringLiteral("scale"), scale}};
}

Scaler Scaler::fromJson(const QJsonObject& o)
{
    if (o[QStringLiteral("format")].toString() != QLatin1String("deepsvm-scaler"))
        throw std::runtime_error("not a deepsvm scaler document");
    if (o[QStringLiteral("version")].toInt() > 1)
        throw std::runtime_error("scaler written by a newer DeepSVM Studio (version "
                                 + std::to_string(o[QStringLiteral("version")].toInt()) + ")");
    Scaler s;
    s.m_identity = o[QStringLiteral("identity")].toBool();
    for (const auto& v : o[QStringLiteral("mean")].toArray()) s.m_mean.push_back(v.toDouble());
    for (const auto& v : o[QStringLiteral("scale")].toArray()) s.m_scale.push_back(v.toDouble());
    if (s.m_mean.size() != s.m_scale.size())
        throw std::runtime_error("scaler mean and scale differ in length");
    for (double v : s.m_scale)
        if (!(v > 0) || !std::isfinite(v))
            throw std::runtime_error("scaler has a non-positive scale");
    return s;
}

void Scaler::save(const std::string& path) const
{
    writeFileAtomically(path, QJsonDocument(toJson()).toJson(QJsonDocument::Compact));
}

Scaler Scaler::load(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        throw std::runtime_error(path + ": cannot read (" + f.errorString().toStdString() + ")");
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        throw std::runtime_error(path + ": not valid JSON (" + err.errorString().toStdString() + ")");
    try {
        return fromJson(doc.object());
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

}  // namespace deepsvm
