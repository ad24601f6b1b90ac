#pragma once

#include "data/Image.h"

#include <cstdint>
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
    int size = 224;    ///< the centre crop the network sees
    int resize = 0;    ///< the shorter side before the crop (at least size); 0: size itself
    Normalization normalization = Normalization::ImageNet;
    /// Auto: windowed only for large images (preprocessIsWindowed); the others force one path.
    enum class Path { Auto, Whole, Windowed } path = Path::Auto;
};

/// torchvision's ConvertImageDtype(float) -> Resize(resize, antialias=True) -> CenterCrop(size)
/// -> Normalize(mean, std), on one RGB8 image. Returns 3 x size x size float32.
/// Images whose resized form would be large (a panorama, a 1 x 40,000 strip, 100 megapixels)
/// are resampled only where the crop lies (preprocessIsWindowed), with LibTorch's weights and
/// order of operations, so memory stays in proportion to the network's input.
at::Tensor preprocess(const RgbImage& image, const PreprocessOptions& options);

/// Whether preprocess() takes the windowed path for an image of this shape resized to `resize`.
bool preprocessIsWindowed(int64_t height, int64_t width, int resize);
/// The resize that `options` means: options.resize, or options.size when it is 0.
/// Throws std::invalid_argument when it is smaller than the crop.
int effectiveResize(const PreprocessOptions& options);

}  // namespace deepsvm
