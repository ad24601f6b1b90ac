#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

class Dataset;
struct Experiment;
class Task;
class TaskRunner;

/// What the pages share: the open dataset, the feature sets, the runs, and the runner that
/// does all long work. Pages read it and react to its signals; they never reach into one
/// another. Everything here lives on the GUI thread.
class Session final : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    TaskRunner* runner() const { return m_runner; }
    /// Starts a task whose signals the caller has already connected (so none is missed).
    Task* start(std::unique_ptr<Task> task);

    /// Where feature sets and runs are written (default: the app's data folder).
    QString workspace() const { return m_workspace; }
    void setWorkspace(const QString& dir);

    /// Opens a dataset folder; returns false and sets *error (naming the folder) if it cannot.
    bool openDataset(const QString& dir, QString* error);
    /// Installs a dataset opened elsewhere (e.g. on a worker thread).
    void setDataset(const QString& dir, std::shared_ptr<const Dataset> dataset);
    std::shared_ptr<const Dataset> dataset() const { return m_dataset; }
    QString datasetDir() const { return m_datasetDir; }
    QStringList classNames() const;

    /// The extraction settings and where the train / test features are (prefixes).
    QJsonObject featureSettings() const { return m_featureSettings; }
    void setFeatureSettings(const QJsonObject& settings);
    QString trainPrefix() const { return m_trainPrefix; }
    QString testPrefix() const { return m_testPrefix; }
    /// Given the features of a dataset without a test split (`test` empty), the test rows are a
    /// stratified hold-out of testFraction() of `train` (seeded, cached beside it: see
    /// cachedHoldOut), so the Evaluation page has test rows for a plain class folder too.
    void setFeaturePrefixes(const QString& train, const QString& test);
    /// The hold-out share and seed for datasets without a test split (saved in the experiment).
    double testFraction() const { return m_testFraction; }
    quint64 splitSeed() const { return m_splitSeed; }
    void setHoldOut(double testFraction, quint64 seed);
    /// "No test split: 24 training / 6 held-out images (20%, seed 0)"; empty when not held out.
    QString holdOutSummary() const { return m_holdOutSummary; }
    /// True when the open dataset has no test split of its own.
    bool datasetNeedsHoldOut() const;
    /// The labels_override.csv of the open dataset, used where its files cannot be moved
    /// (STL-10's binaries, a CSV list): in the workspace beside the experiment, under
    /// labels/<dataset folder>-<hash of its path>/. The SVM page passes it to every run
    /// while it exists. Empty without a dataset.
    QString labelsOverridePath() const;
    /// True when the open dataset's labels are changed by moving files (a class folder).
    bool datasetRelabelsByMoving() const;
    /// True when the features come from a network without trained weights.
    bool untrainedWeights() const;

    /// The grid-search settings as the SVM page edits them.
    QJsonObject svmSettings() const { return m_svmSettings; }
    void setSvmSettings(const QJsonObject& settings);

    /// Every finished run: {id, dir, kind, started, settings, timings, best, test summary}.
    QJsonArray runs() const { return m_runs; }
    void addRun(const QJsonObject& run);
    /// The run the Evaluation page shows.
    QJsonObject currentRun() const { return m_currentRun; }
    void setCurrentRun(const QJsonObject& run);
    /// A fresh folder under the workspace for a new run.
    QString newRunDir() const;

    /// Experiment files: settings and run records as JSON.
    QJsonObject toJson() const;
    bool fromJson(const QJsonObject& o, QString* error);
    bool save(const QString& path, QString* error) const;
    bool load(const QString& path, QString* error);
    /// True while an experiment is being applied (listeners should not autosave then).
    bool isLoading() const { return m_loading; }

Q_SIGNALS:
    void datasetChanged();
    void featuresChanged();
    void holdOutChanged();
    void featureSettingsChanged();
    void runsChanged();
    void currentRunChanged();
    void message(const QString& text);

private:
    void apply(const Experiment& e, QString* error);

    TaskRunner* m_runner;
    QString m_workspace;
    QString m_datasetDir;
    std::shared_ptr<const Dataset> m_dataset;
    QJsonObject m_featureSettings;
    QString m_trainPrefix, m_testPrefix;
    QString m_holdOutSource;  ///< the features the hold-out was taken from
    QString m_holdOutSummary;
    double m_testFraction = 0.2;
    quint64 m_splitSeed = 0;
    QJsonObject m_svmSettings;
    QJsonArray m_runs;
    QJsonObject m_currentRun;
    bool m_loading = false;
};

}  // namespace deepsvm
