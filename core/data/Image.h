#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepsvm {

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC).
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;  // width * height * 3
    bool empty() const { return width <= 0 || height <= 0; }
};

/// A file that is not an image we accept; what() names the file.
class ImageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Larger images are refused before decoding (decompression bombs).
constexpr std::int64_t kMaxImagePixels = 100'000'000;

/// The extensions torchvision's ImageFolder accepts (lower case, with the dot).
const std::vector<std::string>& imageExtensions();
bool hasImageExtension(const std::string& path);

struct ImageHeader {
    std::string format;  // "png", "jpeg", ...
    std::int64_t width = 0;
    std::int64_t height = 0;
};

/// Reads the dimensions from the first bytes of an encoded image without decoding it.
/// Returns false if the format is not recognised or the header is malformed.
bool probeImageHeader(const std::uint8_t* data, std::size_t size, ImageHeader* header);

/// Decodes JPEG/PNG/BMP/WebP/TIFF/PNM bytes to RGB8: grey, alpha, 16-bit all become RGB8,
/// EXIF orientation ignored (as PIL does). Throws ImageError naming `displayName`.
RgbImage decodeImage(const std::vector<std::uint8_t>& bytes, const std::string& displayName);
/// Reads and decodes a file. Throws ImageError naming the file.
RgbImage loadImageFile(const std::string& path);
/// Checks a file's header (existence, format, size limit). Returns an empty string if it is
/// acceptable, otherwise the reason.
std::string checkImageFile(const std::string& path);

/// Must be called once before any decoding: caps OpenCV's own pixel limit.
void configureImageDecoding();

}  // namespace deepsvm
