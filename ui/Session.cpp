#include "Session.h"

#include "data/Dataset.h"
#include "tasks/Task.h"
#include "tasks/TaskRunner.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>
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
    if (settings == m_svmSettings)
        return;
    m_svmSettings = settings;
    Q_EMIT svmSettingsChanged();
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
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("deepsvm-experiment")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("workspace"), m_workspace},
                       {QStringLiteral("dataset"), m_datasetDir},
                       {QStringLiteral("features"), m_featureSettings},
                       {QStringLiteral("train_prefix"), m_trainPrefix},
                       {QStringLiteral("test_prefix"), m_testPrefix},
                       {QStringLiteral("svm"), m_svmSettings},
                       {QStringLiteral("runs"), m_runs},
                       {QStringLiteral("current_run"), m_currentRun.value(QStringLiteral("id")).toString()}};
}

bool Session::fromJson(const QJsonObject& o, QString* error)
{
    if (o.value(QStringLiteral("format")).toString() != QStringLiteral("deepsvm-experiment")) {
        if (error)
            *error = tr("not a DeepSVM Studio experiment (no \"format\": \"deepsvm-experiment\")");
        return false;
    }
    // Everything is read first and applied together; nothing is autosaved half-way.
    const QString dataset = o.value(QStringLiteral("dataset")).toString();
    const QJsonArray runs = o.value(QStringLiteral("runs")).toArray();
    const QString current = o.value(QStringLiteral("current_run")).toString();
    m_loading = true;
    if (o.contains(QStringLiteral("workspace")))
        m_workspace = o.value(QStringLiteral("workspace")).toString();
    QString datasetError;
    if (!dataset.isEmpty() && !openDataset(dataset, &datasetError))
        // The runs are still worth having: load them and say what is missing.
        Q_EMIT message(tr("The experiment's dataset could not be opened (%1); its runs are loaded.").arg(datasetError));
    setFeatureSettings(o.value(QStringLiteral("features")).toObject());
    setSvmSettings(o.value(QStringLiteral("svm")).toObject());
    setFeaturePrefixes(o.value(QStringLiteral("train_prefix")).toString(), o.value(QStringLiteral("test_prefix")).toString());
    m_runs = runs;
    Q_EMIT runsChanged();
    QJsonObject currentRun;
    for (const auto& r : m_runs)
        if (r.toObject().value(QStringLiteral("id")).toString() == current)
            currentRun = r.toObject();
    m_loading = false;
    if (!currentRun.isEmpty())
        setCurrentRun(currentRun);
    if (error && !datasetError.isEmpty())
        *error = datasetError;
    return true;
}

bool Session::save(const QString& path, QString* error) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = tr("%1: cannot write (%2); choose another folder").arg(path, f.errorString());
        return false;
    }
    f.write(QJsonDocument(toJson()).toJson());
    if (!f.commit()) {
        if (error)
            *error = tr("%1: cannot write (%2)").arg(path, f.errorString());
        return false;
    }
    return true;
}

bool Session::load(const QString& path, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("%1: cannot open (%2)").arg(path, f.errorString());
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = tr("%1: not valid JSON (%2 at byte %3)").arg(path, pe.errorString()).arg(pe.offset);
        return false;
    }
    QString why;
    if (!fromJson(doc.object(), &why)) {
        if (error)
            *error = path + QStringLiteral(": ") + why;
        return false;
    }
    return true;
}

}  // namespace deepsvm
