#include "project/Experiment.h"

#include <QJsonDocument>
#include <QJsonValue>

namespace deepsvm {

namespace {

/// Field `key` of `o` must be absent or of the given type.
bool typeIs(const QJsonObject& o, const char* key, QJsonValue::Type type, const char* what, QString* error)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.type() == type)
        return true;
    *error = QStringLiteral("field \"%1\" should be %2").arg(QLatin1String(key), QLatin1String(what));
    return false;
}

}  // namespace

std::optional<Experiment> parseExperiment(const QByteArray& bytes, QString* error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = QStringLiteral("not valid JSON (%1 at byte %2); the file is damaged, open its .bak copy if there is one")
                     .arg(pe.errorString())
                     .arg(pe.offset);
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("not a DeepSVM Studio experiment (the JSON is not an object)");
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("format")).toString() != QStringLiteral("deepsvm-experiment")) {
        *error = QStringLiteral("not a DeepSVM Studio experiment (no \"format\": \"deepsvm-experiment\")");
        return std::nullopt;
    }
    const QJsonValue version = o.value(QStringLiteral("version"));
    if (!version.isUndefined() && (!version.isDouble() || version.toDouble() != double(version.toInt()) || version.toInt() < 1)) {
        *error = QStringLiteral("field \"version\" should be a whole number from 1");
        return std::nullopt;
    }
    Experiment e;
    e.version = version.isUndefined() ? 1 : version.toInt();
    if (e.version > kExperimentVersion) {
        *error = QStringLiteral("written by a newer DeepSVM Studio (experiment version %1; this one reads up to %2); "
                                "update DeepSVM Studio to open it")
                     .arg(e.version)
                     .arg(kExperimentVersion);
        return std::nullopt;
    }
    using T = QJsonValue::Type;
    for (const char* key : {"workspace", "dataset", "train_prefix", "test_prefix", "current_run"})
        if (!typeIs(o, key, T::String, "text", error))
            return std::nullopt;
    for (const char* key : {"features", "svm", "split"})
        if (!typeIs(o, key, T::Object, "an object", error))
            return std::nullopt;
    if (!typeIs(o, "runs", T::Array, "a list of runs", error))
        return std::nullopt;
    const QJsonArray runs = o.value(QStringLiteral("runs")).toArray();
    for (qsizetype i = 0; i < runs.size(); ++i) {
        if (!runs[i].isObject() || !runs[i].toObject().value(QStringLiteral("id")).isString()) {
            *error = QStringLiteral("run %1 of \"runs\" should be an object with a text \"id\"").arg(i + 1);
            return std::nullopt;
        }
    }
    e.hasWorkspace = o.contains(QStringLiteral("workspace"));
    e.workspace = o.value(QStringLiteral("workspace")).toString();
    e.dataset = o.value(QStringLiteral("dataset")).toString();
    e.features = o.value(QStringLiteral("features")).toObject();
    e.trainPrefix = o.value(QStringLiteral("train_prefix")).toString();
    e.testPrefix = o.value(QStringLiteral("test_prefix")).toString();
    e.svm = o.value(QStringLiteral("svm")).toObject();
    e.split = o.value(QStringLiteral("split")).toObject();
    e.runs = runs;
    e.currentRun = o.value(QStringLiteral("current_run")).toString();
    return e;
}

QJsonObject experimentJson(const Experiment& e)
{
    QJsonObject o{{QStringLiteral("format"), QStringLiteral("deepsvm-experiment")},
                  {QStringLiteral("version"), e.version},
                  {QStringLiteral("dataset"), e.dataset},
                  {QStringLiteral("features"), e.features},
                  {QStringLiteral("train_prefix"), e.trainPrefix},
                  {QStringLiteral("test_prefix"), e.testPrefix},
                  {QStringLiteral("svm"), e.svm},
                  {QStringLiteral("runs"), e.runs},
                  {QStringLiteral("current_run"), e.currentRun}};
    if (e.hasWorkspace)
        o.insert(QStringLiteral("workspace"), e.workspace);
    if (!e.split.isEmpty())
        o.insert(QStringLiteral("split"), e.split);
    return o;
}

}  // namespace deepsvm
