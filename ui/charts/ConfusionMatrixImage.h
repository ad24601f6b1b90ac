#pragma once

#include "metrics/Metrics.h"

#include <QImage>

#include <string>
#include <vector>

namespace deepsvm {

/// The confusion matrix as a heat map (rows true, columns predicted) with counts, or row
/// percentages when `normalised`, painted into an image of `size` (logical pixels).
QImage renderConfusionMatrix(const ConfusionMatrix& cm, const std::vector<std::string>& classNames, bool normalised,
                             const QSize& size, double devicePixelRatio = 2.0);

}  // namespace deepsvm
