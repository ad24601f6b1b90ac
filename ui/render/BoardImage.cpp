#include "render/BoardImage.h"

#include "render/ChartFrame.h"
#include "render/Export.h"
#include "render/Palette.h"

#include <QFontMetricsF>
#include <QJsonArray>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace deepsvm {

namespace {

QString boardCaption(const BoardBar& b)
{
    QStringList parts;
    parts << QStringLiteral("%1-d").arg(b.featureDim, 0, 'f', 0);
    if (b.imagesPerSecond > 0)
        parts << QStringLiteral("%1 img/s").arg(b.imagesPerSecond, 0, 'f', b.imagesPerSecond < 10 ? 1 : 0);
    parts << (std::isfinite(b.imagenetTop1) ? QStringLiteral("top-1 %1%").arg(b.imagenetTop1, 0, 'f', 1)
                                            : QStringLiteral("random weights"));
    return parts.join(QStringLiteral(" · "));
}

}  // namespace

BoardBar boardBarFromJson(const QJsonObject& row, bool best)
{
    BoardBar b;
    b.backbone = row.value(QStringLiteral("backbone")).toString();
    b.layer = row.value(QStringLiteral("layer")).toString();
    b.cvMean = row.value(QStringLiteral("cv_accuracy")).toDouble();
    b.cvStd = row.value(QStringLiteral("cv_std")).toDouble();
    for (const QJsonValue& f : row.value(QStringLiteral("cv_folds")).toArray()) b.folds.push_back(f.toDouble());
    b.featureDim = row.value(QStringLiteral("feature_dim")).toDouble();
    b.imagesPerSecond = row.value(QStringLiteral("images_per_second")).toDouble();
    const QJsonValue top1 = row.value(QStringLiteral("imagenet_top1"));
    b.imagenetTop1 = top1.isDouble() ? top1.toDouble() : std::nan("");
    b.best = best;
    return b;
}

QSize boardChartSize(std::size_t candidates)
{
    return QSize(std::max(720, 170 * int(candidates) + 160), 520);
}

void paintBoardChart(QPainter& p, const QSizeF& size, const std::vector<BoardBar>& bars)
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
    const QFont base = p.font();
    const QFont label = render::chartFont(base, 12), small = render::chartFont(base, 11), bold = render::chartFont(base, 12, true);
    // Accuracy is a share: the axis runs 0..1 in steps of 0.1 or 0.2.
    const std::vector<double> ticks = render::niceTicks(1.0, 5);
    const QFontMetricsF fm(label), fs(small);
    double widestTick = 0;
    for (double t : ticks)
        widestTick = std::max(widestTick, fm.horizontalAdvance(render::tickText(t, ticks[1] - ticks[0])));
    const double margin = 14, titleHeight = 34;
    const double captionHeight = fm.height() * 2 + fs.height() + 14;
    QRectF plot(margin + fm.height() + 12 + widestTick, margin + titleHeight + fs.height() + 10, 0, 0);
    plot.setRight(size.width() - margin - 8);
    plot.setBottom(size.height() - margin - captionHeight);

    render::drawChartTitle(p, QRectF(QPointF(0, 0), size), margin + titleHeight,
                           QStringLiteral("Backbones on your images: cross-validated SVM accuracy"));
    p.setFont(small);
    p.setPen(QColor(90, 90, 90));
    p.drawText(QRectF(0, margin + titleHeight - 6, size.width(), fs.height()), Qt::AlignHCenter,
               QStringLiteral("bar: mean over the folds at the best grid point · whisker: ± 1 std · dots: each fold"));
    p.setFont(label);
    render::drawValueAxisY(p, plot, ticks, true);
    render::drawAxisTitleY(p, plot, plot.left() - widestTick - 12 - fm.height() / 2, QStringLiteral("CV accuracy"));
    if (bars.empty()) {
        p.setPen(QColor(120, 120, 120));
        p.drawText(plot, Qt::AlignCenter, QStringLiteral("no backbone compared yet"));
    }
    const double top = ticks.back();
    const double group = plot.width() / double(std::max<std::size_t>(bars.size(), 1));
    const double barWidth = std::min(70.0, group * 0.5);
    auto yOf = [&](double v) { return plot.bottom() - std::clamp(v / top, 0.0, 1.0) * plot.height(); };
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const BoardBar& b = bars[i];
        const double centre = plot.left() + (double(i) + 0.5) * group;
        const QRectF bar(centre - barWidth / 2, yOf(b.cvMean), barWidth, plot.bottom() - yOf(b.cvMean));
        QColor fill = classColour(b.best ? 2 : 0);
        if (!b.best)
            fill.setAlpha(170);
        p.fillRect(bar, fill);
        // The spread: +- one std as a whisker, each fold as a dot.
        p.setPen(QPen(QColor(30, 30, 30), 1.5));
        const double lo = yOf(b.cvMean - b.cvStd), hi = yOf(b.cvMean + b.cvStd);
        p.drawLine(QPointF(centre, lo), QPointF(centre, hi));
        p.drawLine(QPointF(centre - 8, lo), QPointF(centre + 8, lo));
        p.drawLine(QPointF(centre - 8, hi), QPointF(centre + 8, hi));
        p.setBrush(Qt::white);
        p.setPen(QPen(QColor(30, 30, 30), 1));
        // Fold dots in a narrow column right of the bar, spread sideways so equal scores stay visible.
        for (std::size_t f = 0; f < b.folds.size(); ++f)
            p.drawEllipse(QPointF(centre + barWidth / 2 + 7 + double(f % 3) * 4, yOf(b.folds[f])), 2.5, 2.5);
        p.setBrush(Qt::NoBrush);
        // The value above the whisker.
        p.setFont(b.best ? bold : label);
        p.setPen(QColor(40, 40, 40));
        p.drawText(QRectF(centre - group / 2, hi - fm.height() - 3, group, fm.height()), Qt::AlignHCenter | Qt::AlignBottom,
                   QString::number(b.cvMean, 'f', 3) + (b.best ? QStringLiteral("  best") : QString()));
        // Under the bar: the network, the layer, and its figures.
        double y = plot.bottom() + 6;
        p.setFont(b.best ? bold : label);
        p.drawText(QRectF(centre - group / 2, y, group, fm.height()), Qt::AlignCenter,
                   fm.elidedText(b.backbone, Qt::ElideMiddle, group - 4));
        y += fm.height();
        p.setFont(label);
        p.setPen(QColor(90, 90, 90));
        p.drawText(QRectF(centre - group / 2, y, group, fm.height()), Qt::AlignCenter, fm.elidedText(b.layer, Qt::ElideMiddle, group - 4));
        y += fm.height() + 2;
        p.setFont(small);
        p.drawText(QRectF(centre - group / 2, y, group, fs.height()), Qt::AlignCenter,
                   fs.elidedText(boardCaption(b), Qt::ElideRight, group - 4));
    }
    p.setPen(QPen(QColor(150, 150, 150), 1));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    p.restore();
}

bool writeBoardChart(const std::vector<BoardBar>& bars, const QString& path)
{
    return writePicture(path, boardChartSize(bars.size()), 2.0, [&](QPainter& p, const QRectF& target) {
        p.translate(target.topLeft());
        paintBoardChart(p, target.size(), bars);
    }, nullptr);
}

}  // namespace deepsvm
