#include "features/Preprocess.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>
#include <stdexcept>

namespace deepsvm {

Normalization parseNormalization(const std::string& text)
{
    if (text == "imagenet") return Normalization::ImageNet;
    if (text == "half") return Normalization::Half;
    throw std::invalid_argument("unknown normalisation '" + text + "' (use imagenet or half)");
}


namespace {

/// The resized size torchvision's Resize(size) gives: the shorter side becomes `size`, the
/// longer int(size * long / short).
std::pair<int64_t, int64_t> resizedShape(int64_t h, int64_t w, int64_t size)
{
    if (w <= h)
        return {int64_t(double(size) * double(h) / double(w)), size};
    return {size, int64_t(double(size) * double(w) / double(h))};
}

/// Antialiased bilinear weights of one axis resized from `in` to `out` samples, for the output
/// samples [first, first + n) only, computed as LibTorch's _upsample_bilinear2d_aa computes
/// them (the same types at each step, so the same bits).
struct AxisWeights {
    std::vector<int64_t> start, count;
    std::vector<float> w;  ///< n x stride
    int64_t stride = 0;
};

AxisWeights axisWeights(int64_t in, int64_t out, int64_t first, int64_t n)
{
    const float scale = float(in) / float(out);
    const float support = scale >= 1.0f ? float(1.0 * scale) : 1.0f;
    const float invscale = scale >= 1.0f ? float(1.0 / scale) : 1.0f;
    AxisWeights a;
    a.stride = int64_t(std::ceil(support)) * 2 + 1;
    a.start.resize(std::size_t(n));
    a.count.resize(std::size_t(n));
    a.w.assign(std::size_t(n * a.stride), 0.0f);
    auto filter = [](float x) -> float {
        if (x < 0.0f) x = -x;
        if (x < 1.0f) return float(1.0 - x);
        return 0.0f;
    };
    for (int64_t k = 0; k < n; ++k) {
        const int64_t i = first + k;
        const float center = float(scale * (double(i) + 0.5));
        const int64_t xmin = std::max(int64_t(double(center - support) + 0.5), int64_t(0));
        const int64_t xsize = std::min(int64_t(double(center + support) + 0.5), in) - xmin;
        float* w = a.w.data() + k * a.stride;
        float total = 0.0f;
        for (int64_t j = 0; j < xsize && j < a.stride; ++j) {
            w[j] = filter((float(j + xmin) - center + 0.5f) * invscale);
            total += w[j];
        }
        for (int64_t j = 0; j < xsize && j < a.stride; ++j)
            if (total != 0.0f) w[j] /= total;
        a.start[std::size_t(k)] = xmin;
        a.count[std::size_t(k)] = std::min(xsize, a.stride);
    }
    return a;
}

/// Resize + CenterCrop producing only the size x size pixels the network sees: rows of the
/// input that the crop needs are converted and resampled horizontally (width first, as
/// LibTorch's separable kernel, with its weights to the bit and its fused multiply-adds), then
/// vertically. Memory: the needed input rows x size floats. Upscaling gives LibTorch's bits;
/// downscaling differs from it in the last bit or two of some pixels (at most ~1e-6 after
/// Normalize: LibTorch's vectorised kernel sums in an order this loop does not reproduce).
torch::Tensor resizeCropWindowed(const RgbImage& image, int64_t resize, int64_t size)
{
    const int64_t h = image.height, w = image.width;
    const auto [newH, newW] = resizedShape(h, w, resize);
    const int64_t top = int64_t(std::nearbyint(double(newH - size) / 2.0));
    const int64_t left = int64_t(std::nearbyint(double(newW - size) / 2.0));
    const AxisWeights ax = axisWeights(w, newW, left, size);
    const AxisWeights ay = axisWeights(h, newH, top, size);
    int64_t rowFirst = h, rowLast = 0;
    for (int64_t k = 0; k < size; ++k) {
        rowFirst = std::min(rowFirst, ay.start[std::size_t(k)]);
        rowLast = std::max(rowLast, ay.start[std::size_t(k)] + ay.count[std::size_t(k)]);
    }
    const int64_t rows = std::max<int64_t>(rowLast - rowFirst, 0);
    // Horizontal pass: rows x size per channel.
    std::vector<float> mid(std::size_t(3 * rows * size));
    std::vector<float> line(static_cast<std::size_t>(w));
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t r = 0; r < rows; ++r) {
            const std::uint8_t* src = image.pixels.data() + std::size_t((rowFirst + r) * w * 3 + c);
            for (int64_t x = 0; x < w; ++x) line[std::size_t(x)] = float(src[x * 3]) / 255.0f;
            float* dst = mid.data() + (c * rows + r) * size;
            for (int64_t k = 0; k < size; ++k) {
                const float* wt = ax.w.data() + k * ax.stride;
                const float* in = line.data() + ax.start[std::size_t(k)];
                float t = in[0] * wt[0];
                for (int64_t j = 1; j < ax.count[std::size_t(k)]; ++j) t = std::fma(in[j], wt[j], t);
                dst[k] = t;
            }
        }
    torch::Tensor out = torch::empty({3, size, size}, torch::kFloat32);
    float* o = out.data_ptr<float>();
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t k = 0; k < size; ++k) {
            const float* wt = ay.w.data() + k * ay.stride;
            const int64_t r0 = ay.start[std::size_t(k)] - rowFirst;
            for (int64_t x = 0; x < size; ++x) {
                const float* col = mid.data() + (c * rows + r0) * size + x;
                float t = col[0] * wt[0];
                for (int64_t j = 1; j < ay.count[std::size_t(k)]; ++j) t = std::fma(col[j * size], wt[j], t);
                o[(c * size + k) * size + x] = t;
            }
        }
    return out;
}

}  // namespace

int effectiveResize(const PreprocessOptions& options)
{
    if (options.resize == 0)
        return options.size;
    if (options.resize < options.size)
        throw std::invalid_argument("resize " + std::to_string(options.resize) + " is smaller than the crop "
                                    + std::to_string(options.size) + ": the shorter side must cover the crop");
    return options.resize;
}

bool preprocessIsWindowed(int64_t height, int64_t width, int resize)
{
    const auto [newH, newW] = resizedShape(height, width, resize);
    // LibTorch's own kernel holds the float input and the whole resized image: fine for a
    // 12-megapixel photo (about 150 MB), out of proportion beyond these sizes (a 1 x 40,000
    // strip resized whole at 224 px is 24 GB). Then only the crop is resampled.
    constexpr int64_t kMaxResized = int64_t(16) << 20, kMaxInput = int64_t(32) << 20;
    return newH * newW > kMaxResized || height * width > kMaxInput;
}

torch::Tensor preprocess(const RgbImage& image, const PreprocessOptions& options)
{
    if (image.empty())
        throw std::invalid_argument("empty image");
    const int64_t h = image.height, w = image.width, size = options.size;
    const int resize = effectiveResize(options);
    torch::Tensor x;
    const bool windowed = options.path == PreprocessOptions::Path::Auto ? preprocessIsWindowed(h, w, resize)
                                                                          : options.path == PreprocessOptions::Path::Windowed;
    if (windowed) {
        x = resizeCropWindowed(image, resize, size);
    } else {
        x = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()), {h, w, 3}, torch::kUInt8)
                .permute({2, 0, 1})
                .to(torch::kFloat32)
                .div_(255.0)
                .unsqueeze(0)
                .contiguous();
        // Resize the shorter side to `resize`, as torchvision: int(resize * long / short).
        const auto [newH, newW] = resizedShape(h, w, resize);
        if (newH != h || newW != w)
            x = at::_upsample_bilinear2d_aa(x, {newH, newW}, /*align_corners=*/false);
        // CenterCrop: Python's round() rounds half to even, as nearbyint does by default.
        const int64_t top = int64_t(std::nearbyint(double(newH - size) / 2.0));
        const int64_t left = int64_t(std::nearbyint(double(newW - size) / 2.0));
        x = x.index({0, torch::indexing::Slice(), torch::indexing::Slice(top, top + size),
                     torch::indexing::Slice(left, left + size)});
    }
    // Tensor-by-tensor arithmetic in float32, exactly as Normalize's sub_(mean).div_(std).
    const bool imagenet = options.normalization == Normalization::ImageNet;
    const torch::Tensor mean = imagenet ? torch::tensor({0.485f, 0.456f, 0.406f}) : torch::full({3}, 0.5f);
    const torch::Tensor stdev = imagenet ? torch::tensor({0.229f, 0.224f, 0.225f}) : torch::full({3}, 0.5f);
    torch::Tensor out = x.sub(mean.view({3, 1, 1})).div_(stdev.view({3, 1, 1})).contiguous();
    return out;
}

}  // namespace deepsvm
