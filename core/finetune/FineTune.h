#pragma once

#include "tasks/Task.h"

#include <QJsonObject>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// How to fine-tune: a new head for the dataset's classes plus exactly the modules named in
/// `layers` (torchvision names at any depth: "layer4", "layer4.2", "layer3.0.conv2",
/// "layer4.0.downsample", "fc"). Everything else is frozen and its BatchNorm stays in eval mode.
struct FineTuneOptions {
    std::string data;                  ///< dataset folder (its "train" split, or "all")
    std::string backbone = "resnet50";
    std::string weights = "random";
    uint64_t weightsSeed = 0;
    std::vector<std::string> layers;   ///< besides the new head
    std::string optimizer = "sgd";     ///< "sgd" (momentum) | "adam"
    double lr = 0.01;
    double momentum = 0.9;
    double weightDecay = 1e-4;
    std::string schedule = "constant"; ///< "constant" | "step" | "cosine"
    int stepEpochs = 5;                ///< step schedule: multiply by stepGamma every this many epochs
    double stepGamma = 0.1;
    int epochs = 3;
    int batchSize = 32;
    int size = 96;
    std::string normalization = "imagenet";
    bool augment = true;               ///< random crop with padding + horizontal flip
    std::string precision = "fp32";    ///< "fp32" | "bf16" (autocast: convolutions and matmuls in bfloat16)
    double validationFraction = 0.1;   ///< stratified hold-out of the training rows
    int validationFold = -1;           ///< >= 0: STL-10 fold k (train on it, validate on the rest)
    int patience = 0;                  ///< > 0: stop when validation loss has not improved for this many epochs
    int64_t limit = -1;                ///< at most this many training images (trials)
    uint64_t seed = 0;                 ///< shuffling, augmentation, hold-out
    std::string outDir;                ///< metrics.json/csv, checkpoint, weights.pth
    bool resume = true;                ///< continue from outDir's checkpoint when its settings match
};

/// The presets: "head" (fc only), "layer" (the last block's last conv layer), "block" (the
/// last block), "layer4", "all". Throws std::invalid_argument for an unknown name.
std::vector<std::string> presetLayers(const std::string& preset, const std::string& backbone);

/// Every selectable module of `backbone` with its parameter count, in torchvision's order.
std::vector<std::pair<std::string, int64_t>> moduleTree(const std::string& backbone);

/// Fine-tunes as FineTuneOptions says. partialResult per epoch: {epoch, train_loss,
/// train_accuracy, val_loss, val_accuracy, lr, seconds}. Result: {epochs: [...], weights,
/// trainable_parameters, frozen_parameters, resumed_from, stopped_early, best_epoch}.
class FineTuneTask final : public Task {
    Q_OBJECT
public:
    explicit FineTuneTask(FineTuneOptions options, QObject* parent = nullptr);

protected:
    QVariant execute() override;

private:
    FineTuneOptions m_options;
};

/// The JSON form of the options (also the checkpoint's identity for resuming).
QJsonObject fineTuneOptionsJson(const FineTuneOptions& o);

}  // namespace deepsvm
