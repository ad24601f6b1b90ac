#pragma once

#include "project/Download.h"
#include "tasks/Task.h"

#include <QString>
#include <QStringList>

namespace deepsvm {

/// Something `deepsvm fetch` can get: STL-10 or torchvision's ImageNet weights of a backbone.
struct FetchItem {
    QString name;      ///< "stl10", "resnet50", ...
    QString url;       ///< official URL (or the mirror's)
    QString fileName;  ///< as published
    Checksum checksum; ///< published MD5 for STL-10; torchvision's hash prefix for weights
    QString weightsTag; ///< torchvision's weights enum member: "IMAGENET1K_V1"
    bool dataset = false;
};

/// The names `fetch` accepts.
QStringList fetchableNames();
/// The item for `name` ("resnet50", "convnext_tiny"; `weights` names torchvision's weights:
/// IMAGENET1K_V1 (the default), IMAGENET1K_V2 where there is one, V1 / V2 for short, or DEFAULT,
/// the most accurate), its base URL replaced by `mirror` when given. Throws
/// std::invalid_argument for an unknown name or weights.
FetchItem fetchItem(const QString& name, const QString& weights = QString(), const QString& mirror = QString());

/// Where torchvision keeps weights: $TORCH_HOME/hub/checkpoints, else ~/.cache/torch/hub/checkpoints.
QString torchHubCheckpoints();
/// Where datasets go by default: $XDG_DATA_HOME/deepsvm (usually ~/.local/share/deepsvm).
QString defaultDataDirectory();

/// Weights files for `backbone` already on this machine (torchvision's cache first).
QStringList findWeights(const QString& backbone);
/// STL-10 folders already on this machine: `extraDirs` (e.g. last used), the data directory,
/// ~/data, ~/datasets, ~/Downloads, the working folder; each holding stl10_binary/ or its files.
QStringList findStl10(const QStringList& extraDirs = {});

/// Downloads an item (and unpacks STL-10) as a Task. Result: {name, path, bytes, seconds}, where
/// path is the weights file or the dataset folder to open.
class FetchTask final : public Task {
    Q_OBJECT
public:
    FetchTask(FetchItem item, QString directory, QObject* parent = nullptr);

protected:
    QVariant execute() override;

private:
    FetchItem m_item;
    QString m_directory;
};

}  // namespace deepsvm
