// libFuzzer target: image header checks (our own parser) and, for headers that pass the size
// limit with small dimensions, the full decode to RGB8.
#include "data/Image.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const bool configured = [] {
        deepsvm::configureImageDecoding();
        return true;
    }();
    (void)configured;
    deepsvm::ImageHeader header;
    if (!deepsvm::probeImageHeader(data, size, &header))
        return 0;
    if (header.width <= 0 || header.height <= 0 || header.width > 1024 * 1024 / header.height)
        return 0;  // bigger pictures are refused before decoding in the application too
    try {
        const deepsvm::RgbImage image = deepsvm::decodeImage(std::vector<std::uint8_t>(data, data + size), "fuzz.img");
        if (!image.empty() && image.pixels.size() != std::size_t(image.width) * std::size_t(image.height) * 3)
            __builtin_trap();  // a decoded image must hold exactly width x height x 3 bytes
    } catch (const std::exception&) {
    }
    return 0;
}
