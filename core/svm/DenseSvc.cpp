#include "svm/DenseSvc.h"
#include "svm/DenseSvcInternal.h"

#include "io/Parallel.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// DenseSvc's public API: the one-vs-one problem (classes, pairs, libsvm's shuffles), the
// support vectors and coefficients as svm_train lays them out, and prediction. The solver is
// in DenseSvcSolver.cpp, the probability estimates in DenseSvcProbability.cpp.
//
// Exactness note: this file is compiled with -ffp-contract=off (CMakeLists), so no multiply
// and add are fused; every expression below evaluates the same IEEE operations in the same
// order as libsvm's svm_train and svm_predict_values.

namespace deepsvm {

DenseSvc DenseSvc::train(const double* kernel, int64_t n, const std::vector<int64_t>& rows, const std::vector<int>& labels,
                         double C, const CancelCheck& cancelled, double eps, bool shrinking)
{
    return build(kernel, n, rows, labels, {C, eps, shrinking, nullptr, 1, cancelled, nullptr});
}

DenseSvc DenseSvc::trainWithProbability(const double* kernel, int64_t n, const std::vector<int64_t>& rows,
                                        const std::vector<int>& labels, double C, unsigned seed, int threads,
                                        const CancelCheck& cancelled, double eps, bool shrinking)
{
    return build(kernel, n, rows, labels, {C, eps, shrinking, &seed, threads, cancelled, nullptr});
}

DenseSvc DenseSvc::trainPairs(const PairKernelSource& source, const std::vector<int64_t>& rows, const std::vector<int>& labels,
                              double C, const unsigned* seed, int threads, const CancelCheck& cancelled, double eps,
                              bool shrinking)
{
    return build(nullptr, 0, rows, labels, {C, eps, shrinking, seed, threads, cancelled, &source});
}

DenseSvc DenseSvc::trainPairsCalibrated(const PairKernelSource& source, const std::vector<int64_t>& rows,
                                        const std::vector<int>& labels, double C, const std::vector<double>& probA,
                                        const std::vector<double>& probB, int threads, const CancelCheck& cancelled,
                                        double eps, bool shrinking)
{
    return build(nullptr, 0, rows, labels, {C, eps, shrinking, nullptr, threads, cancelled, &source, &probA, &probB});
}

std::mutex& DenseSvc::randMutex()
{
    static std::mutex m;
    return m;
}

/// One class pair's subproblem: its rows, libsvm's shuffle for the probability folds, and the fit.
struct DenseSvc::Pair {
    int a, b;
    std::vector<int> perm;
    detail::Binary f;
    double probA = 0, probB = 0;
    int64_t iterations = 0;
};

DenseSvc DenseSvc::build(const double* kernel, int64_t n, const std::vector<int64_t>& rows, const std::vector<int>& labels,
                         const Fit& fit)
{
    if (rows.size() != labels.size() || rows.empty())
        throw std::invalid_argument("DenseSvc: rows and labels must be non-empty and of equal length");
    if (!(fit.C > 0))
        throw std::invalid_argument("DenseSvc: C must be positive");
    // Rows grouped by class, stable, classes ascending: what SvmModel hands libsvm.
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
    std::vector<int64_t> grouped(rows.size());
    for (std::size_t k = 0; k < order.size(); ++k)
        grouped[k] = rows[order[k]];
    DenseSvc m;
    std::vector<int> start, count;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const int label = labels[order[k]];
        if (m.m_labels.empty() || m.m_labels.back() != label) {
            m.m_labels.push_back(label);
            start.push_back(int(k));
            count.push_back(0);
        }
        ++count.back();
    }
    const int classes = int(m.m_labels.size());
    std::vector<Pair> pairs;
    for (int a = 0; a < classes; ++a)
        for (int b = a + 1; b < classes; ++b)
            pairs.push_back({a, b, {}, {}, 0, 0, 0});
    const bool given = fit.probA && fit.probB;
    if (given) {
        if (fit.probA->size() != pairs.size() || fit.probB->size() != pairs.size())
            throw std::invalid_argument("DenseSvc: " + std::to_string(fit.probA->size()) + " sigmoids given for "
                                        + std::to_string(pairs.size()) + " class pairs");
        for (std::size_t q = 0; q < pairs.size(); ++q) {
            pairs[q].probA = (*fit.probA)[q];
            pairs[q].probB = (*fit.probB)[q];
        }
    }
    if (fit.seed) {
        // svm_binary_svc_probability's shuffles, drawn pair by pair from rand() as svm_train
        // draws them (nothing else in svm_train calls rand()), so the pairs can then run in
        // any order.
        std::lock_guard<std::mutex> lock(randMutex());
        std::srand(*fit.seed);
        for (Pair& p : pairs) {
            const int l = count[std::size_t(p.a)] + count[std::size_t(p.b)];
            p.perm.resize(std::size_t(l));
            std::iota(p.perm.begin(), p.perm.end(), 0);
            for (int i = 0; i < l; ++i)
                std::swap(p.perm[std::size_t(i)], p.perm[std::size_t(i + std::rand() % (l - i))]);
        }
    }
    auto solvePair = [&](int64_t index) {
        Pair& p = pairs[std::size_t(index)];
        const int ca = count[std::size_t(p.a)], cb = count[std::size_t(p.b)];
        std::vector<int64_t> sub;
        std::vector<std::int8_t> y;
        sub.reserve(std::size_t(ca + cb));
        for (int k = 0; k < ca; ++k) { sub.push_back(grouped[std::size_t(start[std::size_t(p.a)] + k)]); y.push_back(+1); }
        for (int k = 0; k < cb; ++k) { sub.push_back(grouped[std::size_t(start[std::size_t(p.b)] + k)]); y.push_back(-1); }
        const double* k = kernel;
        int64_t kn = n;
        PairKernel block;
        if (fit.source) {
            // The pair's own kernel: the same values, indexed by the rows' places in it.
            block = (*fit.source)(m.m_labels[std::size_t(p.a)], m.m_labels[std::size_t(p.b)]);
            for (int64_t& r : sub) r = block.local[std::size_t(r)];
            k = block.values.data();
            kn = block.size;
        }
        if (fit.seed)
            detail::binaryProbability(k, kn, sub, y, p.perm, fit.C, fit.eps, fit.shrinking, fit.cancelled, &p.probA,
                                      &p.probB, &p.iterations);
        p.f = detail::solveBinary(k, kn, sub, y, fit.C, fit.eps, fit.shrinking, fit.cancelled);
        p.iterations += p.f.iterations;
    };
    // The pairs are independent; the result does not depend on the thread count.
    parallelFor(int64_t(pairs.size()), std::min<int>(threadCount(fit.threads), int(pairs.size())), solvePair);
    m.collectSupportVectors(pairs, grouped, order, start, count, fit.seed != nullptr || given);
    return m;
}

void DenseSvc::collectSupportVectors(const std::vector<Pair>& pairs, const std::vector<int64_t>& grouped,
                                     const std::vector<std::size_t>& order, const std::vector<int>& start,
                                     const std::vector<int>& count, bool withProbability)
{
    const int classes = int(m_labels.size());
    std::vector<char> nonzero(grouped.size(), 0);
    for (const Pair& p : pairs) {
        m_stats.iterations += p.iterations;
        const int ca = count[std::size_t(p.a)], cb = count[std::size_t(p.b)];
        for (int k = 0; k < ca; ++k)
            if (p.f.alpha[std::size_t(k)] != 0)  // libsvm: fabs(alpha) > 0
                nonzero[std::size_t(start[std::size_t(p.a)] + k)] = 1;
        for (int k = 0; k < cb; ++k)
            if (p.f.alpha[std::size_t(ca + k)] != 0)
                nonzero[std::size_t(start[std::size_t(p.b)] + k)] = 1;
    }
    std::vector<int> nzStart(std::size_t(classes), 0);
    m_svCount.assign(std::size_t(classes), 0);
    for (int c = 0; c < classes; ++c) {
        for (int k = 0; k < count[std::size_t(c)]; ++k)
            if (nonzero[std::size_t(start[std::size_t(c)] + k)]) {
                ++m_svCount[std::size_t(c)];
                m_svRows.push_back(grouped[std::size_t(start[std::size_t(c)] + k)]);
                m_svPositions.push_back(int64_t(order[std::size_t(start[std::size_t(c)] + k)]));
            }
        if (c > 0)
            nzStart[std::size_t(c)] = nzStart[std::size_t(c - 1)] + m_svCount[std::size_t(c - 1)];
    }
    m_svStart = nzStart;
    const int nSV = int(m_svRows.size());
    m_coef.assign(std::size_t(std::max(classes - 1, 0)), std::vector<double>(std::size_t(nSV), 0.0));
    for (const Pair& p : pairs) {
        const int ca = count[std::size_t(p.a)], cb = count[std::size_t(p.b)];
        int q = nzStart[std::size_t(p.a)];
        for (int k = 0; k < ca; ++k)
            if (nonzero[std::size_t(start[std::size_t(p.a)] + k)])
                m_coef[std::size_t(p.b - 1)][std::size_t(q++)] = p.f.alpha[std::size_t(k)];
        q = nzStart[std::size_t(p.b)];
        for (int k = 0; k < cb; ++k)
            if (nonzero[std::size_t(start[std::size_t(p.b)] + k)])
                m_coef[std::size_t(p.a)][std::size_t(q++)] = p.f.alpha[std::size_t(ca + k)];
        m_rho.push_back(p.f.rho);
        if (withProbability) {
            m_probA.push_back(p.probA);
            m_probB.push_back(p.probB);
        }
    }
}

int DenseSvc::predict(const double* kernel, int64_t n, int64_t row, std::vector<double>* decisions) const
{
    const int classes = int(m_labels.size());
    if (classes == 1) {
        if (decisions)
            decisions->clear();
        return m_labels[0];
    }
    const double* krow = kernel + row * n;
    std::vector<double> kvalue(m_svRows.size());
    for (std::size_t s = 0; s < m_svRows.size(); ++s)
        kvalue[s] = krow[m_svRows[s]];
    std::vector<int> vote(std::size_t(classes), 0);
    if (decisions)
        decisions->assign(std::size_t(classes * (classes - 1) / 2), 0.0);
    int p = 0;
    for (int i = 0; i < classes; ++i)
        for (int j = i + 1; j < classes; ++j) {
            double sum = 0;
            const int si = m_svStart[std::size_t(i)], sj = m_svStart[std::size_t(j)];
            const std::vector<double>& coef1 = m_coef[std::size_t(j - 1)];
            const std::vector<double>& coef2 = m_coef[std::size_t(i)];
            for (int k = 0; k < m_svCount[std::size_t(i)]; ++k)
                sum += coef1[std::size_t(si + k)] * kvalue[std::size_t(si + k)];
            for (int k = 0; k < m_svCount[std::size_t(j)]; ++k)
                sum += coef2[std::size_t(sj + k)] * kvalue[std::size_t(sj + k)];
            sum -= m_rho[std::size_t(p)];
            if (decisions)
                (*decisions)[std::size_t(p)] = sum;
            ++vote[std::size_t(sum > 0 ? i : j)];
            ++p;
        }
    int best = 0;
    for (int i = 1; i < classes; ++i)
        if (vote[std::size_t(i)] > vote[std::size_t(best)])
            best = i;
    return m_labels[std::size_t(best)];
}

}  // namespace deepsvm
