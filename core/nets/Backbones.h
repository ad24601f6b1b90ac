#pragma once

#include <string>
#include <vector>

namespace deepsvm {

/// The backbones the project builds, in torchvision's names, and what torchvision publishes for
/// them. No LibTorch here: fetching, the command line and the pages read it without a network.

/// One of torchvision's published ImageNet weights for a backbone: its file at
/// download.pytorch.org/models, and what its metadata says (weights.transforms() and
/// weights.meta): the evaluation crop, the shorter side resized to before it, the interpolation
/// and the ImageNet-1K top-1 accuracy.
struct PublishedWeights {
    std::string tag;   ///< "IMAGENET1K_V1"
    std::string file;  ///< "convnext_tiny-983f1562.pth" (its name carries the SHA-256 prefix)
    int crop = 224;
    int resize = 256;
    std::string interpolation = "bilinear";
    double top1 = 0;  ///< percent
};

/// Every backbone, families in the order the pages list them.
std::vector<std::string> backboneNames();
/// "resnet", "convnext"; throws std::invalid_argument naming the known backbones.
std::string backboneFamily(const std::string& backbone);
/// Throws std::invalid_argument naming the known backbones when `backbone` is none of them.
void checkBackbone(const std::string& backbone);
/// torchvision's weights of `backbone`, IMAGENET1K_V1 first.
const std::vector<PublishedWeights>& publishedWeights(const std::string& backbone);
/// The weights `tag` names ("IMAGENET1K_V1", "V1", "IMAGENET1K_V2", "V2", "DEFAULT": the most
/// accurate). Throws std::invalid_argument naming the tags there are.
const PublishedWeights& publishedWeights(const std::string& backbone, const std::string& tag);
/// The published weights a file of that name is (matched by file name, as torch.hub caches it);
/// nullptr for any other file.
const PublishedWeights* publishedWeightsForFile(const std::string& backbone, const std::string& fileName);

/// The shorter side extraction resizes images to before its centre crop of `size`, when
/// --resize is not given. ResNet keeps the study's preprocessing, Resize(size) +
/// CenterCrop(size); the other families take the proportion of their IMAGENET1K_V1 weights'
/// transforms (convnext_tiny: 236 for a 224 crop, 101 for 96).
int defaultResize(const std::string& backbone, int size);
/// The crop torchvision evaluates `backbone`'s IMAGENET1K_V1 weights at (224; 384 for
/// EfficientNetV2-S).
int defaultCrop(const std::string& backbone);

/// The feature layers `backbone` offers: "penultimate" and "logits" for every family, and
/// ResNet's own names for them, "avgpool" and "fc".
std::vector<std::string> layerNames(const std::string& backbone);
/// The name a feature cache key records for `layer` of `backbone`: ResNet keeps "avgpool" and
/// "fc" (so "penultimate" finds features cached as "avgpool"), the other families "penultimate"
/// and "logits" (ResNet's names are accepted for them too). Throws std::invalid_argument naming
/// the layers offered.
std::string canonicalLayer(const std::string& backbone, const std::string& layer);
/// Whether `layer` ("fc" or "logits") is the network's output rather than the penultimate layer.
bool isLogitsLayer(const std::string& layer);

}  // namespace deepsvm
