#pragma once

#include "pipeline/BackboneBoard.h"

#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace deepsvm {

class Session;
class Task;

/// The Backbones board: the user ticks networks (and layers), and for each the training split
/// is extracted (cached in the workspace's feature folder, where the Features page finds it),
/// the SVM cross-validated on a small grid (linear and rbf, C 0.1 / 1 / 10), and the table and
/// chart show CV accuracy with its spread, extraction speed, feature size and the weights'
/// ImageNet top-1. "Use on the SVM page" takes the best (or the selected) row's settings to
/// the Features page and extracts what the SVM page needs.
class BackbonesPage final : public QWidget {
    Q_OBJECT
public:
    explicit BackbonesPage(Session* session, QWidget* parent = nullptr);

    /// Ticks exactly these backbones (torchvision names); unknown names are ignored.
    void setChecked(const QStringList& backbones);
    /// Starts the board on the open dataset with the ticked backbones; nullptr (with the reason
    /// shown) if it cannot start.
    Task* start();
    const std::vector<BoardRow>& rows() const { return m_rows; }
    QLabel* status() const { return m_status; }
    QSpinBox* limit() const { return m_limit; }
    QComboBox* precision() const { return m_precision; }
    /// The feature settings of row `row` (-1: the best) as FeaturesPage::applySettings takes them.
    QJsonObject featureSettings(int row = -1) const;

Q_SIGNALS:
    /// The user chose a row for the SVM page: apply these feature settings and extract.
    void useRequested(const QJsonObject& featureSettings);
    void boardFinished(bool ok);

private:
    void refreshWeights();
    void addRow(const BoardRow& row);
    void refreshBest();
    void finished(bool ok, const QString& why);

    Session* m_session;
    QListWidget* m_backbones;
    QCheckBox* m_penultimate;
    QCheckBox* m_logits;
    QComboBox* m_precision;
    QSpinBox* m_folds;
    QSpinBox* m_limit;
    QSpinBox* m_size;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QPushButton* m_use;
    QLabel* m_status;
    QTableWidget* m_table;
    class BoardChartView* m_chart;
    QPointer<Task> m_running;
    BoardOptions m_options;
    std::vector<BoardRow> m_rows;
};

}  // namespace deepsvm
