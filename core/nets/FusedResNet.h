#pragma once

// ResNet's convolutional trunk run on oneDNN's primitives directly, without LibTorch (this
// header and its .cpp include neither torch nor ATen). LibTorch 1.13's own path runs each
// convolution, ReLU and residual add as separate operators, every one a pass over memory and
// a freshly allocated tensor; here each convolution carries its ReLU and, at the end of a block,
// the residual sum as post-ops writing into the residual's own buffer, activations stay in
// oneDNN's blocked layout in four buffers reused by every batch, and fp32 3x3 stride-1
// convolutions may use oneDNN's Winograd kernels.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

/// One convolution with BatchNorm already folded in.
struct FusedConv {
    std::vector<float> weight;  ///< out x in x k x k, row-major (PyTorch's OIHW)
    std::vector<float> bias;    ///< out
    int outChannels = 0, inChannels = 0, kernel = 1, stride = 1, padding = 0;
};

/// A residual block: ReLU after every convolution but the last; the last one's output plus
/// the block's input (or the downsample's output), then ReLU.
struct FusedBlock {
    std::vector<FusedConv> convs;  ///< 2 (basic) or 3 (bottleneck)
    bool hasDownsample = false;
    FusedConv downsample;
};

enum class ConvAlgorithm {
    Direct,    ///< oneDNN's direct kernels everywhere
    /// Winograd for fp32 3x3 stride-1 convolutions, direct elsewhere. oneDNN picks F(2x2, 3x3)
    /// or F(4x4, 3x3) (or none) by batch size, so an image's features then depend, at about
    /// 1e-6 relative, on how many images came with it.
    Winograd,
};

class FusedResNet {
public:
    struct Options {
        bool bf16 = false;
        ConvAlgorithm algorithm = ConvAlgorithm::Direct;
        int threads = 0;  ///< OpenMP threads for oneDNN in the calling thread; 0 leaves them as they are
    };
    /// The stem is followed by ReLU and a 3x3 stride-2 max pool, as in torchvision's ResNet.
    FusedResNet(FusedConv stem, std::vector<FusedBlock> blocks, Options options);
    ~FusedResNet();
    FusedResNet(const FusedResNet&) = delete;
    FusedResNet& operator=(const FusedResNet&) = delete;

    /// `input`: n x 3 x h x w float32, contiguous NCHW. `pooled`: n x featureDim() float32,
    /// the spatial mean of the last block's output. Thread-safe (calls are serialised: each
    /// one already uses every core).
    void forward(const float* input, int n, int h, int w, float* pooled) const;

    int featureDim() const;
    /// oneDNN's name of the implementation each primitive of the last shape run uses
    /// (e.g. "jit:avx512_core"), in execution order; empty before the first forward().
    std::vector<std::string> implementations() const;
    /// Bytes held for activations, scratchpad and prepacked weights.
    std::size_t bytesHeld() const;

    /// Whether oneDNN can run bf16 convolutions natively on this CPU (AVX-512 BF16) or
    /// through its AVX-512 emulation (BW/VL/DQ); false means bf16 would be rejected.
    static bool bf16Supported();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace deepsvm
