#pragma once

#include "io/Cancel.h"

#include <cstdint>
#include <functional>
#include <string>

namespace deepsvm {

enum class DigestAlgorithm { Sha256, Md5 };

/// Hex digest of a file, read in 4 MiB chunks. `progress(done, total)` runs after each chunk;
/// `cancelled` is asked between chunks (throws Cancelled). Throws IoError naming the file.
std::string fileDigest(const std::string& path, DigestAlgorithm algorithm = DigestAlgorithm::Sha256,
                       const std::function<void(int64_t, int64_t)>& progress = {}, const CancelCheck& cancelled = {});
/// Hex SHA-256 of a file: the identity of a weights file in feature keys and model folders.
inline std::string sha256OfFile(const std::string& path) { return fileDigest(path); }
/// Hex SHA-256 of a string.
std::string sha256Hex(const std::string& text);

}  // namespace deepsvm
