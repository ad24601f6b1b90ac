#pragma once

#include "models/ImageLookup.h"
#include "models/RunData.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QDialog;
class QLabel;
class QListView;
class QTableWidget;

namespace deepsvm {

class ConfusionMatrixView;
class Dataset;
class ImageLookup;
class RocChartWidget;
class Session;
class ThumbnailModel;

/// The current run's results on its test split or, switchable, the best point's out-of-fold
/// predictions of the training rows: summary, a warning when test images nearly duplicate
/// training images, per-class table, confusion matrix with a gallery
/// of the images in a clicked cell, one-vs-rest 2x2 matrices, ROC curves.
class EvaluationPage final : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationPage(Session* session, QWidget* parent = nullptr);
    ~EvaluationPage() override;

    /// Shows the cell's test images (true class `truth`, predicted `predicted`).
    void showCell(int truth, int predicted);
    const RunData& data() const { return m_data; }
    ConfusionMatrixView* confusionView() const { return m_confusion; }
    RocChartWidget* rocChart() const { return m_roc; }
    ThumbnailModel* gallery() const { return m_galleryModel; }
    QTableWidget* classTable() const { return m_classes; }
    QTableWidget* ovrTable() const { return m_ovr; }
    QLabel* summary() const { return m_summary; }
    QComboBox* evaluatedChoice() const { return m_evaluated; }
    QLabel* leakWarning() const { return m_leak; }
    /// Opens the dialog of near-duplicate test/training pairs (modal; pairsDialog() while open).
    void showNearDuplicates();
    QDialog* pairsDialog() const { return m_pairsDialog; }

private:
    void showRun();
    void clearResults(const QString& why);
    void showSummary(const QJsonObject& run);
    void showLeakWarning();
    void fillTables();
    /// The image `id` of the open dataset, in `preferredSplit` or any other split.
    ImageLookup::Found findImage(const std::string& preferredSplit, const std::string& id);

    Session* m_session;
    RunData m_data;
    QLabel* m_summary;
    QComboBox* m_evaluated;
    QLabel* m_leak;
    QDialog* m_pairsDialog = nullptr;
    ConfusionMatrixView* m_confusion;
    QCheckBox* m_normalised;
    QLabel* m_galleryLabel;
    QListView* m_galleryView;
    ThumbnailModel* m_galleryModel;
    RocChartWidget* m_roc;
    QTableWidget* m_classes;
    QTableWidget* m_ovr;
    std::unique_ptr<ImageLookup> m_lookup;
    std::shared_ptr<const Dataset> m_lookupDataset;
};

}  // namespace deepsvm
