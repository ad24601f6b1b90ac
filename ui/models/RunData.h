#pragma once

#include "metrics/Metrics.h"

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
    std::vector<std::string> testIds;   ///< image id per test row (from the test features' sidecar)

    bool hasTest() const { return confusion.classes > 0; }
    QJsonObject test() const { return report.value(QStringLiteral("test")).toObject(); }
    /// Loads run["dir"]; returns false and sets *error naming the file.
    static bool load(const QJsonObject& run, RunData* out, QString* error);
};

/// "poly C=10 gamma=0.01 degree=3 coef0=0" for a params object, or "?" if it is not one
/// (hand-edited or newer files must not crash the window).
QString describeParams(const QJsonObject& params);

}  // namespace deepsvm
