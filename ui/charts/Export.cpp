#include "charts/Export.h"

#include <QChart>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGraphicsScene>
#include <QImage>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QPdfWriter>
#include <QPointer>
#include <QSpinBox>
#include <QSvgGenerator>

namespace deepsvm {

bool saveImageAtomically(const QImage& image, const QString& path, const char* format, QString* error)
{
    return writeAtomically(path, [&](QIODevice* device) { return image.save(device, format); }, error);
}

bool exportPicture(const QString& path, const QSize& size, double dpr, const PicturePainter& paint, QString* error)
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
    if (suffix == QStringLiteral("svg")) {
        return writeAtomically(path, [&](QIODevice* device) {
            QSvgGenerator svg;
            svg.setOutputDevice(device);
            svg.setSize(size);
            svg.setViewBox(target);
            svg.setTitle(QFileInfo(path).completeBaseName());
            svg.setDescription(QStringLiteral("DeepSVM Studio"));
            QPainter p;
            if (!p.begin(&svg))
                return false;
            paint(p, target);
            return p.end();
        }, error);
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
    return fail(QStringLiteral("unknown format \"%1\"; use .png, .svg or .pdf").arg(suffix));
}

PicturePainter chartPainter(QChart* chart)
{
    QPointer<QChart> guarded(chart);
    return [guarded](QPainter& painter, const QRectF& target) {
        if (!guarded)
            return;
        // Lay the chart out at the export size, render it, then restore its on-screen geometry.
        const QRectF oldGeometry = guarded->geometry();
        QGraphicsScene temporary;
        QGraphicsScene* scene = guarded->scene();
        if (!scene) {
            scene = &temporary;
            scene->addItem(guarded);
        }
        guarded->setGeometry(QRectF(QPointF(0, 0), target.size()));
        scene->render(&painter, target, QRectF(QPointF(0, 0), target.size()));
        if (scene == &temporary)
            scene->removeItem(guarded);
        guarded->setGeometry(oldGeometry);
    };
}

bool askExport(QWidget* parent, const QString& baseName, const QString& format, ExportChoice* choice)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(QObject::tr("Save as %1").arg(format.toUpper()));
    auto* form = new QFormLayout(&dialog);
    auto* width = new QSpinBox(&dialog);
    auto* height = new QSpinBox(&dialog);
    for (QSpinBox* s : {width, height}) {
        s->setRange(100, 10000);
        s->setSuffix(QObject::tr(" px"));
    }
    width->setValue(choice->size.width());
    height->setValue(choice->size.height());
    auto* scale = new QDoubleSpinBox(&dialog);
    scale->setRange(1, 8);
    scale->setDecimals(1);
    scale->setValue(choice->devicePixelRatio);
    scale->setSuffix(QObject::tr(" x (%1 dpi)").arg(96));
    form->addRow(QObject::tr("Width"), width);
    form->addRow(QObject::tr("Height"), height);
    if (format == QStringLiteral("png"))
        form->addRow(QObject::tr("Resolution"), scale);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    const QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Save as %1").arg(format.toUpper()),
                                                      QDir::home().filePath(baseName + QLatin1Char('.') + format),
                                                      QStringLiteral("%1 (*.%2)").arg(format.toUpper(), format));
    if (path.isEmpty())
        return false;
    choice->path = path;
    choice->size = QSize(width->value(), height->value());
    choice->devicePixelRatio = scale->value();
    return true;
}

void installExportMenu(QWidget* widget, const QString& baseName, PicturePainter paint)
{
    widget->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(widget, &QWidget::customContextMenuRequested, widget, [widget, baseName, paint](const QPoint& pos) {
        QMenu menu(widget);
        for (const QString& format : {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}) {
            menu.addAction(QObject::tr("Save as %1...").arg(format.toUpper()), widget, [widget, baseName, paint, format] {
                ExportChoice choice;
                choice.size = widget->size().expandedTo(QSize(600, 400));
                if (!askExport(widget, baseName, format, &choice))
                    return;
                QString error;
                if (!exportPicture(choice.path, choice.size, choice.devicePixelRatio, paint, &error))
                    QMessageBox::warning(widget, QObject::tr("Export failed"), error);
            });
        }
        menu.exec(widget->mapToGlobal(pos));
    });
}

}  // namespace deepsvm
