#pragma once

#include <QJsonObject>
#include <QString>

#include <vector>

namespace deepsvm {

/// One candidate layer of a sweep: its fine-tune result's last epoch and total time.
struct SweepRow {
    QString layer;
    QJsonObject json;  ///< the row of sweep.json (layer, trainable_parameters, losses, accuracies, seconds, weights)
    double trainableParameters = 0;
    double trainLoss = 0;
    double trainAccuracy = 0;
    double validationLoss = 0;      ///< NaN without a validation split
    double validationAccuracy = 0;  ///< NaN without a validation split
    double seconds = 0;             ///< summed over the epochs
};

/// Fine-tuning each candidate layer with the same budget, compared: the rows and the files
/// sweep.csv and sweep.json. `deepsvm sweep` and the Fine-tune page both fill one; the chart
/// (sweep.png) is the ui's to draw from rows().
class LayerSweep {
public:
    /// `options`: the common fine-tune options (fineTuneOptionsJson), recorded in sweep.json.
    explicit LayerSweep(QJsonObject options = {});

    /// Adds the row of `layer` from its fine-tune result (FineTuneTask's / runFineTune's object).
    const SweepRow& add(const QString& layer, const QJsonObject& result);
    const std::vector<SweepRow>& rows() const { return m_rows; }
    /// Writes DIR/sweep.csv and DIR/sweep.json, each atomically. Throws std::runtime_error naming the file.
    void write(const QString& dir) const;

private:
    QJsonObject m_options;
    std::vector<SweepRow> m_rows;
};

}  // namespace deepsvm
