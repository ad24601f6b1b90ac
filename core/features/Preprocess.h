#pragma once

#include "data/Image.h"

#include <torch/torch.h>

#include <string>

namespace deepsvm {

enum class Normalization { ImageNet, Half };
Normalization parseNormalization(const std::string& text);  ///< "imagenet" | "half"
std::string normalizationName(Normalization n);

/// Bumped whenever preprocessing changes numerically: part of the feature cache key.
constexpr int kPreprocessVersion = 1;

struct PreprocessOptions {
    int size = 224;
    Normalization normalization = Normalization::ImageNet;
};

/// torchvision's ConvertImageDtype(float) -> Resize(size, antialias=True) -> CenterCrop(size)
/// -> Normalize(mean, std), on one RGB8 image. Returns 3 x size x size float32.
torch::Tensor preprocess(const RgbImage& image, const PreprocessOptions& options);

}  // namespace deepsvm
