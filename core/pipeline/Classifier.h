#pragma once

#include "io/Cancel.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

/// A model folder (read by ModelBundle) ready to classify image files: the network and
/// preprocessing from features.json, then scaler.json and model.libsvm.
class Classifier {
public:
    /// Throws std::runtime_error naming the missing or unreadable file.
    explicit Classifier(const std::string& modelDir);
    ~Classifier();

    struct Ranked {
        int label;
        std::string name;
        double probability;  ///< or the one-vs-rest decision score if the model has no probabilities
    };
    struct Result {
        std::string path;
        std::string error;             ///< empty when the image was classified
        std::vector<Ranked> top;       ///< best first
        int predicted = -1;            ///< the SVM's own prediction (one-vs-one votes), as predictions.csv has it
        std::vector<double> scores;    ///< every class's probability (or decision score), in class order
        std::vector<float> features;   ///< the network's features of the image (before scaling)
        /// Norm of the scaled feature vector: the distance from the mean of all training rows
        /// (the scaler maps it to the origin), in per-feature standard deviations; in raw
        /// feature units for a model trained without scaling (identity scaler).
        double distance = 0;
        bool farFromTraining = false;  ///< distance beyond features.json's outlier_norm
    };
    Result classify(const std::string& imagePath, int topK = 5) const;

    /// Called after each batch with the images done so far.
    using Progress = std::function<void(int64_t done, int64_t total)>;
    /// Classifies image files in batches through the network, decoding the next batch on a
    /// second thread meanwhile (as extraction does): one Result per path, in the given order.
    /// An image that cannot be read has its error set; the others go through. `cancelled` is
    /// asked between batches (a yes throws Cancelled).
    std::vector<Result> classifyMany(const std::vector<std::string>& paths, int topK = 5, int batchSize = 32,
                                     const Progress& progress = {}, const CancelCheck& cancelled = {}) const;
    const std::vector<std::string>& classNames() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

/// `deepsvm classify --csv` (and the Classify page's export): path,predicted,p_<class>...,
/// far_from_training, a row per classified image in the given order; refused files are left
/// out. Written atomically; throws IoError naming the file.
void writeClassificationCsv(const std::string& file, const std::vector<Classifier::Result>& results,
                            const std::vector<std::string>& classNames);

}  // namespace deepsvm
