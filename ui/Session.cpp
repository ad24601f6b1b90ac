#include "Session.h"

#include "pipeline/Study.h"

#include "data/Dataset.h"
#include "io/AtomicFile.h"
#include "io/Digest.h"
#include "project/Experiment.h"
#include "tasks/Task.h"
#include "tasks/TaskRunner.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
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

bool Session::datasetNeedsHoldOut() const
{
    if (!m_dataset)
        return false;
    const auto splits = m_dataset->splits();
    return std::find(splits.begin(), splits.end(), "test") == splits.end();
}

void Session::setFeaturePrefixes(const QString& trainIn, const QString& testIn)
{
    const QString train = trainIn, test = testIn;  // copies: the arguments may be our own members
    m_trainPrefix = train;
    m_testPrefix = test;
    m_holdOutSource.clear();
    m_holdOutSummary.clear();
    if (test.isEmpty() && !train.isEmpty() && datasetNeedsHoldOut()) {
        try {
            const StudySplits s = cachedHoldOut(train.toStdString(), m_testFraction, m_splitSeed);
            m_holdOutSource = train;
            m_trainPrefix = QString::fromStdString(s.trainPrefix);
            m_testPrefix = QString::fromStdString(s.testPrefix);
            m_holdOutSummary = tr("No test split: %1 training / %2 held-out images (%3% of each class, seed %4)")
                                   .arg(s.trainRows)
                                   .arg(s.testRows)
                                   .arg(m_testFraction * 100, 0, 'g', 3)
                                   .arg(m_splitSeed);
        } catch (const std::exception& e) {
            Q_EMIT message(tr("No test split could be held out of %1: %2").arg(QDir::toNativeSeparators(train), QString::fromUtf8(e.what())));
        }
    }
    Q_EMIT featuresChanged();
    Q_EMIT holdOutChanged();
}

void Session::setHoldOut(double testFraction, quint64 seed)
{
    if (testFraction == m_testFraction && seed == m_splitSeed)
        return;
    m_testFraction = testFraction;
    m_splitSeed = seed;
    if (!m_holdOutSource.isEmpty())
        setFeaturePrefixes(m_holdOutSource, QString());  // the same features, split anew
    else
        Q_EMIT holdOutChanged();
}

QString Session::labelsOverridePath() const
{
    if (m_datasetDir.isEmpty())
        return QString();
    const QString root = QFileInfo(m_datasetDir).absoluteFilePath();
    const QString hash = QString::fromStdString(sha256Hex(root.toStdString())).left(8);
    return m_workspace + QStringLiteral("/labels/") + QFileInfo(root).fileName() + QLatin1Char('-') + hash
        + QStringLiteral("/labels_override.csv");
}

bool Session::datasetRelabelsByMoving() const
{
    return m_dataset && m_dataset->kind() == "imagefolder";
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
    e.split = QJsonObject{{QStringLiteral("test_fraction"), m_testFraction}, {QStringLiteral("seed"), double(m_splitSeed)}};
    if (!m_holdOutSource.isEmpty())
        e.split.insert(QStringLiteral("source_prefix"), m_holdOutSource);
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
    m_testFraction = e.split.value(QStringLiteral("test_fraction")).toDouble(0.2);
    m_splitSeed = quint64(e.split.value(QStringLiteral("seed")).toDouble(0));
    // A held-out split is made again from its source (the cached one is found if unchanged).
    const QString source = e.split.value(QStringLiteral("source_prefix")).toString();
    if (!source.isEmpty())
        setFeaturePrefixes(source, QString());
    else
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
