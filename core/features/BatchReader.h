#pragma once

#include "features/Preprocess.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

class ImageSource;

/// One batch of decoded, preprocessed images (3 x size x size each) and what could not be read.
struct Batch {
    std::vector<at::Tensor> images;
    std::vector<int64_t> rows;           ///< each image's index in the source
    std::vector<int64_t> labels;
    std::vector<std::string> ids;
    std::vector<int64_t> skippedRows;    ///< indices that could not be read or preprocessed
    std::vector<std::string> skipped;    ///< why, naming the file (one per skipped row)
};

/// Decodes and preprocesses rows [0, n) of `source` on a producer thread, `batchSize` at a time
/// and up to `depth` batches ahead, while the caller runs the network on the previous batch.
/// An image that cannot be decoded or preprocessed is skipped and named, never fatal.
class BatchReader {
public:
    BatchReader(std::shared_ptr<const ImageSource> source, int64_t n, int64_t batchSize, PreprocessOptions options,
                std::size_t depth = 2);
    /// Stops the producer and joins it (also when the consumer stops early).
    ~BatchReader();
    BatchReader(const BatchReader&) = delete;
    BatchReader& operator=(const BatchReader&) = delete;

    /// The next batch; false when every row has been delivered. Rethrows a producer failure.
    bool next(Batch* out);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace deepsvm
