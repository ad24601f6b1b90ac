#pragma once

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

/// Writes `path` through a temporary file that is renamed into place (QSaveFile): a crash or
/// a full disk never leaves half a file under `path`. `write` returns false on failure.
/// Returns false and sets *error naming the file.
bool writeAtomically(const QString& path, const std::function<bool(QIODevice*)>& write, QString* error);
bool saveImageAtomically(const QImage& image, const QString& path, const char* format, QString* error);

/// Writes the picture to `path` as PNG or PDF (from the suffix) at `size` logical pixels, with
/// Qt Gui alone; PNG is rendered at `devicePixelRatio` x the size. Returns false and sets
/// *error naming the file (an unknown suffix, SVG included, is an error: see exportPicture).
bool writePicture(const QString& path, const QSize& size, double devicePixelRatio, const PicturePainter& paint,
                  QString* error);

}  // namespace deepsvm
