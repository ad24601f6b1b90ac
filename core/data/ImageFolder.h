#pragma once

#include "data/Dataset.h"

namespace deepsvm {

/// A folder-per-class image tree in torchvision's ImageFolder order: classes sorted by name,
/// files sorted within a class (recursively, as sorted(os.walk(...))). With `train/` and
/// `test/` subfolders those are the splits, otherwise the single split is "all".
class ImageFolderDataset final : public Dataset {
public:
    /// Throws DatasetError if the folder has no class folders with images.
    explicit ImageFolderDataset(const std::string& dir);
    ~ImageFolderDataset() override;

    std::string kind() const override { return "imagefolder"; }
    std::string root() const override { return m_dir; }
    const std::vector<std::string>& classNames() const override { return m_classNames; }
    std::vector<std::string> splits() const override;
    std::shared_ptr<const ImageSource> split(const std::string& name) const override;

private:
    std::string m_dir;
    std::vector<std::string> m_classNames;
    std::vector<std::pair<std::string, std::shared_ptr<const ImageSource>>> m_splits;
};

/// Sorted names of the sub-folders of `dir` (byte order, as Python's sorted()).
std::vector<std::string> sortedSubdirectories(const std::string& dir);

}  // namespace deepsvm
