#include "nets/Pickle.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace deepsvm::pickle {

namespace {

// Limits far above what any state dict needs (a ResNet-152 pickle has ~10k objects and
// nests 3 deep) but low enough that a hostile pickle cannot exhaust memory or the stack:
// a Value is ~200 bytes, so at most ~200 MB go to a pickle however it is crafted.
constexpr std::size_t kMaxStack = 1u << 20;
constexpr std::size_t kMaxMarks = 1u << 12;
constexpr std::size_t kMaxMemo = 1u << 20;
constexpr std::size_t kMaxValues = 1u << 20;
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxDims = 64;
constexpr std::size_t kMaxLine = 256;
constexpr std::size_t kMaxStorageKey = 1024;

// Names of the opcodes this VM refuses, for error messages.
const char* opcodeName(unsigned char op)
{
    static const std::pair<unsigned char, const char*> kNames[] = {
        {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"}, {'I', "INT"}, {'L', "LONG"},
        {'P', "PERSID"}, {'S', "STRING"}, {'V', "UNICODE"}, {'g', "GET"}, {'i', "INST"}, {'o', "OBJ"},
        {'p', "PUT"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"}, {0x84, "EXT4"}, {0x8b, "LONG4"},
        {0x8e, "BINBYTES8"}, {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"},
        {0x92, "NEWOBJ_EX"}, {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
    };
    for (const auto& [code, name] : kNames)
        if (code == op)
            return name;
    return nullptr;
}

}  // namespace

const char* kindName(Kind kind)
{
    static const char* const kNames[] = {"None", "bool", "int", "big int", "float", "str", "bytes",
                                         "tuple", "list", "dict", "global", "storage", "tensor"};
    return kNames[static_cast<int>(kind)];
}

std::string printable(const std::string& s)
{
    std::string out;
    for (const char c : s.substr(0, 120))
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return s.size() > 120 ? out + "..." : out;
}

Unpickler::Unpickler(const unsigned char* data, std::size_t size, std::string context)
    : m_data(data), m_size(size), m_context(std::move(context))
{
}

void Unpickler::fail(const std::string& what) const
{
    throw PthError(m_context + ": " + what + " (pickle offset " + std::to_string(m_opStart) + ")");
}

void Unpickler::need(std::size_t n) const
{
    if (n > m_size - m_pos)
        fail("truncated pickle");
}

std::uint64_t Unpickler::readLe(std::size_t n)
{
    need(n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
        v |= static_cast<std::uint64_t>(m_data[m_pos + i]) << (8 * i);
    m_pos += n;
    return v;
}

std::string Unpickler::readBytes(std::uint64_t n)
{
    // Checked before allocating, so a forged length cannot trigger a huge allocation.
    if (n > m_size - m_pos)
        fail("truncated pickle (string of " + std::to_string(n) + " bytes beyond end of data)");
    std::string s(reinterpret_cast<const char*>(m_data + m_pos), static_cast<std::size_t>(n));
    m_pos += static_cast<std::size_t>(n);
    return s;
}

std::string Unpickler::readLine()
{
    const std::size_t limit = std::min(m_size, m_pos + kMaxLine);
    const auto* end = static_cast<const unsigned char*>(std::memchr(m_data + m_pos, '\n', limit - m_pos));
    if (!end)
        fail("truncated or overlong GLOBAL name");
    std::string s(reinterpret_cast<const char*>(m_data + m_pos), static_cast<std::size_t>(end - (m_data + m_pos)));
    m_pos = static_cast<std::size_t>(end - m_data) + 1;
    return s;
}

ValuePtr Unpickler::make(Kind kind)
{
    if (++m_created > kMaxValues)
        fail("pickle too large (more than " + std::to_string(kMaxValues) + " objects)");
    auto v = std::make_shared<Value>();
    v->kind = kind;
    if (kind == Kind::Tuple || kind == Kind::List || kind == Kind::Dict)
        v->depth = 1;
    return v;
}

void Unpickler::push(ValuePtr v)
{
    if (m_stack.size() >= kMaxStack)
        fail("pickle stack too deep");
    m_stack.push_back(std::move(v));
}

ValuePtr Unpickler::pop()
{
    // Like CPython, a MARK starts a new frame: popping past it is an underflow.
    if (m_stack.empty() || (!m_marks.empty() && m_stack.size() == m_marks.back()))
        fail("malformed pickle (stack underflow)");
    ValuePtr v = std::move(m_stack.back());
    m_stack.pop_back();
    return v;
}

ValuePtr& Unpickler::top()
{
    if (m_stack.empty() || (!m_marks.empty() && m_stack.size() == m_marks.back()))
        fail("malformed pickle (stack underflow)");
    return m_stack.back();
}

std::vector<ValuePtr> Unpickler::popMark()
{
    if (m_marks.empty())
        fail("malformed pickle (no MARK)");
    const std::size_t mark = m_marks.back();
    m_marks.pop_back();
    std::vector<ValuePtr> items(std::make_move_iterator(m_stack.begin() + static_cast<std::ptrdiff_t>(mark)),
                                std::make_move_iterator(m_stack.end()));
    m_stack.resize(mark);
    return items;
}

void Unpickler::memoPut(std::uint64_t index)
{
    const ValuePtr& v = top();
    if (m_memo.size() >= kMaxMemo && !m_memo.count(index))
        fail("pickle memo too large");
    m_memo[index] = v;
}

ValuePtr Unpickler::memoGet(std::uint64_t index) const
{
    const auto it = m_memo.find(index);
    if (it == m_memo.end())
        fail("malformed pickle (memo entry " + std::to_string(index) + " undefined)");
    return it->second;
}

ValuePtr Unpickler::makeTuple(std::vector<ValuePtr> items)
{
    ValuePtr t = make(Kind::Tuple);
    for (const ValuePtr& item : items) {
        if (item->depth + 1 > kMaxDepth)
            fail("pickle nests too deeply");
        item->contained = true;
        t->depth = std::max<std::uint8_t>(t->depth, static_cast<std::uint8_t>(item->depth + 1));
    }
    t->items = std::move(items);
    return t;
}

void Unpickler::adopt(Value& container, const ValuePtr& child)
{
    if (container.contained || child.get() == &container)
        fail("pickle modifies a container after sharing it (reference cycles are not supported)");
    if (child->depth + 1 > kMaxDepth)
        fail("pickle nests too deeply");
    child->contained = true;
    container.depth = std::max<std::uint8_t>(container.depth, static_cast<std::uint8_t>(child->depth + 1));
}

void Unpickler::setItem(Value& dict, const ValuePtr& key, const ValuePtr& value)
{
    if (dict.kind != Kind::Dict)
        fail(std::string("SETITEM on a ") + kindName(dict.kind));
    adopt(dict, key);
    adopt(dict, value);
    if (key->kind == Kind::String) {
        const auto [it, added] = dict.stringKeys.emplace(key->text, dict.entries.size());
        if (!added) {
            dict.entries[it->second].second = value;  // Python semantics: a repeated key replaces
            return;
        }
    }
    dict.entries.emplace_back(key, value);
}

void Unpickler::append(Value& list, const ValuePtr& item)
{
    if (list.kind != Kind::List)
        fail(std::string("APPEND on a ") + kindName(list.kind));
    adopt(list, item);
    list.items.push_back(item);
}

ValuePtr Unpickler::global(const std::string& module, const std::string& name)
{
    ValuePtr g = make(Kind::Global);
    g->text = module + "." + name;
    if (module == "collections" && name == "OrderedDict")
        g->callable = Callable::OrderedDict;
    else if (module == "torch._utils" && name == "_rebuild_tensor_v2")
        g->callable = Callable::RebuildTensorV2;
    else if (module == "torch._utils" && name == "_rebuild_tensor")  // torch < 1.0 files
        g->callable = Callable::RebuildTensor;
    else if (module == "torch._utils" && name == "_rebuild_parameter")
        g->callable = Callable::RebuildParameter;
    else if (module == "torch" && scalarTypeFromStorageClass(name, g->storageType))
        g->callable = Callable::StorageType;
    else
        fail("refuses to load global " + printable(g->text) + " (only tensors and storages are allowed)");
    return g;
}

ValuePtr Unpickler::persistentLoad(const ValuePtr& pid)
{
    const auto& f = pid->items;
    if (pid->kind != Kind::Tuple || (f.size() != 5 && f.size() != 6) || f[0]->kind != Kind::String
        || f[0]->text != "storage")
        fail("unsupported persistent id (expected ('storage', type, key, location, numel))");
    if (f[1]->kind != Kind::Global || f[1]->callable != Callable::StorageType)
        fail("persistent id names no storage type");
    if (f[2]->kind != Kind::String || f[2]->text.empty() || f[2]->text.size() > kMaxStorageKey)
        fail("persistent id has a bad storage key");
    if (f[3]->kind != Kind::String || f[4]->kind != Kind::Int || f[4]->integer < 0)
        fail("persistent id of storage '" + printable(f[2]->text) + "' has a bad location or size");
    auto ref = std::make_shared<StorageRef>();
    ref->key = f[2]->text;
    ref->dtype = f[1]->storageType;
    ref->location = f[3]->text;
    ref->numel = f[4]->integer;
    if (f.size() == 6 && f[5]->kind != Kind::None) {
        const auto& view = f[5]->items;
        if (f[5]->kind != Kind::Tuple || view.size() != 3 || view[0]->kind != Kind::String
            || view[1]->kind != Kind::Int || view[2]->kind != Kind::Int || view[1]->integer < 0
            || view[2]->integer < 0 || view[1]->integer > ref->numel
            || view[2]->integer > ref->numel - view[1]->integer)
            fail("persistent id of storage '" + printable(ref->key) + "' has a bad view");
        ref->isView = true;
        ref->viewKey = view[0]->text;
        ref->viewOffset = view[1]->integer;
        ref->viewNumel = view[2]->integer;
    }
    m_storages.push_back(ref);
    ValuePtr v = make(Kind::Storage);
    v->storage = std::move(ref);
    return v;
}

std::vector<std::int64_t> Unpickler::intTuple(const ValuePtr& v, const char* what) const
{
    if (v->kind != Kind::Tuple || v->items.size() > kMaxDims)
        fail(std::string("tensor ") + what + " is not a tuple of at most 64 ints");
    std::vector<std::int64_t> out;
    for (const ValuePtr& item : v->items) {
        if (item->kind != Kind::Int)
            fail(std::string("tensor ") + what + " holds a " + kindName(item->kind));
        out.push_back(item->integer);
    }
    return out;
}

ValuePtr Unpickler::rebuildTensor(const std::vector<ValuePtr>& args)
{
    // args: storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]]
    if (args[0]->kind != Kind::Storage)
        fail(std::string("tensor built from a ") + kindName(args[0]->kind) + " instead of a storage");
    if (args[1]->kind != Kind::Int)
        fail("tensor storage offset is not an int");
    auto ref = std::make_shared<TensorRef>();
    ref->storage = args[0]->storage;
    ref->storageOffset = args[1]->integer;
    ref->shape = intTuple(args[2], "size");
    ref->stride = intTuple(args[3], "stride");
    if (ref->shape.size() != ref->stride.size())
        fail("tensor size and stride differ in length");
    if (args.size() > 4 && (args[4]->kind != Kind::Bool || args[5]->kind != Kind::Dict))
        fail("tensor requires_grad / backward_hooks malformed");
    ValuePtr v = make(Kind::Tensor);
    v->tensor = std::move(ref);
    return v;
}

ValuePtr Unpickler::reduce(const ValuePtr& callable, const ValuePtr& args)
{
    if (callable->kind != Kind::Global)
        fail(std::string("REDUCE on a ") + kindName(callable->kind));
    if (args->kind != Kind::Tuple)
        fail("REDUCE arguments are not a tuple");
    const auto& a = args->items;
    switch (callable->callable) {
    case Callable::OrderedDict:
        if (!a.empty())
            fail("OrderedDict called with arguments");
        return make(Kind::Dict);
    case Callable::RebuildTensorV2:
        if (a.size() != 6 && a.size() != 7)
            fail("_rebuild_tensor_v2 called with " + std::to_string(a.size()) + " arguments");
        return rebuildTensor(a);
    case Callable::RebuildTensor:
        if (a.size() != 4)
            fail("_rebuild_tensor called with " + std::to_string(a.size()) + " arguments");
        return rebuildTensor(a);
    case Callable::RebuildParameter:
        if (a.size() != 3 || a[0]->kind != Kind::Tensor || a[1]->kind != Kind::Bool || a[2]->kind != Kind::Dict)
            fail("_rebuild_parameter called with bad arguments");
        return a[0];
    case Callable::StorageType:
        break;
    }
    fail("refuses to call " + printable(callable->text));
}

ValuePtr Unpickler::load(std::size_t& pos)
{
    m_pos = pos;
    m_stack.clear();
    m_marks.clear();
    m_memo.clear();
    for (;;) {
        m_opStart = m_pos;
        need(1);
        const unsigned char op = m_data[m_pos++];
        switch (op) {
        case 0x80:  // PROTO
            if (readLe(1) > 5)
                fail("unsupported pickle protocol");
            break;
        case 0x95:  // FRAME: only a read-ahead hint
            if (readLe(8) > m_size - m_pos)
                fail("truncated pickle (frame beyond end of data)");
            break;
        case '.': {  // STOP
            if (m_stack.size() != 1 || !m_marks.empty())
                fail("malformed pickle (STOP with " + std::to_string(m_stack.size()) + " values on the stack)");
            ValuePtr result = std::move(m_stack.back());
            m_stack.clear();
            m_memo.clear();
            pos = m_pos;
            return result;
        }
        case 'c': {  // GLOBAL
            const std::string module = readLine();
            const std::string name = readLine();
            push(global(module, name));
            break;
        }
        case 0x93: {  // STACK_GLOBAL
            const ValuePtr name = pop(), module = pop();
            if (module->kind != Kind::String || name->kind != Kind::String)
                fail("STACK_GLOBAL with non-string names");
            push(global(module->text, name->text));
            break;
        }
        case 'q': memoPut(readLe(1)); break;      // BINPUT
        case 'r': memoPut(readLe(4)); break;      // LONG_BINPUT
        case 0x94: memoPut(m_memo.size()); break;  // MEMOIZE
        case 'h': push(memoGet(readLe(1))); break;  // BINGET
        case 'j': push(memoGet(readLe(4))); break;  // LONG_BINGET
        case '}': push(make(Kind::Dict)); break;    // EMPTY_DICT
        case ']': push(make(Kind::List)); break;    // EMPTY_LIST
        case ')': push(makeTuple({})); break;       // EMPTY_TUPLE
        case '(':                                   // MARK
            if (m_marks.size() >= kMaxMarks)
                fail("pickle marks nest too deeply");
            m_marks.push_back(m_stack.size());
            break;
        case 't': push(makeTuple(popMark())); break;  // TUPLE
        case 0x85: case 0x86: case 0x87: {          // TUPLE1/2/3
            std::vector<ValuePtr> items(op - 0x84u);
            for (std::size_t i = items.size(); i-- > 0;)
                items[i] = pop();
            push(makeTuple(std::move(items)));
            break;
        }
        case 'l': {  // LIST
            std::vector<ValuePtr> items = popMark();
            ValuePtr list = make(Kind::List);
            for (const ValuePtr& item : items)
                append(*list, item);
            push(list);
            break;
        }
        case 'd': {  // DICT
            std::vector<ValuePtr> items = popMark();
            if (items.size() % 2)
                fail("malformed pickle (DICT with an odd number of items)");
            ValuePtr dict = make(Kind::Dict);
            for (std::size_t i = 0; i < items.size(); i += 2)
                setItem(*dict, items[i], items[i + 1]);
            push(dict);
            break;
        }
        // Strings. SHORT_BINSTRING/BINSTRING come from Python 2 pickles (old torchvision
        // weights); torch.load decodes them as UTF-8 text, so they are strings here too.
        case 'X': case 0x8c: case 0x8d: case 'U': case 'T': case 'C': case 'B': {
            const std::size_t width = (op == 0x8c || op == 'U' || op == 'C') ? 1 : op == 0x8d ? 8 : 4;
            ValuePtr s = make((op == 'C' || op == 'B') ? Kind::Bytes : Kind::String);
            s->text = readBytes(readLe(width));
            push(s);
            break;
        }
        case 'J': case 'K': case 'M': {  // BININT (signed 32-bit), BININT1, BININT2 (unsigned)
            ValuePtr i = make(Kind::Int);
            i->integer = op == 'J' ? static_cast<std::int32_t>(readLe(4)) : static_cast<std::int64_t>(readLe(op == 'K' ? 1 : 2));
            push(i);
            break;
        }
        case 0x8a: {  // LONG1: little-endian two's complement of up to 255 bytes
            const std::string bytes = readBytes(readLe(1));
            ValuePtr i = make(bytes.size() <= 8 ? Kind::Int : Kind::BigInt);
            if (bytes.size() > 8) {
                i->text = bytes;
            } else if (!bytes.empty()) {
                std::uint64_t u = 0;
                for (std::size_t k = 0; k < bytes.size(); ++k)
                    u |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[k])) << (8 * k);
                if (bytes.size() < 8 && (static_cast<unsigned char>(bytes.back()) & 0x80))
                    u |= ~std::uint64_t(0) << (8 * bytes.size());  // sign-extend
                i->integer = static_cast<std::int64_t>(u);
            }
            push(i);
            break;
        }
        case 'G': {  // BINFLOAT: big-endian IEEE double
            std::uint64_t be = 0;
            need(8);
            for (int k = 0; k < 8; ++k)
                be = be << 8 | m_data[m_pos++];
            ValuePtr f = make(Kind::Float);
            std::memcpy(&f->real, &be, sizeof be);
            push(f);
            break;
        }
        case 'N': push(make(Kind::None)); break;
        case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
            ValuePtr b = make(Kind::Bool);
            b->integer = op == 0x88;
            push(b);
            break;
        }
        case 'Q': {  // BINPERSID
            const ValuePtr pid = pop();
            push(persistentLoad(pid));
            break;
        }
        case 'R': {  // REDUCE
            const ValuePtr args = pop(), callable = pop();
            push(reduce(callable, args));
            break;
        }
        case 'b': {  // BUILD: only OrderedDict's attribute dict (state_dict._metadata), ignored
            const ValuePtr state = pop();
            const ValuePtr& target = top();
            if (target->kind != Kind::Dict || (state->kind != Kind::Dict && state->kind != Kind::None))
                fail(std::string("BUILD on a ") + kindName(target->kind) + " is not supported");
            break;
        }
        case 's': {  // SETITEM
            const ValuePtr value = pop(), key = pop();
            setItem(*top(), key, value);
            break;
        }
        case 'u': {  // SETITEMS
            std::vector<ValuePtr> items = popMark();
            if (items.size() % 2)
                fail("malformed pickle (SETITEMS with an odd number of items)");
            Value& dict = *top();
            for (std::size_t i = 0; i < items.size(); i += 2)
                setItem(dict, items[i], items[i + 1]);
            break;
        }
        case 'a': {  // APPEND
            const ValuePtr item = pop();
            append(*top(), item);
            break;
        }
        case 'e': {  // APPENDS
            std::vector<ValuePtr> items = popMark();
            Value& list = *top();
            for (const ValuePtr& item : items)
                append(list, item);
            break;
        }
        default: {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", op);
            const char* name = opcodeName(op);
            fail(name ? std::string("unsupported pickle opcode ") + name + " (" + hex + ")"
                      : std::string("unknown pickle opcode ") + hex);
        }
        }
    }
}

}  // namespace deepsvm::pickle
