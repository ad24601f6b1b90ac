#pragma once

#include <QString>

#include <vector>

class QChart;

namespace deepsvm {

/// One fine-tuned layer's final figures, as the sweep compares them.
struct SweepBar {
    QString layer;
    double trainLoss = 0;
    double validationLoss = 0;
    double validationAccuracy = 0;
};

/// The study's comparison as grouped bars (the caller owns the chart). `compact`: for a narrow
/// panel, without value labels (a table shows them) and with slanted layer names.
QChart* makeSweepChart(const std::vector<SweepBar>& bars, bool compact = false);

/// The study's comparison: train / validation loss and validation accuracy per tuned layer,
/// as grouped bars, written as PNG/SVG/PDF (from the suffix). Returns false if it cannot write.
bool writeSweepChart(const std::vector<SweepBar>& bars, const QString& path);

}  // namespace deepsvm
