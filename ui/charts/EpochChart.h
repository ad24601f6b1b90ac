#pragma once

#include "charts/ChartWidgets.h"

class QLineSeries;
class QValueAxis;

namespace deepsvm {

/// Per-epoch curves (train and validation) that grow as epochs finish: the Fine-tune page's
/// loss and accuracy charts.
class EpochChartWidget final : public ChartWidget {
    Q_OBJECT
public:
    EpochChartWidget(const QString& title, const QString& valueName, const QString& exportName, QWidget* parent = nullptr);
    void clear();
    void addEpoch(int epoch, double train, double validation);  ///< validation NaN: none
    int epochCount() const;

private:
    QLineSeries* m_train;
    QLineSeries* m_validation;
    QValueAxis* m_x;
    QValueAxis* m_y;
};

}  // namespace deepsvm
