#include "cli/Cli.h"
#include "cli/Progress.h"

#include "features/ExtractTask.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace deepsvm::cli {

namespace {
QCommandLineOption valueOption(const char* name, const char* help, const char* valueName, const char* def = nullptr)
{
    QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(valueName));
    if (def)
        o.setDefaultValue(QString::fromLatin1(def));
    return o;
}
}  // namespace

int commandExtract(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto data = valueOption("data", "Dataset folder: STL-10 (DIR or DIR/stl10_binary) or folder-per-class images.", "DIR");
    const auto split = valueOption("split", "train, test, unlabeled, all, or a comma list (default: every labelled split).", "SPLIT");
    const auto backbone = valueOption("backbone", "resnet18|34|50|101|152.", "NAME", "resnet50");
    const auto weights = valueOption("weights", "torchvision .pth or TorchScript file, or 'random'.", "FILE", "random");
    const auto layer = valueOption("layer", "avgpool (pooled features) or fc (logits).", "LAYER", "avgpool");
    const auto size = valueOption("size", "Input size in pixels (shorter side resized, centre crop).", "N", "224");
    const auto precision = valueOption("precision", "fp32 or bf16.", "P", "fp32");
    const auto normalize = valueOption("normalize", "imagenet (mean/std of ImageNet) or half (0.5/0.5).", "N", "imagenet");
    const auto batch = valueOption("batch-size", "Images per batch.", "B", "32");
    const auto seed = valueOption("seed", "Seed for random weights.", "S", "0");
    const auto limit = valueOption("limit", "Extract at most N images per split (for a quick trial).", "N");
    const auto out = valueOption("out", "Output prefix: PREFIX.features.npy, PREFIX.labels.npy, PREFIX.json "
                                        "(PREFIX.<split>.* for several splits).", "PREFIX");
    const QCommandLineOption noCache(QStringLiteral("no-cache"), QStringLiteral("Re-extract even if the cache matches."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print the result as JSON on stdout."));
    for (const auto& o : {data, split, backbone, weights, layer, size, precision, normalize, batch, seed, limit, out, noCache, json})
        p.addOption(o);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Extract ResNet features of a dataset."), &code))
        return code;
    if (!p.isSet(data) || !p.isSet(out)) {
        printError(QStringLiteral("extract needs --data DIR and --out PREFIX (see --help)"));
        return 2;
    }
    ExtractOptions o;
    o.data = p.value(data).toStdString();
    if (p.isSet(split))
        for (const QString& s : p.value(split).split(QLatin1Char(','), Qt::SkipEmptyParts))
            o.splits.push_back(s.trimmed().toStdString());
    o.backbone = p.value(backbone).toStdString();
    o.weights = p.value(weights).toStdString();
    o.layer = p.value(layer).toStdString();
    bool ok = true, allOk = true;
    o.size = p.value(size).toInt(&ok); allOk &= ok;
    o.precision = p.value(precision).toStdString();
    o.normalization = p.value(normalize).toStdString();
    o.batchSize = p.value(batch).toInt(&ok); allOk &= ok;
    o.seed = p.value(seed).toULongLong(&ok); allOk &= ok;
    if (p.isSet(limit)) { o.limit = p.value(limit).toLongLong(&ok); allOk &= ok; }
    if (!allOk) {
        printError(QStringLiteral("--size, --batch-size, --seed and --limit take whole numbers"));
        return 2;
    }
    o.outPrefix = p.value(out).toStdString();
    o.reuseCache = !p.isSet(noCache);

    installInterruptHandler();
    ExtractTask task(o);
    ProgressPrinter printer(QStringLiteral("img"));
    int exitCode = 1;
    QObject::connect(&task, &Task::progress, &task, [&](qint64 done, qint64 total, const QString& msg) {
        printer.update(done, total, msg);
        if (interruptRequested())
            task.requestCancel();
    });
    QObject::connect(&task, &Task::failed, &task, [&](const QString& msg) {
        printer.finish();
        printError(msg);
        exitCode = 1;
    });
    QObject::connect(&task, &Task::cancelled, &task, [&] {
        printer.finish();
        printError(QStringLiteral("extraction cancelled; no partial files were left"));
        exitCode = 130;
    });
    QObject::connect(&task, &Task::finished, &task, [&](const QVariant& result) {
        printer.finish();
        const QJsonObject r = result.toJsonObject();
        for (const auto& v : r[QStringLiteral("splits")].toArray()) {
            const QJsonObject s = v.toObject();
            if (s[QStringLiteral("reused")].toBool()) {
                std::fprintf(stderr, "%s: %lld rows reused from the cache (%s.*)\n",
                             s[QStringLiteral("split")].toString().toUtf8().constData(),
                             static_cast<long long>(s[QStringLiteral("rows")].toDouble()),
                             s[QStringLiteral("prefix")].toString().toUtf8().constData());
                continue;
            }
            std::fprintf(stderr, "%s: %lld x %lld features in %.1f s (%.1f img/s) -> %s.features.npy\n",
                         s[QStringLiteral("split")].toString().toUtf8().constData(),
                         static_cast<long long>(s[QStringLiteral("rows")].toDouble()),
                         static_cast<long long>(s[QStringLiteral("cols")].toDouble()),
                         s[QStringLiteral("seconds")].toDouble(), s[QStringLiteral("images_per_second")].toDouble(),
                         s[QStringLiteral("prefix")].toString().toUtf8().constData());
            const QJsonArray skipped = s[QStringLiteral("skipped")].toArray();
            if (!skipped.isEmpty()) {
                std::fprintf(stderr, "skipped %lld file(s):\n", static_cast<long long>(skipped.size()));
                for (const auto& k : skipped)
                    std::fprintf(stderr, "  %s\n", k.toString().toUtf8().constData());
            }
        }
        if (p.isSet(json))
            std::fputs(QJsonDocument(r).toJson().constData(), stdout);
        exitCode = 0;
    });
    task.run();
    return exitCode;
}

}  // namespace deepsvm::cli
