#include "cli/Cli.h"
#include "cli/Progress.h"
#include "cli/ExtractCliOptions.h"
#include "cli/SvmCliOptions.h"

#include "pipeline/RunRecord.h"
#include "pipeline/Study.h"
#include "svm/SvmReport.h"

#include "render/ConfusionMatrixImage.h"
#include "render/Export.h"
#include "render/RocImage.h"

#include <QDir>
#include <QJsonDocument>

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

namespace {

void writeCharts(const QString& out, const QJsonObject& report)
{
    RunResults results;
    QString error;
    if (!RunResults::fromReport(report, out, &results, &error))
        throw std::runtime_error(error.toStdString());
    if (!results.hasRoc) {
        std::fprintf(stderr, "no probabilities in predictions.csv: ROC chart not drawn\n");
    } else {
        if (!writeRocChart(results.roc, results.classNames, out + QStringLiteral("/roc.png"), QSize(900, 600), 2.0, &error))
            throw std::runtime_error(error.toStdString());
    }
    // report.json's confusion matrix, also without a test evaluation (an empty matrix), as before.
    ConfusionMatrix cm = results.confusion;
    cm.classes = int(results.classNames.size());
    for (bool normalised : {false, true}) {
        const QString path = out + (normalised ? QStringLiteral("/confusion_normalized.png") : QStringLiteral("/confusion.png"));
        if (!saveImageAtomically(renderConfusionMatrix(cm, results.classNames, normalised, QSize(700, 640)), path, "PNG", &error))
            throw std::runtime_error(error.toStdString());
    }
}

/// Runs a StudyTask: extraction progress, then each grid point, on stderr. Returns the exit code.
int runStudyTask(const StudyOptions& options, StudyResult* result)
{
    StudyTask task(options);
    installInterruptHandler(&task);  // a signal cancels the study at once, inside a fit too
    ProgressPrinter printer(QStringLiteral("img"));
    ProgressPrinter fits(QStringLiteral("fits"), 5.0);  // the SVM's, at least every 5 s
    bool extracting = true;
    int exitCode = 1;
    QObject::connect(&task, &Task::progress, &task, [&](qint64 done, qint64 total, const QString& msg) {
        (extracting ? printer : fits).update(done, total, msg);
    });
    QObject::connect(&task, &Task::partialResult, &task, [&](const QVariant& v) {
        if (v.canConvert<StudyExtracted>()) {
            printer.finish();
            extracting = false;
            const StudyExtracted e = v.value<StudyExtracted>();
            printExtraction(e.extraction);
            if (e.splits.heldOut)
                std::fprintf(stderr, "no test split: %zu images for training, %zu held out for testing\n",
                             e.splits.trainRows, e.splits.testRows);
        } else if (v.canConvert<GridPointResult>()) {
            fits.println(gridPointLine(v.value<GridPointResult>()));
        }
    });
    reportTaskEnd(
        task, &exitCode,
        [&] { return extracting ? QStringLiteral("extraction cancelled; no partial files were left") : QStringLiteral("cancelled"); },
        [&] {
            printer.finish();
            fits.finish();
        });
    QObject::connect(&task, &Task::finished, &task, [&](const QVariant& v) {
        fits.finish();
        *result = v.value<StudyResult>();
        exitCode = 0;
    });
    task.run();
    installInterruptHandler(nullptr);
    return exitCode;
}

}  // namespace

int commandRun(const QStringList& arguments)
{
    QCommandLineParser p;
    const ExtractCliOptions extract;
    const SvmCliOptions svm;
    extract.addTo(p);
    svm.addTo(p);
    const auto out = makeOption("out", "Report folder: features/, report.json, predictions.csv, roc_<class>.csv, "
                                       "roc.png, confusion.png, the model files.", "DIR");
    const auto stlFolds = makeOption("stl10-folds", "Cross-validate on STL-10's predefined folds (fold_indices.txt).");
    const auto testFraction = makeOption("test-fraction", "For a dataset without a test split: the stratified share "
                                                          "held out for testing.", "F", "0.2");
    const auto json = makeOption("json", "Print report.json on stdout.");
    for (const auto& o : {out, stlFolds, testFraction, json})
        p.addOption(o);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("The whole study from images: extract (or reuse) features, scale, "
                                                   "grid-search, refit, evaluate, and write a report folder."), &code))
        return code;
    if (!p.isSet(extract.data) || !p.isSet(out)) {
        printError(QStringLiteral("run needs --data DIR and --out DIR (see --help)"));
        return 2;
    }
    StudyOptions study;
    try {
        extract.read(p, &study.extract);
        svm.read(p, &study.svm);
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
    const QString outDir = p.value(out);
    study.svm.outDir = outDir.toStdString();
    study.testFraction = p.value(testFraction).toDouble();
    study.stl10Folds = p.isSet(stlFolds);
    StudyResult result;
    if (const int rc = runStudyTask(study, &result); rc != 0)
        return rc;
    const QJsonObject& report = result.report;
    try {
        writeCharts(outDir, report);
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
    printSvmSummary(report, outDir);
    if (p.isSet(json))
        std::fputs(QJsonDocument(report).toJson().constData(), stdout);
    return 0;
}

}  // namespace deepsvm::cli
