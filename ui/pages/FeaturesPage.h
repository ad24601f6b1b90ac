#pragma once

#include <QJsonObject>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLayout;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace deepsvm {

class ImageLookup;
class ScatterChartWidget;
class Session;
class Task;
struct ExtractOptions;

/// Network and preprocessing settings, extraction with live throughput, the cached feature
/// sets, and a 2-D projection of the features coloured by class.
class FeaturesPage final : public QWidget {
    Q_OBJECT
public:
    explicit FeaturesPage(Session* session, QWidget* parent = nullptr);
    ~FeaturesPage() override;

    /// The settings as the form shows them (the experiment's "features" object).
    QJsonObject settings() const;
    void applySettings(const QJsonObject& settings);
    /// Uses this weights file (empty: random weights).
    void setWeightsFile(const QString& file);
    /// If no weights file is set, takes torchvision's file for the backbone when one is on the disk.
    bool adoptFoundWeights();
    /// Starts extracting the checked splits; returns the task (nullptr if nothing to do).
    Task* startExtraction();
    /// Projects the chosen feature set ("pca" or "tsne"); returns the task.
    Task* startProjection(const QString& method);

    QPushButton* extractButton() const { return m_extract; }
    ScatterChartWidget* scatter() const { return m_scatter; }
    QTreeWidget* cacheList() const { return m_cache; }
    /// The line under the Extract button: progress, result, or why it failed.
    QLabel* statusLabel() const { return m_status; }
    QString featureFolder() const;

Q_SIGNALS:
    void extractionFinished(bool ok);
    void projectionFinished(bool ok);

private:
    // The constructor's steps, in the order it runs them (widgets are created in this order).
    QLayout* buildNetworkControls();  ///< backbone, weights row with Find / Browse (connected here), weights info
    void buildPreprocessingControls();  ///< layer, input size, normalisation, precision, batch size, limit
    void buildExtractionControls();     ///< split checkboxes, Extract / Cancel, status line
    QWidget* buildSettingsBox(QLayout* weightsRow);  ///< the "Network and preprocessing" group
    QWidget* buildCacheBox();
    QWidget* buildProjectionBox();
    void arrangePage(QWidget* settingsBox, QWidget* cacheBox, QWidget* projectionBox);
    void buildHoverPopup();
    void connectSignals();

    // startExtraction's steps.
    /// Checks a dataset is open and nothing runs, fills o from the form; false (status set) if not.
    bool prepareExtraction(ExtractOptions& o);
    void connectExtractionTask(Task* task, const QString& datasetAtStart);
    void finishExtraction(const QVariant& result, const QString& datasetAtStart);

    void refreshCache();
    void refreshWeightsInfo();
    void datasetChanged();
    void showHover(int row, const QPoint& globalPos);

    Session* m_session;
    QComboBox* m_backbone;
    QLineEdit* m_weights;
    QLabel* m_weightsInfo;
    QComboBox* m_layer;
    QSpinBox* m_size;
    QSpinBox* m_resize;
    QComboBox* m_normalization;
    QComboBox* m_precision;
    QSpinBox* m_batch;
    QSpinBox* m_limit;
    QCheckBox* m_train;
    QCheckBox* m_test;
    QCheckBox* m_unlabeled;
    QPushButton* m_extract;
    QPushButton* m_cancel;
    QLabel* m_status;
    QTreeWidget* m_cache;
    QComboBox* m_projectionSet;
    QComboBox* m_projectionMethod;
    QPushButton* m_project;
    ScatterChartWidget* m_scatter;
    QLabel* m_hoverPopup;
    Task* m_running = nullptr;
    QString m_projectedPrefix;
    std::vector<std::string> m_projectedIds;
    std::unique_ptr<ImageLookup> m_lookup;
    int m_hoverRow = -1;
};


}  // namespace deepsvm
