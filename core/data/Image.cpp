#include "data/Image.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace deepsvm {

namespace {

std::uint32_t be32(const std::uint8_t* p) { return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t((p[0] << 8) | p[1]); }
std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }
std::uint16_t le16(const std::uint8_t* p) { return std::uint16_t(p[0] | (p[1] << 8)); }

bool probeJpeg(const std::uint8_t* d, std::size_t n, ImageHeader* h)
{
    std::size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return false;
        std::uint8_t marker = d[i + 1];
        if (marker == 0xFF) { ++i; continue; }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { i += 2; continue; }
        const std::uint16_t len = be16(d + i + 2);
        if (len < 2) return false;
        const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (i + 9 > n) return false;
            h->format = "jpeg";
            h->height = be16(d + i + 5);
            h->width = be16(d + i + 7);
            return true;
        }
        i += 2 + len;
    }
    return false;
}

bool probeTiff(const std::uint8_t* d, std::size_t n, ImageHeader* h)
{
    const bool le = d[0] == 'I';
    auto u16 = [&](std::size_t o) { return le ? le16(d + o) : be16(d + o); };
    auto u32 = [&](std::size_t o) { return le ? le32(d + o) : be32(d + o); };
    // The IFD offset is a file's 32-bit claim: widen before adding, or 0xFFFFFFFF + 2 wraps to 1.
    const std::size_t ifd = u32(4);
    if (ifd + 2 > n) return false;
    const std::uint16_t count = u16(ifd);
    for (std::uint32_t k = 0; k < count; ++k) {
        const std::size_t e = ifd + 2 + std::size_t(k) * 12;
        if (e + 12 > n) return false;
        const std::uint16_t tag = u16(e);
        const std::uint16_t type = u16(e + 2);
        const std::uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);
        if (tag == 256) h->width = value;
        if (tag == 257) h->height = value;
    }
    h->format = "tiff";
    return h->width > 0 && h->height > 0;
}

bool probePnm(const std::uint8_t* d, std::size_t n, ImageHeader* h)
{
    // "P6 <ws> width <ws> height ..." with optional # comments.
    std::size_t i = 2;
    std::int64_t vals[2] = {0, 0};
    for (int v = 0; v < 2; ++v) {
        while (i < n && (std::isspace(d[i]) || d[i] == '#')) {
            if (d[i] == '#') while (i < n && d[i] != '\n') ++i;
            else ++i;
        }
        if (i >= n || !std::isdigit(d[i])) return false;
        while (i < n && std::isdigit(d[i]) && vals[v] < (std::int64_t(1) << 40))
            vals[v] = vals[v] * 10 + (d[i++] - '0');
    }
    h->format = "pnm";
    h->width = vals[0];
    h->height = vals[1];
    return true;
}

}  // namespace

const std::vector<std::string>& imageExtensions()
{
    static const std::vector<std::string> exts = {".jpg", ".jpeg", ".png", ".ppm", ".bmp",
                                                  ".pgm", ".tif", ".tiff", ".webp"};
    return exts;
}

bool hasImageExtension(const std::string& path)
{
    std::string lower(path);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    for (const auto& e : imageExtensions())
        if (lower.size() >= e.size() && lower.compare(lower.size() - e.size(), e.size(), e) == 0)
            return true;
    return false;
}

bool probeImageHeader(const std::uint8_t* d, std::size_t n, ImageHeader* h)
{
    if (n >= 24 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(d + 12, "IHDR", 4) == 0) {
        h->format = "png";
        h->width = be32(d + 16);
        h->height = be32(d + 20);
        return true;
    }
    if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8)
        return probeJpeg(d, n, h);
    if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
        h->format = "bmp";
        // BMP heights are negative for top-down rows; widen before abs() (abs(INT32_MIN) is undefined).
        h->width = std::abs(std::int64_t(std::int32_t(le32(d + 18))));
        h->height = std::abs(std::int64_t(std::int32_t(le32(d + 22))));
        return true;
    }
    if (n >= 30 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
        h->format = "webp";
        if (std::memcmp(d + 12, "VP8 ", 4) == 0) {
            h->width = le16(d + 26) & 0x3FFF;
            h->height = le16(d + 28) & 0x3FFF;
        } else if (std::memcmp(d + 12, "VP8L", 4) == 0) {
            const std::uint32_t b = le32(d + 21);
            h->width = (b & 0x3FFF) + 1;
            h->height = ((b >> 14) & 0x3FFF) + 1;
        } else if (std::memcmp(d + 12, "VP8X", 4) == 0) {
            h->width = 1 + (d[24] | (d[25] << 8) | (d[26] << 16));
            h->height = 1 + (d[27] | (d[28] << 8) | (d[29] << 16));
        } else {
            return false;
        }
        return true;
    }
    if (n >= 8 && ((d[0] == 'I' && d[1] == 'I' && d[2] == 42 && d[3] == 0)
                   || (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && d[3] == 42)))
        return probeTiff(d, n, h);
    if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6')
        return probePnm(d, n, h);
    return false;
}

namespace {

std::string headerProblem(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return "empty file";
    ImageHeader h;
    if (!probeImageHeader(data, size, &h))
        return "not a recognised image (JPEG, PNG, BMP, WebP, TIFF, PNM)";
    if (h.width <= 0 || h.height <= 0)
        return "image header declares no pixels";
    if (h.width > kMaxImagePixels / h.height)  // divided, not multiplied: headers can declare 2^40 x 2^40
        return h.format + " declares " + std::to_string(h.width) + "x" + std::to_string(h.height)
            + " pixels, above the 100-megapixel limit";
    return {};
}

std::vector<std::uint8_t> readFile(const std::string& path, std::size_t maxBytes)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ImageError(path + ": cannot open the file (does it exist and is it readable?)");
    std::vector<std::uint8_t> bytes;
    in.seekg(0, std::ios::end);
    const auto size = std::streamoff(in.tellg());
    in.seekg(0);
    const std::size_t n = std::min<std::size_t>(std::size_t(std::max<std::streamoff>(size, 0)), maxBytes);
    bytes.resize(n);
    in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(n));
    bytes.resize(std::size_t(in.gcount()));
    return bytes;
}

}  // namespace

void configureImageDecoding()
{
    // OpenCV reads this once, on first use; our own header check runs first anyway.
    setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxImagePixels).c_str(), 0);
}

RgbImage decodeImage(const std::vector<std::uint8_t>& bytes, const std::string& name)
{
    const std::string problem = headerProblem(bytes.data(), bytes.size());
    if (!problem.empty())
        throw ImageError(name + ": " + problem);
    // An animated WebP (VP8X with the animation flag) is a container OpenCV cannot decode.
    if (bytes.size() >= 21 && std::memcmp(bytes.data(), "RIFF", 4) == 0 && std::memcmp(bytes.data() + 12, "VP8X", 4) == 0
        && (bytes[20] & 0x02) != 0)
        throw ImageError(name + ": animated WebP is not supported; save one frame as PNG or JPEG");
    cv::Mat raw;
    try {
        raw = cv::imdecode(cv::_InputArray(bytes.data(), int(bytes.size())),
                           cv::IMREAD_UNCHANGED | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const cv::Exception& e) {
        throw ImageError(name + ": cannot decode (" + e.msg + ")");
    }
    if (raw.empty())
        throw ImageError(name + ": cannot decode (corrupt or truncated image)");
    if (raw.depth() == CV_16U) {
        raw.convertTo(raw, CV_8U, 1.0 / 257.0);
    } else if (raw.depth() == CV_32F || raw.depth() == CV_64F) {
        raw.convertTo(raw, CV_8U, 255.0);
    } else if (raw.depth() != CV_8U) {
        raw.convertTo(raw, CV_8U);
    }
    cv::Mat rgb;
    switch (raw.channels()) {
    case 1: cv::cvtColor(raw, rgb, cv::COLOR_GRAY2RGB); break;
    case 3: cv::cvtColor(raw, rgb, cv::COLOR_BGR2RGB); break;
    case 4: cv::cvtColor(raw, rgb, cv::COLOR_BGRA2RGB); break;  // alpha dropped, as PIL's convert("RGB")
    default: throw ImageError(name + ": unsupported channel count " + std::to_string(raw.channels()));
    }
    RgbImage out;
    out.width = rgb.cols;
    out.height = rgb.rows;
    out.pixels.resize(std::size_t(rgb.cols) * rgb.rows * 3);
    for (int y = 0; y < rgb.rows; ++y)
        std::memcpy(out.pixels.data() + std::size_t(y) * rgb.cols * 3, rgb.ptr(y), std::size_t(rgb.cols) * 3);
    return out;
}

RgbImage loadImageFile(const std::string& path)
{
    constexpr std::size_t kMaxFileBytes = std::size_t(1) << 30;
    return decodeImage(readFile(path, kMaxFileBytes), path);
}

std::string checkImageFile(const std::string& path)
{
    std::vector<std::uint8_t> head;
    try {
        head = readFile(path, 256 * 1024);
    } catch (const ImageError&) {
        return "cannot open the file";
    }
    return headerProblem(head.data(), head.size());
}

}  // namespace deepsvm
