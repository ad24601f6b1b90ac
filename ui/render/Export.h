#pragma once

#include "io/AtomicFile.h"

#include <QSize>
#include <QString>

#include <functional>

class QImage;
class QIODevice;
class QPainter;
class QRectF;

namespace deepsvm {

/// Paints a picture into `target` (logical units); used for every export format.
using PicturePainter = std::function<void(QPainter& painter, const QRectF& target)>;

// writeAtomically (Qt devices) is core/io's one atomic writer.
bool saveImageAtomically(const QImage& image, const QString& path, const char* format, QString* error);

/// Writes the picture to `path` as PNG or PDF (from the suffix) at `size` logical pixels, with
/// Qt Gui alone; PNG is rendered at `devicePixelRatio` x the size. Returns false and sets
/// *error naming the file (an unknown suffix, SVG included, is an error: see exportPicture).
bool writePicture(const QString& path, const QSize& size, double devicePixelRatio, const PicturePainter& paint,
                  QString* error);

}  // namespace deepsvm
