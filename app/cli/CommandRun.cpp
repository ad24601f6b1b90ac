#include "cli/Cli.h"
#include "cli/ExtractCliOptions.h"
#include "cli/SvmCliOptions.h"

#include "data/Dataset.h"
#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "svm/Folds.h"
#include "svm/SvmReport.h"

#include "render/ConfusionMatrixImage.h"
#include "render/Export.h"
#include "render/RocImage.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

namespace {

/// Writes the rows `rows` of `set` as a feature file set under `prefix`.
void writeSubset(const FeatureSet& set, const std::vector<int64_t>& rows, const std::string& prefix, const char* split)
{
    std::vector<float> values;
    std::vector<int64_t> labels;
    QJsonArray ids;
    for (int64_t r : rows) {
        values.insert(values.end(), set.values.begin() + r * set.cols, set.values.begin() + (r + 1) * set.cols);
        labels.push_back(set.labels[std::size_t(r)]);
        if (std::size_t(r) < set.ids.size())
            ids.append(QString::fromStdString(set.ids[std::size_t(r)]));
    }
    writeNpy(FeatureStore::featuresPath(prefix), values.data(), int64_t(rows.size()), set.cols);
    writeNpy(FeatureStore::labelsPath(prefix), labels.data(), int64_t(labels.size()));
    QJsonObject side = set.sidecar;
    side[QStringLiteral("ids")] = ids;
    side[QStringLiteral("rows")] = double(rows.size());
    side[QStringLiteral("derived_split")] = QString::fromLatin1(split);
    side.remove(QStringLiteral("key"));  // a derived file is not a cache entry
    side[QStringLiteral("source_key")] = set.sidecar[QStringLiteral("key")];
    FeatureStore::writeSidecar(prefix, side);
}

void writeCharts(const QString& out, const QJsonObject& report)
{
    std::vector<std::string> names;
    for (const auto& v : report[QStringLiteral("class_names")].toArray())
        names.push_back(v.toString().toStdString());
    const int k = int(names.size());
    std::vector<int> truth, predicted;
    std::vector<double> scores;
    if (!readPredictionsCsv((out + QStringLiteral("/predictions.csv")).toStdString(), k, &truth, &predicted, &scores)
        || scores.empty()) {
        std::fprintf(stderr, "no probabilities in predictions.csv: ROC chart not drawn\n");
    } else {
        QString error;
        if (!writeRocChart(rocOneVsRest(truth, scores, k), names, out + QStringLiteral("/roc.png"), QSize(900, 600), 2.0, &error))
            throw std::runtime_error(error.toStdString());
    }
    const QJsonArray rows = report[QStringLiteral("test")].toObject()[QStringLiteral("confusion")].toArray();
    ConfusionMatrix cm;
    cm.classes = k;
    for (const auto& row : rows)
        for (const auto& c : row.toArray())
            cm.counts.push_back(int64_t(c.toDouble()));
    for (bool normalised : {false, true}) {
        const QString path = out + (normalised ? QStringLiteral("/confusion_normalized.png") : QStringLiteral("/confusion.png"));
        QString error;
        if (!saveImageAtomically(renderConfusionMatrix(cm, names, normalised, QSize(700, 640)), path, "PNG", &error))
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
        if (hasTest) {
            so.trainPrefix = eo.outPrefix + ".train";
            so.testPrefix = eo.outPrefix + ".test";
        } else {
            // No test split: a stratified, seeded hold-out of the images becomes the test set.
            const FeatureSet all = FeatureStore::load(eo.outPrefix);
            const std::vector<int> labels(all.labels.begin(), all.labels.end());
            const Fold split = holdOut(labels, p.value(testFraction).toDouble(), so.seed).front();
            so.trainPrefix = eo.outPrefix + ".train";
            so.testPrefix = eo.outPrefix + ".test";
            writeSubset(all, split.train, so.trainPrefix, "train");
            writeSubset(all, split.validation, so.testPrefix, "test");
            std::fprintf(stderr, "no test split: %zu images for training, %zu held out for testing\n", split.train.size(),
                         split.validation.size());
        }
        if (p.isSet(stlFolds)) {
            if (dataset->kind() != "stl10" || dataset->folds().empty())
                throw std::invalid_argument("--stl10-folds needs an STL-10 folder with fold_indices.txt");
            so.foldIndices = dataset->root() + "/fold_indices.txt";
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
