#include "render/RocImage.h"

#include "render/ChartFrame.h"
#include "render/Export.h"
#include "render/Palette.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace deepsvm {

namespace {

using render::LegendEntry;

QString aucText(double auc)
{
    return std::isfinite(auc) ? QString::number(auc, 'f', 3) : QStringLiteral("n/a");
}

QPen microPen() { return QPen(Qt::black, 2, Qt::DashLine); }
QPen macroPen() { return QPen(QColor(90, 90, 90), 2, Qt::DotLine); }
QPen chancePen() { return QPen(QColor(160, 160, 160), 1, Qt::DashDotLine); }

/// The legend, in the order of the GUI's chart: classes, micro, macro, chance.
std::vector<LegendEntry> rocLegend(const RocSet& roc, const std::vector<std::string>& names)
{
    std::vector<LegendEntry> entries;
    for (std::size_t k = 0; k < roc.perClass.size(); ++k) {
        const QString name = k < names.size() ? QString::fromStdString(names[k]) : QStringLiteral("class %1").arg(k);
        entries.push_back({QStringLiteral("%1 (AUC %2)").arg(name, aucText(k < roc.auc.size() ? roc.auc[k] : NAN)),
                           QPen(classColour(int(k)), 2), QColor()});
    }
    entries.push_back({QStringLiteral("micro-avg (AUC %1)").arg(aucText(roc.aucMicro)), microPen(), QColor()});
    entries.push_back({QStringLiteral("macro-avg (AUC %1)").arg(aucText(roc.aucMacro)), macroPen(), QColor()});
    entries.push_back({QStringLiteral("chance"), chancePen(), QColor()});
    return entries;
}

/// A legend font that lets every entry fit in `height`; with too many classes even at 9 px,
/// the last class entries give way to one "+ N more classes" line.
QFont fitLegend(std::vector<LegendEntry>* entries, const QFont& base, double height, std::size_t classes)
{
    QFont font = render::chartFont(base, 12);
    for (int px = 12; px >= 9; --px) {
        font = render::chartFont(base, px);
        if (render::legendSize(*entries, font, false).height() <= height)
            return font;
    }
    const double row = QFontMetricsF(font).height() + 4;
    const std::size_t fit = std::size_t(std::max(2.0, std::floor(height / row) - 1));
    if (entries->size() > fit && classes > 0) {
        const std::size_t drop = std::min(classes, entries->size() - fit + 1);
        const std::size_t keep = classes - drop;
        entries->erase(entries->begin() + std::ptrdiff_t(keep), entries->begin() + std::ptrdiff_t(classes));
        entries->insert(entries->begin() + std::ptrdiff_t(keep),
                        LegendEntry{QStringLiteral("+ %1 more classes").arg(drop), QPen(Qt::NoPen), QColor()});
    }
    return font;
}

void drawCurve(QPainter& p, const QRectF& plot, const std::vector<RocPoint>& curve, const QPen& pen)
{
    QPainterPath path;
    bool started = false;
    for (const RocPoint& pt : curve) {
        if (!std::isfinite(pt.fpr) || !std::isfinite(pt.tpr))
            continue;
        const QPointF at(plot.left() + pt.fpr * plot.width(), plot.bottom() - pt.tpr * plot.height());
        if (started) {
            path.lineTo(at);
        } else {
            path.moveTo(at);
            started = true;
        }
    }
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    p.drawPath(path);
}

}  // namespace

void paintRocChart(QPainter& p, const QSizeF& size, const RocSet& roc, const std::vector<std::string>& names)
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
    const QFont base = p.font();
    const QFont label = render::chartFont(base, 12), axisTitle = render::chartFont(base, 13);
    const QFontMetricsF fmLabel(label), fmTitle(axisTitle);
    const double margin = 18, titleHeight = 34;
    const double top = margin + titleHeight, bottom = size.height() - margin - fmLabel.height() - fmTitle.height() - 14;
    std::vector<LegendEntry> legend = rocLegend(roc, names);
    const QFont legendFont = fitLegend(&legend, base, bottom - top, roc.perClass.size());
    const QSizeF legendBox = render::legendSize(legend, legendFont, false);
    const double left0 = margin + fmTitle.height() + 8 + fmLabel.horizontalAdvance(QStringLiteral("0.0")) + 10;
    // The plot fills the height and at most 1.3 x that in width; the rest centres the whole.
    const double room = size.width() - margin - legendBox.width() - 18 - left0;
    const double plotWidth = std::clamp(room, 120.0, 1.3 * (bottom - top));
    const double shift = std::max(0.0, (room - plotWidth) / 2);
    const QRectF plot(left0 + shift, top, plotWidth, bottom - top);

    render::drawChartTitle(p, QRectF(QPointF(0, 0), size), margin + titleHeight, QStringLiteral("ROC curves, one vs rest"));
    const std::vector<double> ticks = render::niceTicks(1.0, 5);
    p.setFont(label);
    render::drawValueAxisY(p, plot, ticks, true);
    render::drawValueAxisX(p, plot, ticks, true);
    p.setFont(axisTitle);
    render::drawAxisTitleX(p, plot, plot.bottom() + fmLabel.height() + 12, QStringLiteral("False positive rate"));
    render::drawAxisTitleY(p, plot, plot.left() - fmLabel.horizontalAdvance(QStringLiteral("0.0")) - 12 - fmTitle.height() / 2,
                           QStringLiteral("True positive rate"));

    p.save();
    p.setClipRect(plot.adjusted(-2, -2, 2, 2));
    p.setPen(chancePen());
    p.drawLine(plot.bottomLeft(), plot.topRight());
    for (std::size_t k = 0; k < roc.perClass.size(); ++k)
        drawCurve(p, plot, roc.perClass[k], QPen(classColour(int(k)), 1.8));
    drawCurve(p, plot, roc.macro, macroPen());
    drawCurve(p, plot, roc.micro, microPen());
    p.restore();
    p.setPen(QPen(QColor(150, 150, 150), 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(plot);

    const double legendTop = plot.top() + std::max(0.0, (plot.height() - legendBox.height()) / 2);
    render::drawLegend(p, QPointF(plot.right() + 18, legendTop), legend, legendFont, false);
    p.restore();
}

bool writeRocChart(const RocSet& roc, const std::vector<std::string>& names, const QString& path, const QSize& size,
                   double dpr, QString* error)
{
    return writePicture(path, size, dpr, [&](QPainter& p, const QRectF& target) {
        p.translate(target.topLeft());
        paintRocChart(p, target.size(), roc, names);
    }, error);
}

}  // namespace deepsvm
