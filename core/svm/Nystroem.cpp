#include "svm/Nystroem.h"

#include "features/Npy.h"
#include "io/JsonFile.h"
#include "svm/Gram.h"
#include "svm/GridSearch.h"

#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

// LAPACK's symmetric eigensolver (divide and conquer), from liblapack3 / OpenBLAS.
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info);

namespace deepsvm {

std::vector<int64_t> Nystroem::chooseLandmarks(int64_t rows, int64_t m, unsigned seed)
{
    std::vector<int64_t> order(static_cast<std::size_t>(rows));
    std::iota(order.begin(), order.end(), int64_t(0));
    std::mt19937 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(std::size_t(std::min(rows, m)));
    return order;
}

Nystroem Nystroem::fit(const std::vector<double>& x, int64_t dims, const std::vector<int64_t>& landmarks,
                       const SvmParams& kernel)
{
    if (landmarks.empty())
        throw std::invalid_argument("Nystroem: no landmark rows");
    Nystroem n;
    n.m_kernel = kernel;
    n.m_kernel.gammaMode.clear();
    n.m_dims = dims;
    n.m_m = int64_t(landmarks.size());
    const int m = int(n.m_m);
    n.m_landmarks.reserve(landmarks.size() * std::size_t(dims));
    for (int64_t r : landmarks) n.m_landmarks.insert(n.m_landmarks.end(), x.begin() + r * dims, x.begin() + (r + 1) * dims);
    std::vector<double> a = kernelMatrix(n.m_landmarks, m, n.m_landmarks, m, dims, n.m_kernel);
    // Symmetric: row-major and column-major are the same matrix.
    std::vector<double> w(static_cast<std::size_t>(m));
    int info = 0, lwork = -1, liwork = -1, iworkSize = 0;
    double workSize = 0;
    dsyevd_("V", "U", &m, a.data(), &m, w.data(), &workSize, &lwork, &iworkSize, &liwork, &info);
    lwork = int(workSize);
    liwork = iworkSize;
    std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
    std::vector<int> iwork(static_cast<std::size_t>(std::max(liwork, 1)));
    dsyevd_("V", "U", &m, a.data(), &m, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
    if (info != 0)
        throw std::runtime_error("Nystroem: the landmarks' kernel has no eigen-decomposition (LAPACK dsyevd info "
                                 + std::to_string(info) + ")");
    // Column i of the column-major result is eigenvector q_i: a[i * m + j] = q_i[j].
    std::vector<double> scaled(a.size());
    for (int i = 0; i < m; ++i) {
        const double l = w[std::size_t(i)];
        const double f = (l < 0 ? -1.0 : 1.0) / std::sqrt(std::max(std::abs(l), 1e-12));
        for (int j = 0; j < m; ++j) scaled[std::size_t(i) * std::size_t(m) + std::size_t(j)] = a[std::size_t(i) * std::size_t(m) + std::size_t(j)] * f;
    }
    // N = Σ_i f_i q_i q_iᵀ = Qᵀ-rows · scaled-rows: crossProducts of the transposed stacks.
    std::vector<double> qt(a.size()), st(a.size());
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < m; ++j) {
            qt[std::size_t(j) * std::size_t(m) + std::size_t(i)] = a[std::size_t(i) * std::size_t(m) + std::size_t(j)];
            st[std::size_t(j) * std::size_t(m) + std::size_t(i)] = scaled[std::size_t(i) * std::size_t(m) + std::size_t(j)];
        }
    n.m_normalization = crossProducts(qt, m, st, m, m);
    return n;
}

std::vector<double> Nystroem::transform(const std::vector<double>& x, int64_t rows, const CancelCheck& cancelled) const
{
    std::vector<double> out(static_cast<std::size_t>(rows * m_m));
    constexpr int64_t kBlock = 1024;
    for (int64_t start = 0; start < rows; start += kBlock) {
        throwIfCancelled(cancelled);
        const int64_t n = std::min(kBlock, rows - start);
        const std::vector<double> part(x.begin() + start * m_dims, x.begin() + (start + n) * m_dims);
        const std::vector<double> k = kernelMatrix(part, n, m_landmarks, m_m, m_dims, m_kernel);
        // K(x, L) · N, N symmetric: crossProducts(K, N) = K · Nᵀ.
        const std::vector<double> mapped = crossProducts(k, n, m_normalization, m_m, m_m);
        std::copy(mapped.begin(), mapped.end(), out.begin() + start * m_m);
    }
    return out;
}

void Nystroem::save(const std::string& prefix) const
{
    writeNpy(prefix + "_landmarks.npy", m_landmarks.data(), m_m, m_dims);
    writeNpy(prefix + "_normalization.npy", m_normalization.data(), m_m, m_m);
    QJsonObject o{{QStringLiteral("format"), QStringLiteral("deepsvm-nystroem")},
                  {QStringLiteral("version"), 1},
                  {QStringLiteral("kernel"), QString::fromStdString(kernelName(m_kernel.kernel))},
                  {QStringLiteral("gamma"), m_kernel.gamma},
                  {QStringLiteral("degree"), m_kernel.degree},
                  {QStringLiteral("coef0"), m_kernel.coef0},
                  {QStringLiteral("components"), double(m_m)},
                  {QStringLiteral("dims"), double(m_dims)}};
    writeJsonAtomically(prefix + ".json", o);
}

Nystroem Nystroem::load(const std::string& prefix)
{
    const QJsonObject o = readJsonObject(prefix + ".json", "write it again with deepsvm svm --solver nystroem:M");
    if (o.value(QStringLiteral("format")).toString() != QLatin1String("deepsvm-nystroem"))
        throw std::runtime_error(prefix + ".json: not a DeepSVM Nystroem map");
    Nystroem n;
    n.m_kernel.kernel = parseKernel(o.value(QStringLiteral("kernel")).toString().toStdString());
    n.m_kernel.gamma = o.value(QStringLiteral("gamma")).toDouble();
    n.m_kernel.degree = o.value(QStringLiteral("degree")).toInt(3);
    n.m_kernel.coef0 = o.value(QStringLiteral("coef0")).toDouble();
    n.m_m = int64_t(o.value(QStringLiteral("components")).toDouble());
    n.m_dims = int64_t(o.value(QStringLiteral("dims")).toDouble());
    NpyArray<double> l = readNpyDouble(prefix + "_landmarks.npy");
    NpyArray<double> norm = readNpyDouble(prefix + "_normalization.npy");
    if (l.rows() != n.m_m || l.cols() != n.m_dims || norm.rows() != n.m_m || norm.cols() != n.m_m)
        throw std::runtime_error(prefix + ": the landmarks or the normalization do not match " + prefix + ".json's sizes");
    n.m_landmarks = std::move(l.data);
    n.m_normalization = std::move(norm.data);
    return n;
}

}  // namespace deepsvm
