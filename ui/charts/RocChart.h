#pragma once

#include "metrics/Metrics.h"

#include <QString>

#include <string>
#include <vector>

QT_BEGIN_NAMESPACE
class QChart;
class QSize;
QT_END_NAMESPACE

namespace deepsvm {

/// One-vs-rest ROC curves, one series per class with its AUC in the legend, the micro and
/// macro averages dashed, and the 45° chance line. The caller owns the chart.
QChart* makeRocChart(const RocSet& roc, const std::vector<std::string>& classNames);

/// Renders a chart off-screen (no window needed) to PNG. Returns false if the file could not
/// be written.
bool saveChartPng(QChart* chart, const QString& path, const QSize& size, double devicePixelRatio = 2.0);

}  // namespace deepsvm
