#pragma once

#include "io/Digest.h"  // sha256OfFile: the identity of a weights file

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

/// Every backbone the feature extractor can build, in torchvision's names.
std::vector<std::string> backboneNames();
/// Throws std::invalid_argument naming the known backbones when `backbone` is none of them.
void checkBackbone(const std::string& backbone);
/// Width of the penultimate layer (ResNet's avgpool): 2048 for resnet50, 768 for convnext_tiny.
int64_t penultimateDim(const std::string& backbone);
/// The feature layers `backbone` offers: "penultimate" and "logits" for every family, and
/// ResNet's own names for them, "avgpool" and "fc".
std::vector<std::string> layerNames(const std::string& backbone);
/// The name a feature cache key records for `layer` of `backbone`: ResNet keeps "avgpool" and
/// "fc" (so "penultimate" finds features cached as "avgpool"), the other families "penultimate"
/// and "logits" (ResNet's names are accepted for them too). Throws std::invalid_argument naming
/// the layers offered.
std::string canonicalLayer(const std::string& backbone, const std::string& layer);
/// Whether `layer` ("fc" or "logits") is the network's output rather than the penultimate layer.
bool isLogitsLayer(const std::string& layer);

/// The network's state dict in torchvision's order and names.
NamedTensors stateDict(ResNet& net);
NamedTensors stateDict(torch::nn::Module& net);

/// Writes `tensors` as a .pth state dict that torch.load + load_state_dict accept.
void writeWeightsFile(const std::string& path, const NamedTensors& tensors);

/// The weights a feature cache key stands for: `file` and seed 0, or "random" with the seed
/// its "random-seed-<seed>" SHA-256 field records.
std::pair<std::string, uint64_t> weightsOfKey(const std::string& file, const std::string& sha256);

}  // namespace deepsvm
