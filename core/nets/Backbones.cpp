#include "nets/Backbones.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace deepsvm {

namespace {

struct Entry {
    std::string family;
    std::vector<PublishedWeights> weights;
};

/// torchvision 0.14's weights enums (torchvision.models.get_weight(...).transforms() and .meta):
/// tst_backbones reads them back from torchvision and compares.
const std::vector<std::pair<std::string, Entry>>& catalog()
{
    static const std::vector<std::pair<std::string, Entry>> entries = {
        {"resnet18", {"resnet", {{"IMAGENET1K_V1", "resnet18-f37072fd.pth", 224, 256, "bilinear", 69.758}}}},
        {"resnet34", {"resnet", {{"IMAGENET1K_V1", "resnet34-b627a593.pth", 224, 256, "bilinear", 73.314}}}},
        {"resnet50",
         {"resnet",
          {{"IMAGENET1K_V1", "resnet50-0676ba61.pth", 224, 256, "bilinear", 76.13},
           {"IMAGENET1K_V2", "resnet50-11ad3fa6.pth", 224, 232, "bilinear", 80.858}}}},
        {"resnet101",
         {"resnet",
          {{"IMAGENET1K_V1", "resnet101-63fe2227.pth", 224, 256, "bilinear", 77.374},
           {"IMAGENET1K_V2", "resnet101-cd907fc2.pth", 224, 232, "bilinear", 81.886}}}},
        {"resnet152",
         {"resnet",
          {{"IMAGENET1K_V1", "resnet152-394f9c45.pth", 224, 256, "bilinear", 78.312},
           {"IMAGENET1K_V2", "resnet152-f82ba261.pth", 224, 232, "bilinear", 82.284}}}},
        {"convnext_tiny", {"convnext", {{"IMAGENET1K_V1", "convnext_tiny-983f1562.pth", 224, 236, "bilinear", 82.52}}}},
        {"convnext_small", {"convnext", {{"IMAGENET1K_V1", "convnext_small-0c510722.pth", 224, 230, "bilinear", 83.616}}}},
        {"convnext_base", {"convnext", {{"IMAGENET1K_V1", "convnext_base-6075fbad.pth", 224, 232, "bilinear", 84.062}}}},
        {"convnext_large", {"convnext", {{"IMAGENET1K_V1", "convnext_large-ea097f82.pth", 224, 232, "bilinear", 84.414}}}},
    };
    return entries;
}

const Entry& entry(const std::string& backbone)
{
    for (const auto& [name, e] : catalog())
        if (name == backbone)
            return e;
    std::string list;
    for (const auto& [name, e] : catalog()) list += (list.empty() ? "" : ", ") + name;
    throw std::invalid_argument("unknown backbone '" + backbone + "' (known: " + list + ")");
}

}  // namespace

std::vector<std::string> backboneNames()
{
    std::vector<std::string> names;
    for (const auto& [name, e] : catalog()) names.push_back(name);
    return names;
}

std::string backboneFamily(const std::string& backbone) { return entry(backbone).family; }

void checkBackbone(const std::string& backbone) { (void)entry(backbone); }

const std::vector<PublishedWeights>& publishedWeights(const std::string& backbone) { return entry(backbone).weights; }

const PublishedWeights& publishedWeights(const std::string& backbone, const std::string& tag)
{
    const std::vector<PublishedWeights>& all = publishedWeights(backbone);
    if (tag == "DEFAULT")
        return *std::max_element(all.begin(), all.end(),
                                 [](const PublishedWeights& a, const PublishedWeights& b) { return a.top1 < b.top1; });
    for (const PublishedWeights& w : all)
        if (w.tag == tag || w.tag == "IMAGENET1K_" + tag)
            return w;
    std::string list;
    for (const PublishedWeights& w : all) list += (list.empty() ? "" : ", ") + w.tag;
    throw std::invalid_argument(backbone + " has no weights '" + tag + "' in torchvision (it has " + list + ", or DEFAULT)");
}

const PublishedWeights* publishedWeightsForFile(const std::string& backbone, const std::string& fileName)
{
    for (const PublishedWeights& w : publishedWeights(backbone))
        if (w.file == fileName)
            return &w;
    return nullptr;
}

int defaultCrop(const std::string& backbone) { return publishedWeights(backbone).front().crop; }

int defaultResize(const std::string& backbone, int size)
{
    if (backboneFamily(backbone) == "resnet")
        return size;
    const PublishedWeights& w = publishedWeights(backbone).front();
    return std::max(size, int(std::lround(double(size) * double(w.resize) / double(w.crop))));
}

std::vector<std::string> layerNames(const std::string& backbone)
{
    checkBackbone(backbone);
    return {"penultimate", "logits", "avgpool", "fc"};
}

std::string canonicalLayer(const std::string& backbone, const std::string& layer)
{
    const bool resnet = backboneFamily(backbone) == "resnet";
    if (layer == "avgpool" || layer == "penultimate")
        return resnet ? "avgpool" : "penultimate";
    if (layer == "fc" || layer == "logits")
        return resnet ? "fc" : "logits";
    throw std::invalid_argument("unknown layer '" + layer + "' (use penultimate or logits; for ResNet also avgpool or fc)");
}

bool isLogitsLayer(const std::string& layer) { return layer == "fc" || layer == "logits"; }

}  // namespace deepsvm
