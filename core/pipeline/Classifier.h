#pragma once

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
        /// Norm of the scaled feature vector: the distance from the mean of all training rows
        /// (the scaler maps it to the origin), in per-feature standard deviations; in raw
        /// feature units for a model trained without scaling (identity scaler).
        double distance = 0;
        bool farFromTraining = false;  ///< distance beyond features.json's outlier_norm
    };
    Result classify(const std::string& imagePath, int topK = 5) const;
    const std::vector<std::string>& classNames() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace deepsvm
