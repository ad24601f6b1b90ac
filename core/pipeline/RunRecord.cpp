#include "pipeline/RunRecord.h"

#include "features/FeatureStore.h"
#include "svm/GridSearch.h"
#include "svm/SvmReport.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace deepsvm {

namespace {

const QString kId = QStringLiteral("id"), kDir = QStringLiteral("dir"), kKind = QStringLiteral("kind"),
              kStarted = QStringLiteral("started"), kFinished = QStringLiteral("finished"), kDataset = QStringLiteral("dataset"),
              kFeatures = QStringLiteral("features"), kTrain = QStringLiteral("train_prefix"), kTest = QStringLiteral("test_prefix"),
              kSvm = QStringLiteral("svm"), kBest = QStringLiteral("best"), kGridPoints = QStringLiteral("grid_points"),
              kTimings = QStringLiteral("timings"), kTestScores = QStringLiteral("test"), kCvBest = QStringLiteral("cv_best"),
              kOof = QStringLiteral("oof");

/// The scores a run record keeps of a report's "test" or "oof" object.
QJsonObject summaryScores(const QJsonObject& t)
{
    QJsonObject out;
    for (const char* field : {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc_macro", "rows"})
        if (t.contains(QLatin1String(field)))
            out.insert(QLatin1String(field), t.value(QLatin1String(field)));
    return out;
}

/// Sets o[key] = v; an undefined v leaves the key out, as QJsonObject's own insert does.
void put(QJsonObject& o, const QString& key, const QJsonValue& v)
{
    if (!v.isUndefined())
        o.insert(key, v);
}

}  // namespace

void RunRecord::takeReport(const QJsonObject& report)
{
    best = report.value(kBest);
    const QJsonArray cv = report.value(QStringLiteral("cv")).toArray();
    gridPoints = int(cv.size());
    timings = report.value(kTimings);
    test = summaryScores(report.value(kTestScores).toObject());
    oof = summaryScores(report.value(kOof).toObject());
    // The best point by the grid search's own rule.
    std::vector<GridPointResult> points(std::size_t(cv.size()));
    for (int i = 0; i < cv.size(); ++i)
        points[std::size_t(i)].mean = cv[i].toObject().value(QStringLiteral("mean")).toDouble(std::nan(""));
    const int b = GridSearch::bestIndex(points);
    cvBest = {};
    if (b >= 0) {
        const QJsonObject p = cv[b].toObject();
        cvBest = QJsonObject{{QStringLiteral("mean"), p.value(QStringLiteral("mean"))},
                             {QStringLiteral("std"), p.value(QStringLiteral("std"))},
                             {QStringLiteral("metric"), report.value(QStringLiteral("metric"))},
                             {QStringLiteral("folds"), report.value(QStringLiteral("folds"))}};
    }
}

QJsonObject RunRecord::toJson() const
{
    QJsonObject o = extra;
    o[kId] = id;
    o[kDir] = dir;
    o[kKind] = kind;
    o[kStarted] = started;
    o[kFinished] = finished;
    o[kDataset] = dataset;
    o[kFeatures] = features;
    o[kTrain] = trainPrefix;
    o[kTest] = testPrefix;
    o[kSvm] = svm;
    put(o, kBest, best);
    o[kGridPoints] = gridPoints;
    put(o, kTimings, timings);
    if (!cvBest.isEmpty())
        o[kCvBest] = cvBest;
    if (!oof.isEmpty())
        o[kOof] = oof;
    if (!test.isEmpty())
        o[kTestScores] = test;
    return o;
}

RunRecord RunRecord::fromJson(const QJsonObject& o)
{
    RunRecord r;
    r.id = o.value(kId).toString();
    r.dir = o.value(kDir).toString();
    r.kind = o.value(kKind).toString();
    r.started = o.value(kStarted).toString();
    r.finished = o.value(kFinished).toString();
    r.dataset = o.value(kDataset).toString();
    r.features = o.value(kFeatures).toObject();
    r.trainPrefix = o.value(kTrain).toString();
    r.testPrefix = o.value(kTest).toString();
    r.svm = o.value(kSvm).toObject();
    r.best = o.value(kBest);
    r.gridPoints = o.value(kGridPoints).toInt();
    r.timings = o.value(kTimings);
    r.test = o.value(kTestScores).toObject();
    r.cvBest = o.value(kCvBest).toObject();
    r.oof = o.value(kOof).toObject();
    r.extra = o;
    for (const QString& known : {kId, kDir, kKind, kStarted, kFinished, kDataset, kFeatures, kTrain, kTest, kSvm, kBest,
                                 kGridPoints, kTimings, kTestScores, kCvBest, kOof})
        r.extra.remove(known);
    return r;
}

QJsonObject featureSettingsOf(const QString& prefix)
{
    QFile f(QString::fromStdString(FeatureStore::sidecarPath(prefix.toStdString())));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    QJsonObject stored = o.value(QStringLiteral("key")).toObject();
    if (stored.isEmpty())
        stored = o.value(QStringLiteral("source_key")).toObject();
    QJsonObject key = stored.isEmpty() ? QJsonObject{} : FeatureKey::fromJson(stored).toJson();
    if (o.contains(QStringLiteral("weights_file")))
        key[QStringLiteral("weights_file")] = o.value(QStringLiteral("weights_file"));
    if (o.contains(QStringLiteral("pretrained")))
        key[QStringLiteral("pretrained")] = o.value(QStringLiteral("pretrained"));
    // The names the run records and the report use.
    key[QStringLiteral("weights")] = o.value(QStringLiteral("pretrained")).toBool() ? o.value(QStringLiteral("weights_file")).toString()
                                                                                     : QStringLiteral("random");
    put(key, QStringLiteral("normalization"), key.value(QStringLiteral("normalize")));
    return key;
}

QJsonObject RunResults::scores() const
{
    return report.value(evaluated == Evaluated::Test ? QStringLiteral("test") : QStringLiteral("oof")).toObject();
}

bool RunResults::fromReport(const QJsonObject& report, const QString& dir, RunResults* out, QString* error,
                            Evaluated which)
{
    RunResults r;
    r.report = report;
    r.evaluated = which;
    for (const auto& v : report.value(QStringLiteral("class_names")).toArray())
        r.classNames.push_back(v.toString().toStdString());
    const int k = int(r.classNames.size());
    const QJsonArray rows = r.scores().value(QStringLiteral("confusion")).toArray();
    if (!rows.isEmpty()) {
        r.confusion.classes = k;
        for (const auto& row : rows)
            for (const auto& c : row.toArray())
                r.confusion.counts.push_back(int64_t(c.toDouble()));
        if (int(r.confusion.counts.size()) != k * k) {
            if (error)
                *error = QCoreApplication::translate("QObject", "%1: the confusion matrix is not %2 x %2")
                             .arg(dir + QStringLiteral("/report.json")).arg(k);
            return false;
        }
        const ModelFiles files{dir.toStdString()};
        const std::string predictions = which == Evaluated::Test ? files.predictions() : files.oofPredictions();
        r.hasPredictions = readPredictionsCsv(predictions, k, &r.truth, &r.predicted, &r.probabilities, &r.rows);
        if (r.hasPredictions && !r.probabilities.empty()) {
            r.roc = rocOneVsRest(r.truth, r.probabilities, k);
            r.hasRoc = true;
        }
    }
    *out = std::move(r);
    return true;
}

bool RunResults::load(const QString& dir, RunResults* out, QString* error, Evaluated which)
{
    const QString reportPath = dir + QStringLiteral("/report.json");
    QFile f(reportPath);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QCoreApplication::translate("QObject", "%1: cannot open (%2); was the run folder moved or deleted?")
                         .arg(reportPath, f.errorString());
        return false;
    }
    QJsonParseError pe;
    const QJsonObject report = QJsonDocument::fromJson(f.readAll(), &pe).object();
    if (pe.error != QJsonParseError::NoError) {
        if (error)
            *error = QCoreApplication::translate("QObject", "%1: not valid JSON (%2)").arg(reportPath, pe.errorString());
        return false;
    }
    return fromReport(report, dir, out, error, which);
}

}  // namespace deepsvm
