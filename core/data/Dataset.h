#pragma once

#include "data/Image.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepsvm {

/// A dataset that cannot be opened; what() names the file and what is wrong.
class DatasetError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The images of one split, in a fixed order. Thread-safe for concurrent load() calls.
class ImageSource {
public:
    virtual ~ImageSource() = default;
    virtual std::int64_t size() const = 0;
    /// 0-based class index, or -1 for unlabeled images.
    virtual int label(std::int64_t index) const = 0;
    /// A stable identifier of the image: a relative path, or "split/index" for STL-10.
    virtual std::string id(std::int64_t index) const = 0;
    /// Decodes the image; throws ImageError naming the file.
    virtual RgbImage load(std::int64_t index) const = 0;
    /// Identity for the feature cache: paths with sizes and modification times.
    virtual std::string identity() const = 0;
    /// Files refused while listing (unreadable or oversized), with the reason.
    virtual std::vector<std::string> skipped() const { return {}; }
};

/// A dataset on disk: class names and named splits.
class Dataset {
public:
    virtual ~Dataset() = default;
    virtual std::string kind() const = 0;           ///< "stl10" or "imagefolder"
    virtual std::string root() const = 0;
    virtual const std::vector<std::string>& classNames() const = 0;
    virtual std::vector<std::string> splits() const = 0;
    /// Throws DatasetError for an unknown split.
    virtual std::shared_ptr<const ImageSource> split(const std::string& name) const = 0;
    /// STL-10's predefined folds (training indices per fold); empty if the dataset has none.
    virtual std::vector<std::vector<std::int64_t>> folds() const { return {}; }
};

/// Opens DIR as STL-10 (DIR/stl10_binary or DIR holding train_X.bin) or as a folder-per-class tree.
std::unique_ptr<Dataset> openDataset(const std::string& dir);

/// "size:mtime" of a file, for cache identities.
std::string fileStamp(const std::string& path);

}  // namespace deepsvm
