#include "cli/Cli.h"
#include "cli/ExtractCliOptions.h"
#include "cli/Progress.h"
#include "cli/SvmCliOptions.h"

#include "nets/Backbones.h"
#include "project/Fetch.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

ExtractCliOptions::ExtractCliOptions()
    : data(makeOption("data", "Dataset folder: STL-10 (DIR or DIR/stl10_binary) or folder-per-class images.", "DIR")),
      split(makeOption("split", "train, test, unlabeled, all, or a comma list (default: every labelled split).", "SPLIT")),
      backbone(makeOption("backbone", "torchvision's name: resnet18|34|50|101|152, convnext_tiny|small|base|large.", "NAME", "resnet50")),
      weights(makeOption("weights", "torchvision .pth or TorchScript file, or 'random' (default: torchvision's file for the "
                                    "backbone if it is in $TORCH_HOME or ~/.cache/torch/hub/checkpoints, else random).", "FILE")),
      layer(makeOption("layer", "penultimate (the input of the last Linear layer) or logits, for every backbone; "
                                "ResNet's own names avgpool and fc mean the same.", "LAYER", "avgpool")),
      size(makeOption("size", "Input size in pixels: the centre crop the network sees (default: the crop torchvision "
                              "evaluates the backbone's weights at, 224).", "N")),
      resize(makeOption("resize", "The shorter side images are resized to before the crop (default: ResNet the crop itself, "
                                  "as the study; other families torchvision's proportion, e.g. convnext_tiny 236 for 224).", "N")),
      precision(makeOption("precision", "fp32 or bf16.", "P", "fp32")),
      normalize(makeOption("normalize", "imagenet (mean/std of ImageNet) or half (0.5/0.5).", "N", "imagenet")),
      batch(makeOption("batch-size", "Images per batch.", "B", "32")),
      seed(makeOption("weights-seed", "Seed for random weights.", "S", "0")),
      limit(makeOption("limit", "Extract at most N images per split (for a quick trial).", "N")),
      noCache(makeOption("no-cache", "Re-extract even if the cache matches.")),
      labelsOverride(labelsOverrideOption())
{
}

void ExtractCliOptions::addTo(QCommandLineParser& p) const
{
    for (const auto& o : {data, split, backbone, weights, layer, size, resize, precision, normalize, batch, seed, limit, noCache,
                          labelsOverride})
        p.addOption(o);
}

void ExtractCliOptions::read(const QCommandLineParser& p, ExtractOptions* o) const
{
    o->data = p.value(data).toStdString();
    if (p.isSet(split))
        for (const QString& s : p.value(split).split(QLatin1Char(','), Qt::SkipEmptyParts))
            o->splits.push_back(s.trimmed().toStdString());
    o->backbone = p.value(backbone).toStdString();
    o->weights = p.value(weights).toStdString();
    if (!p.isSet(weights)) {
        // Where a PyTorch user already has them; an explicit --weights always wins.
        const QStringList found = findWeights(QString::fromStdString(o->backbone));
        o->weights = found.isEmpty() ? std::string("random") : found.first().toStdString();
        if (!found.isEmpty())
            std::fprintf(stderr, "using the weights found at %s (--weights random to do without)\n", found.first().toUtf8().constData());
    }
    o->layer = p.value(layer).toStdString();
    o->precision = p.value(precision).toStdString();
    o->normalization = p.value(normalize).toStdString();
    bool ok = true, allOk = true;
    o->size = p.isSet(size) ? p.value(size).toInt(&ok) : defaultCrop(o->backbone); allOk &= ok;
    if (p.isSet(resize)) { o->resize = p.value(resize).toInt(&ok); allOk &= ok; }
    o->batchSize = p.value(batch).toInt(&ok); allOk &= ok;
    o->seed = p.value(seed).toULongLong(&ok); allOk &= ok;
    if (p.isSet(limit)) { o->limit = p.value(limit).toLongLong(&ok); allOk &= ok; }
    if (!allOk)
        throw std::invalid_argument("--size, --resize, --batch-size, --weights-seed and --limit take whole numbers");
    o->reuseCache = !p.isSet(noCache);
    o->labelsOverride = p.value(labelsOverride).toStdString();
}

void printExtraction(const QJsonObject& result)
{
    for (const auto& value : result[QStringLiteral("splits")].toArray()) {
        const QJsonObject s = value.toObject();
        const QByteArray split = s[QStringLiteral("split")].toString().toUtf8();
        const QByteArray prefix = s[QStringLiteral("prefix")].toString().toUtf8();
        if (s[QStringLiteral("reused")].toBool()) {
            std::fprintf(stderr, "%s: %lld rows reused from the cache (%s.*)\n", split.constData(),
                         static_cast<long long>(s[QStringLiteral("rows")].toDouble()), prefix.constData());
            continue;
        }
        std::fprintf(stderr, "%s: %lld x %lld features in %.1f s (%.1f img/s) -> %s.features.npy\n", split.constData(),
                     static_cast<long long>(s[QStringLiteral("rows")].toDouble()),
                     static_cast<long long>(s[QStringLiteral("cols")].toDouble()), s[QStringLiteral("seconds")].toDouble(),
                     s[QStringLiteral("images_per_second")].toDouble(), prefix.constData());
        const QJsonArray skipped = s[QStringLiteral("skipped")].toArray();
        if (!skipped.isEmpty()) {
            std::fprintf(stderr, "skipped %lld file(s):\n", static_cast<long long>(skipped.size()));
            for (const auto& k : skipped)
                std::fprintf(stderr, "  %s\n", k.toString().toUtf8().constData());
        }
    }
}

int runExtractTask(const ExtractOptions& options, QJsonObject* result)
{
    installInterruptHandler();
    ExtractTask task(options);
    ProgressPrinter printer(QStringLiteral("img"));
    int exitCode = 1;
    QObject::connect(&task, &Task::progress, &task, [&](qint64 done, qint64 total, const QString& msg) {
        printer.update(done, total, msg);
        if (interruptRequested())
            task.requestCancel();
    });
    reportTaskEnd(
        task, &exitCode, [] { return QStringLiteral("extraction cancelled; no partial files were left"); },
        [&] { printer.finish(); });
    QObject::connect(&task, &Task::finished, &task, [&](const QVariant& v) {
        printer.finish();
        *result = v.toJsonObject();
        printExtraction(*result);
        exitCode = 0;
    });
    task.run();
    return exitCode;
}

int commandExtract(const QStringList& arguments)
{
    QCommandLineParser p;
    const ExtractCliOptions extract;
    extract.addTo(p);
    const auto out = makeOption("out", "Output prefix: PREFIX.features.npy, PREFIX.labels.npy, PREFIX.json "
                                       "(PREFIX.<split>.* for several splits).", "PREFIX");
    const auto json = makeOption("json", "Print the result as JSON on stdout.");
    p.addOption(out);
    p.addOption(json);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Extract ResNet features of a dataset."), &code))
        return code;
    if (!p.isSet(extract.data) || !p.isSet(out)) {
        printError(QStringLiteral("extract needs --data DIR and --out PREFIX (see --help)"));
        return 2;
    }
    ExtractOptions o;
    try {
        extract.read(p, &o);
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
    o.outPrefix = p.value(out).toStdString();
    QJsonObject result;
    const int rc = runExtractTask(o, &result);
    if (rc == 0 && p.isSet(json))
        std::fputs(QJsonDocument(result).toJson().constData(), stdout);
    return rc;
}

}  // namespace deepsvm::cli
