#include "pipeline/LayerSweep.h"

#include "features/FeatureStore.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace deepsvm {

LayerSweep::LayerSweep(QJsonObject options) : m_options(std::move(options)) {}

const SweepRow& LayerSweep::add(const QString& layer, const QJsonObject& result)
{
    const QJsonArray epochs = result.value(QStringLiteral("epochs")).toArray();
    const QJsonObject last = epochs.last().toObject();
    SweepRow row;
    row.layer = layer;
    for (const auto& e : epochs) row.seconds += e.toObject().value(QStringLiteral("seconds")).toDouble();
    row.json = QJsonObject{{QStringLiteral("layer"), layer},
                           {QStringLiteral("trainable_parameters"), result.value(QStringLiteral("trainable_parameters"))},
                           {QStringLiteral("train_loss"), last.value(QStringLiteral("train_loss"))},
                           {QStringLiteral("train_accuracy"), last.value(QStringLiteral("train_accuracy"))},
                           {QStringLiteral("val_loss"), last.value(QStringLiteral("val_loss"))},
                           {QStringLiteral("val_accuracy"), last.value(QStringLiteral("val_accuracy"))},
                           {QStringLiteral("seconds"), row.seconds},
                           {QStringLiteral("weights"), result.value(QStringLiteral("weights"))}};
    row.trainableParameters = result.value(QStringLiteral("trainable_parameters")).toDouble();
    row.trainLoss = last.value(QStringLiteral("train_loss")).toDouble();
    row.trainAccuracy = last.value(QStringLiteral("train_accuracy")).toDouble();
    row.validationLoss = last.value(QStringLiteral("val_loss")).toDouble(std::nan(""));
    row.validationAccuracy = last.value(QStringLiteral("val_accuracy")).toDouble(std::nan(""));
    m_rows.push_back(std::move(row));
    return m_rows.back();
}

void LayerSweep::write(const QString& dir) const
{
    QJsonArray layers;
    QString csv = QStringLiteral("layer,trainable_parameters,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n");
    for (const SweepRow& r : m_rows) {
        layers.append(r.json);
        // A missing validation score is 0 here, as sweep.csv always wrote it.
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n").arg(r.layer)
                   .arg(r.json.value(QStringLiteral("trainable_parameters")).toDouble(), 0, 'f', 0)
                   .arg(r.json.value(QStringLiteral("train_loss")).toDouble(), 0, 'g', 8)
                   .arg(r.json.value(QStringLiteral("train_accuracy")).toDouble(), 0, 'g', 8)
                   .arg(r.json.value(QStringLiteral("val_loss")).toDouble(), 0, 'g', 8)
                   .arg(r.json.value(QStringLiteral("val_accuracy")).toDouble(), 0, 'g', 8)
                   .arg(r.seconds, 0, 'f', 2);
    }
    writeFileAtomically((dir + QStringLiteral("/sweep.csv")).toStdString(), csv.toUtf8());
    writeFileAtomically((dir + QStringLiteral("/sweep.json")).toStdString(),
                        QJsonDocument(QJsonObject{{QStringLiteral("options"), m_options}, {QStringLiteral("layers"), layers}}).toJson());
}

}  // namespace deepsvm
