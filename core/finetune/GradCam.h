#pragma once

#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

struct RgbImage;

/// A Grad-CAM heat map over the network's input (size x size, row-major, 0..1), the class it
/// explains and the scores of every class.
struct HeatMap {
    int size = 0;
    std::vector<float> values;
    int targetClass = -1;
    std::vector<double> scores;
};

/// Grad-CAM through an SVM model folder (as `deepsvm svm` writes it): the image goes through
/// the network of features.json, the scaler and the SVM's decision function, written in
/// LibTorch from the support vectors, dual coefficients, kernel and rho, so the gradient of a
/// class's score reaches the last convolutional block. The score of class k is the sum of its
/// one-vs-one decision values (positive when k wins). Thread-compatible: one compute() at a time.
class SvmGradCam {
public:
    /// Throws std::runtime_error naming the missing or unreadable file.
    explicit SvmGradCam(const std::string& modelDir);
    ~SvmGradCam();
    /// `targetClass` -1: the highest-scoring class.
    HeatMap compute(const RgbImage& image, int targetClass = -1) const;
    const std::vector<std::string>& classNames() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

/// Grad-CAM through the network's own classification head (e.g. a fine-tuned weights.pth).
HeatMap gradCamWithHead(const std::string& backbone, const std::string& weights, const RgbImage& image, int size,
                        const std::string& normalization, int targetClass = -1);

}  // namespace deepsvm
