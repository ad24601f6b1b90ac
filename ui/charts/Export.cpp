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
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QPointer>
#include <QSpinBox>
#include <QSvgGenerator>

namespace deepsvm {

bool exportPicture(const QString& path, const QSize& size, double dpr, const PicturePainter& paint, QString* error)
{
    // PNG and PDF need Qt Gui alone (ui/render); SVG needs Qt Svg, so it is written here.
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QStringLiteral("png") || suffix == QStringLiteral("pdf") || size.isEmpty())
        return writePicture(path, size, dpr, paint, error);
    if (suffix != QStringLiteral("svg")) {
        if (error)
            *error = QStringLiteral("%1: unknown format \"%2\"; use .png, .svg or .pdf").arg(path, suffix);
        return false;
    }
    const QRectF target(QPointF(0, 0), QSizeF(size));
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
