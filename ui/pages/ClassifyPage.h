#pragma once

#include "pipeline/Classifier.h"

#include <QImage>
#include <QMetaType>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <mutex>

class QLabel;
class QListWidget;
class QPushButton;

namespace deepsvm {

class SvmGradCam;
class Session;
class Task;

/// One classified file, as the classification task hands it to the page.
struct ClassifiedImage {
    QString path;
    Classifier::Result result;
    QImage thumbnail;  ///< empty if the file could not be read
};

/// Classify new photos: drop files or folders anywhere on the window, paste, or Open. Each
/// image gets its thumbnail, the top-5 classes with probability bars, and a warning when it
/// looks unlike the training data; other files get a clear message and nothing else.
class ClassifyPage final : public QWidget {
    Q_OBJECT
public:
    explicit ClassifyPage(Session* session, QWidget* parent = nullptr);

    /// Files and folders (searched recursively) to classify with the current model, as a task:
    /// non-image files are reported as refused, images get their top-5 (at most 5,000 a drop).
    Task* classifyPaths(const QStringList& paths);
    /// Uses this model folder instead of the current run's.
    void setModelDir(const QString& dir);
    QString modelDir() const;

    QListWidget* results() const { return m_results; }
    /// Results so far: accepted images classified, files rejected.
    int classifiedCount() const { return m_classified; }
    int rejectedCount() const { return m_rejected; }
    /// Grad-CAM overlays shown so far (for tests).
    int gradCamCount() const { return m_gradCams; }

Q_SIGNALS:
    void gradCamShown(const QString& path);

    void classificationFinished();

private:
    void addRejected(const QString& path, const QString& reason);
    void addResult(const ClassifiedImage& image);
    void paste();

    Session* m_session;
    QString m_modelDir;  ///< explicit choice; empty: the current run's folder
    QLabel* m_model;
    QLabel* m_dropZone;
    QListWidget* m_results;
    int m_classified = 0;
    int m_rejected = 0;
    int m_gradCams = 0;
    /// The loaded network + SVM, reused across drops (loading ResNet-50 takes seconds).
    struct Cache {
        std::mutex mutex;
        QString dir;
        std::shared_ptr<Classifier> classifier;
        std::shared_ptr<SvmGradCam> gradCam;
        QString gradCamDir;
    };
    /// Overlays (or removes) the Grad-CAM map of the top class on a result's thumbnail.
    void toggleGradCam(const QString& path, QLabel* thumbnail, const QPixmap& original, bool on);
    std::shared_ptr<Cache> m_cache;
};

}  // namespace deepsvm

Q_DECLARE_METATYPE(deepsvm::ClassifiedImage)
