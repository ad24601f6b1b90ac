#include "charts/EpochChart.h"

#include "render/Palette.h"

#include <QChart>
#include <QLegend>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace deepsvm {

EpochChartWidget::EpochChartWidget(const QString& title, const QString& valueName, const QString& exportName, QWidget* parent)
    : ChartWidget(exportName, parent)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    m_train = new QLineSeries;
    m_train->setName(tr("train"));
    m_validation = new QLineSeries;
    m_validation->setName(tr("validation"));
    m_train->setPen(QPen(classColour(0), 2));
    m_validation->setPen(QPen(classColour(1), 2));
    for (QLineSeries* s : {m_train, m_validation})
        s->setPointsVisible(true);
    m_x = new QValueAxis;
    m_x->setTitleText(tr("epoch"));
    m_x->setLabelFormat(QStringLiteral("%d"));
    m_y = new QValueAxis;
    m_y->setTitleText(valueName);
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    for (QLineSeries* s : {m_train, m_validation}) {
        chart->addSeries(s);
        s->attachAxis(m_x);
        s->attachAxis(m_y);
    }
    chart->legend()->setAlignment(Qt::AlignBottom);
    setChart(chart);
    clear();
}

void EpochChartWidget::clear()
{
    m_train->clear();
    m_validation->clear();
    m_x->setRange(1, 2);
    m_y->setRange(0, 1);
}

int EpochChartWidget::epochCount() const
{
    return int(m_train->count());
}

void EpochChartWidget::addEpoch(int epoch, double train, double validation)
{
    m_train->append(epoch, train);
    if (std::isfinite(validation))
        m_validation->append(epoch, validation);
    double top = 0;
    for (const QLineSeries* s : {m_train, m_validation})
        for (const QPointF& p : s->points()) top = std::max(top, p.y());
    m_x->setRange(1, std::max(2, epoch));
    m_x->setTickCount(std::min(std::max(2, epoch), 11));
    m_y->setRange(0, top > 0 ? top * 1.1 : 1.0);
}

}  // namespace deepsvm
