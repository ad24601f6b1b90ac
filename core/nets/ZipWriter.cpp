#include "nets/ZipWriter.h"

#include "nets/PthFile.h"
#include "nets/ZipFormat.h"
#include "nets/ZipReader.h"  // crc32

#include <utility>

namespace deepsvm {

using namespace zipformat;

namespace {

void put16(std::string& out, std::uint32_t v)
{
    out += static_cast<char>(v & 0xFF);
    out += static_cast<char>((v >> 8) & 0xFF);
}

void put32(std::string& out, std::uint32_t v)
{
    put16(out, v & 0xFFFF);
    put16(out, v >> 16);
}

constexpr std::uint32_t kVersion = 20;   // 2.0: plain stored files
constexpr std::uint32_t kDosDate = 0x21;  // 1980-01-01: fixed, so output is reproducible
constexpr std::uint64_t kAlign = 64;

}  // namespace

ZipWriter::ZipWriter(const std::string& path) : m_path(path)
{
    try {
        m_file = std::make_unique<AtomicFile>(path, AtomicFile::Folder::MustExist);
    } catch (const IoError& e) {
        throw PthError(e.what());
    }
}

ZipWriter::~ZipWriter() = default;  // commit() not reached: the AtomicFile removes the temporary

void ZipWriter::fail(const std::string& what) const
{
    throw PthError(m_path + ": " + what);
}

void ZipWriter::write(const unsigned char* data, std::size_t size)
{
    try {
        m_file->write(data, size);
    } catch (const IoError& e) {
        throw PthError(e.what());
    }
    m_offset += size;
}

void ZipWriter::write(const std::string& bytes)
{
    write(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

void ZipWriter::add(const std::string& name, const std::string& data)
{
    add(name, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

void ZipWriter::add(const std::string& name, const unsigned char* data, std::size_t size)
{
    if (name.empty() || name.size() > 0xFFFF || m_records.size() >= 0xFFFF)
        fail("cannot write zip entry '" + name + "' (bad name or too many entries)");
    // Like PyTorch: pad the local header with an extra field ("FB", filled with 'Z') so the
    // data starts on a 64-byte boundary; an extra field needs at least its 4-byte header.
    const std::uint64_t headerEnd = m_offset + kLocalSize + name.size();
    std::uint64_t pad = (kAlign - headerEnd % kAlign) % kAlign;
    if (pad != 0 && pad < 4)
        pad += kAlign;
    if (headerEnd + pad + size >= 0xFFFFFFFFu)
        fail("archive would exceed 4 GiB (zip64 output is not supported)");
    Record r{name, crc32(data, size), static_cast<std::uint32_t>(size), static_cast<std::uint32_t>(m_offset)};
    std::string h;
    put32(h, kLocalSig);
    put16(h, kVersion);
    put16(h, 0);  // flags: sizes are known up front, so no data descriptor
    put16(h, 0);  // method: stored
    put16(h, 0);
    put16(h, kDosDate);
    put32(h, r.crc);
    put32(h, r.size);
    put32(h, r.size);
    put16(h, static_cast<std::uint32_t>(name.size()));
    put16(h, static_cast<std::uint32_t>(pad));
    h += name;
    if (pad) {
        put16(h, 0x4246);  // "FB"
        put16(h, static_cast<std::uint32_t>(pad - 4));
        h.append(static_cast<std::size_t>(pad - 4), 'Z');
    }
    write(h);
    write(data, size);
    m_records.push_back(std::move(r));
}

void ZipWriter::commit()
{
    const std::uint64_t cdOffset = m_offset;
    std::string cd;
    for (const Record& r : m_records) {
        put32(cd, kCentralSig);
        put16(cd, kVersion);  // made by: MS-DOS attributes, version 2.0
        put16(cd, kVersion);
        put16(cd, 0);
        put16(cd, 0);
        put16(cd, 0);
        put16(cd, kDosDate);
        put32(cd, r.crc);
        put32(cd, r.size);
        put32(cd, r.size);
        put16(cd, static_cast<std::uint32_t>(r.name.size()));
        put16(cd, 0);  // extra
        put16(cd, 0);  // comment
        put16(cd, 0);  // disk
        put16(cd, 0);  // internal attributes
        put32(cd, 0);  // external attributes
        put32(cd, r.offset);
        cd += r.name;
    }
    const std::uint64_t cdSize = cd.size();
    if (cdOffset + cdSize + kEndSize >= 0xFFFFFFFFu)
        fail("archive would exceed 4 GiB (zip64 output is not supported)");
    put32(cd, kEndSig);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, static_cast<std::uint32_t>(m_records.size()));
    put16(cd, static_cast<std::uint32_t>(m_records.size()));
    put32(cd, static_cast<std::uint32_t>(cdSize));
    put32(cd, static_cast<std::uint32_t>(cdOffset));
    put16(cd, 0);
    write(cd);
    try {
        m_file->commit();
    } catch (const IoError& e) {
        throw PthError(e.what());
    }
}

}  // namespace deepsvm
