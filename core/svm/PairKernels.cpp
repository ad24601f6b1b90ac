#include "svm/PairKernels.h"

#include "svm/Gram.h"
#include "svm/GridSearch.h"
#include "svm/SvmModel.h"

#include "io/Parallel.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace deepsvm {

KernelStorage parseKernelStorage(const std::string& name)
{
    if (name == "auto") return KernelStorage::Auto;
    if (name == "full") return KernelStorage::Full;
    if (name == "class-pairs") return KernelStorage::ClassPairs;
    if (name == "libsvm") return KernelStorage::Libsvm;
    throw std::invalid_argument("unknown kernel storage '" + name + "' (use auto, full, class-pairs or libsvm)");
}

std::string kernelStorageName(KernelStorage storage)
{
    switch (storage) {
    case KernelStorage::Auto: return "auto";
    case KernelStorage::Full: return "full";
    case KernelStorage::ClassPairs: return "class-pairs";
    case KernelStorage::Libsvm: return "libsvm";
    }
    return "?";
}

double fullKernelBytes(int64_t rows)
{
    // libsvm nodes (16 bytes) for every kernel entry, the Gram matrix in double, and the
    // kernel values in double while they are turned into nodes.
    return double(rows) * double(rows + 2) * 16.0 + 2.0 * double(rows) * double(rows) * 8.0;
}

double classPairBytes(const std::vector<int>& labels, int classes, int threads)
{
    std::vector<int64_t> count(static_cast<std::size_t>(std::max(classes, 0)), 0);
    for (int l : labels)
        if (l >= 0 && l < classes)
            ++count[std::size_t(l)];
    std::sort(count.begin(), count.end(), std::greater<>());
    const double m = count.size() >= 2 ? double(count[0] + count[1]) : count.empty() ? 0.0 : double(count[0]);
    // The grid search: the Gram block (double), one kernel setting's signed values (float) and
    // per solver thread its subproblem's Q (float, at most the whole block). The refit: per
    // thread a pair's kernel (double) and its Q (float).
    const double t = double(threadCount(threads));
    return std::max(m * m * (12.0 + 4.0 * t), t * m * m * 12.0);
}

KernelStorage chooseKernelStorage(KernelStorage wanted, const std::vector<int>& labels, int classes, int threads,
                                  double budgetMb)
{
    if (wanted != KernelStorage::Auto)
        return wanted;
    const double budget = budgetMb * 1024.0 * 1024.0;
    if (fullKernelBytes(int64_t(labels.size())) <= budget)
        return KernelStorage::Full;
    if (classes > 2 && classPairBytes(labels, classes, threads) <= budget)
        return KernelStorage::ClassPairs;
    return KernelStorage::Libsvm;
}

std::vector<int64_t> rowsOfClasses(const std::vector<int>& labels, int a, int b)
{
    std::vector<int64_t> rows;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] == a || labels[i] == b)
            rows.push_back(int64_t(i));
    return rows;
}

std::vector<double> gatherRows(const std::vector<double>& x, int64_t dims, const std::vector<int64_t>& rows)
{
    std::vector<double> gathered(rows.size() * std::size_t(dims));
    for (std::size_t i = 0; i < rows.size(); ++i)
        std::copy_n(x.begin() + rows[i] * dims, dims, gathered.begin() + std::ptrdiff_t(i) * dims);
    return gathered;
}

void gramOfRows(const std::vector<double>& gathered, int64_t m, int64_t dims, std::vector<double>& gram,
                const CancelCheck& cancelled)
{
    gram.resize(std::size_t(m * m));  // a buffer reused pair after pair keeps its pages
    // X·Xᵀ is symmetric: each block of 512 rows against itself and the rows after it (half
    // the products), so a cancel waits for one block only; then the lower triangle mirrored.
    constexpr int64_t kBlock = 512;
    for (int64_t start = 0; start < m; start += kBlock) {
        throwIfCancelled(cancelled);
        const int64_t n = std::min(kBlock, m - start);
        const double* rows = gathered.data() + start * dims;
        crossProductsInto(rows, n, rows, m - start, dims, gram.data() + start * m + start, m);
    }
    // Tile by tile, so both the rows read and the columns written stay in cache.
    constexpr int64_t kTile = 64;
    const int64_t tiles = (m + kTile - 1) / kTile;
    parallelFor(tiles, threadCount(0), [&](int64_t ti) {
        const int64_t i0 = ti * kTile, i1 = std::min(m, i0 + kTile);
        for (int64_t j0 = i0; j0 < m; j0 += kTile) {
            const int64_t j1 = std::min(m, j0 + kTile);
            for (int64_t i = i0; i < i1; ++i)
                for (int64_t j = std::max(j0, i + 1); j < j1; ++j)
                    gram[std::size_t(j * m + i)] = gram[std::size_t(i * m + j)];
        }
    });
}

std::vector<double> gramOfRows(const std::vector<double>& gathered, int64_t m, int64_t dims, const CancelCheck& cancelled)
{
    std::vector<double> gram;
    gramOfRows(gathered, m, dims, gram, cancelled);
    return gram;
}

DenseSvc::PairKernel pairKernel(const std::vector<double>& x, int64_t dims, const std::vector<int>& labels, int a, int b,
                                const SvmParams& params, const CancelCheck& cancelled)
{
    const std::vector<int64_t> rows = rowsOfClasses(labels, a, b);
    DenseSvc::PairKernel k;
    k.size = int64_t(rows.size());
    const std::vector<double> gathered = gatherRows(x, dims, rows);
    k.values = gramOfRows(gathered, k.size, dims, cancelled);
    // The norms as kernelMatrix computes them (what the full kernel's refit uses).
    const std::vector<double> norms = rowNormsSquared(gathered, k.size, dims);
    throwIfCancelled(cancelled);
    applyKernel(k.values, k.size, k.size, norms, norms, params);
    k.local.assign(labels.size(), -1);
    for (int64_t i = 0; i < k.size; ++i)
        k.local[std::size_t(rows[std::size_t(i)])] = i;
    return k;
}

SvmModel fitModel(const std::vector<double>& x, int64_t n, int64_t dims, const std::vector<int>& labels,
                  const SvmParams& params, const FitOptions& o, std::shared_ptr<const SvmRows> features)
{
    std::vector<int64_t> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), int64_t(0));
    switch (o.storage) {
    case KernelStorage::Full: {
        // The kernel matrix in memory: DenseSvc fits the pairs (and the five calibration
        // folds of each) on all cores, to libsvm's bits.
        const std::vector<double> k = kernelMatrix(x, n, x, n, dims, params);
        const DenseSvc dense = o.probability
            ? DenseSvc::trainWithProbability(k.data(), n, all, labels, params.C, o.seed, o.threads, o.cancelled)
            : DenseSvc::train(k.data(), n, all, labels, params.C, o.cancelled);
        return SvmModel::fromDense(SvmRows::fromKernel(k, n, n), dense, params);
    }
    case KernelStorage::ClassPairs: {
        const DenseSvc::PairKernelSource source = [&](int a, int b) {
            return pairKernel(x, dims, labels, a, b, params, o.cancelled);
        };
        const DenseSvc dense = o.probability && !o.probA.empty()
            ? DenseSvc::trainPairsCalibrated(source, all, labels, params.C, o.probA, o.probB, o.threads, o.cancelled)
            : DenseSvc::trainPairs(source, all, labels, params.C, o.probability ? &o.seed : nullptr, o.threads,
                                   o.cancelled);
        return SvmModel::fromDense(features ? features : SvmRows::fromFeatures(x, n, dims), dense, params);
    }
    case KernelStorage::Auto:
    case KernelStorage::Libsvm: break;
    }
    SvmModel::Options mo;
    mo.probability = o.probability;
    mo.seed = o.seed;
    mo.cancelled = o.cancelled;
    return SvmModel::train(features ? features : SvmRows::fromFeatures(x, n, dims), all, labels, params, mo);
}

}  // namespace deepsvm

// ---------------------------------------------------------------------------------------
// The grid search one class pair at a time (GridSearch::run with KernelStorage::ClassPairs).
//
// Pair-major: each pair's Gram block is built once, turned into each kernel setting's values
// (per fold when gamma is "scale"/"auto", as SVC.fit resolves it on the fold's rows), and
// every (C, fold) fit of that setting solves the pair's subproblem on it: libsvm's binary
// solver (detail::solveBinary, what DenseSvc runs on the full kernel) on the same rows in the
// same order. Then each fold's validation rows are scored in blocks against the union of the
// fold's support vectors: the block's kernel times each point's dense (support vectors x
// pairs) coefficients with BLAS, minus rho. The result equals the full kernel's up to the
// rounding of BLAS's sums (dot products over a different set of rows, the decision sums in
// another order); tst_svm compares them.

#include "svm/DenseSvcInternal.h"
#include "metrics/Metrics.h"

#include <chrono>
#include <map>
#include <mutex>
#include <tuple>

namespace deepsvm {

namespace {

/// One pair's fitted subproblem in one (point, fold): its support vectors (rows of x, in the
/// subproblem's order: class a, then class b), their alpha * y, and rho.
struct PairSolution {
    std::vector<int64_t> sv;
    std::vector<double> coef;
    double rho = 0;
};

/// One kernel setting's values on a pair's rows, as the solver reads them: Q[i][j] =
/// (float)(y_i y_j K(i, j)) for the whole block (y: +1 for the pair's first class, -1 for its
/// second, whatever the fold), so each fit's Q is a gather of its rows; and K's diagonal in
/// double (QD). The same operations as applyKernel then solveBinary, so the same bits.
void signedKernel(const std::vector<double>& gram, int64_t m, const std::vector<double>& norms,
                  const std::vector<std::int8_t>& sign, const SvmParams& params, std::vector<float>& q,
                  std::vector<double>& diag)
{
    q.resize(std::size_t(m * m));  // reused from setting to setting and pair to pair
    diag.resize(std::size_t(m));
    constexpr int64_t kBlock = 64;
    parallelFor((m + kBlock - 1) / kBlock, threadCount(0), [&](int64_t b) {
        std::vector<double> row(static_cast<std::size_t>(m));
        for (int64_t i = b * kBlock; i < std::min(m, (b + 1) * kBlock); ++i) {
            std::copy_n(gram.begin() + i * m, m, row.begin());
            applyKernelRows(row.data(), 1, m, norms.data() + i, norms.data(), params);
            const int yi = sign[std::size_t(i)];
            float* out = q.data() + i * m;
            for (int64_t j = 0; j < m; ++j)
                out[j] = float(yi * sign[std::size_t(j)] * row[std::size_t(j)]);
            diag[std::size_t(i)] = row[std::size_t(i)];
        }
    });
}

/// Buffers handed from fit to fit (each thread takes one while it solves), so the solver's
/// l x l matrix is not allocated and faulted in again for every fit.
class BufferPool {
public:
    std::vector<float> take()
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        if (m_free.empty())
            return {};
        std::vector<float> b = std::move(m_free.back());
        m_free.pop_back();
        return b;
    }
    void give(std::vector<float> b)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_free.push_back(std::move(b));
    }

private:
    std::mutex m_mutex;
    std::vector<std::vector<float>> m_free;
};

/// The (point, fold) fits that share one kernel's values: same kernel, resolved gamma,
/// degree and coef0.
struct KernelInstance {
    SvmParams params;
    std::vector<std::pair<int, int>> units;  ///< (point, fold)
};

std::vector<KernelInstance> kernelInstances(const std::vector<SvmParams>& resolved, int points, int folds)
{
    std::map<std::tuple<int, double, int, double>, std::size_t> at;
    std::vector<KernelInstance> out;
    for (int p = 0; p < points; ++p)
        for (int f = 0; f < folds; ++f) {
            const SvmParams& q = resolved[std::size_t(p * folds + f)];
            const auto key = std::make_tuple(int(q.kernel), q.gamma, q.degree, q.coef0);
            const auto [it, added] = at.emplace(key, out.size());
            if (added)
                out.push_back({q, {}});
            out[it->second].units.emplace_back(p, f);
        }
    return out;
}

}  // namespace

std::vector<GridPointResult> GridSearch::runClassPairs(const PointDone& onPoint, const CancelCheck& cancelled,
                                                       const FitDone& onFit)
{
    using Clock = std::chrono::steady_clock;
    const int points = int(m_points.size()), folds = int(m_folds.size()), classes = m_classes;
    const int threads = threadCount(m_options.threads);
    std::vector<SvmParams> resolved(static_cast<std::size_t>(points * folds));
    for (int p = 0; p < points; ++p)
        for (int f = 0; f < folds; ++f) {
            SvmParams q = m_points[std::size_t(p)];
            resolveGammaOn(q, m_x, m_dims, &m_folds[std::size_t(f)].train);
            resolved[std::size_t(p * folds + f)] = q;
        }
    const std::vector<KernelInstance> instances = kernelInstances(resolved, points, folds);
    // Each fold's training rows by class, in the fold's order (DenseSvc's stable grouping).
    std::vector<std::vector<std::vector<int64_t>>> byClass(static_cast<std::size_t>(folds), std::vector<std::vector<int64_t>>(std::size_t(classes)));
    for (int f = 0; f < folds; ++f)
        for (int64_t r : m_folds[std::size_t(f)].train)
            byClass[std::size_t(f)][std::size_t(m_labels[std::size_t(r)])].push_back(r);
    std::vector<std::pair<int, int>> pairs;
    for (int a = 0; a < classes; ++a)
        for (int b = a + 1; b < classes; ++b)
            pairs.emplace_back(a, b);
    const int64_t pairCount = int64_t(pairs.size());
    std::vector<std::vector<PairSolution>> solutions(static_cast<std::size_t>(points * folds), std::vector<PairSolution>(pairs.size()));
    std::vector<double> seconds(static_cast<std::size_t>(points), 0.0);

    // Progress in the caller's unit (points x folds fits): the pair fits, then one unit per
    // (point, fold) validation.
    const int64_t total = int64_t(points) * folds;
    const int64_t work = total * pairCount + total;
    int64_t workDone = 0, reported = 0;
    auto advance = [&](int64_t units) {
        workDone += units;
        const int64_t now = std::min(total, workDone * total / std::max<int64_t>(work, 1));
        if (onFit && now > reported)
            onFit(now, total);
        reported = std::max(reported, now);
    };

    std::vector<GridPointResult> results(static_cast<std::size_t>(points));
    for (int p = 0; p < points; ++p) {
        results[std::size_t(p)].index = p;
        results[std::size_t(p)].params = m_points[std::size_t(p)];
        results[std::size_t(p)].folds.assign(std::size_t(folds), 0.0);
    }
    std::vector<int64_t> local(static_cast<std::size_t>(m_rows), -1);
    m_validation.clear();
    if (m_options.keepValidation)
        m_validation.assign(std::size_t(points), ValidationScores{std::vector<int>(std::size_t(m_rows), 0),
                                                                  std::vector<double>(std::size_t(m_rows * pairCount), 0.0)});
    // Reused pair after pair and setting after setting: allocated once, faulted in once.
    std::vector<double> gram, diag;
    std::vector<float> signedK;
    BufferPool buffers;
    try {
        for (int64_t pi = 0; pi < pairCount; ++pi) {
            const auto [a, b] = pairs[std::size_t(pi)];
            const std::vector<int64_t> rows = rowsOfClasses(m_labels, a, b);
            const int64_t m = int64_t(rows.size());
            std::vector<std::int8_t> sign(rows.size());
            for (int64_t i = 0; i < m; ++i) {
                local[std::size_t(rows[std::size_t(i)])] = i;
                sign[std::size_t(i)] = m_labels[std::size_t(rows[std::size_t(i)])] == a ? +1 : -1;
            }
            gramOfRows(gatherRows(m_x, m_dims, rows), m, m_dims, gram, cancelled);
            // The norms as the full kernel's grid search takes them: the Gram diagonal.
            std::vector<double> norms(rows.size());
            for (int64_t i = 0; i < m; ++i) norms[std::size_t(i)] = gram[std::size_t(i * m + i)];
            for (const KernelInstance& inst : instances) {
                throwIfCancelled(cancelled);
                signedKernel(gram, m, norms, sign, inst.params, signedK, diag);
                std::vector<double> unitSeconds(inst.units.size(), 0.0);
                auto fit = [&](int64_t u) {
                    const auto [p, f] = inst.units[std::size_t(u)];
                    const std::vector<int64_t>& ra = byClass[std::size_t(f)][std::size_t(a)];
                    const std::vector<int64_t>& rb = byClass[std::size_t(f)][std::size_t(b)];
                    if (ra.empty() || rb.empty())
                        return;  // the fold's model has no such pair
                    const auto t0 = Clock::now();
                    std::vector<int64_t> sub;
                    std::vector<std::int8_t> y;
                    sub.reserve(ra.size() + rb.size());
                    for (int64_t r : ra) { sub.push_back(local[std::size_t(r)]); y.push_back(+1); }
                    for (int64_t r : rb) { sub.push_back(local[std::size_t(r)]); y.push_back(-1); }
                    // The fit's Q: its rows of the pair's signed kernel (as solveBinary builds it).
                    const std::size_t l = sub.size();
                    std::vector<float> q = buffers.take();
                    q.resize(l * l);
                    std::vector<double> qd(l);
                    for (std::size_t i = 0; i < l; ++i) {
                        const float* src = signedK.data() + sub[i] * m;
                        float* dst = q.data() + i * l;
                        for (std::size_t j = 0; j < l; ++j) dst[j] = src[sub[j]];
                        qd[i] = diag[std::size_t(sub[i])];
                    }
                    const detail::Binary solved = detail::solvePrepared(q, std::move(qd), y, m_points[std::size_t(p)].C,
                                                                        1e-3, true, cancelled);
                    buffers.give(std::move(q));
                    PairSolution& s = solutions[std::size_t(p * folds + f)][std::size_t(pi)];
                    for (std::size_t i = 0; i < sub.size(); ++i)
                        if (solved.alpha[i] != 0) {  // libsvm: fabs(alpha) > 0
                            s.sv.push_back(i < ra.size() ? ra[i] : rb[i - ra.size()]);
                            s.coef.push_back(solved.alpha[i]);
                        }
                    s.rho = solved.rho;
                    unitSeconds[std::size_t(u)] = std::chrono::duration<double>(Clock::now() - t0).count();
                };
                parallelForReporting(int64_t(inst.units.size()), threads, fit, [&](int64_t u) {
                    seconds[std::size_t(inst.units[std::size_t(u)].first)] += unitSeconds[std::size_t(u)];
                    advance(1);
                }, cancelled);
            }
            for (int64_t r : rows) local[std::size_t(r)] = -1;
        }

        // Validation, fold by fold: the kernel of 128 validation rows at a time against the
        // fold's support vectors (all points), then every point's votes.
        for (int f = 0; f < folds; ++f) {
            const Fold& fold = m_folds[std::size_t(f)];
            std::vector<int> present;
            for (int c = 0; c < classes; ++c)
                if (!byClass[std::size_t(f)][std::size_t(c)].empty())
                    present.push_back(c);
            std::vector<char> isSv(static_cast<std::size_t>(m_rows), 0);
            for (int p = 0; p < points; ++p)
                for (const PairSolution& s : solutions[std::size_t(p * folds + f)])
                    for (int64_t r : s.sv) isSv[std::size_t(r)] = 1;
            std::vector<int64_t> svRows;
            for (int64_t r = 0; r < m_rows; ++r)
                if (isSv[std::size_t(r)]) {
                    local[std::size_t(r)] = int64_t(svRows.size());
                    svRows.push_back(r);
                }
            const int64_t nsv = int64_t(svRows.size());
            const std::vector<double> svX = gatherRows(m_x, m_dims, svRows);
            const std::vector<double> svNorms = rowNormsSquared(svX, nsv, m_dims);
            const int64_t nv = int64_t(fold.validation.size());
            const std::size_t foldPairs = present.size() * (present.size() - (present.empty() ? 0 : 1)) / 2;
            std::vector<std::vector<int>> predicted(static_cast<std::size_t>(points), std::vector<int>(std::size_t(nv)));
            std::vector<std::vector<double>> decisions(static_cast<std::size_t>(points), std::vector<double>(std::size_t(nv) * foldPairs));
            std::vector<int> truth(static_cast<std::size_t>(nv));
            for (int64_t i = 0; i < nv; ++i) truth[std::size_t(i)] = m_labels[std::size_t(fold.validation[std::size_t(i)])];
            // Each point's one-vs-one coefficients as a dense support vectors x pairs matrix, so
            // a block's decision values are one BLAS product with its kernel.
            std::vector<std::vector<double>> coefOf(static_cast<std::size_t>(points)), rhoOf(static_cast<std::size_t>(points));
            for (int p = 0; p < points; ++p) {
                const std::vector<PairSolution>& sol = solutions[std::size_t(p * folds + f)];
                coefOf[std::size_t(p)].assign(std::size_t(nsv) * foldPairs, 0.0);
                rhoOf[std::size_t(p)].assign(foldPairs, 0.0);
                std::size_t q = 0;
                for (std::size_t ia = 0; ia < present.size(); ++ia)
                    for (std::size_t ib = ia + 1; ib < present.size(); ++ib, ++q) {
                        const int ca = present[ia], cb = present[ib];
                        const PairSolution& s = sol[std::size_t(ca * classes - ca * (ca + 1) / 2 + (cb - ca - 1))];
                        for (std::size_t t = 0; t < s.sv.size(); ++t)
                            coefOf[std::size_t(p)][std::size_t(local[std::size_t(s.sv[t])]) * foldPairs + q] = s.coef[t];
                        rhoOf[std::size_t(p)][q] = s.rho;
                    }
            }
            const auto t0 = Clock::now();
            constexpr int64_t kBlock = 128;
            std::vector<double> dots, k, sums;  // one block's products, kernel and decision sums, reused
            for (int64_t start = 0; start < nv; start += kBlock) {
                throwIfCancelled(cancelled);
                const int64_t n = std::min(kBlock, nv - start);
                const std::vector<double> part = gatherRows(
                    m_x, m_dims, std::vector<int64_t>(fold.validation.begin() + start, fold.validation.begin() + start + n));
                const std::vector<double> partNorms = rowNormsSquared(part, n, m_dims);
                dots.resize(std::size_t(n * nsv));
                crossProductsInto(part.data(), n, svX.data(), nsv, m_dims, dots.data(), nsv);
                for (const KernelInstance& inst : instances) {
                    bool here = false;
                    for (const auto& [p, uf] : inst.units) here = here || uf == f;
                    if (!here)
                        continue;
                    k.assign(dots.begin(), dots.end());
                    applyKernel(k, n, nsv, partNorms, svNorms, inst.params);
                    for (const auto& [p, uf] : inst.units) {
                        if (uf != f)
                            continue;
                        sums.resize(std::size_t(n) * foldPairs);
                        multiplyInto(k.data(), n, nsv, coefOf[std::size_t(p)].data(), int64_t(foldPairs), sums.data());
                        const std::vector<double>& rho = rhoOf[std::size_t(p)];
                        std::vector<int> vote(present.size(), 0);
                        for (int64_t i = 0; i < n; ++i) {
                            std::fill(vote.begin(), vote.end(), 0);
                            double* d = decisions[std::size_t(p)].data() + std::size_t(start + i) * foldPairs;
                            const double* row = sums.data() + std::size_t(i) * foldPairs;
                            std::size_t q = 0;
                            for (std::size_t ia = 0; ia < present.size(); ++ia)
                                for (std::size_t ib = ia + 1; ib < present.size(); ++ib, ++q) {
                                    d[q] = row[q] - rho[q];
                                    ++vote[d[q] > 0 ? ia : ib];
                                }
                            std::size_t best = 0;
                            for (std::size_t c = 1; c < present.size(); ++c)
                                if (vote[c] > vote[best])
                                    best = c;
                            predicted[std::size_t(p)][std::size_t(start + i)] = present.empty() ? 0 : present[best];
                        }
                    }
                }
            }
            if (!m_validation.empty()) {
                // Kept in row order while every fold has every class (else dropped for good).
                const bool complete = int64_t(foldPairs) == pairCount;
                for (int p = 0; p < points && complete; ++p) {
                    ValidationScores& kept = m_validation[std::size_t(p)];
                    for (int64_t i = 0; i < nv; ++i) {
                        const int64_t r = fold.validation[std::size_t(i)];
                        kept.predicted[std::size_t(r)] = predicted[std::size_t(p)][std::size_t(i)];
                        std::copy_n(decisions[std::size_t(p)].begin() + i * int64_t(foldPairs), foldPairs,
                                    kept.decisions.begin() + r * pairCount);
                    }
                }
                if (!complete)
                    m_validation.clear();
            }
            const double validationSeconds = std::chrono::duration<double>(Clock::now() - t0).count() / double(points);
            for (int64_t r : svRows) local[std::size_t(r)] = -1;
            for (int p = 0; p < points; ++p) {
                results[std::size_t(p)].folds[std::size_t(f)] = scorePredictions(
                    m_options.metric, truth, predicted[std::size_t(p)], decisions[std::size_t(p)], present, classes);
                seconds[std::size_t(p)] += validationSeconds;
                advance(1);
            }
        }
    } catch (const Cancelled&) {
        m_validation.clear();
        return {};  // no point has all its folds before the last fold's validation
    }
    for (int p = 0; p < points; ++p) {
        GridPointResult& res = results[std::size_t(p)];
        res.seconds = seconds[std::size_t(p)];
        finishGridPoint(res);
        if (onPoint)
            onPoint(res, p + 1, points);
    }
    return results;
}

}  // namespace deepsvm
