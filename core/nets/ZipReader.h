#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace deepsvm {

/// CRC-32 (IEEE, as zip uses it). Pass the previous result as `crc` to continue a running sum.
std::uint32_t crc32(const unsigned char* data, std::size_t size, std::uint32_t crc = 0);

/// A read-only view of a zip archive held in memory, restricted to what torch.save writes:
/// STORED (uncompressed) entries in a single-disk archive, optionally zip64.
/// Every offset and size is checked against the buffer before use, so a hostile archive can
/// only make the constructor or entry() throw PthError, never read outside `bytes`.
class ZipReader {
public:
    struct Entry {
        std::string name;
        std::uint64_t dataOffset = 0;  // of the entry's bytes within the archive
        std::uint64_t size = 0;
        std::uint32_t crc = 0;
    };

    /// Parses and validates the central directory. `displayName` prefixes every error.
    ZipReader(const std::string& bytes, std::string displayName);

    const std::vector<Entry>& entries() const { return m_entries; }
    /// The entry named exactly `name`, or nullptr.
    const Entry* find(const std::string& name) const;
    /// The entry's bytes, after checking its CRC-32.
    std::vector<unsigned char> read(const Entry& entry) const;
    std::string readString(const Entry& entry) const;

private:
    [[noreturn]] void fail(const std::string& what) const;
    void parseEndRecords(std::uint64_t& cdOffset, std::uint64_t& cdSize, std::uint64_t& count,
                         std::uint64_t& cdLimit) const;
    void parseCentralDirectory(std::uint64_t cdOffset, std::uint64_t cdSize, std::uint64_t count);
    struct Central;
    /// Central directory entry `i` at `p` (which must end by `cdEnd`), zip64 values applied.
    Central readCentral(std::uint64_t p, std::uint64_t cdEnd, std::uint64_t i) const;
    void applyZip64Extra(std::uint64_t x, std::uint64_t xEnd, Central& c) const;
    void checkStored(const Central& c, std::uint64_t i) const;
    void locateData(Central& c, std::uint64_t cdOffset) const;

    const std::string& m_bytes;
    std::string m_name;
    std::vector<Entry> m_entries;
    std::map<std::string, std::size_t> m_index;
};

}  // namespace deepsvm
