#pragma once

#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

/// A model folder as `deepsvm svm`/`run` write it, ready to classify image files: the
/// network and preprocessing from features.json, then scaler.json and model.libsvm.
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
        double distance = 0;           ///< distance to the nearest training class mean, in scaled units
        bool farFromTraining = false;  ///< the image looks unlike the training data
    };
    Result classify(const std::string& imagePath, int topK = 5) const;
    const std::vector<std::string>& classNames() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace deepsvm
