#pragma once

#include "features/ExtractTask.h"

#include <QJsonObject>

#include <functional>
#include <memory>
#include <string>

namespace deepsvm {

class Dataset;
class ImageSource;

/// The extraction engine behind ExtractTask: opens the dataset and network once, then runs
/// each split in batches with decoding of the next batch overlapped with the network.
class FeatureExtractor {
public:
    /// Called after every batch; may throw (TaskCancelled) to stop between batches.
    using Progress = std::function<void(int64_t done, int64_t total, const std::string& message)>;

    explicit FeatureExtractor(const ExtractOptions& options);
    ~FeatureExtractor();

    QJsonObject run(const Progress& progress);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace deepsvm
