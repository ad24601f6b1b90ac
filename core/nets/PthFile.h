#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// Reading and writing PyTorch .pth state dicts without LibTorch and without executing the
// pickle: only what torch.save(model.state_dict()) produces is understood.
namespace deepsvm {

enum class ScalarType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool };

std::size_t elementSize(ScalarType t);
const char* scalarTypeName(ScalarType t);  // "float32", "float64", "float16", "bfloat16", "int64", ...

/// One tensor of a state dict as stored on disk (a view into a storage).
struct StoredTensor {
    std::string name;  // state-dict key, e.g. "layer1.0.conv1.weight"
    ScalarType dtype = ScalarType::Float32;
    std::vector<int64_t> shape;
    std::vector<int64_t> stride;  // in elements
    int64_t storageOffset = 0;    // in elements
    std::shared_ptr<const std::vector<unsigned char>> storage;  // the whole storage's bytes (little-endian)

    /// Product of the shape (1 for a 0-dim tensor). Throws PthError on negative sizes or overflow.
    int64_t numel() const;
    /// The elements in row-major (C) order, as bytes. Throws PthError if the view does not fit
    /// its storage or the copy cannot be allocated.
    std::vector<unsigned char> contiguousBytes() const;
};

struct StateDict {
    std::vector<StoredTensor> tensors;     // in file order
    std::vector<std::string> skippedKeys;  // keys whose values were not tensors (e.g. an int), ignored

    const StoredTensor* find(const std::string& name) const;
};

/// Thrown for any unreadable, malformed or unsafe file; what() names the file and what is wrong.
class PthError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Restricted reader: understands exactly what torch.save(model.state_dict()) writes (zip
/// format, torch >= 1.6, and the legacy pickle stream) and executes nothing. Every tensor is
/// checked to lie within its storage, and none expands (via zero strides) beyond 1 GiB.
StateDict readPth(const std::string& path);
StateDict readPthFromMemory(const std::string& bytes, const std::string& displayName);  // for tests/fuzzers

/// Writes a zip-format state dict that torch.load + load_state_dict accept. Tensors sharing a
/// storage (same pointer) keep sharing it. Writes PATH.tmp-XXXX then renames.
void writePth(const std::string& path, const StateDict& dict);

}  // namespace deepsvm
