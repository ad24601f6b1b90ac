#pragma once

#include "io/Cancel.h"

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace deepsvm {

/// A one-vs-one C-SVC trained on a dense, precomputed kernel matrix, for the grid search's
/// cross-validation fits. It runs libsvm's algorithm step for step (second-order working-set
/// selection, shrinking, gradient reconstruction, rho) with the same floating-point
/// operations in the same order, so its alphas, rho, decision values and predictions are
/// libsvm's own (tst_svm checks them against libsvm bit for bit). What differs is the
/// storage: each subproblem's Q matrix is a contiguous float array built once, with no cache
/// to manage, and the scans of every iteration run 8 doubles at a time on AVX-512 CPUs.
class DenseSvc {
public:
    struct Stats {
        int64_t iterations = 0;  ///< summed over the one-vs-one subproblems
    };

    /// `kernel`: n x n row-major, K[a][b] read as libsvm's precomputed kernel reads it (row a).
    /// Trains on kernel rows `rows` with class `labels` (0-based; one per row). Classes are
    /// ordered by value, as SvmModel does (libsvm's order for class-grouped rows).
    /// `cancelled` is asked every 1,000 solver iterations; a yes throws Cancelled.
    static DenseSvc train(const double* kernel, int64_t n, const std::vector<int64_t>& rows, const std::vector<int>& labels,
                          double C, const CancelCheck& cancelled = {}, double eps = 1e-3, bool shrinking = true);

    /// svm_train with probability estimates: each pair's sigmoid (probA, probB) is fitted to
    /// decision values from 5 folds shuffled with rand() after srand(seed), exactly as libsvm
    /// draws them (under randMutex()), then the pair is trained on all its rows. The pairs
    /// run on `threads` threads (0: one per core); the result does not depend on the count.
    static DenseSvc trainWithProbability(const double* kernel, int64_t n, const std::vector<int64_t>& rows,
                                         const std::vector<int>& labels, double C, unsigned seed, int threads = 0,
                                         const CancelCheck& cancelled = {}, double eps = 1e-3, bool shrinking = true);
    /// One class pair's kernel, for data whose n x n kernel does not fit in memory: the
    /// kernel among the rows of the two classes only, `size` x `size` row-major, and where
    /// each row of the problem lies in it (`local[row]`, -1 for rows of other classes).
    struct PairKernel {
        std::vector<double> values;
        int64_t size = 0;
        std::vector<int64_t> local;
    };
    /// Gives the kernel of the classes labelled `a` < `b`; called once per pair, from the
    /// thread that solves it (so `threads` of them are alive at once).
    using PairKernelSource = std::function<PairKernel(int a, int b)>;
    /// train / trainWithProbability (`seed` set) with the kernel one class pair at a time:
    /// the same subproblems in the same order, so the same model as on the full kernel
    /// whenever the pair kernels hold the same values. `rows` index the problem (0..n-1 for
    /// the source's `local`); supportRows() are those rows.
    static DenseSvc trainPairs(const PairKernelSource& source, const std::vector<int64_t>& rows,
                               const std::vector<int>& labels, double C, const unsigned* seed, int threads = 0,
                               const CancelCheck& cancelled = {}, double eps = 1e-3, bool shrinking = true);
    /// trainPairs with each pair's sigmoid given (probA, probB in pair order, K(K-1)/2 each for
    /// the K classes among `labels`) instead of fitted on an inner 5-fold cross-validation:
    /// one fit per pair instead of six.
    static DenseSvc trainPairsCalibrated(const PairKernelSource& source, const std::vector<int64_t>& rows,
                                         const std::vector<int>& labels, double C, const std::vector<double>& probA,
                                         const std::vector<double>& probB, int threads = 0,
                                         const CancelCheck& cancelled = {}, double eps = 1e-3, bool shrinking = true);
    /// libsvm's probability calibration draws from the C library's rand(): whoever seeds and
    /// draws holds this.
    static std::mutex& randMutex();

    /// Predicts kernel row `row` (its kernel against every training row is kernel[row][*]).
    /// Fills the K(K-1)/2 one-vs-one decision values in libsvm's order if asked.
    int predict(const double* kernel, int64_t n, int64_t row, std::vector<double>* decisions = nullptr) const;

    const std::vector<int>& labels() const { return m_labels; }
    int supportVectorCount() const { return int(m_svRows.size()); }
    /// Kernel rows of the support vectors, class by class (libsvm's model order).
    const std::vector<int64_t>& supportRows() const { return m_svRows; }
    /// Their positions in the `rows` given to train.
    const std::vector<int64_t>& supportPositions() const { return m_svPositions; }
    const std::vector<int>& supportCounts() const { return m_svCount; }
    /// libsvm's sv_coef: (classes - 1) x support vectors.
    const std::vector<std::vector<double>>& coefficients() const { return m_coef; }
    const std::vector<double>& rho() const { return m_rho; }
    /// Empty unless trained with probability estimates.
    const std::vector<double>& probA() const { return m_probA; }
    const std::vector<double>& probB() const { return m_probB; }
    Stats stats() const { return m_stats; }
    /// Solves with the portable loops even where AVX-512 is available (for tests).
    static void forcePortable(bool on);

private:
    struct Fit {
        double C, eps;
        bool shrinking;
        const unsigned* seed;  ///< set: with probability estimates
        int threads;
        const CancelCheck& cancelled;
        const PairKernelSource* source;  ///< set: pair kernels instead of `kernel`
        const std::vector<double>* probA = nullptr;  ///< set (with probB): the pairs' sigmoids, given
        const std::vector<double>* probB = nullptr;
    };
    struct Pair;
    static DenseSvc build(const double* kernel, int64_t n, const std::vector<int64_t>& rows, const std::vector<int>& labels,
                          const Fit& fit);
    /// Support vectors class by class and sv_coef, as svm_train lays them out.
    void collectSupportVectors(const std::vector<Pair>& pairs, const std::vector<int64_t>& grouped,
                               const std::vector<std::size_t>& order, const std::vector<int>& start,
                               const std::vector<int>& count, bool withProbability);

    std::vector<int> m_labels;            ///< classes present, ascending
    std::vector<int64_t> m_svRows;        ///< kernel rows of the support vectors, class by class
    std::vector<int64_t> m_svPositions;   ///< their positions in the training `rows`
    std::vector<int> m_svStart, m_svCount;
    std::vector<std::vector<double>> m_coef;  ///< (classes - 1) x support vectors, as libsvm's sv_coef
    std::vector<double> m_rho, m_probA, m_probB;
    Stats m_stats;
};

}  // namespace deepsvm
