#pragma once

#include <QJsonObject>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// StandardScaler's semantics: mean and population standard deviation per column fitted on
/// the training rows; columns with zero variance keep scale 1.
class Scaler {
public:
    /// `values`: rows x cols, row-major.
    void fit(const std::vector<float>& values, int64_t rows, int64_t cols);
    /// An identity scaler (for --no-scale).
    void setIdentity(int64_t cols);
    /// Returns the scaled rows as double (what libsvm consumes).
    std::vector<double> transform(const std::vector<float>& values, int64_t rows) const;
    void transformRow(const float* in, double* out) const;

    int64_t dims() const { return int64_t(m_mean.size()); }
    const std::vector<double>& mean() const { return m_mean; }
    const std::vector<double>& scale() const { return m_scale; }

    QJsonObject toJson() const;
    static Scaler fromJson(const QJsonObject& o);  ///< throws std::runtime_error on a bad document
    void save(const std::string& path) const;
    static Scaler load(const std::string& path);

private:
    std::vector<double> m_mean, m_scale;
    bool m_identity = false;
};

}  // namespace deepsvm
