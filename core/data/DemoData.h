#pragma once

// A deterministic synthetic stand-in for STL-10, written in the official binary layout so the
// whole application (loading, feature extraction, SVM, cross-validation) can run offline.
// Only OpenCV core/imgproc and the standard library: no Qt, no torch.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace deepsvm {

struct DemoOptions {
    int trainPerClass = 100;  // >= 1: fold_indices.txt needs a non-empty training set
    int testPerClass = 80;    // >= 0
    int unlabeled = 0;        // >= 0; streamed, so 100000 is fine
    uint64_t seed = 1;
};

/// Which file an image belongs to; part of the per-image seed so the splits never share images.
enum class DemoSplit { Train = 0, Test = 1, Unlabeled = 2 };

/// Side of the square images and bytes of one image (3 * 96 * 96), as in STL-10.
constexpr int kDemoSide = 96;
constexpr int64_t kDemoImageBytes = 3 * kDemoSide * kDemoSide;
constexpr int kDemoClassCount = 10;

/// The ten class names, in label order (0..9).
const std::vector<std::string>& demoClassNames();

/// Renders one 96x96 RGB image (row-major, HWC, 27648 bytes) of class `label` from `rng seed`.
/// A pure function of (label, seed): the same pair always gives the same bytes.
/// Throws std::out_of_range for a label outside 0..9.
std::vector<unsigned char> renderDemoImage(int label, uint64_t seed);

/// The render seed of image `index` of `split` in a data set generated with `datasetSeed`.
/// Independent of the image counts, so image n of a split is the same picture in a small and a
/// large run (as long as its label is the same).
uint64_t demoImageSeed(uint64_t datasetSeed, DemoSplit split, int64_t index);

/// The 0-based labels of a split in file order (train/test: shuffled, exactly N per class;
/// unlabeled: the hidden random class of each image). Image n of the split is
/// renderDemoImage(labels[n], demoImageSeed(options.seed, split, n)).
std::vector<int> demoSplitLabels(const DemoOptions& options, DemoSplit split);

/// The ten training folds written to fold_indices.txt: each a sorted, class-stratified random
/// subset of 1/5 of the training indices (as in STL-10: 1000 of 5000).
std::vector<std::vector<int64_t>> demoFoldIndices(const DemoOptions& options);

/// Writes DIR/stl10_binary/{train_X.bin,train_y.bin,test_X.bin,test_y.bin,unlabeled_X.bin,class_names.txt,fold_indices.txt}.
/// progress(done, total) is called now and then; returning false cancels (files are then removed / not left half-written).
/// Throws std::runtime_error naming the file on I/O failure. Returns false if cancelled.
/// All files are written under temporary names and renamed only once everything succeeded, so
/// an existing data set in DIR survives a cancelled or failed run untouched.
/// Throws std::invalid_argument for negative counts or trainPerClass < 1.
bool writeDemoStl10(const std::string& dir, const DemoOptions& options,
                    const std::function<bool(int64_t done, int64_t total)>& progress = {});

}  // namespace deepsvm
