#include "project/Fetch.h"

#include "nets/Backbones.h"
#include "project/Archive.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QStandardPaths>

#include <algorithm>

namespace deepsvm {

namespace {

const QString kTorchvisionBase = QStringLiteral("https://download.pytorch.org/models");
const QString kStl10Base = QStringLiteral("http://ai.stanford.edu/~acoates/stl10");

bool holdsStl10(const QString& dir)
{
    return QFileInfo::exists(dir + QStringLiteral("/stl10_binary/train_X.bin")) || QFileInfo::exists(dir + QStringLiteral("/train_X.bin"));
}

}  // namespace

QStringList fetchableNames()
{
    QStringList names{QStringLiteral("stl10")};
    for (const std::string& name : backboneNames())
        names << QString::fromStdString(name);
    return names;
}

FetchItem fetchItem(const QString& name, const QString& weights, const QString& mirror)
{
    FetchItem item;
    item.name = name;
    QString base;
    if (name == QStringLiteral("stl10")) {
        if (!weights.isEmpty())
            throw std::invalid_argument("stl10 is a dataset: --weights is for a backbone's weights");
        item.fileName = QStringLiteral("stl10_binary.tar.gz");
        item.checksum = Checksum::parse(QStringLiteral("md5:91f7769df0f17e558f3565bffb0c7dfb"));
        item.dataset = true;
        base = kStl10Base;
    } else {
        const std::vector<std::string> known = backboneNames();
        if (std::find(known.begin(), known.end(), name.toStdString()) == known.end())
            throw std::invalid_argument("unknown item \"" + name.toStdString() + "\"; choose one of: "
                                        + fetchableNames().join(QStringLiteral(", ")).toStdString());
        const PublishedWeights& w = publishedWeights(name.toStdString(), weights.isEmpty() ? "IMAGENET1K_V1" : weights.toStdString());
        item.fileName = QString::fromStdString(w.file);
        item.weightsTag = QString::fromStdString(w.tag);
        item.checksum = Checksum::fromTorchvisionName(item.fileName);
        base = kTorchvisionBase;
    }
    if (!mirror.isEmpty())
        base = mirror.endsWith(QLatin1Char('/')) ? mirror.chopped(1) : mirror;
    item.url = base + QLatin1Char('/') + item.fileName;
    return item;
}

QString torchHubCheckpoints()
{
    const QString torchHome = qEnvironmentVariable("TORCH_HOME");
    if (!torchHome.isEmpty())
        return torchHome + QStringLiteral("/hub/checkpoints");
    const QString cache = qEnvironmentVariable("XDG_CACHE_HOME", QDir::homePath() + QStringLiteral("/.cache"));
    return cache + QStringLiteral("/torch/hub/checkpoints");
}

QString defaultDataDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/deepsvm");
}

QStringList findWeights(const QString& backbone)
{
    QStringList found;
    QStringList dirs{torchHubCheckpoints()};
    const QString home = QDir::homePath() + QStringLiteral("/.cache/torch/hub/checkpoints");
    if (!dirs.contains(home))
        dirs << home;
    for (const QString& d : dirs)
        for (const QString& f : QDir(d).entryList({backbone + QStringLiteral("-*.pth")}, QDir::Files, QDir::Name))
            found << d + QLatin1Char('/') + f;
    return found;
}

QStringList findStl10(const QStringList& extraDirs)
{
    QStringList candidates = extraDirs;
    const QString home = QDir::homePath();
    candidates << defaultDataDirectory() + QStringLiteral("/stl10") << defaultDataDirectory() << home + QStringLiteral("/data")
               << home + QStringLiteral("/data/stl10") << home + QStringLiteral("/datasets") << home + QStringLiteral("/datasets/stl10")
               << home + QStringLiteral("/Downloads") << QDir::currentPath() << QDir::currentPath() + QStringLiteral("/data");
    QStringList found;
    for (const QString& c : candidates) {
        const QString dir = QDir(c).absolutePath();
        if (holdsStl10(dir) && !found.contains(dir))
            found << dir;
    }
    return found;
}

FetchTask::FetchTask(FetchItem item, QString directory, QObject* parent)
    : Task(QStringLiteral("Downloading %1").arg(item.fileName), parent), m_item(std::move(item)), m_directory(std::move(directory))
{
}

QVariant FetchTask::execute()
{
    DownloadOptions o;
    o.url = QUrl(m_item.url);
    o.target = m_directory + QLatin1Char('/') + m_item.fileName;
    o.checksum = m_item.checksum;
    QJsonObject result;
    try {
        result = downloadFile(o, [this](qint64 done, qint64 total) {
            Q_EMIT progress(done, total, QStringLiteral("%1 MB").arg(double(done) / 1e6, 0, 'f', 1));
            return !isCancelRequested();
        });
        if (!m_item.dataset)
            return QJsonObject{{QStringLiteral("name"), m_item.name}, {QStringLiteral("path"), o.target},
                               {QStringLiteral("bytes"), result.value(QStringLiteral("bytes"))},
                               {QStringLiteral("seconds"), result.value(QStringLiteral("seconds"))}};
        const long long files = extractArchive(o.target, m_directory, [this](qint64 done, qint64 total) {
            Q_EMIT progress(done, total, QStringLiteral("unpacking"));
            return !isCancelRequested();
        });
        // The archive is no longer needed once unpacked (2.6 GB for STL-10).
        QFile::remove(o.target);
        return QJsonObject{{QStringLiteral("name"), m_item.name}, {QStringLiteral("path"), m_directory},
                           {QStringLiteral("files"), double(files)},
                           {QStringLiteral("bytes"), result.value(QStringLiteral("bytes"))},
                           {QStringLiteral("seconds"), result.value(QStringLiteral("seconds"))}};
    } catch (const DownloadCancelled&) {
        throw TaskCancelled{};
    } catch (const ExtractionCancelled&) {
        throw TaskCancelled{};
    }
}

}  // namespace deepsvm
