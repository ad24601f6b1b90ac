#include "finetune/GradCamTorch.h"

#include "data/Image.h"
#include "features/Preprocess.h"
#include "nets/Weights.h"
#include "pipeline/BundleNetwork.h"
#include "svm/SvmReport.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace deepsvm {

HeatMap gradCam(ResNet& net, const torch::Tensor& input, const std::function<torch::Tensor(const torch::Tensor&)>& score,
                int targetClass)
{
    torch::AutoGradMode enable(true);
    net->eval();
    torch::Tensor x = torch::relu(net->bn1->forward(net->conv1->forward(input)));
    x = torch::max_pool2d(x, 3, 2, 1);
    for (auto& layer : net->layers) x = layer->forward(x);
    const torch::Tensor activations = x;  // 1 x C x h x w, the last convolutional block
    const torch::Tensor pooled = torch::adaptive_avg_pool2d(activations, {1, 1}).flatten(1);
    const torch::Tensor scores = score(pooled);
    HeatMap map;
    map.size = int(input.size(2));
    const torch::Tensor s = scores.detach().to(torch::kDouble).flatten();
    map.scores.assign(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
    map.targetClass = targetClass >= 0 ? targetClass : int(s.argmax().item<int64_t>());
    if (map.targetClass >= int(map.scores.size()))
        throw std::invalid_argument("class " + std::to_string(map.targetClass) + " does not exist (" + std::to_string(map.scores.size()) + " classes)");
    const torch::Tensor grad = torch::autograd::grad({scores.flatten()[map.targetClass]}, {activations})[0];
    const torch::Tensor alpha = grad.mean({2, 3}, true);
    torch::Tensor cam = torch::relu((alpha * activations).sum(1, true)).detach();
    cam = torch::upsample_bilinear2d(cam, {map.size, map.size}, false).squeeze();
    const double top = cam.max().item<double>();
    if (top > 0)
        cam = cam / top;
    cam = cam.contiguous().to(torch::kFloat);
    map.values.assign(cam.data_ptr<float>(), cam.data_ptr<float>() + cam.numel());
    return map;
}

namespace {

/// A libsvm C-SVC model file in tensors: support vectors (nSV x D), per-class blocks and the
/// one-vs-one coefficients and rho.
struct LibsvmModel {
    std::string kernel = "rbf";
    int degree = 3;
    double gamma = 0, coef0 = 0;
    std::vector<int> labels, counts;
    std::vector<double> rho;
    torch::Tensor sv;    ///< nSV x D, double
    torch::Tensor coef;  ///< (K-1) x nSV, double
};

LibsvmModel readLibsvmModel(const std::string& path, int64_t dims)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(path + ": cannot read the SVM model");
    LibsvmModel m;
    std::string line;
    int classes = 0, total = 0;
    while (std::getline(in, line) && line != "SV") {
        std::istringstream s(line);
        std::string key;
        s >> key;
        if (key == "kernel_type") s >> m.kernel;
        else if (key == "degree") s >> m.degree;
        else if (key == "gamma") s >> m.gamma;
        else if (key == "coef0") s >> m.coef0;
        else if (key == "nr_class") s >> classes;
        else if (key == "total_sv") s >> total;
        else if (key == "rho") for (double v; s >> v;) m.rho.push_back(v);
        else if (key == "label") for (int v; s >> v;) m.labels.push_back(v);
        else if (key == "nr_sv") for (int v; s >> v;) m.counts.push_back(v);
        else if (key == "svm_type") { std::string t; s >> t; if (t != "c_svc") throw std::runtime_error(path + ": not a C-SVC model"); }
    }
    if (line != "SV" || classes < 2 || total < 1 || int(m.labels.size()) != classes || int(m.counts.size()) != classes
        || int(m.rho.size()) != classes * (classes - 1) / 2)
        throw std::runtime_error(path + ": not a complete libsvm model file");
    if (m.kernel == "precomputed")
        throw std::runtime_error(path + ": a precomputed-kernel model has no support vectors to differentiate");
    m.sv = torch::zeros({total, dims}, torch::kDouble);
    m.coef = torch::zeros({classes - 1, total}, torch::kDouble);
    auto sv = m.sv.accessor<double, 2>();
    auto coef = m.coef.accessor<double, 2>();
    for (int r = 0; r < total; ++r) {
        if (!std::getline(in, line))
            throw std::runtime_error(path + ": ends after " + std::to_string(r) + " of " + std::to_string(total) + " support vectors");
        std::istringstream s(line);
        for (int c = 0; c < classes - 1; ++c) s >> coef[c][r];
        std::string pair;
        while (s >> pair) {
            const auto colon = pair.find(':');
            const long index = std::stol(pair.substr(0, colon));
            if (index < 1 || index > dims)
                throw std::runtime_error(path + ": feature index " + std::to_string(index) + " outside 1.." + std::to_string(dims));
            sv[r][index - 1] = std::stod(pair.substr(colon + 1));
        }
    }
    return m;
}

/// Class scores (1 x K, in label order 0..K-1) from scaled features z (1 x D).
torch::Tensor svmScores(const LibsvmModel& m, const torch::Tensor& z, int64_t classCount)
{
    torch::Tensor k;
    const torch::Tensor dot = torch::matmul(z, m.sv.t());  // 1 x nSV
    if (m.kernel == "linear") k = dot;
    else if (m.kernel == "polynomial") k = torch::pow(m.gamma * dot + m.coef0, m.degree);
    else if (m.kernel == "sigmoid") k = torch::tanh(m.gamma * dot + m.coef0);
    else if (m.kernel == "rbf") k = torch::exp(-m.gamma * (z.pow(2).sum(1, true) - 2 * dot + m.sv.pow(2).sum(1).unsqueeze(0)));
    else throw std::runtime_error("kernel \"" + m.kernel + "\" is not supported");
    const int classes = int(m.labels.size());
    std::vector<int64_t> start(std::size_t(classes) + 1, 0);
    for (int i = 0; i < classes; ++i) start[std::size_t(i) + 1] = start[std::size_t(i)] + m.counts[std::size_t(i)];
    std::vector<torch::Tensor> score(std::size_t(classCount), torch::zeros({1}, torch::kDouble));
    int p = 0;
    for (int i = 0; i < classes; ++i)
        for (int j = i + 1; j < classes; ++j, ++p) {
            const int64_t si = start[std::size_t(i)], ni = m.counts[std::size_t(i)];
            const int64_t sj = start[std::size_t(j)], nj = m.counts[std::size_t(j)];
            const torch::Tensor dec = (m.coef[j - 1].narrow(0, si, ni) * k[0].narrow(0, si, ni)).sum()
                                      + (m.coef[i].narrow(0, sj, nj) * k[0].narrow(0, sj, nj)).sum() - m.rho[std::size_t(p)];
            score[std::size_t(m.labels[std::size_t(i)])] = score[std::size_t(m.labels[std::size_t(i)])] + dec;
            score[std::size_t(m.labels[std::size_t(j)])] = score[std::size_t(m.labels[std::size_t(j)])] - dec;
        }
    return torch::stack(score).view({1, classCount});
}

torch::Tensor inputFor(const RgbImage& image, int size, const std::string& normalization)
{
    PreprocessOptions pre;
    pre.size = size;
    pre.normalization = parseNormalization(normalization);
    return preprocess(image, pre).unsqueeze(0);
}

}  // namespace

struct SvmGradCam::Impl {
    ResNet net{nullptr};
    LibsvmModel model;
    torch::Tensor mean, scale;  // 1 x D, double
    std::vector<std::string> classNames;
    int size = 224;
    std::string normalization = "imagenet";
};

SvmGradCam::SvmGradCam(const std::string& modelDir) : d(std::make_unique<Impl>())
{
    const ModelBundle bundle = ModelBundle::read(modelDir);
    if (bundle.linear)
        throw std::runtime_error(modelDir + "/model.linear.json: Grad-CAM here differentiates the exact SVM's kernel; "
                                 "train with --solver exact for heat maps");
    bundle.requireFeatureKey("; the model cannot be traced back to images");
    const FeatureKey& key = bundle.features.key;
    if (key.layer == "fc")
        throw std::runtime_error(ModelFiles{modelDir}.featureSettings()
                                 + ": the model uses the fc layer's outputs; Grad-CAM here needs avgpool features");
    d->classNames = bundle.classNames;
    d->net = buildNetwork(bundle);
    d->size = key.size;
    // Older feature settings did not record the normalisation; extraction defaulted to ImageNet's.
    d->normalization = key.normalization.empty() ? std::string("imagenet") : key.normalization;
    const int64_t dims = bundle.scaler.dims();
    d->mean = torch::tensor(bundle.scaler.mean(), torch::kDouble).view({1, dims});
    d->scale = torch::tensor(bundle.scaler.scale(), torch::kDouble).view({1, dims});
    // libsvm's own copy of the model cannot be differentiated: the file again, as tensors.
    d->model = readLibsvmModel(ModelFiles{modelDir}.model(), dims);
}

SvmGradCam::~SvmGradCam() = default;

const std::vector<std::string>& SvmGradCam::classNames() const
{
    return d->classNames;
}

HeatMap SvmGradCam::compute(const RgbImage& image, int targetClass) const
{
    const int64_t classes = int64_t(d->classNames.size());
    return gradCam(d->net, inputFor(image, d->size, d->normalization),
                   [&](const torch::Tensor& pooled) {
                       const torch::Tensor z = (pooled.to(torch::kDouble) - d->mean) / d->scale;
                       return svmScores(d->model, z, classes);
                   },
                   targetClass);
}

HeatMap gradCamWithHead(const std::string& backbone, const std::string& weights, const RgbImage& image, int size,
                        const std::string& normalization, int targetClass)
{
    WeightsInfo info;
    ResNet net = makeResNet(backbone, weights, &info);
    return gradCam(net, inputFor(image, size, normalization), [&](const torch::Tensor& pooled) { return net->fc->forward(pooled); },
                   targetClass);
}

}  // namespace deepsvm
