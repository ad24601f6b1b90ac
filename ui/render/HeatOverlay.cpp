#include "render/HeatOverlay.h"

#include "data/Image.h"
#include "finetune/GradCam.h"

#include <algorithm>
#include <cmath>

namespace deepsvm {

namespace {

/// RGB8 pixels as a QImage (deep copy); ThumbnailModel's toQImage lives in the Widgets library.
QImage rgbImage(const RgbImage& image)
{
    if (image.empty())
        return {};
    const QImage view(image.pixels.data(), image.width, image.height, image.width * 3, QImage::Format_RGB888);
    return view.copy();
}

QRgb jet(float v)
{
    v = std::clamp(v, 0.0f, 1.0f);
    const float r = std::clamp(1.5f - std::abs(4 * v - 3), 0.0f, 1.0f), g = std::clamp(1.5f - std::abs(4 * v - 2), 0.0f, 1.0f),
                b = std::clamp(1.5f - std::abs(4 * v - 1), 0.0f, 1.0f);
    return qRgb(int(r * 255), int(g * 255), int(b * 255));
}

}  // namespace

QImage heatOverlay(const RgbImage& image, const HeatMap& map)
{
    QImage picture = rgbImage(image).scaled(map.size, map.size, Qt::KeepAspectRatioByExpanding, Qt::SmoothTransformation);
    picture = picture.copy((picture.width() - map.size) / 2, (picture.height() - map.size) / 2, map.size, map.size)
                  .convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < map.size; ++y) {
        auto* line = reinterpret_cast<QRgb*>(picture.scanLine(y));
        for (int x = 0; x < map.size; ++x) {
            const float v = map.values[std::size_t(y * map.size + x)];
            const QRgb heat = jet(v), base = line[x];
            const float a = 0.25f + 0.35f * v;
            line[x] = qRgb(int(qRed(base) * (1 - a) + qRed(heat) * a), int(qGreen(base) * (1 - a) + qGreen(heat) * a),
                           int(qBlue(base) * (1 - a) + qBlue(heat) * a));
        }
    }
    return picture;
}

}  // namespace deepsvm
