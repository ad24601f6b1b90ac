#include "render/SweepImage.h"

#include "render/ChartFrame.h"
#include "render/Export.h"
#include "render/Palette.h"

#include <QCoreApplication>
#include <QFontMetricsF>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace deepsvm {

namespace {

double finiteOr0(double v) { return std::isfinite(v) ? v : 0.0; }

struct Series {
    QString name;
    double (*value)(const SweepBar&);
};

const Series kSeries[3] = {
    {QStringLiteral("train loss"), [](const SweepBar& b) { return b.trainLoss; }},
    {QStringLiteral("validation loss"), [](const SweepBar& b) { return b.validationLoss; }},
    {QStringLiteral("validation accuracy"), [](const SweepBar& b) { return b.validationAccuracy; }},
};

constexpr double kMaxLabel = 260;  // longer layer names are elided

struct LabelLayout {
    bool slanted = false;
    double height = 0;    ///< below the plot
    double overhang = 0;  ///< how far the first slanted name reaches left of the plot
};

/// Layer names go level under their groups when they fit, else slanted by 30°.
LabelLayout layoutLayerNames(const QFontMetricsF& fm, double plotWidth, const std::vector<SweepBar>& bars)
{
    const double group = plotWidth / double(std::max<std::size_t>(bars.size(), 1));
    double widest = 0;
    for (const SweepBar& b : bars)
        widest = std::max(widest, std::min(kMaxLabel, fm.horizontalAdvance(b.layer)));
    LabelLayout l;
    l.slanted = widest > group - 6;
    l.height = (l.slanted ? widest * 0.5 + fm.height() : fm.height()) + 8;
    if (l.slanted && !bars.empty())
        l.overhang = std::max(0.0, std::min(kMaxLabel, fm.horizontalAdvance(bars[0].layer)) * 0.87 - group / 2);
    return l;
}

void drawLayerNames(QPainter& p, const QRectF& plot, const std::vector<SweepBar>& bars, const LabelLayout& l)
{
    const QFontMetricsF fm(p.font());
    const double group = plot.width() / double(std::max<std::size_t>(bars.size(), 1));
    p.save();
    p.setPen(QColor(40, 40, 40));
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const double centre = plot.left() + (double(i) + 0.5) * group;
        const QString name = fm.elidedText(bars[i].layer, Qt::ElideMiddle, kMaxLabel);
        if (!l.slanted) {
            p.drawText(QRectF(centre - group / 2, plot.bottom() + 6, group, fm.height()), Qt::AlignCenter, name);
            continue;
        }
        p.save();
        p.translate(centre + fm.ascent() / 2, plot.bottom() + 8);
        p.rotate(-30);
        p.drawText(QPointF(-fm.horizontalAdvance(name), 0), name);
        p.restore();
    }
    p.restore();
}

void drawBars(QPainter& p, const QRectF& plot, const std::vector<SweepBar>& bars, double top)
{
    const double group = plot.width() / double(bars.size());
    const double barWidth = std::min(60.0, group * 0.78 / 3);
    const QFontMetricsF fm(p.font());
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const double start = plot.left() + (double(i) + 0.5) * group - 1.5 * barWidth;
        for (int s = 0; s < 3; ++s) {
            const double v = kSeries[s].value(bars[i]);
            const double h = std::clamp(finiteOr0(v) / top, 0.0, 1.0) * plot.height();
            const QRectF bar(start + s * barWidth + 1, plot.bottom() - h, barWidth - 2, h);
            p.fillRect(bar, classColour(s));
            const QString text = std::isfinite(v) ? QString::number(v, 'g', 3) : QStringLiteral("n/a");
            p.setPen(QColor(40, 40, 40));
            const QRectF labelBox(bar.center().x() - 40, bar.top() - fm.height() - 2, 80, fm.height());
            if (fm.horizontalAdvance(text) <= barWidth + 6) {
                p.drawText(labelBox, Qt::AlignHCenter | Qt::AlignBottom, text);
            } else {  // narrow bars: the value stands upright above the bar
                p.save();
                p.translate(bar.center().x() + fm.ascent() / 2 - 1, bar.top() - 3);
                p.rotate(-90);
                p.drawText(QPointF(0, 0), text);
                p.restore();
            }
        }
    }
}

}  // namespace

QSize sweepChartSize(std::size_t layers)
{
    return QSize(std::max(700, 160 * int(layers) + 200), 500);
}

void paintSweepChart(QPainter& p, const QSizeF& size, const std::vector<SweepBar>& bars)
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
    const QFont base = p.font();
    const QFont label = render::chartFont(base, 12), valueFont = render::chartFont(base, 11);
    std::vector<render::LegendEntry> legend;
    for (int s = 0; s < 3; ++s)
        legend.push_back({kSeries[s].name, QPen(), classColour(s)});
    const QSizeF legendBox = render::legendSize(legend, label, true);
    double top = 1.0;
    for (const SweepBar& b : bars)
        top = std::max({top, finiteOr0(b.trainLoss), finiteOr0(b.validationLoss)});
    const std::vector<double> ticks = render::niceTicks(top * 1.1, 6);

    const double margin = 14, titleHeight = 34;
    p.setFont(label);
    const QFontMetricsF fm(label);
    double widestTick = 0;
    for (double t : ticks)
        widestTick = std::max(widestTick, fm.horizontalAdvance(render::tickText(t, ticks[1] - ticks[0])));
    QRectF plot(margin + fm.height() + 12 + widestTick, margin + titleHeight + 10, 0, 0);
    plot.setRight(size.width() - margin - 10);
    plot.setBottom(size.height() - margin - legendBox.height() - 12);
    const LabelLayout labels = layoutLayerNames(fm, plot.width(), bars);
    plot.setLeft(std::max(plot.left(), margin + labels.overhang));
    plot.setBottom(plot.bottom() - labels.height);

    render::drawChartTitle(p, QRectF(QPointF(0, 0), size), margin + titleHeight,
                           QCoreApplication::translate("QObject", "Fine-tuning one layer at a time: final epoch"));
    render::drawValueAxisY(p, plot, ticks, false);
    render::drawAxisTitleY(p, plot, plot.left() - widestTick - 12 - fm.height() / 2, QStringLiteral("loss / accuracy"));
    if (bars.empty()) {
        p.setPen(QColor(120, 120, 120));
        p.drawText(plot, Qt::AlignCenter, QStringLiteral("no tuned layers"));
    } else {
        drawLayerNames(p, plot, bars, labels);
        p.setFont(valueFont);
        drawBars(p, plot, bars, ticks.back());
    }
    p.setPen(QPen(QColor(150, 150, 150), 1));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    render::drawLegend(p, QPointF((size.width() - legendBox.width()) / 2, size.height() - margin - legendBox.height()), legend,
                       label, true);
    p.restore();
}

bool writeSweepChart(const std::vector<SweepBar>& bars, const QString& path)
{
    return writePicture(path, sweepChartSize(bars.size()), 2.0, [&](QPainter& p, const QRectF& target) {
        p.translate(target.topLeft());
        paintSweepChart(p, target.size(), bars);
    }, nullptr);
}

}  // namespace deepsvm
