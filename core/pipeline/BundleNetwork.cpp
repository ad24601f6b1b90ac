#include "pipeline/BundleNetwork.h"

#include "nets/Weights.h"

#include <stdexcept>

namespace deepsvm {

namespace {

void requireSameWeights(const std::string& weights, const WeightsInfo& info, const FeatureKey& key)
{
    if (weights != "random" && info.sha256 != key.weightsSha256)
        throw std::runtime_error(weights + ": its SHA-256 differs from the weights the model was trained with");
}

}  // namespace

ResNet buildNetwork(const ModelBundle& bundle)
{
    const FeatureKey& key = bundle.features.key;
    const auto [weights, seed] = weightsOfKey(bundle.features.weightsFile, key.weightsSha256);
    WeightsInfo info;
    ResNet resnet = makeResNet(key.backbone, weights, &info, seed);
    requireSameWeights(weights, info, key);
    return resnet;
}

std::unique_ptr<InferenceNet> buildInferenceNetwork(const ModelBundle& bundle)
{
    const FeatureKey& key = bundle.features.key;
    const auto [weights, seed] = weightsOfKey(bundle.features.weightsFile, key.weightsSha256);
    WeightsInfo info;
    auto net = makeInferenceNet(key.backbone, weights, &info, seed, parsePrecision(key.precision));
    requireSameWeights(weights, info, key);
    return net;
}

}  // namespace deepsvm
