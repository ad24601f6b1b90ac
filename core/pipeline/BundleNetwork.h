#pragma once

// The LibTorch side of a model folder: only the few files that run the network include this.
#include "nets/InferenceNet.h"
#include "nets/ResNet.h"
#include "pipeline/ModelBundle.h"

namespace deepsvm {

/// The network of `bundle`'s features.json (backbone and weights of its feature key). Throws
/// std::runtime_error if the weights file's SHA-256 differs from the one the model was trained
/// with (random weights are rebuilt from their seed and need no check).
ResNet buildNetwork(const ModelBundle& bundle);
/// The same network, of any family, ready for inference at the precision the features used.
std::unique_ptr<InferenceNet> buildInferenceNetwork(const ModelBundle& bundle);

}  // namespace deepsvm
