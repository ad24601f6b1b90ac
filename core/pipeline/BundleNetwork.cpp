#include "pipeline/BundleNetwork.h"

#include "nets/Weights.h"

#include <stdexcept>

namespace deepsvm {

ResNet buildNetwork(const ModelBundle& bundle)
{
    const FeatureKey& key = bundle.features.key;
    const auto [weights, seed] = weightsOfKey(bundle.features.weightsFile, key.weightsSha256);
    WeightsInfo info;
    ResNet resnet = makeResNet(key.backbone, weights, &info, seed);
    if (weights != "random" && info.sha256 != key.weightsSha256)
        throw std::runtime_error(weights + ": its SHA-256 differs from the weights the model was trained with");
    return resnet;
}

}  // namespace deepsvm
