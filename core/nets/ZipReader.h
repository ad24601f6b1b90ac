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

    const std::string& m_bytes;
    std::string m_name;
    std::vector<Entry> m_entries;
    std::map<std::string, std::size_t> m_index;
};

/// Writes a zip the way PyTorch's writer does: STORED entries whose data start on a 64-byte
/// boundary (padding goes into the local header's extra field), so torch can mmap records.
/// Archives past 4 GiB or 65535 entries would need zip64 and are refused.
/// The archive goes to PATH.tmp-XXXX next to `path`; commit() renames it onto `path`, so readers
/// never see half a file, and the destructor removes the temp file if commit() was not reached.
class ZipWriter {
public:
    explicit ZipWriter(const std::string& path);
    ~ZipWriter();
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    void add(const std::string& name, const unsigned char* data, std::size_t size);
    void add(const std::string& name, const std::string& data);
    /// Writes the central directory and end record, closes and renames. Call once, last.
    void commit();

private:
    struct Record {
        std::string name;
        std::uint32_t crc;
        std::uint32_t size;
        std::uint32_t offset;
    };
    [[noreturn]] void fail(const std::string& what) const;
    void write(const unsigned char* data, std::size_t size);
    void write(const std::string& bytes);

    std::string m_path;
    std::string m_tmp;
    std::FILE* m_file = nullptr;
    std::uint64_t m_offset = 0;
    std::vector<Record> m_records;
};

}  // namespace deepsvm
