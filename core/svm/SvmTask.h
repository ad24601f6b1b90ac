#pragma once

#include "svm/GridSearch.h"
#include "svm/LinearModel.h"
#include "tasks/Task.h"

#include <QJsonObject>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

class SvmModel;
class SvmRows;
struct ModelFiles;

/// The seed study's SVM stage, from feature files to a report folder. Defaults reproduce it:
/// poly kernel, C {0.1, 1, 10, 100} x gamma {1, 0.1, 0.01, 0.001}, 5 stratified folds.
struct SvmOptions {
    std::string trainPrefix;
    std::string testPrefix;   ///< may be empty: grid search and refit only
    std::string outDir;
    std::vector<Kernel> kernels{Kernel::Poly};
    std::vector<double> C{0.1, 1, 10, 100};
    std::vector<std::string> gamma{"1", "0.1", "0.01", "0.001"};
    std::vector<int> degree{3};
    std::vector<double> coef0{0.0};
    int folds = 5;
    std::string foldIndices;  ///< fold_indices.txt; overrides `folds`
    double holdOut = 0;       ///< > 0: one stratified hold-out split of this fraction
    Metric metric = Metric::Accuracy;
    bool scale = true;
    bool probability = true;
    unsigned seed = 0;
    int threads = 0;
    double kernelMemoryMb = 6144;
    /// exact (libsvm's C-SVC), liblinear (LinearSVC), nystroem:M (Nystroem + LinearSVC) or auto.
    Solver solver;
    /// Where the exact SVM keeps its kernel values (PairKernels.h); Auto: what fits kernelMemoryMb.
    KernelStorage kernelStorage = KernelStorage::Auto;
    /// false: skip cross-validation and fit the grid's only point directly ("train this cell").
    bool crossValidate = true;
    /// With cross-validation: the best point's out-of-fold predictions of the training rows
    /// (report.json's "oof", oof_predictions.csv).
    bool outOfFold = true;
    /// labels_override.csv (LabelOverrides) applied to the training and test rows by id:
    /// relabelled rows get their new class, excluded rows are left out. Empty: none.
    std::string labelsOverride;
};

/// Scale -> grid search -> refit the best point with probabilities -> evaluate on the test
/// features -> write DIR (report.json, predictions.csv, roc_<class>.csv, model files), and the
/// best point's out-of-fold predictions of the training rows (oof_predictions.csv).
/// partialResult carries each finished grid point (a GridPointResult); the result is the report.
class SvmTask final : public Task {
    Q_OBJECT
public:
    explicit SvmTask(SvmOptions options, QObject* parent = nullptr);

Q_SIGNALS:
    /// Before the grid search starts: the solver used and the time it should take
    /// ("solver: exact: 20000 rows fit in 7 min (kernel storage class-pairs); estimate about 7 min").
    void solverChosen(const QString& text);

protected:
    QVariant execute() override;

private:
    struct Run;
    void searchGrid(Run& run);
    /// How the refit and the out-of-fold fits of the exact SVM are fitted.
    FitOptions fitOptions(const Run& run) const;
    /// `supportVectors` < 0: a model without them (the linear solvers).
    QJsonObject reportOf(const Run& run, int supportVectors) const;
    QJsonObject outOfFold(const Run& run, const ModelFiles& files);
    /// Scores scaled test rows against their labels with the fitted model.
    using TestScorer = std::function<Evaluation(const std::vector<double>& x, int64_t rows, const std::vector<int>& truth)>;
    QJsonObject testOn(const Run& run, const TestScorer& score, const ModelFiles& files);
    /// Test rows that nearly duplicate a training row (report.json's near_duplicates).
    QJsonObject leakage(const Run& run) const;

    SvmOptions m_options;
};

/// File-name-safe form of a class name for roc_<class>.csv.
std::string safeFileName(const std::string& name);

}  // namespace deepsvm
