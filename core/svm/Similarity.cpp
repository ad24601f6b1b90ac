#include "svm/Similarity.h"

#include "analysis/PrincipalComponents.h"
#include "io/Parallel.h"
#include "svm/Gram.h"
#include "svm/Scaler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace deepsvm {

namespace {

bool moreSimilar(const SimilarPair& x, const SimilarPair& y)
{
    if (x.similarity != y.similarity) return x.similarity > y.similarity;
    return x.a != y.a ? x.a < y.a : x.b < y.b;
}

}  // namespace

SimilaritySpace::SimilaritySpace(const std::vector<float>& values, int64_t rows, int64_t dims, int components)
    : m_rows(rows)
{
    if (rows < 2 || dims < 1 || values.size() != std::size_t(rows * dims))
        throw std::invalid_argument("a similarity needs at least 2 rows of features, not " + std::to_string(rows));
    const int64_t wanted = components > 0 ? components : std::clamp<int64_t>(rows / 5, 8, 64);
    const int64_t k = std::max<int64_t>(1, std::min<int64_t>({wanted, rows - 1, dims}));
    const std::vector<float> scores = detail::principalScores(values.data(), rows, dims, k, 1e-6, 4 * k + 50, threadCount(0));
    m_dims = int64_t(scores.size()) / rows;
    // Whiten: every principal axis to unit variance (axes with no variance are dropped to 0).
    std::vector<double> scale(std::size_t(m_dims), 0.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < m_dims; ++c) {
            const double v = scores[std::size_t(r * m_dims + c)];
            scale[std::size_t(c)] += v * v;
        }
    for (double& s : scale)
        s = s > 1e-12 * double(rows) ? 1.0 / std::sqrt(s / double(rows)) : 0.0;
    m_unit.resize(std::size_t(rows * m_dims));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < m_dims; ++c)
            m_unit[std::size_t(r * m_dims + c)] = scores[std::size_t(r * m_dims + c)] * scale[std::size_t(c)];
    normaliseRows();
}

SimilaritySpace SimilaritySpace::standardised(const std::vector<float>& values, int64_t rows, int64_t dims)
{
    if (rows < 1 || dims < 1 || values.size() != std::size_t(rows * dims))
        throw std::invalid_argument("a similarity needs rows of features, not " + std::to_string(rows));
    Scaler scaler;
    scaler.fit(values, rows, dims);
    SimilaritySpace s;
    s.m_rows = rows;
    s.m_dims = dims;
    s.m_unit = scaler.transform(values, rows);
    s.normaliseRows();
    return s;
}

void SimilaritySpace::normaliseRows()
{
    for (int64_t r = 0; r < m_rows; ++r) {
        double* row = m_unit.data() + r * m_dims;
        double norm = 0;
        for (int64_t c = 0; c < m_dims; ++c) norm += row[c] * row[c];
        const double inv = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
        for (int64_t c = 0; c < m_dims; ++c) row[c] *= inv;
    }
}

double SimilaritySpace::similarity(int64_t a, int64_t b) const
{
    double s = 0;
    for (int64_t c = 0; c < m_dims; ++c) s += m_unit[std::size_t(a * m_dims + c)] * m_unit[std::size_t(b * m_dims + c)];
    return s;
}

std::vector<SimilaritySpace::Neighbour> SimilaritySpace::nearest(int64_t row, int k) const
{
    const std::vector<double> q(m_unit.begin() + row * m_dims, m_unit.begin() + (row + 1) * m_dims);
    const std::vector<double> dots = crossProducts(q, 1, m_unit, m_rows, m_dims);
    std::vector<Neighbour> all;
    all.reserve(std::size_t(m_rows));
    for (int64_t r = 0; r < m_rows; ++r)
        if (r != row) all.push_back({r, dots[std::size_t(r)]});
    const std::size_t n = std::min(all.size(), std::size_t(std::max(k, 0)));
    std::partial_sort(all.begin(), all.begin() + std::ptrdiff_t(n), all.end(), [](const Neighbour& a, const Neighbour& b) {
        return a.similarity != b.similarity ? a.similarity > b.similarity : a.row < b.row;
    });
    all.resize(n);
    return all;
}

std::vector<SimilarPair> nearDuplicates(const SimilaritySpace& space, int64_t referenceRows,
                                        const NearDuplicateOptions& options)
{
    const int64_t dims = space.dims();
    const bool within = referenceRows < 0;
    const std::vector<double>& x = space.embedded();
    const int64_t q0 = within ? 0 : referenceRows;           // first query row
    const int64_t ra = space.rows() - q0;                     // queries
    const int64_t rb = within ? space.rows() : referenceRows; // references
    constexpr int64_t block = 1024;
    std::vector<SimilarPair> pairs;
    for (int64_t i0 = 0; i0 < ra; i0 += block) {
        const int64_t ni = std::min(block, ra - i0);
        const std::vector<double> ablock(x.begin() + (q0 + i0) * dims, x.begin() + (q0 + i0 + ni) * dims);
        // Within one set, only the blocks on and right of the diagonal.
        for (int64_t j0 = within ? i0 : 0; j0 < rb; j0 += block) {
            throwIfCancelled(options.cancelled);
            const int64_t nj = std::min(block, rb - j0);
            const std::vector<double> bblock(x.begin() + j0 * dims, x.begin() + (j0 + nj) * dims);
            const std::vector<double> dots = crossProducts(ablock, ni, bblock, nj, dims);
            for (int64_t i = 0; i < ni; ++i)
                for (int64_t j = 0; j < nj; ++j) {
                    if (within && j0 + j <= i0 + i)
                        continue;
                    const double s = dots[std::size_t(i * nj + j)];
                    if (s >= options.threshold)
                        pairs.push_back({i0 + i, j0 + j, std::min(s, 1.0)});
                }
            if (options.top > 0 && int64_t(pairs.size()) > 4 * options.top + 4096) {
                std::nth_element(pairs.begin(), pairs.begin() + options.top, pairs.end(), moreSimilar);
                pairs.resize(std::size_t(options.top));
            }
        }
    }
    std::sort(pairs.begin(), pairs.end(), moreSimilar);
    if (options.top > 0 && int64_t(pairs.size()) > options.top)
        pairs.resize(std::size_t(options.top));
    return pairs;
}

std::vector<float> stackRows(const std::vector<float>& a, const std::vector<float>& b)
{
    std::vector<float> out;
    out.reserve(a.size() + b.size());
    out.insert(out.end(), a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

}  // namespace deepsvm
