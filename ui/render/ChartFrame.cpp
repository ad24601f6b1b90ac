#include "render/ChartFrame.h"

#include <QFontMetricsF>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace deepsvm::render {

namespace {

const QColor kAxisText(60, 60, 60);
const QColor kGrid(222, 222, 222);
const QColor kMinorGrid(242, 242, 242);
const QColor kFrame(150, 150, 150);
constexpr double kSwatch = 26;  // legend line / box sample width
constexpr double kPad = 8;

}  // namespace

QFont chartFont(const QFont& base, int pixelSize, bool bold)
{
    QFont font(base);
    font.setPixelSize(pixelSize);
    font.setBold(bold);
    return font;
}

std::vector<double> niceTicks(double max, int target)
{
    if (!(max > 0) || !std::isfinite(max))
        max = 1;
    const double rough = max / std::max(target, 1);
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    double step = magnitude * 10;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * magnitude >= rough) {
            step = m * magnitude;
            break;
        }
    std::vector<double> ticks;
    for (int i = 0; ticks.empty() || ticks.back() < max - 1e-9 * step; ++i)
        ticks.push_back(i * step);
    return ticks;
}

QString tickText(double value, double step)
{
    int decimals = 0;
    while (decimals < 6 && std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
        ++decimals;
    return QString::number(value, 'f', decimals);
}

void drawChartTitle(QPainter& p, const QRectF& area, double height, const QString& title)
{
    p.save();
    p.setFont(chartFont(p.font(), 16, true));
    p.setPen(QColor(30, 30, 30));
    p.drawText(QRectF(area.left(), area.top(), area.width(), height), Qt::AlignCenter, title);
    p.restore();
}

void drawValueAxisY(QPainter& p, const QRectF& plot, const std::vector<double>& ticks, bool minor)
{
    const double top = ticks.empty() ? 1.0 : ticks.back();
    const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : top;
    const QFontMetricsF fm(p.font());
    auto yOf = [&](double v) { return plot.bottom() - v / top * plot.height(); };
    p.save();
    for (std::size_t i = 0; i < ticks.size(); ++i) {
        if (minor && i + 1 < ticks.size()) {
            p.setPen(QPen(kMinorGrid, 1));
            p.drawLine(QPointF(plot.left(), yOf(ticks[i] + step / 2)), QPointF(plot.right(), yOf(ticks[i] + step / 2)));
        }
        const double y = yOf(ticks[i]);
        p.setPen(QPen(kGrid, 1));
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.setPen(QPen(kFrame, 1));
        p.drawLine(QPointF(plot.left() - 4, y), QPointF(plot.left(), y));
        p.setPen(kAxisText);
        p.drawText(QRectF(0, y - fm.height() / 2, plot.left() - 7, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                   tickText(ticks[i], step));
    }
    p.restore();
}

void drawValueAxisX(QPainter& p, const QRectF& plot, const std::vector<double>& ticks, bool minor)
{
    const double top = ticks.empty() ? 1.0 : ticks.back();
    const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : top;
    const QFontMetricsF fm(p.font());
    auto xOf = [&](double v) { return plot.left() + v / top * plot.width(); };
    p.save();
    for (std::size_t i = 0; i < ticks.size(); ++i) {
        if (minor && i + 1 < ticks.size()) {
            p.setPen(QPen(kMinorGrid, 1));
            p.drawLine(QPointF(xOf(ticks[i] + step / 2), plot.top()), QPointF(xOf(ticks[i] + step / 2), plot.bottom()));
        }
        const double x = xOf(ticks[i]);
        p.setPen(QPen(kGrid, 1));
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        p.setPen(QPen(kFrame, 1));
        p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4));
        p.setPen(kAxisText);
        p.drawText(QRectF(x - 40, plot.bottom() + 6, 80, fm.height()), Qt::AlignHCenter | Qt::AlignTop,
                   tickText(ticks[i], step));
    }
    p.restore();
}

void drawAxisTitleX(QPainter& p, const QRectF& plot, double y, const QString& text)
{
    const QFontMetricsF fm(p.font());
    p.save();
    p.setPen(kAxisText);
    p.drawText(QRectF(plot.left(), y, plot.width(), fm.height()), Qt::AlignCenter, text);
    p.restore();
}

void drawAxisTitleY(QPainter& p, const QRectF& plot, double x, const QString& text)
{
    const QFontMetricsF fm(p.font());
    p.save();
    p.setPen(kAxisText);
    p.translate(x, plot.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-plot.height() / 2, -fm.height() / 2, plot.height(), fm.height()), Qt::AlignCenter, text);
    p.restore();
}

QSizeF legendSize(const std::vector<LegendEntry>& entries, const QFont& font, bool horizontal)
{
    const QFontMetricsF fm(font);
    const double row = fm.height() + 4;
    double width = 0;
    for (const LegendEntry& e : entries) {
        const double w = kSwatch + 6 + fm.horizontalAdvance(e.text);
        width = horizontal ? width + w + (width > 0 ? 2 * kPad : 0) : std::max(width, w);
    }
    const double height = horizontal ? row : row * double(entries.size());
    return QSizeF(width + 2 * kPad, height + kPad);
}

void drawLegend(QPainter& p, const QPointF& at, const std::vector<LegendEntry>& entries, const QFont& font, bool horizontal)
{
    const QFontMetricsF fm(font);
    const double row = fm.height() + 4;
    const QSizeF size = legendSize(entries, font, horizontal);
    p.save();
    p.setFont(font);
    p.setPen(QPen(QColor(210, 210, 210), 1));
    p.setBrush(QColor(255, 255, 255, 235));
    p.drawRoundedRect(QRectF(at, size), 4, 4);
    QPointF cursor(at.x() + kPad, at.y() + kPad / 2);
    for (const LegendEntry& e : entries) {
        const double mid = cursor.y() + row / 2;
        if (e.fill.isValid()) {
            p.setPen(Qt::NoPen);
            p.setBrush(e.fill);
            p.drawRect(QRectF(cursor.x() + 4, mid - 6, kSwatch - 8, 12));
        } else {
            p.setPen(e.pen);
            p.drawLine(QPointF(cursor.x(), mid), QPointF(cursor.x() + kSwatch, mid));
        }
        p.setPen(QColor(40, 40, 40));
        const double textWidth = fm.horizontalAdvance(e.text);
        p.drawText(QRectF(cursor.x() + kSwatch + 6, cursor.y(), textWidth + 2, row), Qt::AlignLeft | Qt::AlignVCenter, e.text);
        if (horizontal)
            cursor.rx() += kSwatch + 6 + textWidth + 2 * kPad;
        else
            cursor.ry() += row;
    }
    p.restore();
}

}  // namespace deepsvm::render
