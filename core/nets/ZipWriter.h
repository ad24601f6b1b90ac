#pragma once

#include "io/AtomicFile.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

/// Writes a zip the way PyTorch's writer does: STORED entries whose data start on a 64-byte
/// boundary (padding goes into the local header's extra field), so torch can mmap records.
/// Archives past 4 GiB or 65535 entries would need zip64 and are refused.
/// The archive is written through an AtomicFile: commit() moves it onto `path` complete, and
/// the destructor removes the temporary if commit() was not reached.
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
    std::unique_ptr<AtomicFile> m_file;
    std::uint64_t m_offset = 0;
    std::vector<Record> m_records;
};

}  // namespace deepsvm
