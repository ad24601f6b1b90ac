#include "pipeline/ModelBundle.h"

#include "io/JsonFile.h"
#include "svm/LinearModel.h"
#include "svm/SvmModel.h"
#include "svm/SvmReport.h"


#include <stdexcept>

namespace deepsvm {

namespace {

QJsonObject readObject(const std::string& path)
{
    if (auto o = readJsonObjectIfExists(path))
        return *o;
    throw std::runtime_error(path + ": missing; is this a model folder written by 'deepsvm svm' or 'deepsvm run'?");
}

}  // namespace

QJsonObject FeatureSettings::toJson() const
{
    QJsonObject o{{QStringLiteral("format"), QStringLiteral("deepsvm-feature-settings")},
                  {QStringLiteral("version"), 1},
                  {QStringLiteral("outlier_norm"), outlierNorm}};
    if (hasKey)
        o[QStringLiteral("key")] = key.toJson();
    if (!weightsFile.empty())
        o[QStringLiteral("weights_file")] = QString::fromStdString(weightsFile);
    return o;
}

FeatureSettings FeatureSettings::fromJson(const QJsonObject& o)
{
    FeatureSettings s;
    const QJsonObject key = o[QStringLiteral("key")].toObject();
    s.hasKey = !key.isEmpty();
    s.key = FeatureKey::fromJson(key);
    // Model folders from before the input size was recorded were made at 224 x 224.
    s.key.size = key[QStringLiteral("size")].toInt(224);
    s.weightsFile = o[QStringLiteral("weights_file")].toString().toStdString();
    s.outlierNorm = o[QStringLiteral("outlier_norm")].toDouble(0);
    return s;
}

ModelBundle::ModelBundle() = default;
ModelBundle::ModelBundle(ModelBundle&&) noexcept = default;
ModelBundle& ModelBundle::operator=(ModelBundle&&) noexcept = default;
ModelBundle::~ModelBundle() = default;

ModelBundle ModelBundle::read(const std::string& dir)
{
    const ModelFiles files{dir};
    ModelBundle b;
    b.dir = dir;
    b.classNames = readClassesJson(files.classes());
    b.scaler = Scaler::load(files.scaler());
    const bool linear = LinearModel::existsIn(dir);
    if (linear)
        b.linear = std::make_unique<LinearModel>(LinearModel::load(dir));
    else
        b.model = std::make_unique<SvmModel>(SvmModel::load(files.model()));
    b.features = FeatureSettings::fromJson(readObject(files.featureSettings()));
    const std::string modelFile = linear ? dir + "/model.linear.json" : files.model();
    const int64_t modelDims = linear ? (b.linear->hasNystroem() ? b.linear->nystroem()->dims() : b.linear->svc().dims())
                                     : b.scaler.dims();
    if (modelDims != b.scaler.dims())
        throw std::runtime_error(modelFile + ": takes " + std::to_string(modelDims) + " features but " + files.scaler()
                                 + " scales " + std::to_string(b.scaler.dims()) + "; the files come from different models");
    for (int label : b.modelLabels())
        if (label < 0 || label >= int(b.classNames.size()))
            throw std::runtime_error(modelFile + ": has class " + std::to_string(label) + " but " + files.classes()
                                     + " names " + std::to_string(b.classNames.size()) + " classes; the files come from different models");
    return b;
}

std::vector<int> ModelBundle::modelLabels() const
{
    return linear ? linear->svc().labels() : model ? model->labels() : std::vector<int>{};
}

void ModelBundle::write(const std::string& dir) const
{
    if (!model && !linear)
        throw std::logic_error("ModelBundle::write: no SVM model to write");
    const ModelFiles files{dir};
    writeClassesJson(files.classes(), classNames);
    scaler.save(files.scaler());
    if (linear)
        linear->save(dir);
    else
        model->save(files.model());
    writeJson(files.featureSettings(), features.toJson());
}

void ModelBundle::requireFeatureKey(const std::string& why) const
{
    if (!features.hasKey)
        throw std::runtime_error(ModelFiles{dir}.featureSettings() + ": has no feature settings" + why);
}

}  // namespace deepsvm
