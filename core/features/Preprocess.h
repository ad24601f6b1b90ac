#pragma once

#include "data/Image.h"

#include <string>

namespace at {
class Tensor;  // callers that use the result include LibTorch themselves: this header stays light
}

namespace deepsvm {

enum class Normalization { ImageNet, Half };
Normalization parseNormalization(const std::string& text);  ///< "imagenet" | "half"

/// Bumped whenever preprocessing changes numerically: part of the feature cache key.
constexpr int kPreprocessVersion = 1;

struct PreprocessOptions {
    int size = 224;
    Normalization normalization = Normalization::ImageNet;
};

/// torchvision's ConvertImageDtype(float) -> Resize(size, antialias=True) -> CenterCrop(size)
/// -> Normalize(mean, std), on one RGB8 image. Returns 3 x size x size float32.
at::Tensor preprocess(const RgbImage& image, const PreprocessOptions& options);

}  // namespace deepsvm
