#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace deepsvm {

/// torchvision's convnext_tiny ... convnext_large: channels and blocks per stage.
struct ConvNeXtSpec {
    std::string name;
    std::vector<int64_t> channels;  ///< 4 stages
    std::vector<int> blocks;        ///< 4 stages
    int featureDim() const { return int(channels.back()); }
};
/// Throws std::invalid_argument listing the known names.
ConvNeXtSpec convnextSpec(const std::string& name);
bool isConvNeXt(const std::string& name);

/// torchvision's LayerNorm2d: LayerNorm over the channels of an N x C x H x W tensor.
class LayerNorm2dImpl : public torch::nn::Module {
public:
    explicit LayerNorm2dImpl(int64_t channels, double eps = 1e-6);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight, bias;
    double eps;
};
TORCH_MODULE(LayerNorm2d);

/// torchvision's ops.misc.Permute (no parameters; it only keeps the Sequential's indices).
class PermuteImpl : public torch::nn::Module {
public:
    explicit PermuteImpl(std::vector<int64_t> dims) : m_dims(std::move(dims)) {}
    torch::Tensor forward(const torch::Tensor& x) { return x.permute(m_dims); }

private:
    std::vector<int64_t> m_dims;
};
TORCH_MODULE(Permute);

/// A Sequential that can sit inside another (LibTorch's own has a templated forward()).
class StageImpl : public torch::nn::SequentialImpl {
public:
    using SequentialImpl::SequentialImpl;
    torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(Stage);

/// One ConvNeXt block: depthwise 7x7, LayerNorm, Linear 4x, GELU, Linear, layer scale,
/// residual. Stochastic depth is the identity in eval mode and has no parameters.
class CNBlockImpl : public torch::nn::Module {
public:
    explicit CNBlockImpl(int64_t dim);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Sequential block{nullptr};
    torch::Tensor layer_scale;
};
TORCH_MODULE(CNBlock);

/// torchvision's ConvNeXt: parameter and buffer names map one to one to its state dict
/// (features.0.0.weight ... classifier.2.bias).
class ConvNeXtImpl : public torch::nn::Module {
public:
    ConvNeXtImpl(const ConvNeXtSpec& spec, int64_t numClasses);
    torch::Tensor forward(torch::Tensor x);
    /// The penultimate features: the input of the last Linear layer in eval mode (the
    /// classifier's LayerNorm of the pooled map), N x featureDim.
    torch::Tensor features(torch::Tensor x);
    /// The last Linear layer applied to features(): forward(x) == head(features(x)).
    torch::Tensor head(const torch::Tensor& penultimate);
    /// torchvision's initialisation: truncated normal (std 0.02) for convolutions and Linear
    /// layers, zero biases, layer scale 1e-6, LayerNorm 1 and 0.
    void resetParameters();

    const ConvNeXtSpec& spec() const { return m_spec; }
    int64_t numClasses() const { return m_numClasses; }

    Stage featureLayers{nullptr};  // registered as "features"
    torch::nn::Sequential classifier{nullptr};

private:
    ConvNeXtSpec m_spec;
    int64_t m_numClasses;
};
TORCH_MODULE(ConvNeXt);

}  // namespace deepsvm
