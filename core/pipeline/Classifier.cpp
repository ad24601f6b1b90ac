#include "pipeline/Classifier.h"

#include "data/Image.h"
#include "features/Preprocess.h"
#include "metrics/Metrics.h"
#include "nets/InferenceNet.h"
#include "pipeline/BundleNetwork.h"
#include "svm/SvmModel.h"
#include "svm/SvmReport.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace deepsvm {

struct Classifier::Impl {
    ModelBundle bundle;
    std::unique_ptr<InferenceNet> net;
    PreprocessOptions pre;
};

Classifier::Classifier(const std::string& dir) : d(std::make_unique<Impl>())
{
    d->bundle = ModelBundle::read(dir);
    d->bundle.requireFeatureKey(" (the model was trained on bare .npy files, so images cannot be turned into the same features)");
    const FeatureKey& key = d->bundle.features.key;
    ResNet resnet = buildNetwork(d->bundle);
    resnet->eval();
    d->net = std::make_unique<InferenceNet>(resnet, parsePrecision(key.precision));
    d->pre.size = key.size;
    d->pre.normalization = parseNormalization(key.normalization);
}

Classifier::~Classifier() = default;

const std::vector<std::string>& Classifier::classNames() const { return d->bundle.classNames; }

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
    const torch::Tensor f = (d->bundle.features.key.layer == "fc" ? out.logits : out.pooled).contiguous();
    if (f.size(1) != d->bundle.scaler.dims())
        throw std::runtime_error("the network gives " + std::to_string(f.size(1)) + " features but the scaler expects "
                                 + std::to_string(d->bundle.scaler.dims()));
    std::vector<float> raw(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    const std::vector<double> x = d->bundle.scaler.transform(raw, 1);
    double norm = 0;
    for (double v : x) norm += v * v;
    r.distance = std::sqrt(norm);
    r.farFromTraining = d->bundle.features.outlierNorm > 0 && r.distance > d->bundle.features.outlierNorm;
    const auto rows = SvmRows::fromFeatures(x, 1, int64_t(x.size()));
    const std::vector<int> labels = d->bundle.model->labels();
    std::vector<double> score(d->bundle.classNames.size(), 0.0);
    if (d->bundle.model->hasProbability()) {
        std::vector<double> p;
        d->bundle.model->predictProbability(rows->row(0), &p);
        for (std::size_t k = 0; k < labels.size(); ++k) score[std::size_t(labels[k])] = p[k];
    } else {
        std::vector<double> dec;
        d->bundle.model->predict(rows->row(0), &dec);
        score = ovrScores(dec, 1, labels, int(d->bundle.classNames.size()));
    }
    std::vector<int> order(score.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
    for (int i = 0; i < std::min<int>(topK, int(order.size())); ++i)
        r.top.push_back({order[std::size_t(i)], d->bundle.classNames[std::size_t(order[std::size_t(i)])], score[std::size_t(order[std::size_t(i)])]});
    return r;
}

}  // namespace deepsvm
