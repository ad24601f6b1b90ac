#include "svm/Classifier.h"

#include "data/Image.h"
#include "features/Preprocess.h"
#include "metrics/Metrics.h"
#include "nets/InferenceNet.h"
#include "nets/Weights.h"
#include "svm/Scaler.h"
#include "svm/SvmModel.h"
#include "svm/SvmReport.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace deepsvm {

struct Classifier::Impl {
    std::vector<std::string> classNames;
    Scaler scaler;
    std::unique_ptr<SvmModel> model;
    std::unique_ptr<InferenceNet> net;
    PreprocessOptions pre;
    std::string layer;
    double outlierNorm = 0;
};

namespace {

QJsonObject readObject(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        throw std::runtime_error(path + ": missing; is this a model folder written by 'deepsvm svm' or 'deepsvm run'?");
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        throw std::runtime_error(path + ": not valid JSON (" + err.errorString().toStdString() + ")");
    return doc.object();
}

}  // namespace

Classifier::Classifier(const std::string& dir) : d(std::make_unique<Impl>())
{
    const ModelFiles files{dir};
    d->classNames = readClassesJson(files.classes());
    d->scaler = Scaler::load(files.scaler());
    d->model = std::make_unique<SvmModel>(SvmModel::load(files.model()));
    const QJsonObject settings = readObject(files.featureSettings());
    const QJsonObject key = settings[QStringLiteral("key")].toObject();
    if (key.isEmpty())
        throw std::runtime_error(files.featureSettings() + ": has no feature settings (the model was trained on bare "
                                 ".npy files, so images cannot be turned into the same features)");
    const std::string backbone = key[QStringLiteral("backbone")].toString().toStdString();
    const std::string sha = key[QStringLiteral("weights_sha256")].toString().toStdString();
    const auto [weights, seed] = weightsOfKey(settings[QStringLiteral("weights_file")].toString().toStdString(), sha);
    WeightsInfo info;
    ResNet resnet = makeResNet(backbone, weights, &info, seed);
    if (weights != "random" && info.sha256 != sha)
        throw std::runtime_error(weights + ": its SHA-256 differs from the weights the model was trained with");
    resnet->eval();
    d->net = std::make_unique<InferenceNet>(resnet, parsePrecision(key[QStringLiteral("precision")].toString().toStdString()));
    d->pre.size = key[QStringLiteral("size")].toInt(224);
    d->pre.normalization = parseNormalization(key[QStringLiteral("normalize")].toString().toStdString());
    d->layer = key[QStringLiteral("layer")].toString().toStdString();
    d->outlierNorm = settings[QStringLiteral("outlier_norm")].toDouble(0);
    for (int label : d->model->labels())
        if (label < 0 || label >= int(d->classNames.size()))
            throw std::runtime_error(files.model() + ": has class " + std::to_string(label) + " but " + files.classes()
                                     + " names " + std::to_string(d->classNames.size()) + " classes; the files come from different models");
}

Classifier::~Classifier() = default;

const std::vector<std::string>& Classifier::classNames() const { return d->classNames; }

Classifier::Result Classifier::classify(const std::string& path, int topK) const
{
    Result r;
    r.path = path;
    RgbImage image;
    try {
        image = loadImageFile(path);
    } catch (const ImageError& e) {
        r.error = e.what();
        return r;
    }
    const torch::Tensor input = preprocess(image, d->pre).unsqueeze(0);
    const InferenceNet::Output out = d->net->forward(input);
    const torch::Tensor f = (d->layer == "fc" ? out.logits : out.pooled).contiguous();
    if (f.size(1) != d->scaler.dims())
        throw std::runtime_error("the network gives " + std::to_string(f.size(1)) + " features but the scaler expects "
                                 + std::to_string(d->scaler.dims()));
    std::vector<float> raw(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    const std::vector<double> x = d->scaler.transform(raw, 1);
    double norm = 0;
    for (double v : x) norm += v * v;
    r.distance = std::sqrt(norm);
    r.farFromTraining = d->outlierNorm > 0 && r.distance > d->outlierNorm;
    const auto rows = SvmRows::fromFeatures(x, 1, int64_t(x.size()));
    const std::vector<int> labels = d->model->labels();
    std::vector<double> score(d->classNames.size(), 0.0);
    if (d->model->hasProbability()) {
        std::vector<double> p;
        d->model->predictProbability(rows->row(0), &p);
        for (std::size_t k = 0; k < labels.size(); ++k) score[std::size_t(labels[k])] = p[k];
    } else {
        std::vector<double> dec;
        d->model->predict(rows->row(0), &dec);
        score = ovrScores(dec, 1, labels, int(d->classNames.size()));
    }
    std::vector<int> order(score.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
    for (int i = 0; i < std::min<int>(topK, int(order.size())); ++i)
        r.top.push_back({order[std::size_t(i)], d->classNames[std::size_t(order[std::size_t(i)])], score[std::size_t(order[std::size_t(i)])]});
    return r;
}

}  // namespace deepsvm
