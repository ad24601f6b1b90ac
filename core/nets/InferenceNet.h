#pragma once

#include "nets/ConvNeXt.h"
#include "nets/FusedResNet.h"
#include "nets/ResNet.h"

#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

enum class Precision { Float32, BFloat16 };
Precision parsePrecision(const std::string& text);  ///< "fp32" | "bf16"; throws std::invalid_argument
std::string precisionName(Precision p);

/// How the network runs. Fused drives oneDNN's primitives directly (nets/FusedResNet.h): ReLU
/// and the residual sum fused into the convolutions, activations in the blocked layout in
/// buffers reused across batches, and, when asked, Winograd 3x3 convolutions in fp32. Blocked
/// runs LibTorch's oneDNN operators on its blocked tensors (nChw16c) with each convolution's
/// weight reordered once; channels_last lets every convolution convert its input and weight on
/// each call (all three measured in docs/benchmarks.md). bf16 runs Fused or Blocked only where
/// the CPU has AVX-512 BW/VL/DQ (oneDNN needs them), else channels_last.
enum class ActivationLayout { Fused, Blocked, ChannelsLast };
/// "fused" | "blocked" | "channels-last"; throws std::invalid_argument
ActivationLayout parseActivationLayout(const std::string& text);
std::string activationLayoutName(ActivationLayout layout);
/// "direct" | "winograd"; throws std::invalid_argument
ConvAlgorithm parseConvAlgorithm(const std::string& text);
std::string convAlgorithmName(ConvAlgorithm algorithm);
/// Direct unless DEEPSVM_CONV_ALGORITHM=winograd (fp32 features within 1e-6 relative of direct
/// and faster at 224 px, docs/benchmarks.md, but dependent on the batch size at that level, so
/// `classify` would no longer answer exactly as extraction did); throws std::invalid_argument
/// naming the variable for any other value.
ConvAlgorithm defaultConvAlgorithm();

/// A ResNet prepared for fast inference: BatchNorm folded into the convolutions, weights
/// prepacked for oneDNN (in fp32 or bf16), no autograd. Built from a trained ResNet, which is
/// untouched.
class InferenceNet {
public:
    /// `algorithm` applies to the fused fp32 network only (the others run direct convolutions).
    InferenceNet(ResNet& net, Precision precision, ActivationLayout layout = ActivationLayout::Fused,
                 ConvAlgorithm algorithm = defaultConvAlgorithm());

    /// A ConvNeXt runs as its module in inference mode, channels_last, its weights copied (in
    /// bf16 when asked: `net` is untouched); LayerNorm has nothing to fold.
    InferenceNet(ConvNeXt& net, Precision precision);

    struct Output {
        torch::Tensor pooled;  ///< N x the penultimate width (ResNet's avgpool: 512/2048), float32
        torch::Tensor logits;  ///< N x classes, float32
    };
    /// `input`: N x 3 x H x W float32, normalised. Runs in inference mode.
    Output forward(const torch::Tensor& input) const;

    Precision precision() const { return m_precision; }
    ActivationLayout layout() const { return m_layout; }
    /// For the fused network: oneDNN's implementation of each primitive in the last forward().
    std::vector<std::string> implementations() const;
    /// Multiply-adds x 2 of one image at `size` x `size` (convolutions and fc); ResNet only.
    double flopsPerImage(int size) const;

private:
    struct Conv {
        torch::Tensor weight;  // channels_last, or oneDNN's prepacked format in the blocked layout; none when fused
        torch::Tensor bias;
        int64_t outChannels = 0, inChannels = 0, kernel = 1;
        int64_t stride = 1, padding = 0;
        torch::Tensor run(const torch::Tensor& x) const;
    };
    struct Block {
        std::vector<Conv> convs;  // 2 (basic) or 3 (bottleneck)
        bool hasDownsample = false;
        Conv downsample;
    };
    /// BatchNorm folded into the convolution; `fused` receives the float32 copy when given.
    static Conv fold(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, torch::ScalarType dtype,
                     ActivationLayout layout, FusedConv* fused);

    Precision m_precision;
    ActivationLayout m_layout;
    Conv m_stem;
    std::vector<Block> m_blocks;
    torch::Tensor m_fcWeight, m_fcBias;  // float32
    std::shared_ptr<FusedResNet> m_fused;  // the trunk, when fused
    ConvNeXt m_convnext{nullptr};          // the whole network, for that family
};

struct WeightsInfo;
/// Builds `backbone` (any of backboneNames(), nets/Weights.h) from `weights` ("random": torchvision's
/// initialisation seeded with `seed`) ready for inference; `info` receives the weights' provenance.
std::unique_ptr<InferenceNet> makeInferenceNet(const std::string& backbone, const std::string& weights,
                                               WeightsInfo* info, uint64_t seed, Precision precision);

}  // namespace deepsvm
