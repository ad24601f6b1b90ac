#include "nets/InferenceNet.h"

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

InferenceNet::Conv InferenceNet::fold(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, torch::ScalarType dtype,
                                      ActivationLayout layout)
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

namespace {

/// LibTorch 1.13's oneDNN operators refuse bf16 tensors without these instructions, where
/// ATen's own channels_last kernels still run them.
bool blockedBf16Supported()
{
    static const bool ok = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                           && __builtin_cpu_supports("avx512dq");
    return ok;
}

}  // namespace

InferenceNet::InferenceNet(ResNet& net, Precision precision, ActivationLayout layout)
    : m_precision(precision),
      m_layout(precision == Precision::BFloat16 && !blockedBf16Supported() ? ActivationLayout::ChannelsLast : layout)
{
    const torch::ScalarType dtype = precision == Precision::BFloat16 ? torch::kBFloat16 : torch::kFloat32;
    m_stem = fold(net->conv1, net->bn1, dtype, m_layout);
    for (auto& layer : net->layers) {
        for (const auto& child : layer->children()) {
            auto* block = child->as<BlockImpl>();
            if (!block)
                throw std::logic_error("unexpected module in a ResNet layer");
            Block b;
            b.convs.push_back(fold(block->conv1, block->bn1, dtype, m_layout));
            b.convs.push_back(fold(block->conv2, block->bn2, dtype, m_layout));
            if (block->bottleneck)
                b.convs.push_back(fold(block->conv3, block->bn3, dtype, m_layout));
            if (block->downsample) {
                auto convImpl = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(block->downsample->ptr(0));
                auto bnImpl = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(block->downsample->ptr(1));
                if (!convImpl || !bnImpl)
                    throw std::logic_error("unexpected downsample structure");
                torch::nn::Conv2d c(convImpl);
                torch::nn::BatchNorm2d n(bnImpl);
                b.hasDownsample = true;
                b.downsample = fold(c, n, dtype, m_layout);
            }
            m_blocks.push_back(std::move(b));
        }
    }
    torch::NoGradGuard noGrad;
    m_fcWeight = net->fc->weight.detach().to(torch::kFloat32).clone();
    m_fcBias = net->fc->bias.detach().to(torch::kFloat32).clone();
}

InferenceNet::Output InferenceNet::forward(const torch::Tensor& input) const
{
    c10::InferenceMode guard;
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
