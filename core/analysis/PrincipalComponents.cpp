// Lanczos on the centred cross-product Xc^T Xc, which is never formed: for 10,000 x 2048 forming it alone
// would take 4e10 multiply-adds, while each Lanczos step is one pass over the rows.
#include "analysis/PrincipalComponents.h"

#include "analysis/Parallel.h"

#include <functional>
#include <limits>
#include <numeric>

namespace deepsvm::detail {
namespace {

double dot(const double* a, const double* b, int64_t n)
{
    // Four partial sums: without -ffast-math the compiler may not reorder the reduction itself.
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; ++i) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/// Eigenvalues of the symmetric tridiagonal matrix (diagonal d, off-diagonal e[0..n-2]) by implicit QL
/// (JAMA's tql2), left unsorted in d. The rotations are applied to the columns of z (zRows x n, row-major):
/// start from the identity to get all eigenvectors as columns, or from e_{n-1}^T for just their last entries.
void tridiagonalEigen(std::vector<double>& d, std::vector<double> e, std::vector<double>& z, int64_t zRows)
{
    const int64_t n = int64_t(d.size());
    e.resize(std::size_t(n), 0.0);
    const double eps = std::numeric_limits<double>::epsilon();
    double shift = 0, tst1 = 0;
    for (int64_t l = 0; l < n; ++l) {
        tst1 = std::max(tst1, std::abs(d[l]) + std::abs(e[l]));
        int64_t m = l;
        while (m < n - 1 && std::abs(e[m]) > eps * tst1) ++m;
        for (int iteration = 0; m > l && iteration < 100 && std::abs(e[l]) > eps * tst1; ++iteration) {
            double g = d[l];
            double p = (d[l + 1] - g) / (2.0 * e[l]);
            double r = std::copysign(std::hypot(p, 1.0), p);
            d[l] = e[l] / (p + r);
            d[l + 1] = e[l] * (p + r);
            const double dl1 = d[l + 1];
            double h = g - d[l];
            for (int64_t i = l + 2; i < n; ++i) d[i] -= h;
            shift += h;
            p = d[m];
            double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
            const double el1 = e[l + 1];
            for (int64_t i = m - 1; i >= l; --i) {
                c3 = c2;
                c2 = c;
                s2 = s;
                g = c * e[i];
                h = c * p;
                r = std::hypot(p, e[i]);
                e[i + 1] = s * r;
                s = e[i] / r;
                c = p / r;
                p = c * d[i] - s * g;
                d[i + 1] = h + s * (c * g + s * d[i]);
                for (int64_t k = 0; k < zRows; ++k) {
                    double* zk = z.data() + k * n;
                    h = zk[i + 1];
                    zk[i + 1] = s * zk[i] + c * h;
                    zk[i] = c * zk[i] - s * h;
                }
            }
            p = -s * s2 * c3 * el1 * e[l] / dl1;
            e[l] = s * p;
            d[l] = c * p;
        }
        d[l] += shift;
        e[l] = 0;
    }
}

std::vector<int64_t> descendingOrder(const std::vector<double>& values)
{
    std::vector<int64_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return values[a] > values[b]; });
    return order;
}

/// The k leading eigenvectors (k x dim, by descending eigenvalue) of a symmetric positive semi-definite
/// operator, by Lanczos with full reorthogonalisation, restarted from a fresh vector if the Krylov space
/// closes before k are found. Stops when every wanted Ritz pair's residual is below tol * (largest Ritz
/// value), or after maxSteps.
std::vector<double> topEigenvectors(const std::function<void(const double*, double*)>& apply, int64_t dim, int64_t k,
                                    double tol, int64_t maxSteps)
{
    maxSteps = std::clamp<int64_t>(maxSteps, k, dim);
    Random random{0x5eedULL};  // a fixed start: the same matrix always gives the same components
    std::vector<double> basis, alpha, beta, q(static_cast<std::size_t>(dim)), w(static_cast<std::size_t>(dim));
    auto orthogonalise = [&](std::vector<double>& v) {
        const int64_t m = int64_t(basis.size()) / dim;
        for (int pass = 0; pass < 2; ++pass)  // twice is enough (Kahan-Parlett)
            for (int64_t i = 0; i < m; ++i) {
                const double* b = basis.data() + i * dim;
                const double c = dot(b, v.data(), dim);
                for (int64_t j = 0; j < dim; ++j) v[j] -= c * b[j];
            }
        return std::sqrt(dot(v.data(), v.data(), dim));
    };
    auto restart = [&] {
        for (double& x : q) x = random.uniform() - 0.5;
        const double norm = orthogonalise(q);
        for (double& x : q) x /= norm;
    };
    restart();
    double scale = 0;
    for (;;) {
        basis.insert(basis.end(), q.begin(), q.end());
        apply(q.data(), w.data());
        alpha.push_back(dot(q.data(), w.data(), dim));
        const double b = orthogonalise(w);
        scale = std::max(scale, std::abs(alpha.back()) + b);
        const int64_t m = int64_t(alpha.size());
        if (m >= maxSteps)
            break;
        if (m >= k) {
            std::vector<double> d = alpha, last(std::size_t(m), 0.0);
            last.back() = 1;
            tridiagonalEigen(d, beta, last, 1);
            const auto order = descendingOrder(d);
            const double top = std::max(d[order[0]], 0.0);
            bool converged = true;
            for (int64_t i = 0; i < k; ++i) converged = converged && b * std::abs(last[order[i]]) <= tol * top;
            if (converged)
                break;
        }
        if (b <= 1e-10 * scale) {  // an invariant subspace: what is missing has no component in it
            beta.push_back(0);
            restart();
        } else {
            beta.push_back(b);
            for (int64_t j = 0; j < dim; ++j) q[j] = w[j] / b;
        }
    }
    const int64_t m = int64_t(alpha.size());
    std::vector<double> d = alpha, z(std::size_t(m * m), 0.0);
    for (int64_t i = 0; i < m; ++i) z[i * m + i] = 1;
    tridiagonalEigen(d, beta, z, m);
    const auto order = descendingOrder(d);
    std::vector<double> vectors(std::size_t(k * dim), 0.0);
    for (int64_t c = 0; c < k; ++c)
        for (int64_t i = 0; i < m; ++i) {
            const double coefficient = z[i * m + order[c]];
            for (int64_t j = 0; j < dim; ++j) vectors[c * dim + j] += coefficient * basis[i * dim + j];
        }
    return vectors;
}

}  // namespace

std::vector<float> principalScores(const float* x, int64_t rows, int64_t cols, int64_t components, double tol,
                                   int64_t maxSteps, int threads)
{
    const int64_t k = std::min(components, cols);
    const int64_t chunks = chunkCount(rows);
    std::vector<double> partial(std::size_t(chunks * cols)), mean(std::size_t(cols), 0.0);
    auto chunkEnd = [&](int64_t c) { return std::min(rows, (c + 1) * kChunkRows); };
    parallelFor(chunks, threads, [&](int64_t c) {
        double* acc = partial.data() + c * cols;
        std::fill(acc, acc + cols, 0.0);
        for (int64_t r = c * kChunkRows; r < chunkEnd(c); ++r)
            for (int64_t j = 0; j < cols; ++j) acc[j] += x[r * cols + j];
    });
    for (int64_t c = 0; c < chunks; ++c)
        for (int64_t j = 0; j < cols; ++j) mean[j] += partial[c * cols + j];
    for (double& m : mean) m /= double(rows);
    auto centredRow = [&](int64_t r, double* out) {
        for (int64_t j = 0; j < cols; ++j) out[j] = double(x[r * cols + j]) - mean[j];
    };
    // y = Xc^T (Xc v), one row at a time so Xc is never stored.
    auto apply = [&](const double* v, double* y) {
        parallelFor(chunks, threads, [&](int64_t c) {
            double* acc = partial.data() + c * cols;
            std::fill(acc, acc + cols, 0.0);
            std::vector<double> row(static_cast<std::size_t>(cols));
            for (int64_t r = c * kChunkRows; r < chunkEnd(c); ++r) {
                centredRow(r, row.data());
                const double s = dot(row.data(), v, cols);
                for (int64_t j = 0; j < cols; ++j) acc[j] += s * row[j];
            }
        });
        std::fill(y, y + cols, 0.0);
        for (int64_t c = 0; c < chunks; ++c)
            for (int64_t j = 0; j < cols; ++j) y[j] += partial[c * cols + j];
    };
    std::vector<double> vectors = topEigenvectors(apply, cols, k, tol, maxSteps);
    for (int64_t c = 0; c < k; ++c) {
        double* v = vectors.data() + c * cols;
        const double* largest = std::max_element(v, v + cols, [](double a, double b) { return std::abs(a) < std::abs(b); });
        if (*largest < 0)
            for (int64_t j = 0; j < cols; ++j) v[j] = -v[j];
    }
    std::vector<float> scores(std::size_t(rows * k));
    parallelFor(chunks, threads, [&](int64_t c) {
        std::vector<double> row(static_cast<std::size_t>(cols));
        for (int64_t r = c * kChunkRows; r < chunkEnd(c); ++r) {
            centredRow(r, row.data());
            for (int64_t i = 0; i < k; ++i) scores[r * k + i] = float(dot(row.data(), vectors.data() + i * cols, cols));
        }
    });
    return scores;
}

}  // namespace deepsvm::detail
