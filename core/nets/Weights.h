#pragma once

#include "io/Digest.h"  // sha256OfFile: the identity of a weights file

#include "nets/Backbones.h"  // backboneNames, canonicalLayer: the catalog without LibTorch
#include "nets/ConvNeXt.h"
#include "nets/ResNet.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace deepsvm {

/// A weights file that does not fit the network; what() names the file and the keys.
class WeightsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// Where a network's weights came from.
struct WeightsInfo {
    std::string source;   ///< the file, or "random"
    std::string sha256;   ///< of the file; for random weights, "random-seed-<seed>"
    int64_t numClasses = 1000;
    bool pretrained() const { return source != "random"; }
};

/// Reads a torchvision .pth state dict (restricted reader) or a TorchScript archive's
/// parameters and buffers. Throws WeightsError naming the file.
NamedTensors readWeightsFile(const std::string& path);

/// Builds `backbone` with weights from `weights` (a file, or "random" for torchvision's
/// initialisation seeded with `seed`). The class count comes from the file's fc layer.
ResNet makeResNet(const std::string& backbone, const std::string& weights, WeightsInfo* info,
                  uint64_t seed = 0, int64_t randomClasses = 1000);

/// Copies `tensors` into `net`; every parameter and buffer must be present with its shape.
/// Throws WeightsError listing missing / unexpected keys and shape mismatches.
void loadInto(ResNet& net, const NamedTensors& tensors, const std::string& fileName);
/// The same for any network; `networkName` is what the errors call it.
void loadInto(torch::nn::Module& net, const std::string& networkName, const NamedTensors& tensors,
              const std::string& fileName);

/// makeResNet's counterpart for convnext_tiny ... convnext_large (class count from
/// classifier.2.weight).
ConvNeXt makeConvNeXt(const std::string& backbone, const std::string& weights, WeightsInfo* info,
                      uint64_t seed = 0, int64_t randomClasses = 1000);

/// Width of the penultimate layer (ResNet's avgpool): 2048 for resnet50, 768 for convnext_tiny.
int64_t penultimateDim(const std::string& backbone);
/// The network's state dict in torchvision's order and names.
NamedTensors stateDict(ResNet& net);
NamedTensors stateDict(torch::nn::Module& net);

/// Writes `tensors` as a .pth state dict that torch.load + load_state_dict accept.
void writeWeightsFile(const std::string& path, const NamedTensors& tensors);

/// The weights a feature cache key stands for: `file` and seed 0, or "random" with the seed
/// its "random-seed-<seed>" SHA-256 field records.
std::pair<std::string, uint64_t> weightsOfKey(const std::string& file, const std::string& sha256);

}  // namespace deepsvm
