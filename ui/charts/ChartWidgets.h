#pragma once

#include "metrics/Metrics.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QChart;
class QChartView;

namespace deepsvm {

/// A chart view with right-click export. Owns whatever chart it is given.
class ChartWidget : public QWidget {
    Q_OBJECT
public:
    explicit ChartWidget(const QString& exportName, QWidget* parent = nullptr);
    /// Replaces the chart (the old one is deleted).
    void setChart(QChart* chart);
    QChart* chart() const;
    QChartView* view() const { return m_view; }
    /// Writes the chart as PNG/SVG/PDF (from the suffix); used by the menu, the report and tests.
    bool exportTo(const QString& path, const QSize& size, double devicePixelRatio, QString* error) const;

private:
    QChartView* m_view;
};

/// Images per class as a bar chart.
QChart* makeClassBarChart(const QStringList& classNames, const std::vector<long long>& counts, const QString& title);

/// ROC curves whose legend entries toggle their curve when clicked.
class RocChartWidget final : public ChartWidget {
    Q_OBJECT
public:
    explicit RocChartWidget(QWidget* parent = nullptr);
    void setRoc(const RocSet& roc, const std::vector<std::string>& classNames);
    /// No curves, a sentence in their place (e.g. a model without probabilities).
    void showMessage(const QString& text);
    /// Shows or hides one curve by legend position (classes first, then micro, macro, chance).
    void setCurveVisible(int index, bool visible);
    bool isCurveVisible(int index) const;
    int curveCount() const;
};

/// A 2-D scatter of projected features, one colour per class; hovering a point reports its row.
class ScatterChartWidget final : public ChartWidget {
    Q_OBJECT
public:
    explicit ScatterChartWidget(QWidget* parent = nullptr);
    void setPoints(const std::vector<float>& xy, const std::vector<int>& labels, const QStringList& classNames,
                   const QString& title);
    int pointCount() const { return int(m_rowsBySeries.empty() ? 0 : m_total); }

Q_SIGNALS:
    void pointHovered(int row, const QPoint& globalPos);
    void hoverLeft();

private:
    std::vector<std::vector<int>> m_rowsBySeries;
    std::vector<std::vector<QPointF>> m_pointsBySeries;
    int m_total = 0;
};

}  // namespace deepsvm
