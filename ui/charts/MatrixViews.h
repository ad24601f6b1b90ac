#pragma once

#include "metrics/Metrics.h"

#include <QWidget>

#include <string>
#include <vector>

namespace deepsvm {

/// The confusion matrix as a clickable heat map; a click selects a cell and reports it.
class ConfusionMatrixView final : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);
    void setMatrix(const ConfusionMatrix& cm, const std::vector<std::string>& classNames);
    void setNormalised(bool normalised);
    bool isNormalised() const { return m_normalised; }
    /// Where cell (truth, predicted) is drawn, in widget coordinates (for tests and tooltips).
    QPoint cellCentre(int truth, int predicted) const;
    QPoint selectedCell() const { return m_selected; }  ///< x = predicted, y = truth
    void paintPicture(QPainter& painter, const QSizeF& size) const;
    QSize sizeHint() const override { return QSize(520, 480); }

Q_SIGNALS:
    void cellClicked(int truth, int predicted);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    ConfusionMatrix m_cm;
    std::vector<std::string> m_names;
    bool m_normalised = false;
    QPoint m_selected{-1, -1};
};

/// Cross-validation scores of one kernel as a C x gamma heat map; cells fill in as grid points
/// finish and the best one is outlined.
class GridHeatmap final : public QWidget {
    Q_OBJECT
public:
    explicit GridHeatmap(QWidget* parent = nullptr);
    /// Rows are C values, columns gamma values (one "-" column for kernels without gamma).
    void setAxes(const QString& title, const QStringList& rowLabels, const QStringList& columnLabels);
    void setCell(int row, int column, double mean, double std);
    void setBest(int row, int column);
    void clearCells();
    int filledCount() const;
    double cellValue(int row, int column) const;  ///< NaN while pending
    QPoint bestCell() const { return m_best; }
    QRect cellRect(int row, int column) const;
    void paintPicture(QPainter& painter, const QSizeF& size) const;
    QSize sizeHint() const override { return QSize(420, 320); }

Q_SIGNALS:
    void cellClicked(int row, int column);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    struct Geometry { double left, top, cellW, cellH; };
    Geometry geometryFor(const QSizeF& size, const QFontMetrics& fm) const;

    QString m_title;
    QStringList m_rows, m_columns;
    std::vector<double> m_mean, m_std;
    QPoint m_best{-1, -1};  ///< x = column, y = row
    QPoint m_selected{-1, -1};
};

}  // namespace deepsvm
