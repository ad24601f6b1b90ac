#include "nets/PthFile.h"

#include "nets/Pickle.h"
#include "nets/ZipReader.h"
#include "nets/ZipWriter.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <new>
#include <set>
#include <unordered_set>

namespace deepsvm {

namespace {

using pickle::Kind;
using pickle::printable;
using pickle::Value;
using Bytes = std::vector<unsigned char>;

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxExpandedBytes = std::int64_t(1) << 30;

/// A storage the pickle names (first reference) and, once located in the file, its bytes.
struct LoadedStorage {
    const pickle::StorageRef* ref;
    std::shared_ptr<const Bytes> bytes;
};
using StorageMap = std::map<std::string, LoadedStorage>;

// a * b for non-negative operands, or false on overflow (portable; no compiler builtins).
bool checkedMul(std::int64_t a, std::int64_t b, std::int64_t& out)
{
    if (a != 0 && b > kInt64Max / a)
        return false;
    out = a * b;
    return true;
}

std::int64_t checkedNumel(const std::vector<std::int64_t>& shape, const std::string& context)
{
    std::int64_t n = 1;
    for (const std::int64_t d : shape)
        if (d < 0 || !checkedMul(n, d, n))
            throw PthError(context + ": bad shape (negative or overflowing size)");
    return n;
}

/// Storage elements the view needs: one past its highest element (its offset when empty).
std::int64_t requiredElements(const StoredTensor& t, const std::string& context)
{
    if (t.shape.size() != t.stride.size())
        throw PthError(context + ": shape and stride differ in length");
    if (t.storageOffset < 0)
        throw PthError(context + ": negative storage offset");
    for (std::size_t d = 0; d < t.shape.size(); ++d)
        if (t.shape[d] < 0 || t.stride[d] < 0)
            throw PthError(context + ": negative size or stride in dimension " + std::to_string(d));
    if (checkedNumel(t.shape, context) == 0)
        return t.storageOffset;
    std::int64_t last = t.storageOffset;
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
        std::int64_t span = 0;
        if (!checkedMul(t.shape[d] - 1, t.stride[d], span) || span > kInt64Max - 1 - last)
            throw PthError(context + ": view extends beyond any storage (overflow)");
        last += span;
    }
    return last + 1;
}

void validateTensor(const StoredTensor& t, const std::string& context)
{
    if (!t.storage)
        throw PthError(context + ": has no storage");
    const auto es = static_cast<std::int64_t>(elementSize(t.dtype));
    if (t.storage->size() % static_cast<std::size_t>(es) != 0)
        throw PthError(context + ": storage of " + std::to_string(t.storage->size())
                       + " bytes is not a whole number of " + scalarTypeName(t.dtype) + " elements");
    const auto have = static_cast<std::int64_t>(t.storage->size()) / es;
    const std::int64_t need = requiredElements(t, context);
    std::int64_t bytes = 0;
    if (!checkedMul(checkedNumel(t.shape, context), es, bytes))
        throw PthError(context + ": too many elements");
    if (need > have)
        throw PthError(context + ": needs " + std::to_string(need) + " " + scalarTypeName(t.dtype)
                       + " elements but its storage holds " + std::to_string(have));
}

// Recursive, but values nest at most 64 deep (the unpickler enforces it); `seen` keeps shared
// sub-values from being revisited, so the walk is linear.
bool containsTensor(const Value& v, std::unordered_set<const Value*>& seen)
{
    if (v.kind == Kind::Tensor || v.kind == Kind::Storage)
        return true;
    if (!seen.insert(&v).second)
        return false;
    for (const auto& item : v.items)
        if (containsTensor(*item, seen))
            return true;
    for (const auto& [key, value] : v.entries)
        if (containsTensor(*key, seen) || containsTensor(*value, seen))
            return true;
    return false;
}

StateDict buildStateDict(const Value& root, const StorageMap& storages, const std::string& name)
{
    if (root.kind != Kind::Dict)
        throw PthError(name + ": not a state dict (the file holds a " + pickle::kindName(root.kind)
                       + ", expected a dict of tensors)");
    StateDict out;
    for (const auto& [key, value] : root.entries) {
        if (key->kind != Kind::String)
            throw PthError(name + ": not a state dict (a key is a " + pickle::kindName(key->kind) + ")");
        const std::string context = name + ": tensor '" + printable(key->text) + "'";
        if (value->kind != Kind::Tensor) {
            std::unordered_set<const Value*> seen;
            if (containsTensor(*value, seen))
                throw PthError(name + ": key '" + printable(key->text) + "' holds a " + pickle::kindName(value->kind)
                               + " of tensors: this looks like a training checkpoint, not a state dict");
            out.skippedKeys.push_back(key->text);
            continue;
        }
        const pickle::TensorRef& ref = *value->tensor;
        const pickle::StorageRef& sref = *ref.storage;
        const auto it = storages.find(sref.key);
        if (it == storages.end())  // the loaders resolve every storage; this guards against drift
            throw PthError(context + ": storage '" + printable(sref.key) + "' is missing");
        StoredTensor t;
        t.name = key->text;
        t.dtype = sref.dtype;
        t.shape = ref.shape;
        t.stride = ref.stride;
        t.storageOffset = ref.storageOffset;
        t.storage = it->second.bytes;
        if (sref.isView) {
            // A legacy storage view: the tensor must fit the view, which sits inside the root.
            if (requiredElements(t, context) > sref.viewNumel)
                throw PthError(context + ": needs more elements than its storage view holds ("
                               + std::to_string(sref.viewNumel) + ")");
            t.storageOffset += sref.viewOffset;
        }
        validateTensor(t, context);
        // Zero strides let a few stored bytes stand for a huge tensor; legitimate expanded
        // buffers are small, so refuse to let a file make contiguousBytes() allocate gigabytes.
        const std::int64_t bytes = t.numel() * static_cast<std::int64_t>(elementSize(t.dtype));
        if (bytes > kMaxExpandedBytes && static_cast<std::uint64_t>(bytes) > t.storage->size())
            throw PthError(context + ": views " + std::to_string(bytes) + " bytes of a " + std::to_string(t.storage->size())
                           + "-byte storage (zero or overlapping strides); refusing to expand it");
        out.tensors.push_back(std::move(t));
    }
    return out;
}

/// Every storage the pickle named, once per key; repeated references must agree.
StorageMap collectStorages(const pickle::Unpickler& unpickler, const std::string& name)
{
    StorageMap map;
    for (const auto& ref : unpickler.storages()) {
        const auto [it, added] = map.emplace(ref->key, LoadedStorage{ref.get(), nullptr});
        if (!added && (it->second.ref->dtype != ref->dtype || it->second.ref->numel != ref->numel))
            throw PthError(name + ": storage '" + printable(ref->key) + "' is referenced with different types or sizes");
    }
    return map;
}

std::int64_t storageBytes(const pickle::StorageRef& ref, const std::string& name)
{
    std::int64_t bytes = 0;
    if (!checkedMul(ref.numel, static_cast<std::int64_t>(elementSize(ref.dtype)), bytes))
        throw PthError(name + ": storage '" + printable(ref.key) + "' has an absurd size");
    return bytes;
}

StateDict readZip(const std::string& bytes, const std::string& name)
{
    const ZipReader zip(bytes, name);
    // The records live in one top folder (usually "archive/"); data.pkl names the storages.
    const ZipReader::Entry* pkl = nullptr;
    std::string prefix;
    for (const auto& e : zip.entries()) {
        const std::size_t slash = e.name.find('/');
        if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            if (pkl)
                throw PthError(name + ": zip holds more than one data.pkl");
            pkl = &e;
            prefix = e.name.substr(0, slash + 1);
        }
    }
    if (!pkl)
        throw PthError(name + ": not a PyTorch file (zip archive without data.pkl)");
    for (const auto& e : zip.entries())
        if (e.name == prefix + "constants.pkl" || e.name.compare(0, prefix.size() + 5, prefix + "code/") == 0)
            throw PthError(name + ": is a TorchScript archive, not a state dict saved with torch.save");
    if (const auto* order = zip.find(prefix + "byteorder")) {
        const std::string value = zip.readString(*order);
        if (value != "little")
            throw PthError(name + ": stored with byte order '" + printable(value) + "'; only little-endian is supported");
    }
    const Bytes pickleBytes = zip.read(*pkl);
    pickle::Unpickler unpickler(pickleBytes.data(), pickleBytes.size(), name + ": " + pkl->name);
    std::size_t pos = 0;
    const pickle::ValuePtr root = unpickler.load(pos);

    StorageMap storages = collectStorages(unpickler, name);
    for (auto& [key, storage] : storages) {
        const pickle::StorageRef* ref = storage.ref;
        const ZipReader::Entry* record = zip.find(prefix + "data/" + ref->key);
        if (!record)
            throw PthError(name + ": storage '" + printable(ref->key) + "' is missing (no " + prefix + "data/"
                           + printable(ref->key) + ")");
        const std::int64_t want = storageBytes(*ref, name);
        if (record->size != static_cast<std::uint64_t>(want))
            throw PthError(name + ": storage '" + printable(ref->key) + "' holds " + std::to_string(record->size)
                           + " bytes but should hold " + std::to_string(ref->numel) + " "
                           + scalarTypeName(ref->dtype) + " elements (" + std::to_string(want) + " bytes)");
        storage.bytes = std::make_shared<const Bytes>(zip.read(*record));
    }
    return buildStateDict(*root, storages, name);
}

StateDict readLegacy(const std::string& bytes, const std::string& name)
{
    // torch.save(..., _use_new_zipfile_serialization=False): pickles of the magic number, the
    // protocol version and sys_info, then the object, then the sorted storage keys; then for
    // each key an int64 element count followed by the storage's raw bytes.
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    pickle::Unpickler unpickler(data, bytes.size(), name);
    std::size_t pos = 0;
    static const char kMagic[] = "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";  // 0x1950a86a20f9469cfc6c
    const pickle::ValuePtr magic = unpickler.load(pos);
    if (magic->kind != Kind::BigInt || magic->text != std::string(kMagic, 10))
        throw PthError(name + ": not a PyTorch file (bad magic number)");
    const pickle::ValuePtr protocol = unpickler.load(pos);
    if (protocol->kind != Kind::Int || protocol->integer != 1001)
        throw PthError(name + ": unsupported legacy format version");
    const pickle::ValuePtr sysInfo = unpickler.load(pos);
    bool little = false;
    if (sysInfo->kind == Kind::Dict)
        for (const auto& [key, value] : sysInfo->entries)
            if (key->kind == Kind::String && key->text == "little_endian")
                little = value->kind == Kind::Bool && value->integer == 1;
    if (!little)
        throw PthError(name + ": written on a big-endian machine; only little-endian files are supported");
    const pickle::ValuePtr root = unpickler.load(pos);
    const pickle::ValuePtr keys = unpickler.load(pos);
    if (keys->kind != Kind::List)
        throw PthError(name + ": malformed legacy file (storage key list missing)");

    StorageMap storages = collectStorages(unpickler, name);
    for (const auto& key : keys->items) {
        if (key->kind != Kind::String)
            throw PthError(name + ": malformed legacy file (a storage key is a " + pickle::kindName(key->kind) + ")");
        const auto it = storages.find(key->text);
        if (it == storages.end() || it->second.bytes)
            throw PthError(name + ": storage '" + printable(key->text) + "' is listed twice or never used");
        const pickle::StorageRef& ref = *it->second.ref;
        if (bytes.size() - pos < 8)
            throw PthError(name + ": truncated file (storage '" + printable(ref.key) + "' beyond end of file)");
        std::uint64_t count = 0;
        for (int i = 7; i >= 0; --i)
            count = count << 8 | data[pos + static_cast<std::size_t>(i)];
        pos += 8;
        if (count != static_cast<std::uint64_t>(ref.numel))
            throw PthError(name + ": storage '" + printable(ref.key) + "' holds " + std::to_string(count)
                           + " elements but the pickle says " + std::to_string(ref.numel));
        const auto want = static_cast<std::uint64_t>(storageBytes(ref, name));
        if (bytes.size() - pos < want)
            throw PthError(name + ": truncated file (storage '" + printable(ref.key) + "' beyond end of file)");
        it->second.bytes = std::make_shared<const Bytes>(data + pos, data + pos + want);
        pos += static_cast<std::size_t>(want);
    }
    for (const auto& [key, storage] : storages)
        if (!storage.bytes)
            throw PthError(name + ": storage '" + printable(key) + "' is used but missing from the file");
    return buildStateDict(*root, storages, name);
}

bool validUtf8(const std::string& s)
{
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2)
                return false;
        i += len;
    }
    return true;
}

/// Emits protocol-2 pickle opcodes, memoizing globals as Python's pickler does.
class PickleWriter {
public:
    std::string m_out = "\x80\x02";  // PROTO 2

    void ops(const char* codes) { m_out += codes; }
    void le(std::uint64_t v, int bytes)
    {
        for (int i = 0; i < bytes; ++i)
            m_out += static_cast<char>((v >> (8 * i)) & 0xFF);
    }
    void string(const std::string& s)
    {
        m_out += 'X';  // BINUNICODE
        le(s.size(), 4);
        m_out += s;
    }
    void integer(std::int64_t v)
    {
        // BININT1, BININT2, BININT (signed 32-bit), else LONG1 with 8 bytes of two's complement.
        const bool fits32 = v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max();
        const int width = (v >= 0 && v < 0x100) ? 1 : (v >= 0 && v < 0x10000) ? 2 : fits32 ? 4 : 8;
        m_out += width == 1 ? "K" : width == 2 ? "M" : width == 4 ? "J" : "\x8a\x08";
        le(static_cast<std::uint64_t>(v), width);
    }
    void intTuple(const std::vector<std::int64_t>& values)
    {
        if (values.size() > 3)
            m_out += '(';
        for (const std::int64_t v : values)
            integer(v);
        m_out += values.empty() ? ')' : values.size() > 3 ? 't' : static_cast<char>(0x84 + values.size());
    }
    /// GLOBAL the first time, then BINGET/LONG_BINGET of its memo slot.
    void global(const std::string& module, const std::string& name)
    {
        const auto [it, added] = m_memo.emplace(module + "\n" + name, static_cast<std::uint32_t>(m_memo.size()));
        if (added)
            m_out += "c" + module + "\n" + name + "\n";
        const bool small = it->second < 0x100;
        m_out += added ? (small ? 'q' : 'r') : (small ? 'h' : 'j');
        le(it->second, small ? 1 : 4);
    }

private:
    std::map<std::string, std::uint32_t> m_memo;
};

/// What torch.save(OrderedDict of tensors) pickles; storage k is written as archive/data/k.
std::string statePickle(const StateDict& dict, const std::vector<std::size_t>& storageKeys)
{
    PickleWriter w;
    w.global("collections", "OrderedDict");
    w.ops(")R");
    // SETITEMS in batches of 1000, as Python's pickler does, to keep the reader's stack small.
    for (std::size_t i = 0; i < dict.tensors.size(); ++i) {
        const StoredTensor& t = dict.tensors[i];
        if (i % 1000 == 0)
            w.ops("(");
        w.string(t.name);
        w.global("torch._utils", "_rebuild_tensor_v2");
        w.ops("((");  // its arguments, starting with the persistent id
        w.string("storage");
        w.global("torch", pickle::storageClassName(t.dtype));
        w.string(std::to_string(storageKeys[i]));
        w.string("cpu");
        w.integer(static_cast<std::int64_t>(t.storage->size() / elementSize(t.dtype)));
        w.ops("tQ");  // BINPERSID ('storage', torch.XStorage, key, 'cpu', numel)
        w.integer(t.storageOffset);
        w.intTuple(t.shape);
        w.intTuple(t.stride);
        w.ops("\x89");                           // requires_grad=False
        w.global("collections", "OrderedDict");  // backward_hooks=OrderedDict()
        w.ops(")RtR");
        if (i % 1000 == 999 || i + 1 == dict.tensors.size())
            w.ops("u");  // SETITEMS
    }
    w.ops(".");
    return w.m_out;
}

struct TypeInfo {
    ScalarType type;
    std::size_t size;
    const char* name;
    const char* storageClass;
};
constexpr TypeInfo kTypes[] = {
    {ScalarType::Float32, 4, "float32", "FloatStorage"}, {ScalarType::Float64, 8, "float64", "DoubleStorage"},
    {ScalarType::Float16, 2, "float16", "HalfStorage"},  {ScalarType::BFloat16, 2, "bfloat16", "BFloat16Storage"},
    {ScalarType::Int64, 8, "int64", "LongStorage"},      {ScalarType::Int32, 4, "int32", "IntStorage"},
    {ScalarType::Int16, 2, "int16", "ShortStorage"},     {ScalarType::Int8, 1, "int8", "CharStorage"},
    {ScalarType::UInt8, 1, "uint8", "ByteStorage"},      {ScalarType::Bool, 1, "bool", "BoolStorage"},
};

const TypeInfo& info(ScalarType t)
{
    for (const TypeInfo& i : kTypes)
        if (i.type == t)
            return i;
    throw PthError("invalid ScalarType " + std::to_string(static_cast<int>(t)));
}

}  // namespace

std::size_t elementSize(ScalarType t) { return info(t).size; }
const char* scalarTypeName(ScalarType t) { return info(t).name; }
const char* pickle::storageClassName(ScalarType t) { return info(t).storageClass; }

bool pickle::scalarTypeFromStorageClass(const std::string& name, ScalarType& out)
{
    for (const TypeInfo& i : kTypes)
        if (name == i.storageClass) {
            out = i.type;
            return true;
        }
    return false;
}

int64_t StoredTensor::numel() const
{
    return checkedNumel(shape, "tensor '" + printable(name) + "'");
}

std::vector<unsigned char> StoredTensor::contiguousBytes() const
{
    validateTensor(*this, "tensor '" + printable(name) + "'");
    const std::size_t es = elementSize(dtype);
    const auto n = static_cast<std::size_t>(numel());
    Bytes out;
    try {
        out.resize(n * es);
    } catch (const std::bad_alloc&) {
        throw PthError("tensor '" + printable(name) + "': too large to copy (" + std::to_string(n * es) + " bytes)");
    }
    if (n == 0)
        return out;
    const unsigned char* src = storage->data();
    // Row-major already (size-1 dimensions may carry any stride): one copy.
    bool contiguous = true;
    std::int64_t expected = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
        if (shape[d] != 1 && stride[d] != expected)
            contiguous = false;
        expected *= shape[d];
    }
    if (contiguous) {
        std::memcpy(out.data(), src + static_cast<std::size_t>(storageOffset) * es, n * es);
        return out;
    }
    // Odometer over all but the innermost dimension; validation bounded every index.
    const std::size_t rank = shape.size();
    const auto inner = static_cast<std::size_t>(shape[rank - 1]);
    const auto innerStride = static_cast<std::size_t>(stride[rank - 1]) * es;
    std::vector<std::int64_t> index(rank, 0);
    unsigned char* dst = out.data();
    for (std::size_t row = 0; row < n / inner; ++row) {
        std::int64_t base = storageOffset;
        for (std::size_t d = 0; d + 1 < rank; ++d)
            base += index[d] * stride[d];
        const unsigned char* p = src + static_cast<std::size_t>(base) * es;
        for (std::size_t i = 0; i < inner; ++i, p += innerStride, dst += es)
            std::memcpy(dst, p, es);
        for (std::size_t d = rank - 1; d-- > 0;) {
            if (++index[d] < shape[d])
                break;
            index[d] = 0;
        }
    }
    return out;
}

const StoredTensor* StateDict::find(const std::string& name) const
{
    for (const StoredTensor& t : tensors)
        if (t.name == name)
            return &t;
    return nullptr;
}

StateDict readPth(const std::string& path)
{
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);  // also refuses directories
    std::ifstream in(path, std::ios::binary);
    if (ec || !in)
        throw PthError(path + ": cannot open (" + (ec ? ec.message() : std::string(std::strerror(errno))) + ")");
    std::string bytes;
    try {
        bytes.resize(static_cast<std::size_t>(size));
    } catch (const std::exception&) {
        throw PthError(path + ": too large to read into memory");
    }
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
        throw PthError(path + ": cannot read (I/O error, or the file shrank while reading)");
    return readPthFromMemory(bytes, path);
}

StateDict readPthFromMemory(const std::string& bytes, const std::string& displayName)
{
    try {
        if (bytes.empty())
            throw PthError(displayName + ": empty file");
        if (bytes.compare(0, 2, "PK") == 0)
            return readZip(bytes, displayName);
        if (bytes.size() > 262 && bytes.compare(257, 5, "ustar") == 0)
            throw PthError(displayName + ": legacy tar-based PyTorch format (torch < 0.4) is not supported");
        if (static_cast<unsigned char>(bytes[0]) != 0x80)
            throw PthError(displayName + ": not a PyTorch file (neither a zip archive nor a pickle)");
        return readLegacy(bytes, displayName);
    } catch (const std::bad_alloc&) {
        throw PthError(displayName + ": out of memory while reading");
    }
}

void writePth(const std::string& path, const StateDict& dict)
{
    // Validate everything before touching the disk.
    std::set<std::string> names;
    std::map<const Bytes*, std::size_t> keyOf;  // storage -> key; shared storages stay shared
    std::vector<const StoredTensor*> owners;    // first tensor of each storage
    std::vector<std::size_t> storageKeys;
    for (const StoredTensor& t : dict.tensors) {
        const std::string context = path + ": tensor '" + printable(t.name) + "'";
        if (t.name.empty() || !validUtf8(t.name))
            throw PthError(context + ": name is empty or not UTF-8");
        if (!names.insert(t.name).second)
            throw PthError(context + ": name appears twice");
        validateTensor(t, context);
        const auto [it, added] = keyOf.emplace(t.storage.get(), owners.size());
        if (added)
            owners.push_back(&t);
        else if (owners[it->second]->dtype != t.dtype)
            throw PthError(context + ": shares its storage with '" + printable(owners[it->second]->name)
                           + "' but has a different dtype");
        storageKeys.push_back(it->second);
    }
    ZipWriter zip(path);  // removes its temp file unless commit() succeeds
    zip.add("archive/data.pkl", statePickle(dict, storageKeys));
    zip.add("archive/byteorder", "little");  // what torch >= 2.1 writes; older versions ignore it
    for (std::size_t k = 0; k < owners.size(); ++k)
        zip.add("archive/data/" + std::to_string(k), owners[k]->storage->data(), owners[k]->storage->size());
    zip.add("archive/version", "3\n");
    zip.commit();
}

}  // namespace deepsvm
