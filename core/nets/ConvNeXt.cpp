#include "nets/ConvNeXt.h"

#include <stdexcept>

namespace deepsvm {

namespace nn = torch::nn;

ConvNeXtSpec convnextSpec(const std::string& name)
{
    if (name == "convnext_tiny") return {name, {96, 192, 384, 768}, {3, 3, 9, 3}};
    if (name == "convnext_small") return {name, {96, 192, 384, 768}, {3, 3, 27, 3}};
    if (name == "convnext_base") return {name, {128, 256, 512, 1024}, {3, 3, 27, 3}};
    if (name == "convnext_large") return {name, {192, 384, 768, 1536}, {3, 3, 27, 3}};
    throw std::invalid_argument("unknown ConvNeXt '" + name
                                + "' (known: convnext_tiny, convnext_small, convnext_base, convnext_large)");
}

bool isConvNeXt(const std::string& name)
{
    return name.rfind("convnext_", 0) == 0;
}

LayerNorm2dImpl::LayerNorm2dImpl(int64_t channels, double e) : eps(e)
{
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor LayerNorm2dImpl::forward(const torch::Tensor& x)
{
    return torch::layer_norm(x.permute({0, 2, 3, 1}), {weight.size(0)}, weight, bias, eps).permute({0, 3, 1, 2});
}

CNBlockImpl::CNBlockImpl(int64_t dim)
{
    block = register_module(
        "block", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(dim, dim, 7).padding(3).groups(dim).bias(true)),
                                Permute(std::vector<int64_t>{0, 2, 3, 1}),
                                nn::LayerNorm(nn::LayerNormOptions({dim}).eps(1e-6)), nn::Linear(dim, 4 * dim),
                                nn::Functional([](const torch::Tensor& t) { return torch::gelu(t); }),
                                nn::Linear(4 * dim, dim), Permute(std::vector<int64_t>{0, 3, 1, 2})));
    layer_scale = register_parameter("layer_scale", torch::full({dim, 1, 1}, 1e-6));
}

torch::Tensor CNBlockImpl::forward(const torch::Tensor& x)
{
    return layer_scale * block->forward(x) + x;
}

ConvNeXtImpl::ConvNeXtImpl(const ConvNeXtSpec& spec, int64_t numClasses) : m_spec(spec), m_numClasses(numClasses)
{
    Stage layers;
    layers->push_back(Stage(nn::Conv2d(nn::Conv2dOptions(3, spec.channels[0], 4).stride(4).bias(true)),
                                     LayerNorm2d(spec.channels[0])));
    for (std::size_t s = 0; s < spec.channels.size(); ++s) {
        Stage stage;
        for (int b = 0; b < spec.blocks[s]; ++b)
            stage->push_back(CNBlock(spec.channels[s]));
        layers->push_back(stage);
        if (s + 1 < spec.channels.size())
            layers->push_back(Stage(
                LayerNorm2d(spec.channels[s]),
                nn::Conv2d(nn::Conv2dOptions(spec.channels[s], spec.channels[s + 1], 2).stride(2).bias(true))));
    }
    featureLayers = register_module("features", layers);
    const int64_t last = spec.channels.back();
    classifier = register_module("classifier", nn::Sequential(LayerNorm2d(last), nn::Flatten(nn::FlattenOptions().start_dim(1)),
                                                              nn::Linear(last, numClasses)));
    resetParameters();
}

void ConvNeXtImpl::resetParameters()
{
    torch::NoGradGuard noGrad;
    auto truncNormal = [](torch::Tensor& w) {
        // torchvision's trunc_normal_(std=0.02) truncates at +-2 (absolute), i.e. at 100 sigma.
        w.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
    };
    for (auto& module : modules(/*include_self=*/false)) {
        if (auto* c = module->as<nn::Conv2d>()) {
            truncNormal(c->weight);
            if (c->bias.defined())
                c->bias.zero_();
        } else if (auto* f = module->as<nn::Linear>()) {
            truncNormal(f->weight);
            f->bias.zero_();
        } else if (auto* ln = module->as<nn::LayerNorm>()) {
            ln->weight.fill_(1);
            ln->bias.zero_();
        } else if (auto* ln2 = module->as<LayerNorm2d>()) {
            ln2->weight.fill_(1);
            ln2->bias.zero_();
        } else if (auto* b = module->as<CNBlock>()) {
            b->layer_scale.fill_(1e-6);
        }
    }
}

torch::Tensor ConvNeXtImpl::features(torch::Tensor x)
{
    x = featureLayers->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1});
    return classifier[0]->as<LayerNorm2d>()->forward(x).flatten(1);
}

torch::Tensor ConvNeXtImpl::head(const torch::Tensor& penultimate)
{
    return classifier[2]->as<nn::Linear>()->forward(penultimate);
}

torch::Tensor ConvNeXtImpl::forward(torch::Tensor x)
{
    return head(features(x));
}

}  // namespace deepsvm
