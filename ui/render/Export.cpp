#include "render/Export.h"

#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>

namespace deepsvm {

bool saveImageAtomically(const QImage& image, const QString& path, const char* format, QString* error)
{
    return writeAtomically(path, [&](QIODevice* device) { return image.save(device, format); }, error);
}

bool writePicture(const QString& path, const QSize& size, double dpr, const PicturePainter& paint, QString* error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    const QRectF target(QPointF(0, 0), QSizeF(size));
    auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    };
    if (size.isEmpty())
        return fail(QStringLiteral("the size %1 x %2 is empty").arg(size.width()).arg(size.height()));
    if (suffix == QStringLiteral("png")) {
        QImage image(size * dpr, QImage::Format_ARGB32_Premultiplied);
        image.setDevicePixelRatio(dpr);
        image.fill(Qt::white);
        {
            QPainter p(&image);
            p.setRenderHint(QPainter::Antialiasing);
            paint(p, target);
        }
        return saveImageAtomically(image, path, "PNG", error);
    }
    if (suffix == QStringLiteral("pdf")) {
        return writeAtomically(path, [&](QIODevice* device) {
            QPdfWriter pdf(device);
            pdf.setTitle(QFileInfo(path).completeBaseName());
            pdf.setCreator(QStringLiteral("DeepSVM Studio"));
            // Page the size of the picture, in points (1 logical pixel = 1 pt).
            pdf.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
            pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
            pdf.setResolution(72 * 4);
            QPainter p;
            if (!p.begin(&pdf))
                return false;
            p.scale(4.0, 4.0);
            p.setRenderHint(QPainter::Antialiasing);
            paint(p, target);
            return p.end();
        }, error);
    }
    return fail(QStringLiteral("unknown format \"%1\"; use .png or .pdf").arg(suffix));
}

}  // namespace deepsvm
