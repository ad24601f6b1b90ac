#pragma once

#include <QString>

#include <vector>

namespace deepsvm {

/// One fine-tuned layer's final figures, as the sweep compares them.
struct SweepBar {
    QString layer;
    double trainLoss = 0;
    double validationLoss = 0;
    double validationAccuracy = 0;
};

/// The study's comparison: train / validation loss and validation accuracy per tuned layer,
/// as grouped bars, written as PNG/SVG/PDF (from the suffix). Returns false if it cannot write.
bool writeSweepChart(const std::vector<SweepBar>& bars, const QString& path);

}  // namespace deepsvm
