#pragma once

#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QDoubleSpinBox;
class QLabel;
class QListView;
class QPushButton;

namespace deepsvm {

class ChartWidget;
class Session;
class ThumbnailModel;

/// Open STL-10, an image folder or the demo set; browse a split as thumbnails, filtered by
/// fold and class; see one image larger and the images per class.
class DataPage final : public QWidget {
    Q_OBJECT
public:
    explicit DataPage(Session* session, QWidget* parent = nullptr);

    /// Opens a dataset folder, reporting problems in a message box (or on the status line).
    /// STL-10 opens at once; an image folder is listed by a task (true means it started).
    bool openFolder(const QString& dir);
    /// The line above the thumbnails: what is open, or why a folder could not be.
    QLabel* summaryLabel() const { return m_summary; }
    QDoubleSpinBox* holdOutShare() const { return m_holdOut; }
    QLabel* holdOutLabel() const { return m_holdOutText; }
    /// Writes a demo set to `dir` as a task and opens it when done.
    void makeDemoSet(const QString& dir, int trainPerClass, int testPerClass, int unlabeled);

    ThumbnailModel* thumbnails() const { return m_model; }
    QComboBox* splitBox() const { return m_split; }
    QComboBox* classBox() const { return m_classFilter; }
    QComboBox* foldBox() const { return m_fold; }
    QListView* grid() const { return m_grid; }

Q_SIGNALS:
    void demoSetReady(const QString& dir);

private:
    // The constructor's steps.
    QHBoxLayout* buildToolbar();
    void buildGrid();
    void buildPreview();
    void buildHoldOutRow();
    void arrangePage(QHBoxLayout* bar);
    void chooseFolder(const QString& title);
    void askDemoSet();
    void datasetChanged();
    void refreshList();
    void showImage(const QModelIndex& index);
    void refreshHoldOut();

    Session* m_session;
    QComboBox* m_split;
    QComboBox* m_fold;
    QComboBox* m_classFilter;
    QListView* m_grid;
    ThumbnailModel* m_model;
    QLabel* m_preview;
    QLabel* m_previewText;
    QLabel* m_summary;
    QWidget* m_holdOutRow;
    QDoubleSpinBox* m_holdOut;
    QLabel* m_holdOutText;
    ChartWidget* m_classChart;
};

}  // namespace deepsvm
