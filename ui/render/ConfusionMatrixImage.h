#pragma once

#include "metrics/Metrics.h"

#include <QFont>
#include <QImage>
#include <QPainter>

#include <string>
#include <vector>

namespace deepsvm {

/// The confusion matrix as a heat map (rows true, columns predicted) with counts, or row
/// percentages when `normalised`, painted into an image of `size` (logical pixels).
QImage renderConfusionMatrix(const ConfusionMatrix& cm, const std::vector<std::string>& classNames, bool normalised,
                             const QSize& size, double devicePixelRatio = 2.0);

/// Paints the same picture with any painter (screen, SVG, PDF); `selected` (column = predicted,
/// row = true) is outlined.
void paintConfusionMatrix(QPainter& painter, const QSizeF& size, const ConfusionMatrix& cm,
                          const std::vector<std::string>& classNames, bool normalised,
                          const QPoint& selected = QPoint(-1, -1));
/// The cell (x = predicted, y = true) under `pos` for a picture of `size`, or (-1, -1).
QPoint confusionCellAt(const ConfusionMatrix& cm, const std::vector<std::string>& classNames, const QSizeF& size,
                       const QFont& font, const QPointF& pos);

}  // namespace deepsvm
