#pragma once

#include "metrics/Metrics.h"

#include <QSize>
#include <QString>

#include <string>
#include <vector>

class QPainter;

namespace deepsvm {

/// One-vs-rest ROC curves drawn with QPainter alone (no Qt Charts, no Qt Widgets): one line per
/// class with its AUC in the legend, the micro and macro averages dashed, the 45° chance line,
/// axes with ticks, grid and titles. The same information as the GUI's makeRocChart.
void paintRocChart(QPainter& painter, const QSizeF& size, const RocSet& roc, const std::vector<std::string>& classNames);

/// Writes the ROC chart to `path` as PNG or PDF (from the suffix) at `size` logical pixels, PNG
/// at `devicePixelRatio` x that. Returns false and sets *error naming the file.
bool writeRocChart(const RocSet& roc, const std::vector<std::string>& classNames, const QString& path, const QSize& size,
                   double devicePixelRatio, QString* error);

}  // namespace deepsvm
