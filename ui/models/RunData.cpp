#include "models/RunData.h"

#include "models/ImageLookup.h"
#include "svm/SvmParams.h"
#include "svm/SvmReport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace deepsvm {

QString describeParams(const QJsonObject& params)
{
    try {
        return QString::fromStdString(SvmParams::fromJson(params).describe());
    } catch (const std::exception&) {
        return QStringLiteral("?");
    }
}

bool RunData::load(const QJsonObject& run, RunData* out, QString* error)
{
    RunData d;
    d.run = run;
    const QString dir = run.value(QStringLiteral("dir")).toString();
    const QString reportPath = dir + QStringLiteral("/report.json");
    QFile f(reportPath);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QObject::tr("%1: cannot open (%2); was the run folder moved or deleted?").arg(reportPath, f.errorString());
        return false;
    }
    QJsonParseError pe;
    d.report = QJsonDocument::fromJson(f.readAll(), &pe).object();
    if (pe.error != QJsonParseError::NoError) {
        if (error)
            *error = QObject::tr("%1: not valid JSON (%2)").arg(reportPath, pe.errorString());
        return false;
    }
    for (const auto& v : d.report.value(QStringLiteral("class_names")).toArray())
        d.classNames.push_back(v.toString().toStdString());
    const int k = int(d.classNames.size());
    const QJsonArray rows = d.test().value(QStringLiteral("confusion")).toArray();
    if (!rows.isEmpty()) {
        d.confusion.classes = k;
        for (const auto& row : rows)
            for (const auto& c : row.toArray())
                d.confusion.counts.push_back(int64_t(c.toDouble()));
        if (int(d.confusion.counts.size()) != k * k) {
            if (error)
                *error = QObject::tr("%1: the confusion matrix is not %2 x %2").arg(reportPath).arg(k);
            return false;
        }
        const std::string predictions = (dir + QStringLiteral("/predictions.csv")).toStdString();
        if (!readPredictionsCsv(predictions, k, &d.truth, &d.predicted, &d.probabilities)) {
            if (error)
                *error = QObject::tr("%1: missing or malformed").arg(QString::fromStdString(predictions));
            return false;
        }
        if (!d.probabilities.empty()) {
            d.roc = rocOneVsRest(d.truth, d.probabilities, k);
            d.hasRoc = true;
        }
        d.testIds = readFeatureIds(run.value(QStringLiteral("test_prefix")).toString());
    }
    *out = std::move(d);
    return true;
}

}  // namespace deepsvm
