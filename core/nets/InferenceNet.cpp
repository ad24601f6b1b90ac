#include "nets/InferenceNet.h"

#include "nets/Weights.h"

#include <cstdlib>
#include <stdexcept>

namespace deepsvm {

Precision parsePrecision(const std::string& text)
{
    if (text == "fp32") return Precision::Float32;
    if (text == "bf16") return Precision::BFloat16;
    throw std::invalid_argument("unknown precision '" + text + "' (use fp32 or bf16)");
}

std::string precisionName(Precision p)
{
    return p == Precision::Float32 ? "fp32" : "bf16";
}

ActivationLayout parseActivationLayout(const std::string& text)
{
    if (text == "fused") return ActivationLayout::Fused;
    if (text == "blocked") return ActivationLayout::Blocked;
    if (text == "channels-last") return ActivationLayout::ChannelsLast;
    throw std::invalid_argument("unknown layout '" + text + "' (use fused, blocked or channels-last)");
}

std::string activationLayoutName(ActivationLayout layout)
{
    switch (layout) {
    case ActivationLayout::Fused: return "fused";
    case ActivationLayout::Blocked: return "blocked";
    case ActivationLayout::ChannelsLast: return "channels-last";
    }
    return "?";
}

ConvAlgorithm parseConvAlgorithm(const std::string& text)
{
    if (text == "direct") return ConvAlgorithm::Direct;
    if (text == "winograd") return ConvAlgorithm::Winograd;
    throw std::invalid_argument("unknown convolution algorithm '" + text + "' (use direct or winograd)");
}

std::string convAlgorithmName(ConvAlgorithm algorithm)
{
    return algorithm == ConvAlgorithm::Winograd ? "winograd" : "direct";
}

ConvAlgorithm defaultConvAlgorithm()
{
    const char* env = std::getenv("DEEPSVM_CONV_ALGORITHM");
    if (!env || !*env)
        return ConvAlgorithm::Direct;
    try {
        return parseConvAlgorithm(env);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("DEEPSVM_CONV_ALGORITHM: ") + e.what());
    }
}

InferenceNet::Conv InferenceNet::fold(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, torch::ScalarType dtype,
                                      ActivationLayout layout, FusedConv* fused)
{
    // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta  ==  conv'(x) + b'
    // computed in float64 so folding adds no rounding of its own.
    torch::NoGradGuard noGrad;
    const auto& o = bn->options;
    torch::Tensor scale = bn->weight.to(torch::kFloat64) / torch::sqrt(bn->running_var.to(torch::kFloat64) + o.eps());
    torch::Tensor w = conv->weight.to(torch::kFloat64) * scale.view({-1, 1, 1, 1});
    torch::Tensor b = bn->bias.to(torch::kFloat64) - bn->running_mean.to(torch::kFloat64) * scale;
    Conv c;
    c.bias = b.to(dtype);
    c.outChannels = w.size(0);
    c.inChannels = w.size(1);
    c.kernel = w.size(2);
    c.stride = conv->options.stride()->at(0);
    c.padding = c.kernel / 2;  // every ResNet convolution pads by half its kernel
    if (fused) {
        const torch::Tensor w32 = w.to(torch::kFloat32).contiguous(), b32 = b.to(torch::kFloat32).contiguous();
        fused->weight.assign(w32.data_ptr<float>(), w32.data_ptr<float>() + w32.numel());
        fused->bias.assign(b32.data_ptr<float>(), b32.data_ptr<float>() + b32.numel());
        fused->outChannels = int(c.outChannels);
        fused->inChannels = int(c.inChannels);
        fused->kernel = int(c.kernel);
        fused->stride = int(c.stride);
        fused->padding = int(c.padding);
    }
    if (layout == ActivationLayout::Fused)
        return c;  // the fused network holds its own prepacked copy
    if (layout == ActivationLayout::Blocked)
        c.weight = at::mkldnn_reorder_conv2d_weight(w.to(dtype).contiguous().to_mkldnn(), {c.padding, c.padding},
                                                    {c.stride, c.stride}, {1, 1}, 1);
    else
        c.weight = w.to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
    return c;
}

torch::Tensor InferenceNet::Conv::run(const torch::Tensor& x) const
{
    if (x.is_mkldnn())
        return at::mkldnn_convolution(x, weight, bias, {padding, padding}, {stride, stride}, {1, 1}, 1);
    return at::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
}

InferenceNet::InferenceNet(ResNet& net, Precision precision, ActivationLayout layout, ConvAlgorithm algorithm)
    : m_precision(precision),
      m_layout(precision == Precision::BFloat16 && layout != ActivationLayout::ChannelsLast
                       && !FusedResNet::bf16Supported()
                   ? ActivationLayout::ChannelsLast
                   : layout)
{
    const torch::ScalarType dtype = precision == Precision::BFloat16 ? torch::kBFloat16 : torch::kFloat32;
    const bool fused = m_layout == ActivationLayout::Fused;
    FusedConv stem;
    std::vector<FusedBlock> fusedBlocks;
    m_stem = fold(net->conv1, net->bn1, dtype, m_layout, fused ? &stem : nullptr);
    for (auto& layer : net->layers) {
        for (const auto& child : layer->children()) {
            auto* block = child->as<BlockImpl>();
            if (!block)
                throw std::logic_error("unexpected module in a ResNet layer");
            Block b;
            FusedBlock fb;
            auto add = [&](torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn) {
                FusedConv* f = nullptr;
                if (fused)
                    f = &fb.convs.emplace_back();
                b.convs.push_back(fold(conv, bn, dtype, m_layout, f));
            };
            add(block->conv1, block->bn1);
            add(block->conv2, block->bn2);
            if (block->bottleneck)
                add(block->conv3, block->bn3);
            if (block->downsample) {
                auto convImpl = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(block->downsample->ptr(0));
                auto bnImpl = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(block->downsample->ptr(1));
                if (!convImpl || !bnImpl)
                    throw std::logic_error("unexpected downsample structure");
                torch::nn::Conv2d c(convImpl);
                torch::nn::BatchNorm2d n(bnImpl);
                b.hasDownsample = fb.hasDownsample = true;
                b.downsample = fold(c, n, dtype, m_layout, fused ? &fb.downsample : nullptr);
            }
            m_blocks.push_back(std::move(b));
            if (fused)
                fusedBlocks.push_back(std::move(fb));
        }
    }
    if (fused) {
        FusedResNet::Options options;
        options.bf16 = precision == Precision::BFloat16;
        options.algorithm = algorithm;
        options.threads = at::get_num_threads();
        m_fused = std::make_shared<FusedResNet>(std::move(stem), std::move(fusedBlocks), options);
    }
    torch::NoGradGuard noGrad;
    m_fcWeight = net->fc->weight.detach().to(torch::kFloat32).clone();
    m_fcBias = net->fc->bias.detach().to(torch::kFloat32).clone();
}

InferenceNet::InferenceNet(ConvNeXt& net, Precision precision)
    : m_precision(precision), m_layout(ActivationLayout::ChannelsLast)
{
    m_convnext = ConvNeXt(net->spec(), net->numClasses());
    {
        torch::NoGradGuard noGrad;
        loadInto(*m_convnext, net->spec().name, stateDict(*net), "(the network in memory)");
    }
    m_convnext->eval();
    for (auto& p : m_convnext->parameters()) p.set_requires_grad(false);
    if (precision == Precision::BFloat16)
        m_convnext->to(torch::kBFloat16);
}

std::unique_ptr<InferenceNet> makeInferenceNet(const std::string& backbone, const std::string& weights,
                                               WeightsInfo* info, uint64_t seed, Precision precision)
{
    checkBackbone(backbone);
    if (isConvNeXt(backbone)) {
        ConvNeXt net = makeConvNeXt(backbone, weights, info, seed);
        return std::make_unique<InferenceNet>(net, precision);
    }
    ResNet net = makeResNet(backbone, weights, info, seed);
    net->eval();
    return std::make_unique<InferenceNet>(net, precision);
}

std::vector<std::string> InferenceNet::implementations() const
{
    return m_fused ? m_fused->implementations() : std::vector<std::string>();
}

InferenceNet::Output InferenceNet::forward(const torch::Tensor& input) const
{
    c10::InferenceMode guard;
    if (m_convnext) {
        if (input.dim() != 4 || input.size(1) != 3)
            throw std::invalid_argument("the network takes N x 3 x H x W images");
        const torch::ScalarType dtype = m_precision == Precision::BFloat16 ? torch::kBFloat16 : torch::kFloat32;
        const torch::Tensor x = input.to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
        const torch::Tensor penultimate = m_convnext.ptr()->features(x);
        Output o;
        o.logits = m_convnext.ptr()->head(penultimate).to(torch::kFloat32);
        o.pooled = penultimate.to(torch::kFloat32);
        return o;
    }
    if (m_fused) {
        if (input.dim() != 4 || input.size(1) != 3)
            throw std::invalid_argument("the network takes N x 3 x H x W images");
        const torch::Tensor x = input.to(torch::kFloat32).contiguous();
        Output o;
        o.pooled = torch::empty({x.size(0), m_fused->featureDim()}, torch::kFloat32);
        m_fused->forward(x.data_ptr<float>(), int(x.size(0)), int(x.size(2)), int(x.size(3)),
                         o.pooled.data_ptr<float>());
        o.logits = at::addmm(m_fcBias, o.pooled, m_fcWeight.t());
        return o;
    }
    const torch::ScalarType dtype = m_precision == Precision::BFloat16 ? torch::kBFloat16 : torch::kFloat32;
    const bool blocked = m_layout == ActivationLayout::Blocked;
    torch::Tensor x = blocked ? input.to(dtype).contiguous().to_mkldnn()
                              : input.to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
    x = m_stem.run(x).relu_();
    x = at::max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
    for (const Block& b : m_blocks) {
        torch::Tensor out = x;
        const std::size_t last = b.convs.size() - 1;
        for (std::size_t i = 0; i < last; ++i)
            out = b.convs[i].run(out).relu_();
        out = b.convs[last].run(out);
        out.add_(b.hasDownsample ? b.downsample.run(x) : x);
        x = out.relu_();
    }
    if (blocked)
        x = x.to_dense();
    Output o;
    o.pooled = x.mean({2, 3}, /*keepdim=*/false, torch::kFloat32);
    o.logits = at::addmm(m_fcBias, o.pooled, m_fcWeight.t());
    return o;
}

}  // namespace deepsvm

namespace deepsvm {

double InferenceNet::flopsPerImage(int size) const
{
    if (m_convnext)
        throw std::logic_error("flopsPerImage counts ResNet's convolutions only");
    auto conv = [](const Conv& c, int64_t* side) {
        const int64_t out = (*side + 2 * c.padding - c.kernel) / c.stride + 1;
        const double macs = double(out * out) * double(c.outChannels * c.inChannels * c.kernel * c.kernel);
        *side = out;
        return 2.0 * macs;
    };
    int64_t side = size;
    double flops = conv(m_stem, &side);
    side = (side + 2 - 3) / 2 + 1;  // max pool
    for (const Block& b : m_blocks) {
        int64_t in = side;
        for (const Conv& c : b.convs)
            flops += conv(c, &side);
        if (b.hasDownsample)
            flops += conv(b.downsample, &in);
    }
    return flops + 2.0 * double(m_fcWeight.numel());
}

}  // namespace deepsvm
