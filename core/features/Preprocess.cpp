#include "features/Preprocess.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace deepsvm {

Normalization parseNormalization(const std::string& text)
{
    if (text == "imagenet") return Normalization::ImageNet;
    if (text == "half") return Normalization::Half;
    throw std::invalid_argument("unknown normalisation '" + text + "' (use imagenet or half)");
}


torch::Tensor preprocess(const RgbImage& image, const PreprocessOptions& options)
{
    if (image.empty())
        throw std::invalid_argument("empty image");
    const int64_t h = image.height, w = image.width, size = options.size;
    torch::Tensor x = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {h, w, 3}, torch::kUInt8)
                          .permute({2, 0, 1})
                          .to(torch::kFloat32)
                          .div_(255.0)
                          .unsqueeze(0)
                          .contiguous();
    // Resize the shorter side to `size`, as torchvision: int(size * long / short).
    int64_t newH = size, newW = size;
    if (w <= h)
        newH = int64_t(double(size) * double(h) / double(w));
    else
        newW = int64_t(double(size) * double(w) / double(h));
    if (newH != h || newW != w)
        x = at::_upsample_bilinear2d_aa(x, {newH, newW}, /*align_corners=*/false);
    // CenterCrop: Python's round() rounds half to even, as nearbyint does by default.
    const int64_t top = int64_t(std::nearbyint(double(newH - size) / 2.0));
    const int64_t left = int64_t(std::nearbyint(double(newW - size) / 2.0));
    x = x.index({0, torch::indexing::Slice(), torch::indexing::Slice(top, top + size),
                 torch::indexing::Slice(left, left + size)});
    // Tensor-by-tensor arithmetic in float32, exactly as Normalize's sub_(mean).div_(std).
    const bool imagenet = options.normalization == Normalization::ImageNet;
    const torch::Tensor mean = imagenet ? torch::tensor({0.485f, 0.456f, 0.406f}) : torch::full({3}, 0.5f);
    const torch::Tensor stdev = imagenet ? torch::tensor({0.229f, 0.224f, 0.225f}) : torch::full({3}, 0.5f);
    torch::Tensor out = x.sub(mean.view({3, 1, 1})).div_(stdev.view({3, 1, 1})).contiguous();
    return out;
}

}  // namespace deepsvm
