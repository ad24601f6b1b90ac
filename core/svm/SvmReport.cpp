#include "svm/SvmReport.h"

#include "features/FeatureStore.h"
#include "svm/SvmModel.h"
#include "svm/SvmTask.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>

namespace deepsvm {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

/// JSON has no NaN: undefined values (an AUC without positives) become null.
QJsonValue number(double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null); }

std::string fmt(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

Evaluation evaluate(const SvmModel& model, const std::vector<double>& test, int64_t testRows,
                    const std::vector<double>& train, int64_t dims, const std::vector<int>& truth, int classes)
{
    Evaluation e;
    e.truth = truth;
    const std::vector<int> labels = model.labels();
    const bool probability = model.hasProbability();
    if (probability)
        e.probabilities.assign(std::size_t(testRows * classes), 0.0);
    // In blocks, against the support vectors alone, on all cores (SvmModel::scoreRows).
    const SvmModel::Scores s = model.scoreRows(test, testRows, dims, train);
    e.predicted = s.predicted;
    e.decisions = s.decisions;
    if (probability)
        for (int64_t r = 0; r < testRows; ++r)
            for (std::size_t k = 0; k < labels.size(); ++k)
                e.probabilities[std::size_t(r * classes + labels[k])] = s.probabilities[std::size_t(r) * labels.size() + k];
    if (probability) {
        e.rocScores = e.probabilities;
    } else {
        e.rocScores = ovrScores(e.decisions, testRows, labels, classes);
    }
    e.confusion = confusionMatrix(e.truth, e.predicted, classes);
    e.roc = rocOneVsRest(e.truth, e.rocScores, classes);
    return e;
}

QJsonObject paramsJson(const SvmParams& p)
{
    QJsonObject o{{QStringLiteral("kernel"), q(kernelName(p.kernel))},
                  {QStringLiteral("C"), p.C},
                  {QStringLiteral("gamma"), p.gamma},
                  {QStringLiteral("degree"), p.degree},
                  {QStringLiteral("coef0"), p.coef0}};
    if (!p.gammaMode.empty())
        o[QStringLiteral("gamma_mode")] = q(p.gammaMode);
    return o;
}

QJsonObject gridPointJson(const GridPointResult& r)
{
    QJsonObject o = paramsJson(r.params);
    QJsonArray folds;
    for (double f : r.folds) folds.append(f);
    o[QStringLiteral("index")] = r.index;
    o[QStringLiteral("mean")] = r.mean;
    o[QStringLiteral("std")] = r.std;
    o[QStringLiteral("folds")] = folds;
    o[QStringLiteral("seconds")] = r.seconds;
    return o;
}

QJsonObject evaluationJson(const Evaluation& e, const std::vector<std::string>& names)
{
    const ConfusionMatrix& cm = e.confusion;
    QJsonArray confusion;
    for (int t = 0; t < cm.classes; ++t) {
        QJsonArray row;
        for (int p = 0; p < cm.classes; ++p) row.append(double(cm.at(t, p)));
        confusion.append(row);
    }
    QJsonObject perClass, auc, ovr;
    const auto report = classReport(cm);
    for (int k = 0; k < cm.classes; ++k) {
        const ClassMetrics& m = report[std::size_t(k)];
        perClass[q(names[std::size_t(k)])] = QJsonObject{{QStringLiteral("precision"), m.precision},
                                                         {QStringLiteral("recall"), m.recall},
                                                         {QStringLiteral("f1"), m.f1},
                                                         {QStringLiteral("support"), double(m.support)}};
        auc[q(names[std::size_t(k)])] = number(e.roc.auc[std::size_t(k)]);
        const auto o = cm.oneVsRest(k);
        ovr[q(names[std::size_t(k)])] = QJsonObject{{QStringLiteral("tp"), double(o.tp)}, {QStringLiteral("fp"), double(o.fp)},
                                                    {QStringLiteral("fn"), double(o.fn)}, {QStringLiteral("tn"), double(o.tn)}};
    }
    return QJsonObject{{QStringLiteral("accuracy"), accuracy(cm)},
                       {QStringLiteral("balanced_accuracy"), balancedAccuracy(cm)},
                       {QStringLiteral("f1_macro"), macroF1(cm)},
                       {QStringLiteral("confusion"), confusion},
                       {QStringLiteral("roc_auc"), auc},
                       {QStringLiteral("roc_auc_macro"), number(e.roc.aucMacro)},
                       {QStringLiteral("roc_auc_micro"), number(e.roc.aucMicro)},
                       {QStringLiteral("roc_scores"), e.probabilities.empty() ? QStringLiteral("decision_ovr") : QStringLiteral("probability")},
                       {QStringLiteral("per_class"), perClass},
                       {QStringLiteral("one_vs_rest"), ovr},
                       {QStringLiteral("rows"), double(e.truth.size())}};
}

void writeJson(const std::string& path, const QJsonObject& object)
{
    writeFileAtomically(path, QJsonDocument(object).toJson(QJsonDocument::Indented));
}

void writeClassesJson(const std::string& path, const std::vector<std::string>& classNames)
{
    QJsonArray a;
    for (const auto& c : classNames) a.append(q(c));
    writeJson(path, QJsonObject{{QStringLiteral("format"), QStringLiteral("deepsvm-classes")},
                                {QStringLiteral("version"), 1},
                                {QStringLiteral("class_names"), a}});
}

std::vector<std::string> readClassesJson(const std::string& path)
{
    QFile f(q(path));
    if (!f.open(QIODevice::ReadOnly))
        throw std::runtime_error(path + ": cannot read (" + f.errorString().toStdString() + ")");
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    std::vector<std::string> out;
    for (const auto& v : doc.object()[QStringLiteral("class_names")].toArray())
        out.push_back(v.toString().toStdString());
    if (out.size() < 2)
        throw std::runtime_error(path + ": needs a 'class_names' list of at least two classes");
    return out;
}

void writeFeatureSettings(const std::string& path, const QJsonObject& trainSidecar, double outlierNorm)
{
    QJsonObject o{{QStringLiteral("format"), QStringLiteral("deepsvm-feature-settings")},
                  {QStringLiteral("version"), 1},
                  {QStringLiteral("outlier_norm"), outlierNorm}};
    // A derived split (run's hold-out of a folder without a test split) keeps its origin's key.
    if (trainSidecar.contains(QStringLiteral("key")))
        o[QStringLiteral("key")] = trainSidecar[QStringLiteral("key")];
    else if (trainSidecar.contains(QStringLiteral("source_key")))
        o[QStringLiteral("key")] = trainSidecar[QStringLiteral("source_key")];
    if (trainSidecar.contains(QStringLiteral("weights_file")))
        o[QStringLiteral("weights_file")] = trainSidecar[QStringLiteral("weights_file")];
    writeJson(path, o);
}

void writePredictionsCsv(const std::string& path, const Evaluation& e, const std::vector<std::string>& names)
{
    std::string csv = "index,true,predicted";
    const bool probs = !e.probabilities.empty();
    if (probs)
        for (const auto& n : names) csv += ",p_" + safeFileName(n);
    csv += "\n";
    const std::size_t k = names.size();
    for (std::size_t i = 0; i < e.truth.size(); ++i) {
        csv += std::to_string(e.rows.empty() ? int64_t(i) : e.rows[i]) + "," + std::to_string(e.truth[i]) + "," + std::to_string(e.predicted[i]);
        if (probs)
            for (std::size_t c = 0; c < k; ++c) csv += "," + fmt(e.probabilities[i * k + c]);
        csv += "\n";
    }
    writeFileAtomically(path, QByteArray::fromStdString(csv));
}

void writeRocCsvs(const std::string& dir, const Evaluation& e, const std::vector<std::string>& names)
{
    auto write = [&](const std::string& name, const std::vector<RocPoint>& curve) {
        std::string csv = "fpr,tpr,threshold\n";
        for (const auto& p : curve) csv += fmt(p.fpr) + "," + fmt(p.tpr) + "," + fmt(p.threshold) + "\n";
        writeFileAtomically(dir + "/roc_" + name + ".csv", QByteArray::fromStdString(csv));
    };
    // Two names that sanitise alike get the class index appended, so no file overwrites another.
    std::vector<std::string> used{"micro_average", "macro_average"};
    for (std::size_t k = 0; k < names.size(); ++k) {
        std::string name = safeFileName(names[k]);
        if (std::find(used.begin(), used.end(), name) != used.end())
            name += "_" + std::to_string(k);
        used.push_back(name);
        write(name, e.roc.perClass[k]);
    }
    write("micro_average", e.roc.micro);
    write("macro_average", e.roc.macro);
}

bool readPredictionsCsv(const std::string& path, int classes, std::vector<int>* truth, std::vector<int>* predicted,
                        std::vector<double>* probabilities, std::vector<int64_t>* rows)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    if (lines.isEmpty() || !lines[0].startsWith("index,true,predicted"))
        return false;
    const bool hasProbabilities = lines[0].split(',').size() >= 3 + classes;
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> cells = lines[i].split(',');
        if (cells.size() < 3 || (hasProbabilities && cells.size() < 3 + classes))
            return false;
        if (rows)
            rows->push_back(cells[0].toLongLong());
        truth->push_back(cells[1].toInt());
        predicted->push_back(cells[2].toInt());
        if (hasProbabilities)
            for (int k = 0; k < classes; ++k)
                probabilities->push_back(cells[3 + k].toDouble());
    }
    return true;
}

}  // namespace deepsvm
