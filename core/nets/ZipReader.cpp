#include "nets/ZipReader.h"

#include "nets/ZipFormat.h"

#include "nets/Pickle.h"
#include "nets/PthFile.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace deepsvm {

using namespace zipformat;

namespace {

// A state dict has one entry per storage; a million is far beyond any real model and keeps
// the index small even for a hostile count field.
constexpr std::uint64_t kMaxEntries = 1u << 20;

std::uint16_t le16(const std::string& b, std::uint64_t at)
{
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at])
                                      | static_cast<unsigned char>(b[at + 1]) << 8);
}

std::uint32_t le32(const std::string& b, std::uint64_t at)
{
    return static_cast<std::uint32_t>(le16(b, at)) | static_cast<std::uint32_t>(le16(b, at + 2)) << 16;
}

std::uint64_t le64(const std::string& b, std::uint64_t at)
{
    return static_cast<std::uint64_t>(le32(b, at)) | static_cast<std::uint64_t>(le32(b, at + 4)) << 32;
}

using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

CrcTables makeCrcTables()
{
    CrcTables t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    // Slicing-by-8 tables: a 500 MB model is checked in well under a second.
    for (std::uint32_t i = 0; i < 256; ++i)
        for (std::size_t s = 1; s < 8; ++s)
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    return t;
}

}  // namespace

std::uint32_t crc32(const unsigned char* data, std::size_t size, std::uint32_t crc)
{
    static const CrcTables t = makeCrcTables();
    std::uint32_t c = ~crc;
    while (size >= 8) {
        const std::uint32_t lo = c ^ (static_cast<std::uint32_t>(data[0]) | static_cast<std::uint32_t>(data[1]) << 8
                                      | static_cast<std::uint32_t>(data[2]) << 16
                                      | static_cast<std::uint32_t>(data[3]) << 24);
        c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24]
            ^ t[3][data[4]] ^ t[2][data[5]] ^ t[1][data[6]] ^ t[0][data[7]];
        data += 8;
        size -= 8;
    }
    while (size--)
        c = t[0][(c ^ *data++) & 0xFF] ^ (c >> 8);
    return ~c;
}

ZipReader::ZipReader(const std::string& bytes, std::string displayName)
    : m_bytes(bytes), m_name(std::move(displayName))
{
    std::uint64_t cdOffset = 0, cdSize = 0, count = 0, cdLimit = 0;
    parseEndRecords(cdOffset, cdSize, count, cdLimit);
    if (cdOffset > cdLimit || cdSize > cdLimit - cdOffset)
        fail("truncated zip (central directory beyond end of file)");
    if (count > kMaxEntries || count > cdSize / kCentralSize)
        fail("corrupt zip (entry count " + std::to_string(count) + " does not fit the central directory)");
    parseCentralDirectory(cdOffset, cdSize, count);
}

void ZipReader::fail(const std::string& what) const
{
    throw PthError(m_name + ": " + what);
}

void ZipReader::parseEndRecords(std::uint64_t& cdOffset, std::uint64_t& cdSize, std::uint64_t& count,
                                std::uint64_t& cdLimit) const
{
    const std::uint64_t size = m_bytes.size();
    if (size < kEndSize)
        fail("truncated zip (no end-of-central-directory record)");
    // The end record is followed only by its comment (at most 64 KiB); demanding that the
    // comment length matches exactly rejects a stray signature inside the comment or data.
    std::uint64_t end = size;  // "not found"
    const std::uint64_t lowest = size - kEndSize > 0xFFFF ? size - kEndSize - 0xFFFF : 0;
    for (std::uint64_t p = size - kEndSize + 1; p-- > lowest;) {
        if (le32(m_bytes, p) == kEndSig && p + kEndSize + le16(m_bytes, p + 20) == size) {
            end = p;
            break;
        }
    }
    if (end == size)
        fail("truncated zip (no end-of-central-directory record)");
    const std::uint16_t disk = le16(m_bytes, end + 4), cdDisk = le16(m_bytes, end + 6);
    const std::uint16_t diskCount = le16(m_bytes, end + 8);
    count = le16(m_bytes, end + 10);
    cdSize = le32(m_bytes, end + 12);
    cdOffset = le32(m_bytes, end + 16);
    cdLimit = end;
    const bool needs64 = count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF;
    const bool has64 = end >= kEnd64LocatorSize && le32(m_bytes, end - kEnd64LocatorSize) == kEnd64LocatorSig;
    if (!has64) {
        if (needs64)
            fail("truncated zip (zip64 end-of-central-directory locator missing)");
        if (disk != 0 || cdDisk != 0 || diskCount != count)
            fail("multi-disk zip archives are not supported");
        return;
    }
    // torch.save always writes the zip64 records (miniz does); they are authoritative.
    const std::uint64_t locator = end - kEnd64LocatorSize;
    const std::uint64_t rec = le64(m_bytes, locator + 8);
    if (le32(m_bytes, locator + 4) != 0 || le32(m_bytes, locator + 16) > 1)
        fail("multi-disk zip archives are not supported");
    if (rec > locator || locator - rec < kEnd64MinSize)
        fail("truncated zip (zip64 end-of-central-directory record beyond end of file)");
    if (le32(m_bytes, rec) != kEnd64Sig)
        fail("corrupt zip (bad zip64 end-of-central-directory signature)");
    const std::uint64_t recSize = le64(m_bytes, rec + 4);
    if (recSize < kEnd64MinSize - 12 || recSize > locator - rec - 12)
        fail("corrupt zip (bad zip64 end-of-central-directory size)");
    if (le32(m_bytes, rec + 16) != 0 || le32(m_bytes, rec + 20) != 0
        || le64(m_bytes, rec + 24) != le64(m_bytes, rec + 32))
        fail("multi-disk zip archives are not supported");
    count = le64(m_bytes, rec + 32);
    cdSize = le64(m_bytes, rec + 40);
    cdOffset = le64(m_bytes, rec + 48);
    cdLimit = rec;
}

/// One central directory entry as readCentral found it.
struct ZipReader::Central {
    Entry entry;        ///< name and crc; locateData adds the data's offset and size
    std::string shown;  ///< the name made printable, for messages (names are untrusted text)
    std::uint16_t flags = 0, method = 0;
    std::uint64_t csize = 0, usize = 0, disk = 0, local = 0;
    std::uint64_t varLen = 0;  ///< name, extra field and comment, after the fixed part
};

void ZipReader::parseCentralDirectory(std::uint64_t cdOffset, std::uint64_t cdSize, std::uint64_t count)
{
    const std::uint64_t cdEnd = cdOffset + cdSize;
    std::uint64_t p = cdOffset;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // [local header, data end)
    m_entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        Central c = readCentral(p, cdEnd, i);
        p += kCentralSize + c.varLen;
        checkStored(c, i);
        locateData(c, cdOffset);
        Entry& e = c.entry;
        ranges.emplace_back(c.local, e.dataOffset + e.size);
        if (!m_index.emplace(e.name, m_entries.size()).second)
            fail("corrupt zip (duplicate entry '" + c.shown + "')");
        m_entries.push_back(std::move(e));
    }
    if (p != cdEnd)
        fail("corrupt zip (central directory size does not match its entries)");
    // Overlapping entries are the hallmark of zip bombs and parser-confusion attacks.
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].first < ranges[i - 1].second)
            fail("corrupt zip (overlapping entries)");
}

ZipReader::Central ZipReader::readCentral(std::uint64_t p, std::uint64_t cdEnd, std::uint64_t i) const
{
    if (cdEnd - p < kCentralSize)
        fail("truncated zip (central directory entry " + std::to_string(i) + " beyond its end)");
    if (le32(m_bytes, p) != kCentralSig)
        fail("corrupt zip (bad central directory signature in entry " + std::to_string(i) + ")");
    Central c;
    c.flags = le16(m_bytes, p + 8);
    c.method = le16(m_bytes, p + 10);
    const std::uint32_t crc = le32(m_bytes, p + 16);
    c.csize = le32(m_bytes, p + 20);
    c.usize = le32(m_bytes, p + 24);
    const std::uint16_t nameLen = le16(m_bytes, p + 28), extraLen = le16(m_bytes, p + 30);
    const std::uint16_t commentLen = le16(m_bytes, p + 32);
    c.disk = le16(m_bytes, p + 34);
    c.local = le32(m_bytes, p + 42);
    c.varLen = std::uint64_t(nameLen) + extraLen + commentLen;
    if (cdEnd - p - kCentralSize < c.varLen)
        fail("truncated zip (central directory entry " + std::to_string(i) + " beyond its end)");
    c.entry.name = m_bytes.substr(p + kCentralSize, nameLen);
    c.shown = pickle::printable(c.entry.name);
    c.entry.crc = crc;
    const std::uint64_t x = p + kCentralSize + nameLen;
    applyZip64Extra(x, x + extraLen, c);
    return c;
}

/// Zip64 sizes and offsets live in extra field 0x0001, in this order, only for the fields
/// whose 32-bit slot holds the 0xFFFFFFFF sentinel. Walks the extra fields in [x, xEnd).
void ZipReader::applyZip64Extra(std::uint64_t x, std::uint64_t xEnd, Central& c) const
{
    while (xEnd - x >= 4) {
        const std::uint16_t id = le16(m_bytes, x), len = le16(m_bytes, x + 2);
        if (xEnd - x - 4 < len)
            fail("corrupt zip (bad extra field in entry '" + c.shown + "')");
        if (id == 0x0001) {
            std::uint64_t q = x + 4, qEnd = q + len;
            for (std::uint64_t* field : {&c.usize, &c.csize, &c.local}) {
                if (*field != 0xFFFFFFFF)
                    continue;
                if (qEnd - q < 8)
                    fail("corrupt zip (short zip64 extra field in entry '" + c.shown + "')");
                *field = le64(m_bytes, q);
                q += 8;
            }
            if (c.disk == 0xFFFF && qEnd - q >= 4)
                c.disk = le32(m_bytes, q);
        }
        x += 4 + len;
    }
}

/// What torch.save writes: a named, unencrypted, STORED entry on disk 0.
void ZipReader::checkStored(const Central& c, std::uint64_t i) const
{
    const std::string& shown = c.shown;
    if (c.entry.name.empty())
        fail("corrupt zip (entry " + std::to_string(i) + " has an empty name)");
    if (c.flags & 0x1)
        fail("zip entry '" + shown + "' is encrypted");
    if (c.method != 0)
        fail("zip entry '" + shown + "' is compressed (method " + std::to_string(c.method)
             + "); PyTorch files store entries uncompressed");
    if (c.csize != c.usize)
        fail("corrupt zip (entry '" + shown + "' is stored but its sizes differ)");
    if (c.disk != 0)
        fail("multi-disk zip archives are not supported");
}

/// Sets the entry's data offset and size from its local header, which must lie (with the
/// data) before the central directory at `cdOffset`.
void ZipReader::locateData(Central& c, std::uint64_t cdOffset) const
{
    const std::uint64_t local = c.local;
    const std::string& shown = c.shown;
    Entry& e = c.entry;
    // The local header repeats name and extra lengths that may differ from the central
    // ones; only they locate the data. Its sizes may be zero (data-descriptor flag), so
    // the central directory's sizes are the ones used.
    if (local > cdOffset || cdOffset - local < kLocalSize)
        fail("truncated zip (local header of '" + shown + "' beyond the central directory)");
    if (le32(m_bytes, local) != kLocalSig)
        fail("corrupt zip (bad local header signature for '" + shown + "')");
    if (le16(m_bytes, local + 8) != 0)
        fail("zip entry '" + shown + "' is compressed (method " + std::to_string(le16(m_bytes, local + 8))
             + " in its local header); PyTorch files store entries uncompressed");
    const std::uint64_t localVar = std::uint64_t(le16(m_bytes, local + 26)) + le16(m_bytes, local + 28);
    if (cdOffset - local - kLocalSize < localVar)
        fail("truncated zip (local header of '" + shown + "' beyond the central directory)");
    if (m_bytes.compare(local + kLocalSize, le16(m_bytes, local + 26), e.name) != 0)
        fail("corrupt zip (local and central names differ for '" + shown + "')");
    e.dataOffset = local + kLocalSize + localVar;
    e.size = c.usize;
    if (e.size > cdOffset - e.dataOffset)
        fail("truncated zip (data of '" + shown + "' beyond the central directory)");
}

const ZipReader::Entry* ZipReader::find(const std::string& name) const
{
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_entries[it->second];
}

std::vector<unsigned char> ZipReader::read(const Entry& entry) const
{
    const auto* begin = reinterpret_cast<const unsigned char*>(m_bytes.data()) + entry.dataOffset;
    std::vector<unsigned char> out(begin, begin + entry.size);
    if (crc32(out.data(), out.size()) != entry.crc)
        fail("corrupt zip (CRC-32 mismatch in '" + pickle::printable(entry.name) + "')");
    return out;
}

std::string ZipReader::readString(const Entry& entry) const
{
    const std::vector<unsigned char> data = read(entry);
    return std::string(data.begin(), data.end());
}

}  // namespace deepsvm
