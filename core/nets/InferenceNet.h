#pragma once

#include "nets/ResNet.h"

#include <string>
#include <vector>

namespace deepsvm {

enum class Precision { Float32, BFloat16 };
Precision parsePrecision(const std::string& text);  ///< "fp32" | "bf16"; throws std::invalid_argument
std::string precisionName(Precision p);

/// How activations are laid out between layers. Blocked keeps them in oneDNN's own blocked
/// format (nChw16c) from the first convolution to the pooling, with each convolution's weight
/// reordered once at construction; channels_last lets every convolution convert its input and
/// weight on each call (measured in docs/benchmarks.md). bf16 runs blocked only where the CPU
/// has AVX-512 BW/VL/DQ (LibTorch's oneDNN operators need them), else channels_last.
enum class ActivationLayout { Blocked, ChannelsLast };

/// A ResNet prepared for fast inference: BatchNorm folded into the convolutions, weights
/// prepacked for oneDNN (in fp32 or bf16), no autograd. Built from a trained ResNet, which is
/// untouched.
class InferenceNet {
public:
    InferenceNet(ResNet& net, Precision precision, ActivationLayout layout = ActivationLayout::Blocked);

    struct Output {
        torch::Tensor pooled;  ///< N x 512/2048, float32
        torch::Tensor logits;  ///< N x classes, float32
    };
    /// `input`: N x 3 x H x W float32, normalised. Runs in inference mode.
    Output forward(const torch::Tensor& input) const;

    Precision precision() const { return m_precision; }
    /// Multiply-adds x 2 of one image at `size` x `size` (convolutions and fc).
    double flopsPerImage(int size) const;

private:
    struct Conv {
        torch::Tensor weight;  // channels_last, or oneDNN's prepacked format in the blocked layout
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
    static Conv fold(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, torch::ScalarType dtype,
                     ActivationLayout layout);

    Precision m_precision;
    ActivationLayout m_layout;
    Conv m_stem;
    std::vector<Block> m_blocks;
    torch::Tensor m_fcWeight, m_fcBias;  // float32
};

}  // namespace deepsvm
