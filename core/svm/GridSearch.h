#pragma once

#include "io/Cancel.h"
#include "data/Splits.h"
#include "svm/PairKernels.h"
#include "svm/SvmParams.h"

#include <QMetaType>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

class SvmRows;

enum class Metric { Accuracy, MacroF1, MacroAuc };
Metric parseMetric(const std::string& name);  ///< "accuracy" | "f1_macro" | "roc_auc_macro"
std::string metricName(Metric m);

/// The grid in scikit-learn's ParameterGrid order (C slowest, then coef0, degree, gamma,
/// kernel fastest); settings a kernel ignores are not repeated.
std::vector<SvmParams> expandGrid(const std::vector<Kernel>& kernels, const std::vector<double>& Cs,
                                  const std::vector<std::string>& gammas, const std::vector<int>& degrees,
                                  const std::vector<double>& coef0s);

/// The cross-validated score of one grid point.
struct GridPointResult {
    int index = -1;           ///< position in the grid
    SvmParams params;
    std::vector<double> folds;
    double mean = 0;
    double std = 0;           ///< population standard deviation, as GridSearchCV's std_test_score
    double seconds = 0;       ///< training + scoring time summed over folds
};

struct GridSearchOptions {
    Metric metric = Metric::Accuracy;
    int threads = 0;                 ///< 0: one per core
    double kernelMemoryMb = 6144;    ///< the kernel storage's budget (PairKernels.h)
    KernelStorage storage = KernelStorage::Auto;  ///< Auto: the full kernel, class pairs, libsvm, what fits
    /// ClassPairs only: keep every point's validation predictions and decision values (points x
    /// rows x K(K-1)/2 doubles) for takeValidation(), so the best point's out-of-fold
    /// predictions need no further fits.
    bool keepValidation = false;
};

/// Each training row's prediction and one-vs-one decision values (rows x K(K-1)/2, pairs in
/// libsvm's order, positive for the lower class) from the fold model that validated it, at one
/// grid point. Empty when not kept.
struct ValidationScores {
    std::vector<int> predicted;
    std::vector<double> decisions;
    bool empty() const { return predicted.empty(); }
};

/// A point's mean and (population) std of its fold scores.
void finishGridPoint(GridPointResult& result);

/// Cross-validated grid search. With the full kernel (KernelStorage::Full) the Gram matrix
/// X·Xᵀ is computed once with BLAS; each kernel setting's matrix is derived from it and
/// shared by every C and fold; (point, fold) pairs run in parallel and points finish one
/// after another. Past the budget, the same one class pair at a time (ClassPairs: see
/// PairKernels.cpp; the points all finish at the end), else libsvm with its own kernels.
class GridSearch {
public:
    /// `x`: scaled rows x dims; `labels` 0..classes-1.
    GridSearch(std::vector<double> x, int64_t rows, int64_t dims, std::vector<int> labels, int classes,
               std::vector<Fold> folds, std::vector<SvmParams> points, GridSearchOptions options = {});

    using PointDone = std::function<void(const GridPointResult& result, int done, int total)>;
    /// After every (point, fold) fit: fits done of points x folds.
    using FitDone = std::function<void(int64_t done, int64_t total)>;
    /// Runs until done or `cancelled()` returns true (checked between fits and every 1,000
    /// solver iterations inside them). Returns the points that finished, in grid order.
    /// Rethrows the first error of a worker. Both callbacks run on the calling thread.
    std::vector<GridPointResult> run(const PointDone& onPoint = {}, const CancelCheck& cancelled = {},
                                     const FitDone& onFit = {});

    /// The first point with the highest mean (GridSearchCV's rank-1 choice).
    static int bestIndex(const std::vector<GridPointResult>& results);
    /// Where the kernel values live (never Auto).
    KernelStorage kernelStorage() const;
    bool usesPrecomputedKernels() const { return kernelStorage() == KernelStorage::Full; }
    /// After run() with keepValidation and class-pair storage: point `index`'s validation scores
    /// (moved out). Empty otherwise, or when some fold's training rows miss a class (its
    /// decision values are not comparable with the other folds').
    ValidationScores takeValidation(int index);

private:
    /// A kernel setting's matrix (precomputed) or the rows for libsvm's own kernels.
    struct FoldKernel {
        std::shared_ptr<const std::vector<double>> matrix;
        std::shared_ptr<const SvmRows> rows;
    };
    /// One (point, fold) fit: trains on the fold's training rows, scores its validation rows.
    /// run() with KernelStorage::ClassPairs (PairKernels.cpp).
    std::vector<GridPointResult> runClassPairs(const PointDone& onPoint, const CancelCheck& cancelled, const FitDone& onFit);
    double scoreFold(const SvmParams& point, const Fold& fold, const FoldKernel& kernel, const CancelCheck& cancelled) const;

    std::vector<double> m_x;
    int64_t m_rows, m_dims;
    std::vector<int> m_labels;
    int m_classes;
    std::vector<Fold> m_folds;
    std::vector<SvmParams> m_points;
    GridSearchOptions m_options;
    std::vector<ValidationScores> m_validation;  ///< per point, with keepValidation
};

/// Resolves gamma "scale"/"auto" in `params` as SVC.fit does on the rows it sees: `rows`
/// (indices into `x`, rows x dims) or, if null, every row. No-op for a numeric gamma.
void resolveGammaOn(SvmParams& params, const std::vector<double>& x, int64_t dims,
                    const std::vector<int64_t>* rows = nullptr);

/// The kernel of rows `a` (ra x dims) against rows `b` (rb x dims), ra x rb row-major, with
/// libsvm's formulas.
std::vector<double> kernelMatrix(const std::vector<double>& a, int64_t ra, const std::vector<double>& b, int64_t rb,
                                 int64_t dims, const SvmParams& params);

/// libsvm rows holding the kernel of rows `a` against training rows `b` (serials 1..rb).
std::shared_ptr<const SvmRows> precomputedKernelRows(const std::vector<double>& a, int64_t ra, const std::vector<double>& b,
                                                     int64_t rb, int64_t dims, const SvmParams& params);

/// Scores predictions against `truth` with `metric`; `decisions` are the one-vs-one values of
/// a model that knows `modelLabels` (needed for roc_auc_macro).
double scorePredictions(Metric metric, const std::vector<int>& truth, const std::vector<int>& predicted,
                        const std::vector<double>& decisions, const std::vector<int>& modelLabels, int classes);

}  // namespace deepsvm

// Carried by SvmTask::partialResult as itself (a QVariant of it also converts to the
// QJsonObject that report.json's "cv" entries hold).
Q_DECLARE_METATYPE(deepsvm::GridPointResult)
