#include "cli/Cli.h"
#include "cli/ExtractCliOptions.h"
#include "cli/SvmCliOptions.h"

#include "data/Dataset.h"
#include "data/Stl10.h"
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
    ExtractOptions eo;
    SvmOptions so;
    try {
        extract.read(p, &eo);
        svm.read(p, &so);
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
    const QString outDir = p.value(out);
    QDir().mkpath(outDir + QStringLiteral("/features"));
    try {
        const auto dataset = openDataset(eo.data);
        const auto splits = dataset->splits();
        const bool hasTest = std::find(splits.begin(), splits.end(), "test") != splits.end();
        eo.splits = hasTest ? std::vector<std::string>{"train", "test"} : std::vector<std::string>{splits.front()};
        eo.outPrefix = (outDir + QStringLiteral("/features/features")).toStdString();
        QJsonObject extracted;
        if (const int rc = runExtractTask(eo, &extracted); rc != 0)
            return rc;
        const StudySplits study = studySplits(eo.outPrefix, hasTest, p.value(testFraction).toDouble(), so.seed);
        so.trainPrefix = study.trainPrefix;
        so.testPrefix = study.testPrefix;
        if (study.heldOut)
            std::fprintf(stderr, "no test split: %zu images for training, %zu held out for testing\n", study.trainRows,
                         study.testRows);
        if (p.isSet(stlFolds)) {
            if (dataset->kind() != "stl10" || dataset->folds().empty())
                throw std::invalid_argument("--stl10-folds needs an STL-10 folder with fold_indices.txt");
            so.foldIndices = stl10FoldFile(dataset->root());
        }
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
    so.outDir = outDir.toStdString();
    QJsonObject report;
    if (const int rc = runSvmTask(so, &report); rc != 0)
        return rc;
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
