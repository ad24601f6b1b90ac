#pragma once

#include "data/Splits.h"
#include "io/Cancel.h"
#include "svm/GridSearch.h"
#include "svm/PairKernels.h"
#include "svm/SvmParams.h"
#include "svm/SvmReport.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace deepsvm {

/// How each fold's model is fitted: FitOptions, with probability estimates unless told not.
struct OutOfFoldOptions : FitOptions {
    OutOfFoldOptions() { probability = true; }
};

/// Cross-validated predictions of one grid point, as scikit-learn's cross_val_predict: each
/// fold's model is fitted on the fold's training rows of `x` (scaled, rows x dims) and predicts
/// its validation rows. The result covers every row that some fold validates, in row order
/// (`rows` holds their indices into `x`: all of them for K-fold, the held-out share for a
/// hold-out), with the confusion matrix and ROC curves over them.
Evaluation outOfFoldPredictions(const std::vector<double>& x, int64_t rows, int64_t dims, const std::vector<int>& labels,
                                int classes, const std::vector<Fold>& folds, const SvmParams& params,
                                const OutOfFoldOptions& options);

/// One fold's predictions: a model fitted on `train` (nt x dims) with `trainLabels`, scoring
/// `validation` (nv x dims) against `validationLabels`.
using FoldPredictor = std::function<Evaluation(const std::vector<double>& train, int64_t nt, const std::vector<int>& trainLabels,
                                               const std::vector<double>& validation, int64_t nv,
                                               const std::vector<int>& validationLabels)>;
/// outOfFoldPredictions with any model (the linear solvers' too).
Evaluation outOfFoldPredictions(const std::vector<double>& x, int64_t rows, int64_t dims, const std::vector<int>& labels,
                                int classes, const std::vector<Fold>& folds, const FoldPredictor& predict,
                                const CancelCheck& cancelled);

/// The out-of-fold predictions the grid search already made at its best point
/// (GridSearchOptions::keepValidation): each row's prediction and decision values from the
/// fold model that validated it, as outOfFoldPredictions without probabilities gives them up to
/// rounding, with no further fits. With `probability`, each fold's rows get Platt sigmoids per
/// class pair fitted on the other folds' rows' out-of-fold decision values (cross-fitted: a
/// row's own label never calibrates its probabilities), coupled into class probabilities as
/// libsvm couples its pairwise ones. libsvm's own estimates (outOfFoldPredictions) instead
/// refit each fold five more times for an inner calibration, the bulk of the time past
/// 10,000 rows.
Evaluation outOfFoldFromValidation(const std::vector<int>& labels, int classes, const std::vector<Fold>& folds,
                                   const ValidationScores& scores, bool probability, int threads = 0,
                                   const CancelCheck& cancelled = {});

/// Each class pair's Platt sigmoid (libsvm's sigmoid_train) fitted on the pair's rows'
/// out-of-fold decision values in `scores` (every row some fold validates): what libsvm's
/// svm_binary_svc_probability fits on its own inner 5-fold cross-validation, here on the grid
/// search's folds. For a model refitted on all the rows (FitOptions::probA, probB).
struct PairSigmoids {
    std::vector<double> A, B;  ///< K(K-1)/2 each, in libsvm's pair order
};
PairSigmoids pairSigmoids(const std::vector<int>& labels, int classes, const std::vector<Fold>& folds,
                          const ValidationScores& scores);

}  // namespace deepsvm
