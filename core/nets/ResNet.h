#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace deepsvm {

/// The architectures torchvision calls resnet18 ... resnet152.
struct ResNetSpec {
    std::string name;
    bool bottleneck;
    std::vector<int> blocks;
    int featureDim() const { return bottleneck ? 2048 : 512; }
};
/// Throws std::invalid_argument listing the known names.
ResNetSpec resnetSpec(const std::string& name);

/// One residual block (BasicBlock or Bottleneck) with torchvision's member names.
class BlockImpl : public torch::nn::Module {
public:
    BlockImpl(bool bottleneck, int64_t inPlanes, int64_t planes, int64_t stride, bool downsample);
    torch::Tensor forward(torch::Tensor x);

    bool bottleneck;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Block);

/// torchvision's ResNet: parameter and buffer names map one to one to its state dict.
class ResNetImpl : public torch::nn::Module {
public:
    ResNetImpl(const ResNetSpec& spec, int64_t numClasses);
    /// Logits.
    torch::Tensor forward(torch::Tensor x);
    /// The 512/2048-d pooled features (torchvision's avgpool output, flattened).
    torch::Tensor features(torch::Tensor x);
    /// Re-initialises every weight as torchvision does for a new model.
    void resetParameters();

    const ResNetSpec& spec() const { return m_spec; }
    int64_t numClasses() const { return m_numClasses; }

    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    std::vector<torch::nn::Sequential> layers;  // layer1 .. layer4
    torch::nn::Linear fc{nullptr};

private:
    ResNetSpec m_spec;
    int64_t m_numClasses;
};
TORCH_MODULE(ResNet);

/// Sets LibTorch's intra-op thread count from the machine's cores (its default can be 1).
void configureTorchThreads(int threads = 0);

}  // namespace deepsvm
