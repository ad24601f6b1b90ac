#include "nets/Weights.h"

#include "nets/PthFile.h"

#include <QFile>

#include <torch/script.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

namespace deepsvm {

namespace {

torch::ScalarType toTorch(ScalarType t)
{
    switch (t) {
    case ScalarType::Float32: return torch::kFloat32;
    case ScalarType::Float64: return torch::kFloat64;
    case ScalarType::Float16: return torch::kFloat16;
    case ScalarType::BFloat16: return torch::kBFloat16;
    case ScalarType::Int64: return torch::kInt64;
    case ScalarType::Int32: return torch::kInt32;
    case ScalarType::Int16: return torch::kInt16;
    case ScalarType::Int8: return torch::kInt8;
    case ScalarType::UInt8: return torch::kUInt8;
    case ScalarType::Bool: return torch::kBool;
    }
    throw WeightsError("unsupported dtype");
}

ScalarType fromTorch(torch::ScalarType t)
{
    switch (t) {
    case torch::kFloat32: return ScalarType::Float32;
    case torch::kFloat64: return ScalarType::Float64;
    case torch::kFloat16: return ScalarType::Float16;
    case torch::kBFloat16: return ScalarType::BFloat16;
    case torch::kInt64: return ScalarType::Int64;
    case torch::kInt32: return ScalarType::Int32;
    case torch::kInt16: return ScalarType::Int16;
    case torch::kInt8: return ScalarType::Int8;
    case torch::kUInt8: return ScalarType::UInt8;
    case torch::kBool: return ScalarType::Bool;
    default: throw WeightsError(std::string("cannot store dtype ") + c10::toString(t));
    }
}

/// A TorchScript archive is a zip whose central directory names constants.pkl / code/.
bool looksLikeTorchScript(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    if (!in.read(magic, 4) || std::memcmp(magic, "PK\x03\x04", 4) != 0)
        return false;
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff tail = std::min<std::streamoff>(size, 1 << 20);
    std::string buffer(std::size_t(tail), '\0');
    in.seekg(size - tail);
    in.read(buffer.data(), tail);
    return buffer.find("/constants.pkl") != std::string::npos;
}

NamedTensors readTorchScript(const std::string& path)
{
    torch::jit::Module module;
    try {
        module = torch::jit::load(path, torch::kCPU);
    } catch (const c10::Error& e) {
        throw WeightsError(path + ": not a readable TorchScript archive (" + e.what_without_backtrace() + ")");
    }
    NamedTensors out;
    for (const auto& p : module.named_parameters(/*recurse=*/true))
        out.emplace_back(p.name, p.value.detach().clone());
    for (const auto& b : module.named_buffers(/*recurse=*/true))
        out.emplace_back(b.name, b.value.detach().clone());
    return out;
}

std::string shapeString(const torch::IntArrayRef& s)
{
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

std::string listSome(const std::vector<std::string>& items)
{
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < 8; ++i)
        out += (i ? ", " : "") + items[i];
    if (items.size() > 8)
        out += ", ... (" + std::to_string(items.size()) + " in all)";
    return out;
}

}  // namespace

NamedTensors readWeightsFile(const std::string& path)
{
    if (!QFile::exists(QString::fromStdString(path)))
        throw WeightsError(path + ": no such weights file");
    if (looksLikeTorchScript(path))
        return readTorchScript(path);
    StateDict dict;
    try {
        dict = readPth(path);
    } catch (const PthError& e) {
        throw WeightsError(e.what());
    }
    NamedTensors out;
    for (const StoredTensor& t : dict.tensors) {
        std::vector<unsigned char> bytes = t.contiguousBytes();
        torch::Tensor tensor = torch::empty(t.shape, torch::TensorOptions().dtype(toTorch(t.dtype)));
        if (!bytes.empty())
            std::memcpy(tensor.data_ptr(), bytes.data(), bytes.size());
        out.emplace_back(t.name, tensor);
    }
    return out;
}

void loadInto(ResNet& net, const NamedTensors& tensors, const std::string& fileName)
{
    loadInto(*net, net->spec().name, tensors, fileName);
}

void loadInto(torch::nn::Module& net, const std::string& networkName, const NamedTensors& tensors,
              const std::string& fileName)
{
    std::map<std::string, torch::Tensor> wanted;
    for (const auto& p : net.named_parameters(true))
        wanted[p.key()] = p.value();
    for (const auto& b : net.named_buffers(true))
        wanted[b.key()] = b.value();
    std::vector<std::string> unexpected, mismatched;
    std::map<std::string, bool> seen;
    for (const auto& [name, value] : tensors) {
        auto it = wanted.find(name);
        if (it == wanted.end()) {
            unexpected.push_back(name);
            continue;
        }
        seen[name] = true;
        if (!value.sizes().equals(it->second.sizes()))
            mismatched.push_back(name + " is " + shapeString(value.sizes()) + " in the file but "
                                 + shapeString(it->second.sizes()) + " in " + networkName);
    }
    std::vector<std::string> missing;
    for (const auto& w : wanted)
        if (!seen.count(w.first))
            missing.push_back(w.first);
    if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
        std::string msg = fileName + ": does not fit " + networkName + ".";
        if (!missing.empty()) msg += " Missing keys: " + listSome(missing) + ".";
        if (!unexpected.empty()) msg += " Unexpected keys: " + listSome(unexpected) + ".";
        if (!mismatched.empty()) msg += " Shape mismatches: " + listSome(mismatched) + ".";
        msg += " Is it a " + networkName + " state dict (choose the matching --backbone)?";
        throw WeightsError(msg);
    }
    torch::NoGradGuard noGrad;
    for (const auto& [name, value] : tensors)
        wanted[name].copy_(value.to(wanted[name].scalar_type()));
}

namespace {

/// A network of `spec`: torchvision's initialisation seeded with `seed` ("random"), or the
/// tensors of `weights`, its class count taken from the rows of the head's `headWeight`.
template <class Net, class Spec, class Load>
Net makeNetwork(const Spec& spec, const std::string& weights, WeightsInfo* info, uint64_t seed, int64_t randomClasses,
                const std::string& headWeight, Load load)
{
    WeightsInfo local;
    WeightsInfo& out = info ? *info : local;
    if (weights == "random" || weights.empty()) {
        torch::manual_seed(seed);
        Net net(spec, randomClasses);
        out = {"random", "random-seed-" + std::to_string(seed), randomClasses};
        return net;
    }
    NamedTensors tensors = readWeightsFile(weights);
    int64_t classes = 1000;
    for (const auto& [name, value] : tensors)
        if (name == headWeight && value.dim() == 2)
            classes = value.size(0);
    Net net(spec, classes);
    load(net, tensors);
    out = {weights, sha256OfFile(weights), classes};
    return net;
}

}  // namespace

ResNet makeResNet(const std::string& backbone, const std::string& weights, WeightsInfo* info, uint64_t seed,
                  int64_t randomClasses)
{
    return makeNetwork<ResNet>(resnetSpec(backbone), weights, info, seed, randomClasses, "fc.weight",
                               [&](ResNet& net, const NamedTensors& tensors) { loadInto(net, tensors, weights); });
}

ConvNeXt makeConvNeXt(const std::string& backbone, const std::string& weights, WeightsInfo* info, uint64_t seed,
                      int64_t randomClasses)
{
    const ConvNeXtSpec spec = convnextSpec(backbone);
    return makeNetwork<ConvNeXt>(spec, weights, info, seed, randomClasses, "classifier.2.weight",
                                 [&](ConvNeXt& net, const NamedTensors& tensors) { loadInto(*net, spec.name, tensors, weights); });
}

int64_t penultimateDim(const std::string& backbone)
{
    checkBackbone(backbone);
    return isConvNeXt(backbone) ? convnextSpec(backbone).featureDim() : resnetSpec(backbone).featureDim();
}

NamedTensors stateDict(ResNet& net)
{
    return stateDict(*net);
}

NamedTensors stateDict(torch::nn::Module& net)
{
    // torchvision's order: a module's own parameters, then its buffers, then its children.
    NamedTensors out;
    std::function<void(const std::string&, torch::nn::Module&)> visit = [&](const std::string& prefix,
                                                                            torch::nn::Module& m) {
        for (const auto& p : m.named_parameters(false))
            out.emplace_back(prefix + p.key(), p.value());
        for (const auto& b : m.named_buffers(false))
            out.emplace_back(prefix + b.key(), b.value());
        for (const auto& c : m.named_children())
            visit(prefix + c.key() + ".", *c.value());
    };
    visit("", net);
    return out;
}

void writeWeightsFile(const std::string& path, const NamedTensors& tensors)
{
    StateDict dict;
    for (const auto& [name, value] : tensors) {
        torch::Tensor t = value.detach().contiguous().cpu();
        StoredTensor s;
        s.name = name;
        s.dtype = fromTorch(t.scalar_type());
        s.shape.assign(t.sizes().begin(), t.sizes().end());
        s.stride.assign(t.strides().begin(), t.strides().end());
        const auto* begin = static_cast<const unsigned char*>(t.data_ptr());
        s.storage = std::make_shared<const std::vector<unsigned char>>(begin, begin + t.nbytes());
        dict.tensors.push_back(std::move(s));
    }
    try {
        writePth(path, dict);
    } catch (const PthError& e) {
        throw WeightsError(e.what());
    }
}

std::pair<std::string, uint64_t> weightsOfKey(const std::string& file, const std::string& sha256)
{
    if (sha256.rfind("random-seed-", 0) == 0)
        return {"random", std::stoull(sha256.substr(12))};
    return {file, 0};
}

}  // namespace deepsvm
