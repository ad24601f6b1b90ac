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

bool RunData::load(const QJsonObject& run, RunData* out, QString* error)
{
    const RunRecord record = RunRecord::fromJson(run);
    RunResults results;
    if (!RunResults::load(record.dir, &results, error))
        return false;
    if (results.hasTest() && !results.hasPredictions) {
        if (error)
            *error = QObject::tr("%1: missing or malformed").arg(QString::fromStdString(ModelFiles{record.dir.toStdString()}.predictions()));
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
    if (d.hasTest())
        d.testIds = readFeatureIds(record.testPrefix);
    *out = std::move(d);
    return true;
}

}  // namespace deepsvm
