#include "charts/MatrixViews.h"

#include "render/ConfusionMatrixImage.h"
#include "charts/Export.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <limits>

namespace deepsvm {

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent) : QWidget(parent)
{
    setMinimumSize(320, 300);
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Click a cell to see its test images. Right-click to save the picture."));
    installExportMenu(this, QStringLiteral("confusion"), [this](QPainter& p, const QRectF& r) { paintPicture(p, r.size()); });
}

void ConfusionMatrixView::setMatrix(const ConfusionMatrix& cm, const std::vector<std::string>& classNames)
{
    m_cm = cm;
    m_names = classNames;
    m_names.resize(std::size_t(std::max(cm.classes, 0)));
    m_selected = QPoint(-1, -1);
    update();
}

void ConfusionMatrixView::setNormalised(bool normalised)
{
    m_normalised = normalised;
    update();
}

void ConfusionMatrixView::paintPicture(QPainter& painter, const QSizeF& size) const
{
    if (m_cm.classes <= 0) {
        painter.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
        painter.setPen(Qt::gray);
        painter.drawText(QRectF(QPointF(0, 0), size), Qt::AlignCenter, tr("No model evaluated yet"));
        return;
    }
    paintConfusionMatrix(painter, size, m_cm, m_names, m_normalised, m_selected);
}

void ConfusionMatrixView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    paintPicture(p, QSizeF(size()));
}

QPoint ConfusionMatrixView::cellCentre(int truth, int predicted) const
{
    // Search the cell grid rather than duplicate the layout arithmetic.
    for (int y = 0; y < height(); y += 2)
        for (int x = 0; x < width(); x += 2)
            if (confusionCellAt(m_cm, m_names, QSizeF(size()), font(), QPointF(x, y)) == QPoint(predicted, truth)) {
                int x2 = x, y2 = y;
                while (confusionCellAt(m_cm, m_names, QSizeF(size()), font(), QPointF(x2 + 1, y)) == QPoint(predicted, truth)) ++x2;
                while (confusionCellAt(m_cm, m_names, QSizeF(size()), font(), QPointF(x, y2 + 1)) == QPoint(predicted, truth)) ++y2;
                return QPoint((x + x2) / 2, (y + y2) / 2);
            }
    return QPoint(-1, -1);
}

void ConfusionMatrixView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || m_cm.classes <= 0)
        return QWidget::mousePressEvent(event);
    const QPoint cell = confusionCellAt(m_cm, m_names, QSizeF(size()), font(), event->position());
    if (cell.x() < 0)
        return;
    m_selected = cell;
    update();
    Q_EMIT cellClicked(cell.y(), cell.x());
}

GridHeatmap::GridHeatmap(QWidget* parent) : QWidget(parent)
{
    setMinimumSize(260, 200);
    setToolTip(tr("Cross-validation score per C and gamma; click a cell to choose it for the final model."));
    installExportMenu(this, QStringLiteral("grid-heatmap"), [this](QPainter& p, const QRectF& r) { paintPicture(p, r.size()); });
}

void GridHeatmap::setAxes(const QString& title, const QStringList& rowLabels, const QStringList& columnLabels)
{
    m_title = title;
    m_rows = rowLabels;
    m_columns = columnLabels;
    clearCells();
}

void GridHeatmap::clearCells()
{
    const std::size_t n = std::size_t(m_rows.size() * m_columns.size());
    m_mean.assign(n, std::numeric_limits<double>::quiet_NaN());
    m_std.assign(n, std::numeric_limits<double>::quiet_NaN());
    m_best = m_selected = QPoint(-1, -1);
    update();
}

void GridHeatmap::setCell(int row, int column, double mean, double std)
{
    if (row < 0 || column < 0 || row >= m_rows.size() || column >= m_columns.size())
        return;
    m_mean[std::size_t(row * m_columns.size() + column)] = mean;
    m_std[std::size_t(row * m_columns.size() + column)] = std;
    update();
}

void GridHeatmap::setBest(int row, int column)
{
    m_best = QPoint(column, row);
    update();
}

int GridHeatmap::filledCount() const
{
    return int(std::count_if(m_mean.begin(), m_mean.end(), [](double v) { return !std::isnan(v); }));
}

double GridHeatmap::cellValue(int row, int column) const
{
    if (row < 0 || column < 0 || row >= m_rows.size() || column >= m_columns.size())
        return std::numeric_limits<double>::quiet_NaN();
    return m_mean[std::size_t(row * m_columns.size() + column)];
}

GridHeatmap::Geometry GridHeatmap::geometryFor(const QSizeF& size, const QFontMetrics& fm) const
{
    int labelWidth = fm.horizontalAdvance(QStringLiteral("C = 0.0001"));
    for (const QString& r : m_rows)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(r));
    const double left = labelWidth + 12, top = fm.height() * 3.2;
    const double cols = std::max<qsizetype>(1, m_columns.size()), rows = std::max<qsizetype>(1, m_rows.size());
    return {left, top, (size.width() - left - 8) / cols, (size.height() - top - 8) / rows};
}

QRect GridHeatmap::cellRect(int row, int column) const
{
    const Geometry g = geometryFor(QSizeF(size()), fontMetrics());
    return QRectF(g.left + column * g.cellW, g.top + row * g.cellH, g.cellW, g.cellH).toRect();
}

/// A perceptually ordered ramp (dark blue -> teal -> yellow), like viridis.
static QColor rampColour(double t)
{
    t = std::clamp(t, 0.0, 1.0);
    const QColor a(68, 1, 84), b(33, 145, 140), c(253, 231, 37);
    auto mix = [](const QColor& x, const QColor& y, double f) {
        return QColor::fromRgbF(float(x.redF() + (y.redF() - x.redF()) * f), float(x.greenF() + (y.greenF() - x.greenF()) * f),
                                float(x.blueF() + (y.blueF() - x.blueF()) * f));
    };
    return t < 0.5 ? mix(a, b, t * 2) : mix(b, c, (t - 0.5) * 2);
}

void GridHeatmap::paintPicture(QPainter& p, const QSizeF& size) const
{
    p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
    const QFontMetrics fm(p.font());
    const Geometry g = geometryFor(size, fm);
    p.setPen(Qt::black);
    p.drawText(QRectF(0, 0, size.width(), fm.height() * 1.4), Qt::AlignCenter, m_title);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : m_mean)
        if (!std::isnan(v)) { lo = std::min(lo, v); hi = std::max(hi, v); }
    for (int c = 0; c < m_columns.size(); ++c)
        p.drawText(QRectF(g.left + c * g.cellW, fm.height() * 1.6, g.cellW, fm.height() * 1.4), Qt::AlignCenter,
                   (m_columns.size() > 1 || m_columns[0] != QStringLiteral("-") ? QStringLiteral("γ ") : QString()) + m_columns[c]);
    for (int r = 0; r < m_rows.size(); ++r) {
        p.setPen(Qt::black);
        p.drawText(QRectF(0, g.top + r * g.cellH, g.left - 6, g.cellH), Qt::AlignRight | Qt::AlignVCenter,
                   QStringLiteral("C ") + m_rows[r]);
        for (int c = 0; c < m_columns.size(); ++c) {
            const QRectF cell(g.left + c * g.cellW, g.top + r * g.cellH, g.cellW, g.cellH);
            const double v = m_mean[std::size_t(r * m_columns.size() + c)];
            if (std::isnan(v)) {
                p.fillRect(cell, QColor(235, 235, 235));
                p.setPen(QColor(150, 150, 150));
                p.drawText(cell, Qt::AlignCenter, QStringLiteral("…"));
            } else {
                const double t = hi > lo ? (v - lo) / (hi - lo) : 1.0;
                const QColor fill = rampColour(t);
                p.fillRect(cell, fill);
                p.setPen(t > 0.6 ? Qt::black : Qt::white);
                const double s = m_std[std::size_t(r * m_columns.size() + c)];
                QString text = QString::number(v, 'f', 3);
                if (g.cellH > fm.height() * 2.2)
                    text += QStringLiteral("\n± ") + QString::number(s, 'f', 3);
                p.drawText(cell, Qt::AlignCenter, text);
            }
            p.setPen(QColor(255, 255, 255));
            p.drawRect(cell);
        }
    }
    auto outline = [&](const QPoint& at, const QColor& colour, Qt::PenStyle style) {
        if (at.x() < 0)
            return;
        p.setPen(QPen(colour, 3, style));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(g.left + at.x() * g.cellW + 1.5, g.top + at.y() * g.cellH + 1.5, g.cellW - 3, g.cellH - 3));
    };
    outline(m_best, QColor(220, 30, 30), Qt::SolidLine);
    outline(m_selected, QColor(0, 0, 0), Qt::DashLine);
}

void GridHeatmap::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    paintPicture(p, QSizeF(size()));
}

void GridHeatmap::mousePressEvent(QMouseEvent* event)
{
    const Geometry g = geometryFor(QSizeF(size()), fontMetrics());
    const QPointF pos = event->position();
    const int c = int(std::floor((pos.x() - g.left) / g.cellW)), r = int(std::floor((pos.y() - g.top) / g.cellH));
    if (pos.x() < g.left || pos.y() < g.top || r >= m_rows.size() || c >= m_columns.size())
        return;
    m_selected = QPoint(c, r);
    update();
    Q_EMIT cellClicked(r, c);
}

}  // namespace deepsvm
