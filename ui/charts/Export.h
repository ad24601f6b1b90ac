#pragma once

#include "render/Export.h"

#include <QSize>
#include <QString>

class QChart;
class QWidget;

namespace deepsvm {

/// Writes the picture to `path` as PNG, SVG or PDF (from the suffix) at `size` logical pixels;
/// PNG is rendered at `devicePixelRatio` x the size (PNG and PDF through writePicture).
/// Returns false and sets *error naming the file.
bool exportPicture(const QString& path, const QSize& size, double devicePixelRatio, const PicturePainter& paint,
                   QString* error);

/// A painter for a chart, rendered off-screen at the export size (not the on-screen size).
PicturePainter chartPainter(QChart* chart);

/// Right-click on `widget` offers "Save as PNG / SVG / PDF...", asking for the size and resolution.
void installExportMenu(QWidget* widget, const QString& baseName, PicturePainter paint);

/// The export dialog's choices; exposed so tests and the report can reuse the same code.
struct ExportChoice {
    QString path;
    QSize size{900, 600};
    double devicePixelRatio = 2.0;
};
bool askExport(QWidget* parent, const QString& baseName, const QString& format, ExportChoice* choice);

}  // namespace deepsvm
