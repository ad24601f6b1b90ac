#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace deepsvm {

/// The training and test feature files of a study (`deepsvm run`) after extraction under PREFIX.
struct StudySplits {
    std::string trainPrefix;  ///< PREFIX.train
    std::string testPrefix;   ///< PREFIX.test
    bool heldOut = false;     ///< the test rows were held out of the only split
    std::size_t trainRows = 0, testRows = 0;  ///< with heldOut: how the rows were divided
};

/// The splits of a study whose features were extracted under `prefix`. With a test split, its
/// files. Without one (the dataset's only split is PREFIX itself), a stratified, seeded hold-out
/// of `testFraction` of its rows becomes PREFIX.test and the rest PREFIX.train; their sidecars
/// name the origin's key as source_key, not key, so they are never taken for cache entries.
/// Throws NpyError / std::runtime_error naming the file.
StudySplits studySplits(const std::string& prefix, bool hasTest, double testFraction, uint64_t seed);

}  // namespace deepsvm
