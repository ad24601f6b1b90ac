#include "charts/RocChart.h"

#include "charts/Export.h"

#include "render/Palette.h"

#include <QChart>
#include <QGraphicsScene>
#include <QImage>
#include <QLegend>
#include <QLineSeries>
#include <QPainter>
#include <QValueAxis>

#include <cmath>

namespace deepsvm {

namespace {

QLineSeries* curveSeries(const std::vector<RocPoint>& curve, const QString& name)
{
    auto* s = new QLineSeries;
    s->setName(name);
    QList<QPointF> points;
    points.reserve(qsizetype(curve.size()));
    for (const RocPoint& p : curve)
        if (std::isfinite(p.fpr) && std::isfinite(p.tpr))
            points.append(QPointF(p.fpr, p.tpr));
    s->replace(points);
    return s;
}

QString aucText(double auc)
{
    return std::isfinite(auc) ? QString::number(auc, 'f', 3) : QStringLiteral("n/a");
}

}  // namespace

QChart* makeRocChart(const RocSet& roc, const std::vector<std::string>& classNames)
{
    auto* chart = new QChart;
    chart->setTitle(QStringLiteral("ROC curves, one vs rest"));
    auto* x = new QValueAxis;
    auto* y = new QValueAxis;
    x->setRange(0, 1);
    y->setRange(0, 1);
    x->setTitleText(QStringLiteral("False positive rate"));
    y->setTitleText(QStringLiteral("True positive rate"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    auto add = [&](QLineSeries* s) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    };
    for (std::size_t k = 0; k < roc.perClass.size(); ++k) {
        QLineSeries* s = curveSeries(roc.perClass[k], QStringLiteral("%1 (AUC %2)")
                                                          .arg(QString::fromStdString(classNames[k]), aucText(roc.auc[k])));
        s->setPen(QPen(classColour(int(k)), 1.5));
        add(s);
    }
    QLineSeries* micro = curveSeries(roc.micro, QStringLiteral("micro-avg (AUC %1)").arg(aucText(roc.aucMicro)));
    QLineSeries* macro = curveSeries(roc.macro, QStringLiteral("macro-avg (AUC %1)").arg(aucText(roc.aucMacro)));
    QPen dashed(Qt::black, 2, Qt::DashLine);
    micro->setPen(dashed);
    dashed.setColor(QColor(90, 90, 90));
    dashed.setStyle(Qt::DotLine);
    macro->setPen(dashed);
    add(micro);
    add(macro);
    auto* chance = new QLineSeries;
    chance->setName(QStringLiteral("chance"));
    chance->append(0, 0);
    chance->append(1, 1);
    chance->setPen(QPen(QColor(160, 160, 160), 1, Qt::DashDotLine));
    add(chance);
    chart->legend()->setAlignment(Qt::AlignRight);
    return chart;
}

bool saveChartPng(QChart* chart, const QString& path, const QSize& size, double dpr)
{
    QGraphicsScene scene;
    scene.addItem(chart);
    chart->resize(size);
    QImage image(size * dpr, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(dpr);
    image.fill(Qt::white);
    {
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        scene.render(&painter, QRectF(QPointF(0, 0), size), QRectF(QPointF(0, 0), size));
    }
    scene.removeItem(chart);
    return saveImageAtomically(image, path, "PNG", nullptr);
}

}  // namespace deepsvm
