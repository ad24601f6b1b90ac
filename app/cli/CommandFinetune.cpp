#include "cli/Cli.h"
#include "cli/Progress.h"

#include "finetune/FineTune.h"

#include <QJsonArray>
#include <QJsonDocument>
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

int commandFinetune(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto data = option("data", "Dataset folder (its train split is used).", "DIR");
    const auto backbone = option("backbone", "resnet18|34|50|101|152.", "NAME", "resnet50");
    const auto weights = option("weights", "Starting weights: a torchvision .pth, or 'random'.", "FILE", "random");
    const auto layers = option("layers", "Modules to tune besides the new head, e.g. layer4.0.downsample,layer4.2.", "NAMES");
    const auto preset = option("preset", "head | layer | block | layer4 | all (added to --layers).", "NAME");
    const auto epochs = option("epochs", "Epochs.", "N", "3");
    const auto batch = option("batch-size", "Images per step.", "B", "32");
    const auto lr = option("lr", "Learning rate.", "X", "0.01");
    const auto optimizer = option("optimizer", "sgd (momentum 0.9) | adam.", "NAME", "sgd");
    const auto momentum = option("momentum", "SGD momentum.", "X", "0.9");
    const auto decay = option("weight-decay", "Weight decay.", "X", "0.0001");
    const auto schedule = option("schedule", "constant | step | cosine.", "NAME", "constant");
    const auto size = option("size", "Input size in pixels.", "N", "96");
    const auto noAugment = option("no-augment", "No random crop / flip.");
    const auto valFraction = option("val-fraction", "Stratified hold-out of the training rows for validation.", "F", "0.1");
    const auto valFold = option("val-fold", "Use STL-10's fold K (0-9) instead: train on it, validate on the rest.", "K");
    const auto patience = option("patience", "Stop when the validation loss has not improved for N epochs.", "N", "0");
    const auto limit = option("limit", "At most N training images (a quick trial).", "N");
    const auto seed = option("seed", "Seed for shuffling, augmentation, hold-out and the new head.", "S", "0");
    const auto restart = option("restart", "Ignore a checkpoint in --out and start over.");
    const auto listModules = option("list-modules", "Print the backbone's modules with parameter counts and exit.");
    const auto out = option("out", "Folder: metrics.json, metrics.csv, checkpoint, weights.pth.", "DIR");
    for (const auto& o : {data, backbone, weights, layers, preset, epochs, batch, lr, optimizer, momentum, decay, schedule, size,
                          noAugment, valFraction, valFold, patience, limit, seed, restart, listModules, out})
        p.addOption(o);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Fine-tune chosen layers of a ResNet with a new head; resumable."), &code))
        return code;
    try {
        if (p.isSet(listModules)) {
            for (const auto& [name, count] : moduleTree(p.value(backbone).toStdString()))
                std::printf("%-28s %lld\n", name.c_str(), static_cast<long long>(count));
            return 0;
        }
        if (!p.isSet(data) || !p.isSet(out)) {
            printError(QStringLiteral("finetune needs --data DIR and --out DIR"));
            return 2;
        }
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
        o.resume = !p.isSet(restart);
        o.outDir = p.value(out).toStdString();
        installInterruptHandler();
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
        return 0;
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
}

}  // namespace deepsvm::cli
