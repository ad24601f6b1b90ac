#pragma once

#include <QColor>
#include <QFont>
#include <QPen>
#include <QRectF>
#include <QString>

#include <vector>

class QPainter;

namespace deepsvm::render {

/// Helpers the QPainter charts share: fonts, the title, value axes with grid lines, a legend.

/// `base` at `pixelSize` pixels (bold for titles).
QFont chartFont(const QFont& base, int pixelSize, bool bold = false);

/// "Nice" tick values 0, s, 2s, ... up to the first one >= `max` (s is 1, 2, 2.5 or 5 x 10^n),
/// about `target` intervals.
std::vector<double> niceTicks(double max, int target);
/// A tick value with as many decimals as the step needs.
QString tickText(double value, double step);

/// The title centred in the top `height` pixels of `area`.
void drawChartTitle(QPainter& painter, const QRectF& area, double height, const QString& title);

/// Horizontal grid lines at `ticks` across `plot` (values 0..ticks.back() bottom to top) and
/// their labels right-aligned left of it; `minor`: a fainter line half-way between ticks.
void drawValueAxisY(QPainter& painter, const QRectF& plot, const std::vector<double>& ticks, bool minor);
/// The same for a horizontal value axis (labels under `plot`).
void drawValueAxisX(QPainter& painter, const QRectF& plot, const std::vector<double>& ticks, bool minor);
/// An axis title centred under `plot` (at `y`) or, rotated, left of it (centred at `x`).
void drawAxisTitleX(QPainter& painter, const QRectF& plot, double y, const QString& text);
void drawAxisTitleY(QPainter& painter, const QRectF& plot, double x, const QString& text);

/// One legend line: a line sample in `pen`, or a filled box in `fill` when it is valid.
struct LegendEntry {
    QString text;
    QPen pen;
    QColor fill;
};
/// The legend's size when its entries are stacked (`horizontal` false) or in one row.
QSizeF legendSize(const std::vector<LegendEntry>& entries, const QFont& font, bool horizontal);
/// Draws the legend (a framed box) with its top-left corner at `at`.
void drawLegend(QPainter& painter, const QPointF& at, const std::vector<LegendEntry>& entries, const QFont& font,
                bool horizontal);

}  // namespace deepsvm::render
