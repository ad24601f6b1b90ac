#pragma once

#include "pipeline/Classifier.h"

#include <QMetaType>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <mutex>
#include <vector>

class QAction;
class QLabel;
class QListView;
class QPushButton;

namespace deepsvm {

class ClassifiedModel;
class SvmGradCam;
class Session;
class Task;

/// What the classification task hands the page after each batch: one result per file, in
/// the order given (a refused file has its error set).
struct ClassifiedBatch {
    std::vector<Classifier::Result> results;
};

/// Classify new photos: drop files or folders anywhere on the window, paste, or Open. Each
/// image gets its thumbnail, the top-5 classes with probability bars, and a warning when it
/// looks unlike the training data; other files get a clear message and nothing else. The
/// list is a model and a delegate (no widget per image), so a drop of 100,000 files fits;
/// Export CSV writes what `deepsvm classify --csv` writes.
class ClassifyPage final : public QWidget {
    Q_OBJECT
public:
    explicit ClassifyPage(Session* session, QWidget* parent = nullptr);

    /// Files and folders (searched recursively) to classify with the current model, as a task:
    /// non-image files are reported as refused, images get their top-5.
    Task* classifyPaths(const QStringList& paths);
    /// Uses this model folder instead of the current run's.
    void setModelDir(const QString& dir);
    QString modelDir() const;

    QListView* results() const { return m_results; }
    ClassifiedModel* model() const { return m_model; }
    /// Results so far: accepted images classified, files rejected.
    int classifiedCount() const;
    int rejectedCount() const;
    /// Shows or hides the Grad-CAM overlay of a classified row (as its menu and G do).
    void toggleGradCam(int row);
    /// The training images nearest to a classified row (as its menu and S do).
    void showSimilar(int row);
    /// Writes the classified rows as `deepsvm classify --csv` does; false with the reason shown.
    bool exportCsv(const QString& file);
    /// Grad-CAM overlays shown so far (for tests).
    int gradCamCount() const { return m_gradCams; }
    QLabel* summary() const { return m_summary; }

Q_SIGNALS:
    void gradCamShown(const QString& path);
    void classificationFinished();

private:
    void buildActions();
    void addBatch(const ClassifiedBatch& batch);
    void addRejected(const QString& path, const QString& reason);
    void updateSummary();
    void paste();
    int currentClassifiedRow() const;

    Session* m_session;
    QString m_modelDir;  ///< explicit choice; empty: the current run's folder
    QLabel* m_modelLabel;
    QLabel* m_dropZone;
    QLabel* m_summary;
    QListView* m_results;
    ClassifiedModel* m_model;
    QPushButton* m_gradCamButton = nullptr;
    QPushButton* m_similarButton = nullptr;
    QPushButton* m_exportButton = nullptr;
    QAction* m_gradCamAction = nullptr;
    QAction* m_similarAction = nullptr;
    int m_gradCams = 0;
    /// The loaded network + SVM, reused across drops (loading ResNet-50 takes seconds).
    struct Cache {
        std::mutex mutex;
        QString dir;
        std::shared_ptr<Classifier> classifier;
        std::shared_ptr<SvmGradCam> gradCam;
        QString gradCamDir;
    };
    /// The classifier of model folder `dir`, loaded once (any thread).
    static std::shared_ptr<Classifier> classifierFor(Cache& cache, const QString& dir);
    std::shared_ptr<Cache> m_cache;
};

}  // namespace deepsvm

Q_DECLARE_METATYPE(deepsvm::ClassifiedBatch)
