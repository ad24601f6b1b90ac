#pragma once

#include "io/AtomicFile.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepsvm {

class NpyError : public IoError {
public:
    using IoError::IoError;
};

/// A C-order array read from a .npy file (any rank; feature files check for 2-D).
template <typename T>
struct NpyArray {
    std::vector<int64_t> shape;
    std::vector<T> data;
    int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
    int64_t cols() const { return shape.size() > 1 ? shape[1] : 1; }
};

/// Reads float32 (or float64, converted) arrays. Throws NpyError naming the file.
NpyArray<float> readNpyFloat(const std::string& path);
/// Reads float64 (or float32, converted) arrays. Throws NpyError naming the file.
NpyArray<double> readNpyDouble(const std::string& path);
/// Reads int64 (or int32/uint8, converted) arrays. Throws NpyError naming the file.
NpyArray<int64_t> readNpyInt(const std::string& path);
/// Parses the header from bytes (for tests and fuzzers): returns descr, fortran, shape, data offset.
struct NpyHeader {
    std::string descr;
    bool fortranOrder = false;
    std::vector<int64_t> shape;
    std::size_t dataOffset = 0;
};
NpyHeader parseNpyHeader(const std::string& bytes, const std::string& displayName);

void writeNpy(const std::string& path, const float* data, int64_t rows, int64_t cols);
void writeNpy(const std::string& path, const double* data, int64_t rows, int64_t cols);
void writeNpy(const std::string& path, const int64_t* data, int64_t count);

/// Writes a float32 rows x cols array a batch of rows at a time, so memory stays flat; the
/// header is rewritten with the final row count on finish(). Writes to a temporary name.
class NpyRowWriter {
public:
    NpyRowWriter(std::string path, int64_t cols);
    ~NpyRowWriter();  ///< removes the temporary file if finish() was not reached (AtomicFile)
    NpyRowWriter(const NpyRowWriter&) = delete;
    NpyRowWriter& operator=(const NpyRowWriter&) = delete;
    void append(const float* rows, int64_t count);
    int64_t rows() const { return m_rows; }
    /// Returns the temporary path (complete); the caller renames it into place.
    std::string finish();

private:
    std::unique_ptr<AtomicFile> m_file;
    int64_t m_cols;
    int64_t m_rows = 0;
};

// commitFile, temporaryPathFor and removeStaleTemporaries live in io/AtomicFile.h.

}  // namespace deepsvm
