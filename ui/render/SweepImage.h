#pragma once

#include <QSize>
#include <QString>

#include <vector>

class QPainter;

namespace deepsvm {

/// One fine-tuned layer's final figures, as the sweep compares them.
struct SweepBar {
    QString layer;
    double trainLoss = 0;
    double validationLoss = 0;
    double validationAccuracy = 0;
};

/// The study's comparison drawn with QPainter alone: per tuned layer, grouped bars of the train
/// loss, validation loss and validation accuracy with their values, a value axis, the layer
/// names and a legend (what the GUI's makeSweepChart shows).
void paintSweepChart(QPainter& painter, const QSizeF& size, const std::vector<SweepBar>& bars);

/// The picture size writeSweepChart uses: wider with more layers.
QSize sweepChartSize(std::size_t layers);

/// The study's comparison: train / validation loss and validation accuracy per tuned layer,
/// as grouped bars, written as PNG or PDF (from the suffix). Returns false if it cannot write.
bool writeSweepChart(const std::vector<SweepBar>& bars, const QString& path);

}  // namespace deepsvm
