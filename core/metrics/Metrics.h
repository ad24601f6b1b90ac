#pragma once

#include <QJsonObject>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// K x K counts: rows true class, columns predicted (scikit-learn's confusion_matrix).
struct ConfusionMatrix {
    int classes = 0;
    std::vector<int64_t> counts;  ///< row-major
    int64_t at(int truth, int predicted) const { return counts[std::size_t(truth * classes + predicted)]; }
    int64_t total() const;
    /// One-vs-rest 2x2 counts of class k.
    struct OneVsRest { int64_t tp, fp, fn, tn; };
    OneVsRest oneVsRest(int k) const;
};
ConfusionMatrix confusionMatrix(const std::vector<int>& truth, const std::vector<int>& predicted, int classes);

struct ClassMetrics {
    double precision = 0, recall = 0, f1 = 0;
    int64_t support = 0;
};
/// Per-class precision / recall / F1 / support (zero where undefined, as zero_division=0).
std::vector<ClassMetrics> classReport(const ConfusionMatrix& cm);
double accuracy(const ConfusionMatrix& cm);
double balancedAccuracy(const ConfusionMatrix& cm);
/// Mean F1 over the classes that occur in truth or predictions (f1_score(average='macro')).
double macroF1(const ConfusionMatrix& cm);

struct RocPoint {
    double fpr, tpr, threshold;
};
/// scikit-learn's roc_curve(y, score) with drop_intermediate=True: ties share a threshold,
/// the first threshold is max(score) + 1. `positive[i]` says whether sample i is positive.
std::vector<RocPoint> rocCurve(const std::vector<bool>& positive, const std::vector<double>& score,
                               bool dropIntermediate = true);
/// Area under a curve by the trapezoidal rule (auc(fpr, tpr)).
double areaUnderCurve(const std::vector<RocPoint>& curve);

/// One-vs-rest ROC for K classes from an N x K score matrix (probabilities or decision values).
struct RocSet {
    std::vector<std::vector<RocPoint>> perClass;
    std::vector<double> auc;             ///< per class (NaN where a class has no positives or no negatives)
    std::vector<RocPoint> micro;         ///< all (sample, class) pairs pooled
    double aucMicro = 0;
    std::vector<RocPoint> macro;         ///< mean TPR over the union of FPRs (thresholds NaN)
    double aucMacro = 0;                 ///< mean of per-class AUCs (roc_auc_score average='macro')
};
RocSet rocOneVsRest(const std::vector<int>& truth, const std::vector<double>& scores, int classes);

/// scikit-learn's decision_function_shape='ovr' transform of one-vs-one decision values
/// (N x K(K-1)/2) into N x K scores: votes plus a bounded confidence.
std::vector<double> ovrFromOvo(const std::vector<double>& ovo, int64_t rows, int classes);

/// The same for a model that knows only `modelLabels` (ascending class indices, a subset of
/// 0..classes-1): N x classes scores, classes the model never saw rank last.
std::vector<double> ovrScores(const std::vector<double>& ovo, int64_t rows, const std::vector<int>& modelLabels,
                              int classes);

}  // namespace deepsvm
