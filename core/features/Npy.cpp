#include "features/Npy.h"

#include "io/AtomicFile.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>


namespace deepsvm {

namespace {

constexpr std::size_t kHeaderBlock = 128;  // fixed-size v1 header: rewritable in place

std::string headerFor(const char* descr, const std::vector<int64_t>& shape)
{
    std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i)
        dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
    if (shape.size() == 1)
        dict.resize(dict.size() - 1);  // "(5,)"
    dict += "), }";
    // magic(6) + version(2) + len(2) + dict + padding + '\n', total a multiple of 64.
    std::size_t total = 10 + dict.size() + 1;
    const std::size_t padded = std::max(kHeaderBlock, (total + 63) / 64 * 64);
    dict.append(padded - total, ' ');
    dict += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    const std::uint16_t len = std::uint16_t(dict.size());
    out += char(len & 0xFF);
    out += char(len >> 8);
    return out + dict;
}

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw NpyError(path + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string errnoText() { return std::strerror(errno); }

template <typename Out>
NpyArray<Out> readConverted(const std::string& path, const std::vector<std::string>& accepted)
{
    const std::string bytes = readAll(path);
    const NpyHeader h = parseNpyHeader(bytes, path);
    if (h.fortranOrder)
        throw NpyError(path + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
    bool ok = false;
    for (const auto& a : accepted)
        ok = ok || h.descr == a;
    if (!ok)
        throw NpyError(path + ": dtype '" + h.descr + "' is not supported here (expected " + accepted.front() + ")");
    if (h.shape.empty())
        throw NpyError(path + ": expected an array, found a scalar");
    int64_t count = 1;
    for (int64_t d : h.shape) {
        if (d < 0 || (d > 0 && count > (int64_t(1) << 40) / d))
            throw NpyError(path + ": absurd shape");
        count *= d;
    }
    const std::size_t itemSize = std::size_t(h.descr[2] - '0');
    if (bytes.size() - h.dataOffset < std::size_t(count) * itemSize)
        throw NpyError(path + ": truncated (header promises " + std::to_string(count) + " values)");
    NpyArray<Out> out;
    out.shape = h.shape;
    out.data.resize(std::size_t(count));
    const char* src = bytes.data() + h.dataOffset;
    for (int64_t i = 0; i < count; ++i) {
        const char* p = src + std::size_t(i) * itemSize;
        if (h.descr == "<f4") { float v; std::memcpy(&v, p, 4); out.data[std::size_t(i)] = Out(v); }
        else if (h.descr == "<f8") { double v; std::memcpy(&v, p, 8); out.data[std::size_t(i)] = Out(v); }
        else if (h.descr == "<i8") { int64_t v; std::memcpy(&v, p, 8); out.data[std::size_t(i)] = Out(v); }
        else if (h.descr == "<i4") { int32_t v; std::memcpy(&v, p, 4); out.data[std::size_t(i)] = Out(v); }
        else if (h.descr == "|u1") { out.data[std::size_t(i)] = Out(std::uint8_t(*p)); }
    }
    return out;
}

}  // namespace

NpyHeader parseNpyHeader(const std::string& b, const std::string& name)
{
    if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
        throw NpyError(name + ": not a .npy file (bad magic)");
    const int major = std::uint8_t(b[6]);
    std::size_t len = 0, start = 0;
    if (major == 1) {
        len = std::uint8_t(b[8]) | (std::size_t(std::uint8_t(b[9])) << 8);
        start = 10;
    } else if (major == 2 || major == 3) {
        if (b.size() < 12) throw NpyError(name + ": truncated header");
        len = std::uint8_t(b[8]) | (std::size_t(std::uint8_t(b[9])) << 8) | (std::size_t(std::uint8_t(b[10])) << 16)
            | (std::size_t(std::uint8_t(b[11])) << 24);
        start = 12;
    } else {
        throw NpyError(name + ": unsupported .npy version " + std::to_string(major));
    }
    if (len > b.size() - start)
        throw NpyError(name + ": truncated header");
    const std::string dict = b.substr(start, len);
    NpyHeader h;
    h.dataOffset = start + len;
    auto valueAfter = [&](const std::string& key) -> std::size_t {
        const std::size_t k = dict.find("'" + key + "'");
        if (k == std::string::npos) throw NpyError(name + ": header lacks '" + key + "'");
        const std::size_t colon = dict.find(':', k);
        if (colon == std::string::npos) throw NpyError(name + ": malformed header");
        return dict.find_first_not_of(' ', colon + 1);
    };
    std::size_t d = valueAfter("descr");
    if (d == std::string::npos || dict[d] != '\'') throw NpyError(name + ": malformed descr");
    const std::size_t dEnd = dict.find('\'', d + 1);
    if (dEnd == std::string::npos) throw NpyError(name + ": malformed descr");
    h.descr = dict.substr(d + 1, dEnd - d - 1);
    std::size_t f = valueAfter("fortran_order");
    if (f == std::string::npos) throw NpyError(name + ": malformed fortran_order");
    h.fortranOrder = dict.compare(f, 4, "True") == 0;
    std::size_t s = valueAfter("shape");
    if (s == std::string::npos || dict[s] != '(') throw NpyError(name + ": malformed shape");
    const std::size_t sEnd = dict.find(')', s);
    if (sEnd == std::string::npos) throw NpyError(name + ": malformed shape");
    std::string inner = dict.substr(s + 1, sEnd - s - 1);
    std::stringstream ss(inner);
    std::string part;
    while (std::getline(ss, part, ',')) {
        const std::size_t a = part.find_first_not_of(" L");
        if (a == std::string::npos) continue;
        try {
            std::size_t used = 0;
            const long long v = std::stoll(part.substr(a), &used);
            h.shape.push_back(v);
        } catch (const std::exception&) {
            throw NpyError(name + ": malformed shape '" + inner + "'");
        }
        if (h.shape.size() > 8) throw NpyError(name + ": too many dimensions");
    }
    return h;
}

NpyArray<float> readNpyFloat(const std::string& path)
{
    return readConverted<float>(path, {"<f4", "<f8"});
}

NpyArray<double> readNpyDouble(const std::string& path)
{
    return readConverted<double>(path, {"<f8", "<f4"});
}

NpyArray<int64_t> readNpyInt(const std::string& path)
{
    return readConverted<int64_t>(path, {"<i8", "<i4", "|u1"});
}

namespace {

void writeWhole(const std::string& path, const std::string& header, const void* data, std::size_t bytes)
{
    AtomicFile file(path);
    file.write(header);
    file.write(data, bytes);
    file.commit();
}

}  // namespace

void writeNpy(const std::string& path, const float* data, int64_t rows, int64_t cols)
{
    writeWhole(path, headerFor("<f4", {rows, cols}), data, std::size_t(rows * cols) * sizeof(float));
}

void writeNpy(const std::string& path, const double* data, int64_t rows, int64_t cols)
{
    writeWhole(path, headerFor("<f8", {rows, cols}), data, std::size_t(rows * cols) * sizeof(double));
}

void writeNpy(const std::string& path, const int64_t* data, int64_t count)
{
    writeWhole(path, headerFor("<i8", {count}), data, std::size_t(count) * sizeof(int64_t));
}

NpyRowWriter::NpyRowWriter(std::string path, int64_t cols)
    : m_file(std::make_unique<AtomicFile>(std::move(path))), m_cols(cols)
{
    // Reserve a header big enough for any row count; rewritten on finish().
    m_file->write(headerFor("<f4", {int64_t(1) << 40, cols}));
}

NpyRowWriter::~NpyRowWriter() = default;

void NpyRowWriter::append(const float* rows, int64_t count)
{
    m_file->write(rows, std::size_t(count * m_cols) * sizeof(float));
    m_rows += count;
}

std::string NpyRowWriter::finish()
{
    const std::string big = headerFor("<f4", {int64_t(1) << 40, m_cols});
    std::string header = headerFor("<f4", {m_rows, m_cols});
    header.resize(big.size() - 1, ' ');  // same length as reserved, keep the final '\n'
    header += '\n';
    // The header length field, for the padded size.
    const std::uint16_t len = std::uint16_t(header.size() - 10);
    header[8] = char(len & 0xFF);
    header[9] = char(len >> 8);
    std::FILE* f = m_file->file();
    if (std::fflush(f) != 0 || std::fseek(f, 0, SEEK_SET) != 0)
        throw NpyError(m_file->target() + ": write failed (" + errnoText() + "); is the disk full?");
    m_file->write(header);
    return m_file->release();
}

}  // namespace deepsvm
