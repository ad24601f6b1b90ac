#pragma once

#include "tasks/Task.h"

#include <QJsonObject>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// What to extract. Defaults are the seed study's: ResNet-50 pooled features at 224 px.
struct ExtractOptions {
    std::string data;                      ///< dataset folder
    std::vector<std::string> splits;       ///< empty: every labelled split
    std::string backbone = "resnet50";
    std::string weights = "random";        ///< .pth / TorchScript file, or "random"
    std::string layer = "avgpool";         ///< "penultimate" | "logits" (ResNet: also "avgpool" | "fc")
    int size = 224;                        ///< the centre crop the network sees
    /// The shorter side before the crop; 0: the backbone's default (defaultResize: ResNet the
    /// crop itself, as the study; the other families torchvision's proportion, 236 for 224).
    int resize = 0;
    std::string precision = "fp32";        ///< "fp32" | "bf16"
    std::string normalization = "imagenet";///< "imagenet" | "half"
    int batchSize = 32;
    std::string outPrefix;
    bool reuseCache = true;
    uint64_t seed = 0;                     ///< for random weights
    int64_t limit = -1;                    ///< at most this many images per split (for trials)
    /// labels_override.csv (LabelOverrides): relabelled images are extracted with their new
    /// class, excluded ones not at all; part of the cache key. Empty: none.
    std::string labelsOverride;
};

/// The prefix a split's files get: PREFIX itself for one split, PREFIX.<split> for several.
std::string splitPrefix(const ExtractOptions& options, const std::string& split, std::size_t splitCount);

/// Extracts features for each requested split; result: QJsonObject {splits: [{split, prefix,
/// rows, cols, seconds, images_per_second, reused, skipped[]}]}.
class ExtractTask final : public Task {
    Q_OBJECT
public:
    explicit ExtractTask(ExtractOptions options, QObject* parent = nullptr);
    const ExtractOptions& options() const { return m_options; }

protected:
    QVariant execute() override;

private:
    ExtractOptions m_options;
};

}  // namespace deepsvm
