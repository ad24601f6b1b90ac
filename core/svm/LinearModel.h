#pragma once

#include "io/Cancel.h"
#include "svm/GridSearch.h"
#include "svm/LinearSvc.h"
#include "svm/Nystroem.h"
#include "svm/SvmReport.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

/// Which solver fits the SVM (deepsvm svm --solver):
///  - exact: C-SVC, libsvm's algorithm (SvmModel / DenseSvc), any kernel;
///  - liblinear: scikit-learn's LinearSVC on the features (linear kernel only);
///  - nystroem:M: scikit-learn's Nystroem(M landmarks) + LinearSVC: an approximate kernel SVM;
///  - auto: picked from the rows, the kernels and the memory budget (chooseSolver).
struct Solver {
    enum class Kind { Auto, Exact, Liblinear, Nystroem };
    Kind kind = Kind::Auto;
    int64_t landmarks = 0;  ///< nystroem:M

    static Solver parse(const std::string& text);  ///< throws std::invalid_argument
    std::string name() const;                       ///< "exact", "liblinear", "nystroem:2000", "auto"
    bool linear() const { return kind == Kind::Liblinear || kind == Kind::Nystroem; }
};

/// What `auto` picks and how long it expects the fit to take (an estimate from a cost model
/// measured on this project's benchmark machine: docs/benchmarks.md).
struct SolverChoice {
    Solver solver;
    KernelStorage storage = KernelStorage::Auto;  ///< for exact
    double estimatedSeconds = 0;
    std::string reason;  ///< one sentence for the user
};
/// auto: exact while its estimate stays under 30 minutes; above, liblinear for the linear kernel and nystroem:M otherwise
/// (M = 2,000, at most a tenth of the rows). Other solvers are returned as asked, estimated.
SolverChoice chooseSolver(const Solver& wanted, const std::vector<int>& labels, int classes, int64_t dims,
                          const std::vector<SvmParams>& grid, int folds, bool outOfFold, double kernelMemoryMb,
                          int threads);
std::string formatDuration(double seconds);  ///< "about 12 min", "about 40 s"

/// A linear model on the scaled features or on their Nystroem map: what --solver liblinear
/// and nystroem:M fit, save (model.linear.json, nystroem*.{json,npy}) and score.
class LinearModel {
public:
    /// Fits `params` (C; the kernel for Nystroem, gamma resolved) on all n rows of x.
    /// Nystroem picks min(landmarks, n) rows with `seed`.
    static LinearModel fit(const std::vector<double>& x, int64_t n, int64_t dims, const std::vector<int>& labels,
                           const SvmParams& params, const Solver& solver, unsigned seed, bool probability,
                           const CancelCheck& cancelled = {});
    /// True if `dir` holds a linear model (model.linear.json).
    static bool existsIn(const std::string& dir);
    static LinearModel load(const std::string& dir);
    void save(const std::string& dir) const;

    /// Predictions and scores of `rows` rows of x (scaled features): rocScores are the
    /// probabilities, else the one-vs-rest decision values; decisions stay empty (they are
    /// one-vs-one for the exact SVM).
    Evaluation evaluate(const std::vector<double>& x, int64_t rows, const std::vector<int>& truth, int classes,
                        const CancelCheck& cancelled = {}) const;
    /// Predictions and, per row, a score for each of `classes` classes: the probability, else
    /// the one-vs-rest decision value (a class the model never saw scores lowest).
    struct Scores {
        std::vector<int> predicted;
        std::vector<double> perClass;  ///< rows x classes
        bool probabilities = false;
    };
    Scores scoreRows(const std::vector<double>& x, int64_t rows, int classes, const CancelCheck& cancelled = {}) const;
    const LinearSvc& svc() const { return m_svc; }
    bool hasNystroem() const { return m_nystroem != nullptr; }
    const Nystroem* nystroem() const { return m_nystroem.get(); }

private:
    std::shared_ptr<const Nystroem> m_nystroem;
    LinearSvc m_svc;
};

/// Cross-validated grid search of a linear solver: each point (C, and the kernel for
/// Nystroem) on each fold, points one after another (LIBLINEAR runs one fit at a time: see
/// LinearSvc). Callbacks as GridSearch::run's; a cancel returns the points finished.
std::vector<GridPointResult> linearGridSearch(const std::vector<double>& x, int64_t rows, int64_t dims,
                                              const std::vector<int>& labels, int classes, const std::vector<Fold>& folds,
                                              const std::vector<SvmParams>& points, const Solver& solver, Metric metric,
                                              unsigned seed, const GridSearch::PointDone& onPoint,
                                              const CancelCheck& cancelled, const GridSearch::FitDone& onFit);

}  // namespace deepsvm
