#pragma once

#include <QColor>

namespace deepsvm {

/// The class colour every chart uses: ten distinguishable colours (the Tableau palette), so
/// ten classes never share one.
QColor classColour(int k);

}  // namespace deepsvm
