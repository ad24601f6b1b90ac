#pragma once

#include "metrics/Metrics.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <string>
#include <vector>

namespace deepsvm {

/// A finished SVM run as the session stores it and the Runs page lists it: its folder, what it
/// was trained on, and the scores report.json gave. JSON only at the file boundary.
struct RunRecord {
    QString id;
    QString dir;
    QString kind;      ///< "grid" (search, refit, evaluate) or "single" (one chosen point)
    QString started;   ///< ISO date-time
    QString finished;  ///< ISO date-time
    QString dataset;
    QJsonObject features;  ///< featureSettingsOf() the training features
    QString trainPrefix;
    QString testPrefix;
    QJsonObject svm;       ///< the SVM page's settings
    QJsonValue best;       ///< report.json's best point; undefined if it has none
    int gridPoints = 0;
    QJsonValue timings;    ///< report.json's timings; undefined if it has none
    QJsonObject test;      ///< accuracy, balanced_accuracy, f1_macro, roc_auc_macro, rows; empty without test features
    QJsonObject cvBest;    ///< the best grid point's cross-validation score: mean, std, metric, folds; empty without CV
    QJsonObject oof;       ///< the out-of-fold scores (accuracy, balanced_accuracy, f1_macro, roc_auc_macro, rows)
    QJsonObject extra;     ///< fields this version does not know, kept on a round trip

    /// Takes best, grid_points, timings and the test scores from report.json's object.
    void takeReport(const QJsonObject& report);
    QJsonObject toJson() const;
    static RunRecord fromJson(const QJsonObject& o);
};

/// The feature key of PREFIX.json (through FeatureKey::fromJson; a derived split's source_key
/// if it has no key of its own) with the names the run record and the report use: weights_file,
/// pretrained, weights ("random" unless pretrained) and normalization. Empty if the file is missing.
QJsonObject featureSettingsOf(const QString& prefix);

/// Which predictions of a run to read: the test split's, or the best point's out-of-fold
/// predictions of the training rows (report.json's "oof", oof_predictions.csv).
enum class Evaluated { Test, OutOfFold };

/// What a run folder's report.json and predictions.csv say, for the charts of `deepsvm run`
/// and the Evaluation page.
struct RunResults {
    QJsonObject report;
    std::vector<std::string> classNames;
    ConfusionMatrix confusion;  ///< classes 0 when the run has no test evaluation
    bool hasPredictions = false;  ///< predictions.csv was read (only looked for with a test evaluation)
    Evaluated evaluated = Evaluated::Test;
    std::vector<int64_t> rows;          ///< each prediction's row in its feature file
    std::vector<int> truth, predicted;
    std::vector<double> probabilities;  ///< rows x K; empty if the model has none
    RocSet roc;
    bool hasRoc = false;

    /// True when the chosen predictions exist (a test evaluation, or out-of-fold ones).
    bool hasTest() const { return confusion.classes > 0; }
    /// The summary object of the chosen predictions: report.json's "test" or "oof".
    QJsonObject scores() const;
    /// From report.json's object `report` of run folder `dir`. False and *error naming the
    /// report if its confusion matrix is not K x K; a missing or malformed predictions.csv
    /// only leaves hasPredictions false.
    static bool fromReport(const QJsonObject& report, const QString& dir, RunResults* out, QString* error,
                           Evaluated which = Evaluated::Test);
    /// Reads DIR/report.json, then as fromReport(). False and *error naming the file.
    static bool load(const QString& dir, RunResults* out, QString* error, Evaluated which = Evaluated::Test);
};

}  // namespace deepsvm
