#pragma once

#include <QImage>

namespace deepsvm {

struct HeatMap;
struct RgbImage;

/// The picture the network saw (shorter side scaled to the map's size, centre-cropped) with
/// the Grad-CAM map blended over it in the jet colours (blue: no evidence, red: most).
QImage heatOverlay(const RgbImage& image, const HeatMap& map);

}  // namespace deepsvm
