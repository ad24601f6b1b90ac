#pragma once

#include "charts/SweepChart.h"
#include "pipeline/LayerSweep.h"

#include <QJsonObject>
#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace deepsvm {

class ChartWidget;
class EpochChartWidget;
class Session;
class Task;
struct FineTuneOptions;


/// Fine-tune chosen layers: the module tree with checkboxes and parameter counts, presets,
/// hyper-parameters, Start / Cancel / Resume, live loss and accuracy charts, the layer sweep
/// with its table and bar chart, and the tuned weights for the SVM pipeline or PyTorch.
class FineTunePage final : public QWidget {
    Q_OBJECT
public:
    explicit FineTunePage(Session* session, QWidget* parent = nullptr);

    /// Checks exactly these modules in the tree (the head is always trained).
    void setSelection(const std::vector<std::string>& modules);
    std::vector<std::string> selection() const;
    void applyPreset(const QString& preset);
    /// Starts fine-tuning the checked modules (resume: continue the last run's folder).
    Task* start(bool resume = false);
    /// Fine-tunes each candidate in turn with the same settings and tabulates them.
    void startSweep(const QStringList& candidates);

    QTreeWidget* moduleTreeWidget() const { return m_tree; }
    QComboBox* backboneBox() const { return m_backbone; }
    EpochChartWidget* lossChart() const { return m_loss; }
    EpochChartWidget* accuracyChart() const { return m_accuracy; }
    QTableWidget* sweepTable() const { return m_sweepTable; }
    QSpinBox* epochsBox() const { return m_epochs; }
    QSpinBox* sizeBox() const { return m_size; }
    QString lastWeights() const { return m_lastWeights; }

Q_SIGNALS:
    void runFinished(bool ok);
    void sweepFinished(bool ok);
    void treeReady();
    /// "Use for features": the feature settings with the tuned weights, for the Features page.
    void featureSettingsProposed(const QJsonObject& settings);

private:
    // The constructor's steps, in the order it runs them (widgets are created in this order).
    void buildSelectionControls();  ///< backbone, preset, module tree, selection summary
    void buildTrainingControls();   ///< optimiser and the other hyper-parameters
    void buildRunControls();        ///< Start / Resume / Cancel, weight buttons, status line
    QWidget* buildModulePanel();    ///< the tree and its summary
    QWidget* buildSettingsBox();    ///< the "Training" group: form, buttons, status
    QWidget* buildChartsAndSweepBox();  ///< creates the loss and accuracy charts; returns the sweep group
    void arrangePage(QWidget* left, QWidget* settings, QWidget* sweepBox);
    void connectSelectionSignals();
    void connectButtonSignals();

    void rebuildTree();
    FineTuneOptions options() const;
    void runNextSweepCandidate();
    void setRunning(bool running);

    Session* m_session;
    QComboBox* m_backbone;
    QComboBox* m_preset;
    QTreeWidget* m_tree;
    QLabel* m_selectionSummary;
    QComboBox* m_optimizer;
    QDoubleSpinBox* m_lr;
    QDoubleSpinBox* m_decay;
    QComboBox* m_schedule;
    QSpinBox* m_epochs;
    QSpinBox* m_batch;
    QSpinBox* m_size;
    QCheckBox* m_augment;
    QComboBox* m_precision;
    QDoubleSpinBox* m_valFraction;
    QSpinBox* m_patience;
    QSpinBox* m_limit;
    QPushButton* m_start;
    QPushButton* m_resume;
    QPushButton* m_cancel;
    QPushButton* m_useWeights;
    QPushButton* m_saveWeights;
    QLabel* m_status;
    EpochChartWidget* m_loss;
    EpochChartWidget* m_accuracy;
    QLineEdit* m_candidates;
    QPushButton* m_sweep;
    QTableWidget* m_sweepTable;
    ChartWidget* m_sweepChart;
    Task* m_running = nullptr;
    QString m_lastOut;
    QString m_lastWeights;
    QStringList m_sweepQueue;
    QString m_sweepDir;
    std::vector<SweepBar> m_sweepBars;
    LayerSweep m_layerSweep;  ///< the rows of sweep.csv and sweep.json
};

}  // namespace deepsvm
