#include "project/Fetch.h"

#include "project/Archive.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QStandardPaths>

#include <map>

namespace deepsvm {

namespace {

const QString kTorchvisionBase = QStringLiteral("https://download.pytorch.org/models");
const QString kStl10Base = QStringLiteral("http://ai.stanford.edu/~acoates/stl10");

/// torchvision's published files: V1 and, where there is one, V2.
const std::map<QString, std::pair<QString, QString>>& weightFiles()
{
    static const std::map<QString, std::pair<QString, QString>> files = {
        {QStringLiteral("resnet18"), {QStringLiteral("resnet18-f37072fd.pth"), QString()}},
        {QStringLiteral("resnet34"), {QStringLiteral("resnet34-b627a593.pth"), QString()}},
        {QStringLiteral("resnet50"), {QStringLiteral("resnet50-0676ba61.pth"), QStringLiteral("resnet50-11ad3fa6.pth")}},
        {QStringLiteral("resnet101"), {QStringLiteral("resnet101-63fe2227.pth"), QStringLiteral("resnet101-cd907fc2.pth")}},
        {QStringLiteral("resnet152"), {QStringLiteral("resnet152-394f9c45.pth"), QStringLiteral("resnet152-f82ba261.pth")}},
        {QStringLiteral("convnext_tiny"), {QStringLiteral("convnext_tiny-983f1562.pth"), QString()}},
        {QStringLiteral("convnext_small"), {QStringLiteral("convnext_small-0c510722.pth"), QString()}},
        {QStringLiteral("convnext_base"), {QStringLiteral("convnext_base-6075fbad.pth"), QString()}},
        {QStringLiteral("convnext_large"), {QStringLiteral("convnext_large-ea097f82.pth"), QString()}},
    };
    return files;
}

bool holdsStl10(const QString& dir)
{
    return QFileInfo::exists(dir + QStringLiteral("/stl10_binary/train_X.bin")) || QFileInfo::exists(dir + QStringLiteral("/train_X.bin"));
}

}  // namespace

QStringList fetchableNames()
{
    QStringList names{QStringLiteral("stl10")};
    for (const auto& [name, files] : weightFiles())
        names << name;
    return names;
}

FetchItem fetchItem(const QString& name, bool v2, const QString& mirror)
{
    FetchItem item;
    item.name = name;
    QString base;
    if (name == QStringLiteral("stl10")) {
        item.fileName = QStringLiteral("stl10_binary.tar.gz");
        item.checksum = Checksum::parse(QStringLiteral("md5:91f7769df0f17e558f3565bffb0c7dfb"));
        item.dataset = true;
        base = kStl10Base;
    } else {
        const auto it = weightFiles().find(name);
        if (it == weightFiles().end())
            throw std::invalid_argument("unknown item \"" + name.toStdString() + "\"; choose one of: "
                                        + fetchableNames().join(QStringLiteral(", ")).toStdString());
        if (v2 && it->second.second.isEmpty())
            throw std::invalid_argument(name.toStdString() + " has no ImageNet V2 weights in torchvision; drop --v2");
        item.fileName = v2 ? it->second.second : it->second.first;
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
