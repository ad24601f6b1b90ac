#pragma once

#include "metrics/Metrics.h"
#include "pipeline/RunRecord.h"

#include <QJsonObject>
#include <QString>

#include <string>
#include <vector>

namespace deepsvm {

/// Everything a finished run's folder says, read back for the Evaluation page and the report:
/// report.json, predictions.csv and the ROC curves recomputed from the stored probabilities.
struct RunData {
    QJsonObject run;     ///< the run record (id, dir, settings, ...)
    QJsonObject report;  ///< report.json
    std::vector<std::string> classNames;
    ConfusionMatrix confusion;
    std::vector<int> truth, predicted;
    std::vector<double> probabilities;  ///< rows x K; empty if the model has none
    RocSet roc;
    bool hasRoc = false;
    /// Image id per evaluated row: from the test features' sidecar, or for out-of-fold
    /// predictions the training features' at each row.
    std::vector<std::string> testIds;
    Evaluated evaluated = Evaluated::Test;

    /// True when the chosen predictions exist (test rows, or out-of-fold ones).
    bool hasTest() const { return confusion.classes > 0; }
    /// The chosen predictions' summary (report.json's "test" or "oof").
    QJsonObject test() const
    {
        return report.value(evaluated == Evaluated::Test ? QStringLiteral("test") : QStringLiteral("oof")).toObject();
    }
    bool hasTestSplit() const { return report.contains(QStringLiteral("test")); }
    bool hasOutOfFold() const { return report.contains(QStringLiteral("oof")); }
    /// True when the run's final model gives probability estimates (the box was ticked).
    bool modelHasProbability() const;
    /// Loads run["dir"]; returns false and sets *error naming the file.
    static bool load(const QJsonObject& run, RunData* out, QString* error, Evaluated which = Evaluated::Test);
};

/// "poly C=10 gamma=0.01 degree=3 coef0=0" for a params object, or "?" if it is not one
/// (hand-edited or newer files must not crash the window).
QString describeParams(const QJsonObject& params);

}  // namespace deepsvm
