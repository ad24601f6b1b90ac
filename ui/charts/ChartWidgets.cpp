#include "charts/ChartWidgets.h"

#include "charts/Export.h"
#include "render/Palette.h"
#include "charts/RocChart.h"

#include <QBarCategoryAxis>
#include <QHorizontalBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace deepsvm {

ChartWidget::ChartWidget(const QString& exportName, QWidget* parent) : QWidget(parent), m_view(new QChartView(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_view->setRenderHint(QPainter::Antialiasing);
    layout->addWidget(m_view);
    m_view->chart()->setTheme(palette().window().color().lightness() < 128 ? QChart::ChartThemeDark
                                                                           : QChart::ChartThemeLight);
    installExportMenu(m_view, exportName, [this](QPainter& p, const QRectF& r) { chartPainter(chart())(p, r); });
}

void ChartWidget::setChart(QChart* chart)
{
    QChart* old = m_view->chart();
    chart->setTheme(palette().window().color().lightness() < 128 ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    m_view->setChart(chart);
    delete old;
}

QChart* ChartWidget::chart() const
{
    return m_view->chart();
}

bool ChartWidget::exportTo(const QString& path, const QSize& size, double dpr, QString* error) const
{
    return exportPicture(path, size, dpr, chartPainter(chart()), error);
}

QChart* makeClassBarChart(const QStringList& classNames, const std::vector<long long>& counts, const QString& title)
{
    // Horizontal bars: class names stay readable however many there are.
    auto* chart = new QChart;
    chart->setTitle(title);
    auto* set = new QBarSet(QObject::tr("images"));
    long long most = 1;
    // Horizontal bar categories run bottom-up: add them reversed so the list reads top-down.
    for (auto c = counts.rbegin(); c != counts.rend(); ++c) {
        *set << double(*c);
        most = std::max(most, *c);
    }
    set->setColor(classColour(0));
    set->setLabelColor(Qt::white);
    auto* series = new QHorizontalBarSeries;
    series->append(set);
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
    series->setBarWidth(0.8);
    chart->addSeries(series);
    auto* y = new QBarCategoryAxis;
    QStringList reversed(classNames.rbegin(), classNames.rend());
    y->append(reversed);
    y->setTruncateLabels(false);
    // Qt Charts drops category labels that would overlap; a smaller font keeps every class
    // named at ten classes in the Data page's 220 px.
    QFont small = y->labelsFont();
    small.setPointSizeF(std::min(small.pointSizeF() > 0 ? small.pointSizeF() : 9.0, 7.5));
    y->setLabelsFont(small);
    auto* x = new QValueAxis;
    x->setRange(0, double(most) * 1.05);
    x->setLabelFormat(QStringLiteral("%d"));
    x->setTickCount(5);
    chart->addAxis(y, Qt::AlignLeft);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->hide();
    chart->setMargins(QMargins(4, 4, 4, 4));
    return chart;
}

RocChartWidget::RocChartWidget(QWidget* parent) : ChartWidget(QStringLiteral("roc"), parent)
{
    chart()->setTitle(tr("ROC curves appear when a model has been evaluated"));
}

void RocChartWidget::setRoc(const RocSet& roc, const std::vector<std::string>& classNames)
{
    setChart(makeRocChart(roc, classNames));
    // A smaller legend font keeps "class (AUC 0.934)" whole beside the plot.
    QFont font = chart()->legend()->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    chart()->legend()->setFont(font);
    // Each legend entry toggles its curve; a hidden curve's entry is greyed, not removed.
    for (QLegendMarker* marker : chart()->legend()->markers()) {
        connect(marker, &QLegendMarker::clicked, this, [this, marker] {
            const auto markers = chart()->legend()->markers();
            setCurveVisible(int(markers.indexOf(marker)), !marker->series()->isVisible());
        });
    }
}

void RocChartWidget::showMessage(const QString& text)
{
    auto* chart = new QChart;
    chart->setTitle(text);
    setChart(chart);
}

int RocChartWidget::curveCount() const
{
    return int(chart()->series().size());
}

bool RocChartWidget::isCurveVisible(int index) const
{
    const auto series = chart()->series();
    return index >= 0 && index < series.size() && series[index]->isVisible();
}

void RocChartWidget::setCurveVisible(int index, bool visible)
{
    const auto series = chart()->series();
    if (index < 0 || index >= series.size())
        return;
    series[index]->setVisible(visible);
    // Hiding a series hides its marker too: keep it, dimmed, so it can be clicked back.
    for (QLegendMarker* marker : chart()->legend()->markers(series[index])) {
        marker->setVisible(true);
        QColor c = marker->labelBrush().color();
        c.setAlphaF(visible ? 1.0 : 0.4);
        marker->setLabelBrush(c);
    }
}

ScatterChartWidget::ScatterChartWidget(QWidget* parent) : ChartWidget(QStringLiteral("projection"), parent)
{
    chart()->setTitle(tr("Extract features, then project them"));
}

void ScatterChartWidget::setPoints(const std::vector<float>& xy, const std::vector<int>& labels,
                                   const QStringList& classNames, const QString& title)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    auto* x = new QValueAxis;
    auto* y = new QValueAxis;
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    const int classes = std::max<int>(int(classNames.size()), labels.empty() ? 1 : *std::max_element(labels.begin(), labels.end()) + 1);
    m_rowsBySeries.assign(std::size_t(classes), {});
    m_pointsBySeries.assign(std::size_t(classes), {});
    double minX = 0, maxX = 1, minY = 0, maxY = 1;
    m_total = int(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const int k = std::clamp(labels[i], 0, classes - 1);
        const QPointF p(xy[2 * i], xy[2 * i + 1]);
        m_rowsBySeries[std::size_t(k)].push_back(int(i));
        m_pointsBySeries[std::size_t(k)].push_back(p);
        if (i == 0) {
            minX = maxX = p.x();
            minY = maxY = p.y();
        }
        minX = std::min(minX, p.x()); maxX = std::max(maxX, p.x());
        minY = std::min(minY, p.y()); maxY = std::max(maxY, p.y());
    }
    const double padX = (maxX - minX) * 0.05 + 1e-9, padY = (maxY - minY) * 0.05 + 1e-9;
    x->setRange(minX - padX, maxX + padX);
    y->setRange(minY - padY, maxY + padY);
    for (int k = 0; k < classes; ++k) {
        auto* s = new QScatterSeries;
        s->setName(k < classNames.size() ? classNames[k] : QString::number(k));
        s->setMarkerSize(7);
        s->setColor(classColour(k));
        s->setBorderColor(classColour(k).darker(130));
        s->replace(QList<QPointF>(m_pointsBySeries[std::size_t(k)].begin(), m_pointsBySeries[std::size_t(k)].end()));
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
        connect(s, &QScatterSeries::hovered, this, [this, k](const QPointF& point, bool state) {
            if (!state) {
                Q_EMIT hoverLeft();
                return;
            }
            const auto& pts = m_pointsBySeries[std::size_t(k)];
            std::size_t best = 0;
            double bestD = 1e300;
            for (std::size_t i = 0; i < pts.size(); ++i) {
                const double d = std::hypot(pts[i].x() - point.x(), pts[i].y() - point.y());
                if (d < bestD) { bestD = d; best = i; }
            }
            if (!pts.empty())
                Q_EMIT pointHovered(m_rowsBySeries[std::size_t(k)][best], QCursor::pos());
        });
    }
    chart->legend()->setAlignment(Qt::AlignRight);
    setChart(chart);
}

}  // namespace deepsvm
