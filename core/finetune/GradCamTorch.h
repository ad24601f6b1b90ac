#pragma once

// The LibTorch side of Grad-CAM, for code that already holds a network (and for tests).
#include "finetune/GradCam.h"
#include "nets/ResNet.h"

#include <functional>

namespace deepsvm {

/// Grad-CAM on `net` for a 1 x 3 x S x S input: `score(pooled)` maps the 1 x D pooled features
/// to 1 x K class scores; the map is ReLU(sum_c alpha_c A_c) over layer4's output A, with
/// alpha_c the spatial mean of d score_k / d A_c, upsampled bilinearly to S x S and divided by
/// its maximum.
HeatMap gradCam(ResNet& net, const torch::Tensor& input, const std::function<torch::Tensor(const torch::Tensor&)>& score,
                int targetClass);

}  // namespace deepsvm
