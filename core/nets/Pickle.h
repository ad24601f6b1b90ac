#pragma once

#include "nets/PthFile.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

/// A restricted pickle virtual machine: just enough of the protocol to read what
/// torch.save(state_dict) writes, executing nothing. Internal to PthFile.
namespace deepsvm::pickle {

/// A storage as a persistent id names it: ('storage', torch.XStorage, key, location, numel
/// [, view_metadata]). The bytes live elsewhere (a zip record, or after the legacy pickles).
struct StorageRef {
    std::string key;
    ScalarType dtype = ScalarType::Float32;
    std::string location;
    std::int64_t numel = 0;  // elements of the whole storage `key`
    // Legacy files may name a slice of storage `key` (view_metadata = (viewKey, offset, numel)).
    bool isView = false;
    std::string viewKey;
    std::int64_t viewOffset = 0;
    std::int64_t viewNumel = 0;
};

/// What _rebuild_tensor_v2 received; checked against the storage later, where the
/// state-dict key is known and can be named in the error.
struct TensorRef {
    std::shared_ptr<const StorageRef> storage;
    std::int64_t storageOffset = 0;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> stride;
};

enum class Kind { None, Bool, Int, BigInt, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor };
/// The only globals the VM will resolve.
enum class Callable { OrderedDict, RebuildTensorV2, RebuildTensor, RebuildParameter, StorageType };

const char* kindName(Kind kind);
/// "FloatStorage", ... for each dtype; the reverse lookup returns false for any other name.
const char* storageClassName(ScalarType t);
bool scalarTypeFromStorageClass(const std::string& name, ScalarType& out);
/// Short, control-character-free text for error messages: names come from untrusted files.
std::string printable(const std::string& s);

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
    Kind kind = Kind::None;
    // Set once the value is placed inside a container. Containers are immutable from then on,
    // which makes reference cycles (and so leaks and unbounded traversals) impossible.
    bool contained = false;
    // Nesting depth of containers (0 for scalars), bounded so destruction and any recursive
    // walk stay shallow.
    std::uint8_t depth = 0;
    Callable callable = Callable::OrderedDict;  // Global
    ScalarType storageType = ScalarType::Float32;  // Global naming a storage class
    std::int64_t integer = 0;                    // Int, Bool
    double real = 0;                             // Float
    std::string text;  // String, Bytes, BigInt (little-endian two's complement), Global ("module.name")
    std::vector<ValuePtr> items;                          // Tuple, List
    std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // Dict, in insertion order
    std::unordered_map<std::string, std::size_t> stringKeys;  // Dict: str key -> index in entries
    std::shared_ptr<const StorageRef> storage;  // Storage
    std::shared_ptr<const TensorRef> tensor;    // Tensor
};

class Unpickler {
public:
    /// `context` prefixes every error, e.g. "weights.pth: data.pkl".
    Unpickler(const unsigned char* data, std::size_t size, std::string context);

    /// Runs the pickle starting at `pos` up to its STOP; on return `pos` is just past STOP.
    /// Throws PthError for any malformed, unsupported or disallowed content.
    ValuePtr load(std::size_t& pos);

    /// Every storage a persistent id has named so far, in order of appearance.
    const std::vector<std::shared_ptr<const StorageRef>>& storages() const { return m_storages; }

private:
    [[noreturn]] void fail(const std::string& what) const;
    void need(std::size_t n) const;
    std::uint64_t readLe(std::size_t n);
    std::string readBytes(std::uint64_t n);
    std::string readLine();
    ValuePtr make(Kind kind);
    void push(ValuePtr v);
    ValuePtr pop();
    ValuePtr& top();
    std::vector<ValuePtr> popMark();
    void memoPut(std::uint64_t index);
    ValuePtr memoGet(std::uint64_t index) const;
    ValuePtr makeTuple(std::vector<ValuePtr> items);
    void adopt(Value& container, const ValuePtr& child);
    void setItem(Value& dict, const ValuePtr& key, const ValuePtr& value);
    void append(Value& list, const ValuePtr& item);
    ValuePtr global(const std::string& module, const std::string& name);
    ValuePtr persistentLoad(const ValuePtr& pid);
    ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args);
    ValuePtr rebuildTensor(const std::vector<ValuePtr>& args);
    std::vector<std::int64_t> intTuple(const ValuePtr& v, const char* what) const;

    const unsigned char* m_data;
    std::size_t m_size;
    std::string m_context;
    std::size_t m_pos = 0;
    std::size_t m_opStart = 0;
    std::size_t m_created = 0;
    std::vector<ValuePtr> m_stack;
    std::vector<std::size_t> m_marks;
    std::unordered_map<std::uint64_t, ValuePtr> m_memo;
    std::vector<std::shared_ptr<const StorageRef>> m_storages;
};

}  // namespace deepsvm::pickle
