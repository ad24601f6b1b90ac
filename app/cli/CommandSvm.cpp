#include "cli/Cli.h"
#include "cli/Progress.h"

#include "cli/SvmCliOptions.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

namespace {

std::vector<std::string> splitList(const QString& text)
{
    // A log range "log2:-5:15:2" is one item; plain lists are comma separated.
    if (text.startsWith(QLatin1String("log")))
        return {text.toStdString()};
    std::vector<std::string> out;
    for (const QString& s : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        out.push_back(s.trimmed().toStdString());
    return out;
}

}  // namespace

QCommandLineOption makeOption(const char* name, const char* help, const char* valueName, const char* def)
{
    if (!valueName)
        return QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help));
    QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(valueName));
    if (def)
        o.setDefaultValue(QString::fromLatin1(def));
    return o;
}

QCommandLineOption labelsOverrideOption()
{
    return makeOption("labels-override", "labels_override.csv: rows id,label that relabel an image (the label a class "
                                         "name) or leave it out (_excluded), matched by image id.", "FILE");
}

void SvmCliOptions::addTo(QCommandLineParser& p) const
{
    for (const auto& o : {kernel, C, gamma, degree, coef0, folds, foldIndices, holdout, metric, noScale, noProbability,
                          seed, threads, kernelMemory, solver, kernelStorage, noOof})
        p.addOption(o);
}

void SvmCliOptions::read(const QCommandLineParser& p, SvmOptions* o) const
{
    o->kernels.clear();
    for (const auto& k : splitList(p.value(kernel)))
        o->kernels.push_back(parseKernel(k));
    o->C = parseValueList(p.value(C).toStdString(), "--C");
    o->gamma = parseGammaList(p.value(gamma).toStdString(), "--gamma");
    o->degree = parseDegreeList(p.value(degree).toStdString(), "--degree");
    o->coef0 = parseValueList(p.value(coef0).toStdString(), "--coef0");
    bool ok = true;
    o->folds = p.value(folds).toInt(&ok);
    if (!ok) throw std::invalid_argument("--folds takes a whole number");
    o->foldIndices = p.value(foldIndices).toStdString();
    if (p.isSet(holdout)) {
        o->holdOut = p.value(holdout).toDouble(&ok);
        if (!ok) throw std::invalid_argument("--holdout takes a fraction such as 0.2");
    }
    o->metric = parseMetric(p.value(metric).toStdString());
    o->scale = !p.isSet(noScale);
    o->probability = !p.isSet(noProbability);
    o->outOfFold = !p.isSet(noOof);
    o->seed = p.value(seed).toUInt(&ok);
    if (!ok) throw std::invalid_argument("--seed takes a whole number");
    o->threads = p.value(threads).toInt(&ok);
    if (!ok) throw std::invalid_argument("--threads takes a whole number");
    o->kernelMemoryMb = p.value(kernelMemory).toDouble(&ok);
    if (!ok) throw std::invalid_argument("--kernel-memory takes a number of MiB");
    o->kernelStorage = parseKernelStorage(p.value(kernelStorage).toStdString());
    o->solver = Solver::parse(p.value(solver).toStdString());
}

QString gridPointLine(const GridPointResult& p)
{
    const std::string gamma = p.params.gammaMode.empty() ? QString::number(p.params.gamma).toStdString() : p.params.gammaMode;
    return QString::asprintf("  %-7s C=%-8g gamma=%-8s degree=%d coef0=%g: %.4f +- %.4f", kernelName(p.params.kernel).c_str(),
                             p.params.C, gamma.c_str(), p.params.degree, p.params.coef0, p.mean, p.std);
}

/// Runs an SvmTask, printing each grid point as it finishes; returns the exit code.
int runSvmTask(const SvmOptions& options, QJsonObject* report)
{
    SvmTask task(options);
    installInterruptHandler(&task);  // a signal cancels the task at once, inside a fit too
    if (interruptRequested())
        task.requestCancel();
    int exitCode = 1;
    // Fits done of all (grid points x folds, the refit, the out-of-fold folds, the test
    // scoring), with an ETA, at least every 5 s however long one fit takes.
    ProgressPrinter printer(QStringLiteral("fits"), 5.0);
    QObject::connect(&task, &SvmTask::solverChosen, &task, [&](const QString& text) { printer.println(text); });
    QObject::connect(&task, &Task::partialResult, &task, [&](const QVariant& v) {
        printer.println(gridPointLine(v.value<GridPointResult>()));
        if (interruptRequested())
            task.requestCancel();
    });
    QObject::connect(&task, &Task::progress, &task, [&](qint64 done, qint64 total, const QString& message) {
        printer.update(done, total, message);
        if (interruptRequested())
            task.requestCancel();
    });
    reportTaskEnd(task, &exitCode, [] { return QStringLiteral("cancelled"); }, [&] { printer.finish(); });
    QObject::connect(&task, &Task::finished, &task, [&](const QVariant& v) {
        printer.finish();
        *report = v.toJsonObject();
        exitCode = 0;
    });
    task.run();
    installInterruptHandler(nullptr);
    return exitCode;
}

void printSvmSummary(const QJsonObject& r, const QString& outDir)
{
    const QJsonObject best = r[QStringLiteral("best")].toObject();
    std::fprintf(stderr, "best: %s C=%g gamma=%g degree=%d coef0=%g\n",
                 best[QStringLiteral("kernel")].toString().toUtf8().constData(), best[QStringLiteral("C")].toDouble(),
                 best[QStringLiteral("gamma")].toDouble(), best[QStringLiteral("degree")].toInt(),
                 best[QStringLiteral("coef0")].toDouble());
    if (r.contains(QStringLiteral("test"))) {
        const QJsonObject t = r[QStringLiteral("test")].toObject();
        auto auc = [&](const char* key) {
            const QJsonValue v = t[QLatin1String(key)];
            return v.isDouble() ? QString::number(v.toDouble(), 'f', 4) : QStringLiteral("n/a");
        };
        std::fprintf(stderr, "test: accuracy %.4f, macro AUC %s, micro AUC %s\n", t[QStringLiteral("accuracy")].toDouble(),
                     auc("roc_auc_macro").toUtf8().constData(), auc("roc_auc_micro").toUtf8().constData());
    }
    const QJsonObject timings = r[QStringLiteral("timings")].toObject();
    std::fprintf(stderr, "grid search %.1f s, refit %.1f s; report in %s/report.json\n",
                 timings[QStringLiteral("grid_search_seconds")].toDouble(), timings[QStringLiteral("refit_seconds")].toDouble(),
                 outDir.toUtf8().constData());
}

int commandSvm(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto train = makeOption("train", "Training features: PREFIX (PREFIX.features.npy + PREFIX.labels.npy).", "PREFIX");
    const auto test = makeOption("test", "Test features PREFIX (optional).", "PREFIX");
    const auto out = makeOption("out", "Output folder: report.json, predictions.csv, roc_<class>.csv, model files.", "DIR");
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print report.json on stdout."));
    const auto labelsOverride = labelsOverrideOption();
    for (const auto& o : {train, test, out, json, labelsOverride})
        p.addOption(o);
    SvmCliOptions svm;
    svm.addTo(p);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Grid-search, train and evaluate a multiclass SVM on feature files."), &code))
        return code;
    if (!p.isSet(train) || !p.isSet(out)) {
        printError(QStringLiteral("svm needs --train PREFIX and --out DIR (see --help)"));
        return 2;
    }
    SvmOptions o;
    o.trainPrefix = p.value(train).toStdString();
    o.testPrefix = p.value(test).toStdString();
    o.outDir = p.value(out).toStdString();
    o.labelsOverride = p.value(labelsOverride).toStdString();
    try {
        svm.read(p, &o);
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
    QJsonObject report;
    const int rc = runSvmTask(o, &report);
    if (rc == 0) {
        printSvmSummary(report, p.value(out));
        if (p.isSet(json))
            std::fputs(QJsonDocument(report).toJson().constData(), stdout);
    }
    return rc;
}

}  // namespace deepsvm::cli
