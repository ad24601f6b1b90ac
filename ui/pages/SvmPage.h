#pragma once

#include <QJsonObject>
#include <QWidget>

#include <map>
#include <tuple>
#include <vector>

class QCheckBox;
class QHBoxLayout;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace deepsvm {

class GridHeatmap;
class Session;
class Task;
struct SvmOptions;
struct SvmParams;

/// The grid-search editor, live C x gamma heat maps per kernel, the table of every point, and
/// "Train final model" for the best or any chosen cell.
class SvmPage final : public QWidget {
    Q_OBJECT
public:
    explicit SvmPage(Session* session, QWidget* parent = nullptr);

    QJsonObject settings() const;
    void applySettings(const QJsonObject& settings);
    /// Starts the grid search (then the refit with the best point and the test evaluation).
    Task* startSearch();
    /// Fits one chosen point on all training rows, without cross-validation, and evaluates it.
    Task* trainChosen();
    /// Chooses the grid point shown at (row, column) of the current kernel's heat map.
    void chooseCell(int row, int column);

    QLineEdit* cEdit() const { return m_C; }
    QLineEdit* gammaEdit() const { return m_gamma; }
    QSpinBox* foldsBox() const { return m_folds; }
    QComboBox* solverBox() const { return m_solver; }
    QLabel* solverPlan() const { return m_solverPlan; }
    QTabWidget* heatmapTabs() const { return m_heatmaps; }
    GridHeatmap* heatmap(int tab) const;
    QTableWidget* table() const { return m_table; }
    QPushButton* startButton() const { return m_start; }
    QPushButton* trainButton() const { return m_train; }
    QCheckBox* kernelBox(const QString& name) const { const auto it = m_kernels.find(name); return it == m_kernels.end() ? nullptr : it->second; }

Q_SIGNALS:
    void runFinished(const QJsonObject& run);
    void runFailed(const QString& message);

private:
    /// The rows buildEditors() makes for arrangePage() (parentless until the boxes adopt them).
    struct EditorRows {
        QHBoxLayout* kernels;  ///< a check box per kernel
        QHBoxLayout* kfold;    ///< K-fold and its count
        QHBoxLayout* holdout;  ///< hold-out and its share
    };
    // The constructor's steps, in order.
    EditorRows buildEditors();           ///< the grid and validation editors
    QHBoxLayout* buildButtons();         ///< start, cancel, train and the status line
    void arrangePage(const EditorRows& rows, QHBoxLayout* buttons);  ///< boxes, heat maps, table, splitters
    void connectSignals();

    bool buildOptions(SvmOptions* options, QString* error) const;
    void setUpGrid(const SvmOptions& options);
    void addPoint(const QJsonObject& point);
    Task* launch(const SvmOptions& options, const QString& kind);
    void updateCvChoices();
    /// Shows the solver choice and its estimate for the current grid and training features.
    void updateSolverPlan();
    /// Where a point is drawn: heat-map tab (-1 if none) and cell (x = gamma column, y = C row).
    int tabIndexOf(const SvmParams& p) const;
    QPoint cellOf(const SvmParams& p) const;
    void setRunning(bool running);

    Session* m_session;
    std::map<QString, QCheckBox*> m_kernels;
    QLineEdit* m_C;
    QLineEdit* m_gamma;
    QLineEdit* m_degree;
    QLineEdit* m_coef0;
    QRadioButton* m_kfold;
    QRadioButton* m_stlFolds;
    QRadioButton* m_holdout;
    QSpinBox* m_folds;
    QDoubleSpinBox* m_holdoutFraction;
    QComboBox* m_metric;
    QCheckBox* m_scale;
    QCheckBox* m_probability;
    QSpinBox* m_seed;
    QComboBox* m_solver;
    QSpinBox* m_landmarks;
    QLabel* m_solverPlan;  ///< what auto (or the chosen solver) will do here and how long it should take
    QString m_labelsOf;    ///< the training prefix m_trainLabels / m_trainDims were read from
    std::vector<int> m_trainLabels;
    int64_t m_trainDims = 0;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QPushButton* m_train;
    QLabel* m_status;
    QTabWidget* m_heatmaps;
    QTableWidget* m_table;
    Task* m_running = nullptr;
    /// (kernel, degree, coef0) -> heat-map tab; C and gamma -> row and column.
    std::map<std::tuple<QString, int, double>, int> m_tabOf;
    std::vector<double> m_cValues;
    std::vector<std::string> m_gammaValues;
    std::vector<QJsonObject> m_points;   ///< finished points, by grid index
    QJsonObject m_chosen;                ///< params chosen for "Train final model" (empty: best)
};

}  // namespace deepsvm
