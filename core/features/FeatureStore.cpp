#include "features/FeatureStore.h"

#include "io/JsonFile.h"

#include "features/Npy.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <stdexcept>

namespace deepsvm {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
std::string s(const QJsonValue& v) { return v.toString().toStdString(); }
}  // namespace

QJsonObject FeatureKey::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("dataset")] = q(datasetRoot);
    o[QStringLiteral("dataset_hash")] = q(datasetHash);
    o[QStringLiteral("split")] = q(split);
    o[QStringLiteral("backbone")] = q(backbone);
    o[QStringLiteral("weights_sha256")] = q(weightsSha256);
    o[QStringLiteral("layer")] = q(layer);
    o[QStringLiteral("size")] = size;
    if (resize != 0 && resize != size)
        o[QStringLiteral("resize")] = resize;
    o[QStringLiteral("precision")] = q(precision);
    o[QStringLiteral("normalize")] = q(normalization);
    o[QStringLiteral("preprocess_version")] = preprocessVersion;
    return o;
}

FeatureKey FeatureKey::fromJson(const QJsonObject& o)
{
    FeatureKey k;
    k.datasetRoot = s(o[QStringLiteral("dataset")]);
    k.datasetHash = s(o[QStringLiteral("dataset_hash")]);
    k.split = s(o[QStringLiteral("split")]);
    k.backbone = s(o[QStringLiteral("backbone")]);
    k.weightsSha256 = s(o[QStringLiteral("weights_sha256")]);
    k.layer = s(o[QStringLiteral("layer")]);
    k.size = o[QStringLiteral("size")].toInt();
    k.resize = o[QStringLiteral("resize")].toInt(0);
    k.precision = s(o[QStringLiteral("precision")]);
    k.normalization = s(o[QStringLiteral("normalize")]);
    k.preprocessVersion = o[QStringLiteral("preprocess_version")].toInt();
    return k;
}

bool FeatureKey::operator==(const FeatureKey& o) const
{
    return toJson() == o.toJson();
}

namespace FeatureStore {

std::string featuresPath(const std::string& prefix) { return prefix + ".features.npy"; }
std::string labelsPath(const std::string& prefix) { return prefix + ".labels.npy"; }
std::string sidecarPath(const std::string& prefix) { return prefix + ".json"; }

namespace {

QJsonObject readSidecar(const std::string& path)
{
    return readJsonObjectIfExists(path, "delete it to re-extract").value_or(QJsonObject());
}

}  // namespace

bool isCached(const std::string& prefix, const FeatureKey& key)
{
    if (!QFile::exists(q(featuresPath(prefix))) || !QFile::exists(q(labelsPath(prefix))))
        return false;
    try {
        const QJsonObject side = readSidecar(sidecarPath(prefix));
        return !side.isEmpty() && FeatureKey::fromJson(side[QStringLiteral("key")].toObject()) == key;
    } catch (const std::exception&) {
        return false;
    }
}

FeatureSet load(const std::string& prefix)
{
    FeatureSet set;
    NpyArray<float> f = readNpyFloat(featuresPath(prefix));
    if (f.shape.size() != 2)
        throw NpyError(featuresPath(prefix) + ": features must be a 2-D array (rows x dimensions)");
    NpyArray<int64_t> l = readNpyInt(labelsPath(prefix));
    if (l.shape.size() != 1)
        throw NpyError(labelsPath(prefix) + ": labels must be a 1-D array (one label per row)");
    if (l.rows() != f.rows())
        throw NpyError(labelsPath(prefix) + ": has " + std::to_string(l.data.size()) + " labels but "
                       + featuresPath(prefix) + " has " + std::to_string(f.rows()) + " rows");
    set.rows = f.rows();
    set.cols = f.cols();
    set.values = std::move(f.data);
    set.labels = std::move(l.data);
    set.sidecar = readSidecar(sidecarPath(prefix));
    for (const auto& v : set.sidecar[QStringLiteral("class_names")].toArray())
        set.classNames.push_back(v.toString().toStdString());
    for (const auto& v : set.sidecar[QStringLiteral("ids")].toArray())
        set.ids.push_back(v.toString().toStdString());
    return set;
}

void writeSidecar(const std::string& prefix, const QJsonObject& sidecar)
{
    writeFileAtomically(sidecarPath(prefix), QJsonDocument(sidecar).toJson(QJsonDocument::Indented));
}

}  // namespace FeatureStore

}  // namespace deepsvm
