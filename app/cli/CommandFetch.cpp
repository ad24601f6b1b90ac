#include "cli/Cli.h"
#include "cli/Progress.h"

#include "project/Archive.h"
#include "project/Fetch.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <cstdio>

namespace deepsvm::cli {

int commandFetch(const QStringList& arguments)
{
    QCommandLineParser p;
    const QCommandLineOption to(QStringLiteral("to"), QStringLiteral("Folder to put it in (default: torchvision's cache for weights, "
                                                                     "~/.local/share/deepsvm/stl10 for STL-10)."), QStringLiteral("DIR"));
    const QCommandLineOption mirror(QStringLiteral("mirror"), QStringLiteral("Base URL that replaces the official one."), QStringLiteral("URL"));
    const QCommandLineOption weights(QStringLiteral("weights"), QStringLiteral("torchvision's weights: IMAGENET1K_V1 (default), "
                                                                               "IMAGENET1K_V2 (resnet50/101/152) or DEFAULT (the most accurate)."),
                                     QStringLiteral("TAG"));
    const QCommandLineOption v2(QStringLiteral("v2"), QStringLiteral("The same as --weights IMAGENET1K_V2."));
    const QCommandLineOption checksum(QStringLiteral("checksum"), QStringLiteral("Expected checksum instead of the published one: "
                                                                                 "sha256:HEX, md5:HEX or sha256-prefix:HEX."), QStringLiteral("SUM"));
    const QCommandLineOption restart(QStringLiteral("restart"), QStringLiteral("Ignore a partial download and start over."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print the result as JSON on stdout."));
    for (const auto& o : {to, mirror, weights, v2, checksum, restart, json})
        p.addOption(o);
    p.addPositionalArgument(QStringLiteral("what"), fetchableNames().join(QStringLiteral(" | ")));
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Download STL-10 or torchvision's ImageNet weights: resumable, checksummed."), &code))
        return code;
    if (p.positionalArguments().size() != 1) {
        printError(QStringLiteral("fetch takes one of: %1").arg(fetchableNames().join(QStringLiteral(", "))));
        return 2;
    }
    FetchItem item;
    try {
        if (p.isSet(v2) && p.isSet(weights))
            throw std::invalid_argument("--v2 and --weights both name the weights: give one");
        item = fetchItem(p.positionalArguments().first(), p.isSet(v2) ? QStringLiteral("IMAGENET1K_V2") : p.value(weights),
                         p.value(mirror));
        if (p.isSet(checksum))
            item.checksum = Checksum::parse(p.value(checksum));
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
    const QString dir = p.isSet(to) ? QDir(p.value(to)).absolutePath()
                                    : item.dataset ? defaultDataDirectory() + QStringLiteral("/stl10") : torchHubCheckpoints();
    installInterruptHandler();
    std::fprintf(stderr, "fetching %s\n  from %s\n  into %s (%s)\n", item.fileName.toUtf8().constData(), item.url.toUtf8().constData(),
                 QDir::toNativeSeparators(dir).toUtf8().constData(), item.checksum.describe().toUtf8().constData());
    ProgressPrinter printer(QStringLiteral("B"));
    DownloadOptions o;
    o.url = QUrl(item.url);
    o.target = dir + QLatin1Char('/') + item.fileName;
    o.checksum = item.checksum;
    o.resume = !p.isSet(restart);
    QJsonObject result;
    try {
        result = downloadFile(o, [&](qint64 done, qint64 total) {
            printer.update(done, total, QStringLiteral("download"));
            return !interruptRequested();
        });
        printer.finish();
        if (item.dataset) {
            ProgressPrinter unpack(QStringLiteral("B"));
            const long long files = extractArchive(o.target, dir, [&](qint64 done, qint64 total) {
                unpack.update(done, total, QStringLiteral("unpack"));
                return !interruptRequested();
            });
            unpack.finish();
            QFile::remove(o.target);
            result[QStringLiteral("files")] = double(files);
            result[QStringLiteral("path")] = dir;
        }
    } catch (const DownloadCancelled&) {
        printer.finish();
        printError(QStringLiteral("cancelled; the partial download was removed"));
        return 130;
    } catch (const ExtractionCancelled&) {
        printError(QStringLiteral("cancelled; %1 was left as it was").arg(dir));
        return 130;
    } catch (const std::exception& e) {
        printer.finish();
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
    result[QStringLiteral("name")] = item.name;
    if (p.isSet(json))
        std::printf("%s", QJsonDocument(result).toJson().constData());
    std::fprintf(stderr, "ready: %s\n", QDir::toNativeSeparators(result.value(QStringLiteral("path")).toString()).toUtf8().constData());
    return 0;
}

}  // namespace deepsvm::cli
