#include "models/RunData.h"

#include "models/ImageLookup.h"
#include "pipeline/RunRecord.h"
#include "svm/SvmParams.h"
#include "svm/SvmReport.h"

namespace deepsvm {

QString describeParams(const QJsonObject& params)
{
    try {
        return QString::fromStdString(SvmParams::fromJson(params).describe());
    } catch (const std::exception&) {
        return QStringLiteral("?");
    }
}

bool RunData::modelHasProbability() const
{
    const QJsonObject svm = run.value(QStringLiteral("svm")).toObject();
    return svm.value(QStringLiteral("probability")).toBool(true) && !probabilities.empty();
}

bool RunData::load(const QJsonObject& run, RunData* out, QString* error, Evaluated which)
{
    const RunRecord record = RunRecord::fromJson(run);
    RunResults results;
    if (!RunResults::load(record.dir, &results, error, which))
        return false;
    if (results.hasTest() && !results.hasPredictions) {
        const ModelFiles files{record.dir.toStdString()};
        if (error)
            *error = QObject::tr("%1: missing or malformed")
                         .arg(QString::fromStdString(which == Evaluated::Test ? files.predictions() : files.oofPredictions()));
        return false;
    }
    RunData d;
    d.run = run;
    d.report = std::move(results.report);
    d.classNames = std::move(results.classNames);
    d.confusion = std::move(results.confusion);
    d.truth = std::move(results.truth);
    d.predicted = std::move(results.predicted);
    d.probabilities = std::move(results.probabilities);
    d.roc = std::move(results.roc);
    d.hasRoc = results.hasRoc;
    d.evaluated = which;
    if (d.hasTest()) {
        // Each prediction names its row in the feature file (rows a labels override left out
        // are skipped there), so the ids follow the rows, not the positions.
        const std::vector<std::string> ids = readFeatureIds(which == Evaluated::Test ? record.testPrefix : record.trainPrefix);
        for (int64_t row : results.rows)
            if (row >= 0 && std::size_t(row) < ids.size())
                d.testIds.push_back(ids[std::size_t(row)]);
    }
    *out = std::move(d);
    return true;
}

}  // namespace deepsvm
