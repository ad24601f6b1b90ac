#include "cli/Cli.h"
#include "cli/Progress.h"

#include "finetune/FineTune.h"
#include "pipeline/LayerSweep.h"

#include "render/SweepImage.h"

#include <QJsonObject>

#include <cstdio>

namespace deepsvm::cli {

namespace {

QCommandLineOption option(const char* name, const char* help, const char* value = nullptr, const char* fallback = nullptr)
{
    QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
    if (value)
        o.setValueName(QString::fromLatin1(value));
    if (fallback)
        o.setDefaultValue(QString::fromLatin1(fallback));
    return o;
}

}  // namespace

namespace {

struct FineTuneCli {
    QCommandLineParser p;
    const QCommandLineOption data = option("data", "Dataset folder (its train split is used).", "DIR");
    const QCommandLineOption backbone = option("backbone", "resnet18|34|50|101|152.", "NAME", "resnet50");
    const QCommandLineOption weights = option("weights", "Starting weights: a torchvision .pth, or 'random'.", "FILE", "random");
    const QCommandLineOption layers = option("layers", "Modules to tune besides the new head, e.g. layer4.0.downsample,layer4.2.", "NAMES");
    const QCommandLineOption preset = option("preset", "head | layer | block | layer4 | all (added to --layers).", "NAME");
    const QCommandLineOption epochs = option("epochs", "Epochs.", "N", "3");
    const QCommandLineOption batch = option("batch-size", "Images per step.", "B", "32");
    const QCommandLineOption lr = option("lr", "Learning rate.", "X", "0.01");
    const QCommandLineOption optimizer = option("optimizer", "sgd (momentum 0.9) | adam.", "NAME", "sgd");
    const QCommandLineOption momentum = option("momentum", "SGD momentum.", "X", "0.9");
    const QCommandLineOption decay = option("weight-decay", "Weight decay.", "X", "0.0001");
    const QCommandLineOption schedule = option("schedule", "constant | step | cosine.", "NAME", "constant");
    const QCommandLineOption size = option("size", "Input size in pixels.", "N", "96");
    const QCommandLineOption noAugment = option("no-augment", "No random crop / flip.");
    const QCommandLineOption precision = option("precision", "fp32 | bf16 (autocast; fastest on CPUs with AVX-512 BF16).", "P", "fp32");
    const QCommandLineOption valFraction = option("val-fraction", "Stratified hold-out of the training rows for validation.", "F", "0.1");
    const QCommandLineOption valFold = option("val-fold", "Use STL-10's fold K (0-9) instead: train on it, validate on the rest.", "K");
    const QCommandLineOption patience = option("patience", "Stop when the validation loss has not improved for N epochs.", "N", "0");
    const QCommandLineOption limit = option("limit", "At most N training images (a quick trial).", "N");
    const QCommandLineOption seed = option("seed", "Seed for shuffling, augmentation, hold-out and the new head.", "S", "0");
    const QCommandLineOption restart = option("restart", "Ignore a checkpoint in --out and start over.");
    const QCommandLineOption listModules = option("list-modules", "Print the backbone's modules with parameter counts and exit.");
    const QCommandLineOption out = option("out", "Folder: metrics.json, metrics.csv, checkpoint, weights.pth.", "DIR");
    const QCommandLineOption candidates = option("candidates", "sweep: the layers to compare, one run each.", "NAMES");

    FineTuneCli()
    {
        for (const auto& o : {data, backbone, weights, layers, preset, epochs, batch, lr, optimizer, momentum, decay, schedule, size,
                              noAugment, precision, valFraction, valFold, patience, limit, seed, restart, listModules, out})
            p.addOption(o);
    }

    /// The options as given; throws std::invalid_argument on a malformed value.
    FineTuneOptions read() const
    {
        FineTuneOptions o;
        o.data = p.value(data).toStdString();
        o.backbone = p.value(backbone).toStdString();
        o.weights = p.value(weights).toStdString();
        if (p.isSet(preset))
            o.layers = presetLayers(p.value(preset).toStdString(), o.backbone);
        for (const QString& l : p.value(layers).split(QLatin1Char(','), Qt::SkipEmptyParts))
            o.layers.push_back(l.trimmed().toStdString());
        bool ok = true, all = true;
        o.epochs = p.value(epochs).toInt(&ok); all &= ok;
        o.batchSize = p.value(batch).toInt(&ok); all &= ok;
        o.lr = p.value(lr).toDouble(&ok); all &= ok;
        o.momentum = p.value(momentum).toDouble(&ok); all &= ok;
        o.weightDecay = p.value(decay).toDouble(&ok); all &= ok;
        o.size = p.value(size).toInt(&ok); all &= ok;
        o.validationFraction = p.value(valFraction).toDouble(&ok); all &= ok;
        if (p.isSet(valFold)) { o.validationFold = p.value(valFold).toInt(&ok); all &= ok; }
        o.patience = p.value(patience).toInt(&ok); all &= ok;
        if (p.isSet(limit)) { o.limit = p.value(limit).toLongLong(&ok); all &= ok; }
        o.seed = p.value(seed).toULongLong(&ok); all &= ok;
        if (!all)
            throw std::invalid_argument("--epochs, --batch-size, --size, --val-fold, --patience, --limit and --seed take whole "
                                        "numbers; --lr, --momentum, --weight-decay and --val-fraction numbers");
        o.optimizer = p.value(optimizer).toStdString();
        o.schedule = p.value(schedule).toStdString();
        o.augment = !p.isSet(noAugment);
        o.precision = p.value(precision).toStdString();
        o.resume = !p.isSet(restart);
        o.outDir = p.value(out).toStdString();
        return o;
    }
};

/// Runs one fine-tuning with progress on stderr; returns the exit code and the result.
int runFineTune(const FineTuneOptions& o, QJsonObject* resultOut)
{
    {
        FineTuneTask task(o);
        ProgressPrinter printer(QStringLiteral("steps"));
        QObject::connect(&task, &Task::progress, [&](qint64 done, qint64 total, const QString& message) {
            printer.update(done, total, message);
            if (interruptRequested())
                task.requestCancel();
        });
        QObject::connect(&task, &Task::partialResult, [&](const QVariant& v) {
            printer.finish();
            const QJsonObject m = v.toJsonObject();
            std::fprintf(stderr, "epoch %d: train loss %.4f acc %.4f", m.value(QStringLiteral("epoch")).toInt(),
                         m.value(QStringLiteral("train_loss")).toDouble(), m.value(QStringLiteral("train_accuracy")).toDouble());
            if (m.contains(QStringLiteral("val_loss")))
                std::fprintf(stderr, " | val loss %.4f acc %.4f", m.value(QStringLiteral("val_loss")).toDouble(),
                             m.value(QStringLiteral("val_accuracy")).toDouble());
            std::fprintf(stderr, " | %.1f img/s\n", m.value(QStringLiteral("images_per_second")).toDouble());
        });
        QString failure;
        bool cancelled = false;
        QObject::connect(&task, &Task::failed, [&](const QString& m) { failure = m; });
        QObject::connect(&task, &Task::cancelled, [&] { cancelled = true; });
        QJsonObject result;
        QObject::connect(&task, &Task::finished, [&](const QVariant& v) { result = v.toJsonObject(); });
        task.run();
        printer.finish();
        if (cancelled) {
            printError(QStringLiteral("cancelled; run the same command again to resume from the last finished epoch"));
            return 130;
        }
        if (!failure.isEmpty()) {
            printError(failure);
            return 1;
        }
        std::fprintf(stderr, "tuned weights: %s (%.0f trainable, %.0f frozen parameters)\n",
                     result.value(QStringLiteral("weights")).toString().toUtf8().constData(),
                     result.value(QStringLiteral("trainable_parameters")).toDouble(),
                     result.value(QStringLiteral("frozen_parameters")).toDouble());
        *resultOut = result;
        return 0;
    }
}

}  // namespace

int commandFinetune(const QStringList& arguments)
{
    FineTuneCli cli;
    int code = 0;
    if (!parseCommand(cli.p, arguments, QStringLiteral("Fine-tune chosen layers of a ResNet with a new head; resumable."), &code))
        return code;
    try {
        if (cli.p.isSet(cli.listModules)) {
            for (const auto& [name, count] : moduleTree(cli.p.value(cli.backbone).toStdString()))
                std::printf("%-28s %lld\n", name.c_str(), static_cast<long long>(count));
            return 0;
        }
        if (!cli.p.isSet(cli.data) || !cli.p.isSet(cli.out)) {
            printError(QStringLiteral("finetune needs --data DIR and --out DIR"));
            return 2;
        }
        const FineTuneOptions o = cli.read();
        installInterruptHandler();
        QJsonObject result;
        return runFineTune(o, &result);
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
}

int commandSweep(const QStringList& arguments)
{
    FineTuneCli cli;
    cli.p.addOption(cli.candidates);
    int code = 0;
    if (!parseCommand(cli.p, arguments, QStringLiteral("Fine-tune each candidate layer with the same budget and compare them."), &code))
        return code;
    try {
        if (!cli.p.isSet(cli.data) || !cli.p.isSet(cli.out) || !cli.p.isSet(cli.candidates)) {
            printError(QStringLiteral("sweep needs --data DIR, --candidates NAME,NAME,... and --out DIR"));
            return 2;
        }
        const FineTuneOptions common = cli.read();
        installInterruptHandler();
        const QString out = cli.p.value(cli.out);
        LayerSweep sweep(fineTuneOptionsJson(common));
        std::vector<SweepBar> bars;
        for (const QString& candidate : cli.p.value(cli.candidates).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            FineTuneOptions o = common;
            o.layers = {candidate.trimmed().toStdString()};
            o.outDir = (out + QLatin1Char('/') + candidate.trimmed()).toStdString();
            std::fprintf(stderr, "== %s ==\n", candidate.toUtf8().constData());
            QJsonObject result;
            if (const int rc = runFineTune(o, &result); rc != 0)
                return rc;
            const SweepRow& row = sweep.add(candidate.trimmed(), result);
            // sweep.png has always drawn a missing validation score as 0.
            bars.push_back({row.layer, row.trainLoss, row.json.value(QStringLiteral("val_loss")).toDouble(),
                            row.json.value(QStringLiteral("val_accuracy")).toDouble()});
        }
        sweep.write(out);
        if (!writeSweepChart(bars, out + QStringLiteral("/sweep.png")))
            throw std::runtime_error((out + QStringLiteral("/sweep.png: cannot write")).toStdString());
        std::fprintf(stderr, "wrote %s/sweep.csv, sweep.json, sweep.png\n", out.toUtf8().constData());
        return 0;
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
}

}  // namespace deepsvm::cli
