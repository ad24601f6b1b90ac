#include "Session.h"

#include "data/Dataset.h"
#include "io/AtomicFile.h"
#include "project/Experiment.h"
#include "tasks/Task.h"
#include "tasks/TaskRunner.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QThread>

#include <algorithm>

namespace deepsvm {

Session::Session(QObject* parent)
    : QObject(parent),
      // Two tasks at a time (each uses every core itself): e.g. an extraction and a projection.
      m_runner(new TaskRunner(2, this))
{
    m_workspace = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/workspace");
}

Session::~Session()
{
    m_runner->cancelAllAndWait(-1);
}

Task* Session::start(std::unique_ptr<Task> task)
{
    return m_runner->start(std::move(task));
}

void Session::setWorkspace(const QString& dir)
{
    m_workspace = dir;
}

bool Session::openDataset(const QString& dir, QString* error)
{
    try {
        setDataset(dir, deepsvm::openDataset(QDir::toNativeSeparators(dir).toStdString()));
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

void Session::setDataset(const QString& dir, std::shared_ptr<const Dataset> dataset)
{
    m_dataset = std::move(dataset);
    m_datasetDir = dir;
    m_trainPrefix.clear();
    m_testPrefix.clear();
    Q_EMIT datasetChanged();
    Q_EMIT featuresChanged();
}

QStringList Session::classNames() const
{
    QStringList names;
    if (m_dataset)
        for (const auto& n : m_dataset->classNames())
            names << QString::fromStdString(n);
    return names;
}

void Session::setFeatureSettings(const QJsonObject& settings)
{
    if (settings == m_featureSettings)
        return;
    m_featureSettings = settings;
    Q_EMIT featureSettingsChanged();
}

void Session::setFeaturePrefixes(const QString& train, const QString& test)
{
    m_trainPrefix = train;
    m_testPrefix = test;
    Q_EMIT featuresChanged();
}

bool Session::untrainedWeights() const
{
    const QString w = m_featureSettings.value(QStringLiteral("weights")).toString(QStringLiteral("random"));
    return w.isEmpty() || w == QStringLiteral("random");
}

void Session::setSvmSettings(const QJsonObject& settings)
{
    m_svmSettings = settings;
}

void Session::addRun(const QJsonObject& run)
{
    m_runs.append(run);
    Q_EMIT runsChanged();
}

void Session::setCurrentRun(const QJsonObject& run)
{
    m_currentRun = run;
    Q_EMIT currentRunChanged();
}

QString Session::newRunDir() const
{
    const QString base = m_workspace + QStringLiteral("/runs/run-")
                         + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString dir = base;
    for (int n = 2; QFileInfo::exists(dir); ++n)
        dir = base + QStringLiteral("-%1").arg(n);
    return dir;
}

QJsonObject Session::toJson() const
{
    Experiment e;
    e.hasWorkspace = true;
    e.workspace = m_workspace;
    e.dataset = m_datasetDir;
    e.features = m_featureSettings;
    e.trainPrefix = m_trainPrefix;
    e.testPrefix = m_testPrefix;
    e.svm = m_svmSettings;
    e.runs = m_runs;
    e.currentRun = m_currentRun.value(QStringLiteral("id")).toString();
    return experimentJson(e);
}

bool Session::fromJson(const QJsonObject& o, QString* error)
{
    const std::optional<Experiment> e = parseExperiment(QJsonDocument(o).toJson(QJsonDocument::Compact), error);
    if (!e)
        return false;
    apply(*e, error);
    return true;
}

void Session::apply(const Experiment& e, QString* error)
{
    // Everything was read and checked first and is applied together; nothing is autosaved half-way.
    m_loading = true;
    if (e.hasWorkspace)
        m_workspace = e.workspace;
    QString datasetError;
    if (!e.dataset.isEmpty() && !openDataset(e.dataset, &datasetError))
        // The runs are still worth having: load them and say what is missing.
        Q_EMIT message(tr("The experiment's dataset could not be opened (%1); its runs are loaded.").arg(datasetError));
    setFeatureSettings(e.features);
    setSvmSettings(e.svm);
    setFeaturePrefixes(e.trainPrefix, e.testPrefix);
    m_runs = e.runs;
    Q_EMIT runsChanged();
    QJsonObject currentRun;
    for (const auto& r : m_runs)
        if (r.toObject().value(QStringLiteral("id")).toString() == e.currentRun)
            currentRun = r.toObject();
    m_loading = false;
    if (!currentRun.isEmpty())
        setCurrentRun(currentRun);
    if (error && !datasetError.isEmpty())
        *error = datasetError;
}

bool Session::save(const QString& path, QString* error) const
{
    const QByteArray bytes = QJsonDocument(toJson()).toJson();
    return writeAtomically(path, [&](QIODevice* device) { return device->write(bytes) == bytes.size(); }, error);
}

bool Session::load(const QString& path, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("%1: cannot open (%2)").arg(path, f.errorString());
        return false;
    }
    QString why;
    const std::optional<Experiment> e = parseExperiment(f.readAll(), &why);
    if (!e) {
        if (error)
            *error = path + QStringLiteral(": ") + why;
        return false;
    }
    apply(*e, error);
    return true;
}

}  // namespace deepsvm
