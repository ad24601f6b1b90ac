#include "charts/SweepChart.h"

#include "render/Palette.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QLegend>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace deepsvm {

QChart* makeSweepChart(const std::vector<SweepBar>& bars, bool compact)
{
    auto* chart = new QChart;
    chart->setTitle(QObject::tr("Fine-tuning one layer at a time: final epoch"));
    auto* trainLoss = new QBarSet(QObject::tr("train loss"));
    auto* valLoss = new QBarSet(compact ? QObject::tr("val loss") : QObject::tr("validation loss"));
    auto* valAcc = new QBarSet(compact ? QObject::tr("val acc") : QObject::tr("validation accuracy"));
    QStringList layers;
    double top = 1.0;
    for (const SweepBar& b : bars) {
        layers << b.layer;
        *trainLoss << b.trainLoss;
        *valLoss << (std::isfinite(b.validationLoss) ? b.validationLoss : 0.0);
        *valAcc << (std::isfinite(b.validationAccuracy) ? b.validationAccuracy : 0.0);
        top = std::max({top, b.trainLoss, std::isfinite(b.validationLoss) ? b.validationLoss : 0.0});
    }
    trainLoss->setColor(classColour(0));
    valLoss->setColor(classColour(1));
    valAcc->setColor(classColour(2));
    auto* series = new QBarSeries;
    series->append({trainLoss, valLoss, valAcc});
    series->setLabelsVisible(!compact);
    series->setLabelsFormat(QStringLiteral("@value"));
    series->setLabelsPrecision(3);
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(layers);
    x->setTruncateLabels(false);
    if (compact) {
        x->setLabelsAngle(-30);
        chart->setTitle(QObject::tr("Final epoch per tuned layer"));
    }
    auto* y = new QValueAxis;
    y->setRange(0, top * 1.1);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}

}  // namespace deepsvm
