// deepsvm label-issues: training rows whose given label looks wrong, by confident learning on
// the out-of-fold probabilities of one SVM.
#include "cli/Cli.h"
#include "cli/SvmCliOptions.h"

#include "features/FeatureStore.h"
#include "io/AtomicFile.h"
#include "io/Csv.h"
#include "io/JsonFile.h"
#include "metrics/LabelIssues.h"
#include "svm/SvmReport.h"

#include <QDir>
#include <QJsonArray>

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

namespace {

/// The grid point a model folder was trained with (its report.json's "best").
void useModelsPoint(const QString& dir, SvmOptions* o)
{
    const QJsonObject report = readJsonObject((dir + QStringLiteral("/report.json")).toStdString(),
                                              "give the folder 'deepsvm svm' or 'deepsvm run' wrote");
    const QJsonObject best = report[QStringLiteral("best")].toObject();
    if (best.isEmpty())
        throw std::invalid_argument(dir.toStdString() + "/report.json: has no \"best\" grid point");
    o->kernels = {parseKernel(best[QStringLiteral("kernel")].toString().toStdString())};
    o->C = {best[QStringLiteral("C")].toDouble()};
    const QString mode = best[QStringLiteral("gamma_mode")].toString();
    o->gamma = {mode.isEmpty() ? QString::number(best[QStringLiteral("gamma")].toDouble(), 'g', 17).toStdString()
                               : mode.toStdString()};
    o->degree = {best[QStringLiteral("degree")].toInt(3)};
    o->coef0 = {best[QStringLiteral("coef0")].toDouble()};
}

QString className(const std::vector<std::string>& names, int k)
{
    return k >= 0 && std::size_t(k) < names.size() ? QString::fromStdString(names[std::size_t(k)]) : QString::number(k);
}

void writeIssuesCsv(const std::string& path, const LabelIssues& found, const FeatureSet& train,
                    const std::vector<std::string>& names)
{
    std::string csv = "index,id,given,suggested,self_confidence,margin\n";
    for (const LabelIssue& i : found.issues) {
        const std::string id = std::size_t(i.index) < train.ids.size() ? train.ids[std::size_t(i.index)] : std::to_string(i.index);
        csv += std::to_string(i.index) + "," + csvField(id) + "," + csvField(className(names, i.given).toStdString()) + ","
            + csvField(className(names, i.suggested).toStdString()) + "," + csvNumber(i.selfConfidence) + ","
            + csvNumber(i.margin) + "\n";
    }
    writeFileAtomically(path, QByteArray::fromStdString(csv));
}

QJsonObject issuesJson(const LabelIssues& found, const std::vector<std::string>& names, const QJsonObject& svmReport,
                       int64_t baseline)
{
    QJsonArray pairs, thresholds;
    for (std::size_t g = 0; g < found.pairs.size(); ++g) {
        thresholds.append(QJsonObject{{QStringLiteral("class"), className(names, int(g))},
                                      {QStringLiteral("threshold"), found.thresholds[g]}});
        for (std::size_t s = 0; s < found.pairs[g].size(); ++s)
            if (found.pairs[g][s] > 0)
                pairs.append(QJsonObject{{QStringLiteral("given"), className(names, int(g))},
                                         {QStringLiteral("suggested"), className(names, int(s))},
                                         {QStringLiteral("count"), double(found.pairs[g][s])}});
    }
    return QJsonObject{
        {QStringLiteral("method"), QStringLiteral("confident_learning")},
        {QStringLiteral("reference"), QStringLiteral("Northcutt, Jiang and Chuang, \"Confident Learning: Estimating "
                                                     "Uncertainty in Dataset Labels\", JAIR 70, 2021")},
        {QStringLiteral("probabilities"), QStringLiteral("out-of-fold (svm/oof_predictions.csv)")},
        {QStringLiteral("rule"), QStringLiteral("flag a row when the most probable class reaching its threshold is not "
                                                "its label and its label's probability is below the label's threshold; "
                                                "thresholds: mean out-of-fold probability of each class over its rows")},
        {QStringLiteral("ranking"), QStringLiteral("normalised margin p(given) - max p(other), lowest first")},
        {QStringLiteral("rows"), double(found.rows)},
        {QStringLiteral("flagged"), double(found.issues.size())},
        {QStringLiteral("prediction_differs"), double(baseline)},
        {QStringLiteral("thresholds"), thresholds},
        {QStringLiteral("pairs"), pairs},
        {QStringLiteral("svm"), QJsonObject{{QStringLiteral("best"), svmReport[QStringLiteral("best")]},
                                            {QStringLiteral("folds"), svmReport[QStringLiteral("folds")]},
                                            {QStringLiteral("oof_accuracy"),
                                             svmReport[QStringLiteral("oof")].toObject()[QStringLiteral("accuracy")]}}},
    };
}

}  // namespace

int commandLabelIssues(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto train = makeOption("train", "Training features PREFIX (PREFIX.features.npy, .labels.npy, .json).", "PREFIX");
    const auto model = makeOption("model", "Use the grid point of this model folder instead of a grid search.", "DIR");
    const auto out = makeOption("out", "Output folder: label_issues.csv, label_issues.json, svm/ (the SVM whose "
                                       "out-of-fold probabilities were used).", "DIR");
    const auto labelsOverride = labelsOverrideOption();
    for (const auto& o : {train, model, out, labelsOverride})
        p.addOption(o);
    const SvmCliOptions svm;
    svm.addTo(p);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Training images whose label looks wrong: confident learning on "
                                                   "the SVM's out-of-fold probabilities."), &code))
        return code;
    if (!p.isSet(train) || !p.isSet(out)) {
        printError(QStringLiteral("label-issues needs --train PREFIX and --out DIR (see --help)"));
        return 2;
    }
    SvmOptions o;
    try {
        svm.read(p, &o);
        if (p.isSet(model))
            useModelsPoint(p.value(model), &o);
        if (o.holdOut > 0)
            throw std::invalid_argument("--holdout gives out-of-fold probabilities for the held-out rows only; "
                                        "use --folds K so every row gets one");
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }
    const QString outDir = p.value(out);
    o.trainPrefix = p.value(train).toStdString();
    o.labelsOverride = p.value(labelsOverride).toStdString();
    o.outDir = (outDir + QStringLiteral("/svm")).toStdString();
    o.probability = true;
    o.outOfFold = true;
    QJsonObject report;
    if (const int rc = runSvmTask(o, &report); rc != 0)
        return rc;
    try {
        const FeatureSet set = FeatureStore::load(o.trainPrefix);
        const QJsonArray names = report[QStringLiteral("class_names")].toArray();
        std::vector<std::string> classNames;
        for (const auto& n : names) classNames.push_back(n.toString().toStdString());
        const int classes = int(classNames.size());
        std::vector<int> truth, predicted;
        std::vector<double> probabilities;
        std::vector<int64_t> rows;
        const std::string oof = ModelFiles{o.outDir}.oofPredictions();
        const auto excluded = int64_t(report[QStringLiteral("labels_override")].toObject()[QStringLiteral("excluded")].toDouble());
        if (!readPredictionsCsv(oof, classes, &truth, &predicted, &probabilities, &rows) || probabilities.empty()
            || int64_t(truth.size()) != set.rows - excluded)
            throw std::runtime_error(oof + ": no out-of-fold probability for every training row");
        LabelIssues found = findLabelIssues(probabilities, truth, classes);
        for (LabelIssue& issue : found.issues)  // from the prediction's position to its row in the feature file
            issue.index = rows[std::size_t(issue.index)];
        const int64_t baseline = int64_t(predictionDiffersFromLabel(probabilities, truth, classes).size());
        writeIssuesCsv((outDir + QStringLiteral("/label_issues.csv")).toStdString(), found, set, classNames);
        writeJsonAtomically((outDir + QStringLiteral("/label_issues.json")).toStdString(),
                            issuesJson(found, classNames, report, baseline));
        std::fprintf(stderr, "%zu of %lld training rows flagged (out-of-fold accuracy %.4f; %lld predictions differ from "
                             "their label); %s/label_issues.csv\n",
                     found.issues.size(), static_cast<long long>(truth.size()),
                     report[QStringLiteral("oof")].toObject()[QStringLiteral("accuracy")].toDouble(),
                     static_cast<long long>(baseline), outDir.toUtf8().constData());
        return 0;
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
}

}  // namespace deepsvm::cli
