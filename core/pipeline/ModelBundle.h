#pragma once

#include "features/FeatureStore.h"
#include "svm/Scaler.h"

#include <QJsonObject>

#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

class SvmModel;
class LinearModel;

/// features.json of a model folder: the cache key of the training features (how images
/// become feature rows), the weights file they came from and the outlier threshold.
struct FeatureSettings {
    FeatureKey key;
    bool hasKey = false;      ///< false for a model trained on bare .npy files
    std::string weightsFile;  ///< "random" or the .pth the features were extracted with
    double outlierNorm = 0;   ///< scaled-feature norm beyond which an image looks unlike the training data

    /// The features.json object `deepsvm svm`/`run` write (format, version, key, weights_file, outlier_norm).
    QJsonObject toJson() const;
    /// Parses features.json's object; the key goes through FeatureKey::fromJson.
    static FeatureSettings fromJson(const QJsonObject& o);
};

/// A model folder as `deepsvm svm`/`run` write it: classes.json, scaler.json, model.libsvm (or
/// model.linear.json and, for Nystroem, nystroem*.{json,npy}) and features.json, read with every consistency check in one place. The network that turns
/// images into the model's features is built by buildNetwork() (pipeline/BundleNetwork.h),
/// so code that only needs the SVM side stays free of LibTorch.
class ModelBundle {
public:
    /// Reads `dir`; throws std::runtime_error naming the missing, unreadable or inconsistent file
    /// (an SVM class outside classes.json's names: the files come from different models).
    static ModelBundle read(const std::string& dir);
    /// Writes the four files into `dir` (atomically, each one).
    void write(const std::string& dir) const;

    ModelBundle();
    ModelBundle(ModelBundle&&) noexcept;
    ModelBundle& operator=(ModelBundle&&) noexcept;
    ~ModelBundle();

    /// Throws std::runtime_error "features.json: has no feature settings<why>" for a model
    /// without a feature key, so each caller can say what it needed the key for.
    void requireFeatureKey(const std::string& why) const;

    std::string dir;
    std::vector<std::string> classNames;
    Scaler scaler;
    std::unique_ptr<SvmModel> model;          ///< the exact SVM (model.libsvm), or
    std::unique_ptr<LinearModel> linear;      ///< a linear one (model.linear.json, --solver liblinear / nystroem:M)
    FeatureSettings features;
    /// The classes the model predicts (libsvm labels or the linear model's).
    std::vector<int> modelLabels() const;
};

}  // namespace deepsvm
