#pragma once

#include "render/SweepImage.h"

#include <vector>

class QChart;

namespace deepsvm {

/// The study's comparison as grouped bars (the caller owns the chart). `compact`: for a narrow
/// panel, without value labels (a table shows them) and with slanted layer names. Files are
/// drawn by writeSweepChart (render/SweepImage.h), without Qt Charts.
QChart* makeSweepChart(const std::vector<SweepBar>& bars, bool compact = false);

}  // namespace deepsvm
