#pragma once

#include "data/Dataset.h"

#include <filesystem>
#include <string>
#include <vector>

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

/// A dataset listed in a CSV file, opened like a class folder: one line per image,
/// `path,label[,split]` (a first line `path,label[,split]` is a header), paths relative to the
/// CSV file's folder (or absolute). Class names are the labels, sorted; the splits are those
/// the third column names (train, test, unlabeled), or one split "all" without it. A line
/// with an empty label is unlabeled (label -1).
class CsvDataset final : public Dataset {
public:
    /// Throws DatasetError naming the file and line.
    explicit CsvDataset(const std::string& file);
    ~CsvDataset() override;

    std::string kind() const override { return "csv"; }
    std::string root() const override { return m_file; }
    const std::vector<std::string>& classNames() const override { return m_classNames; }
    std::vector<std::string> splits() const override;
    std::shared_ptr<const ImageSource> split(const std::string& name) const override;

private:
    std::string m_file;
    std::vector<std::string> m_classNames;
    std::vector<std::pair<std::string, std::shared_ptr<const ImageSource>>> m_splits;
};

/// Sorted names of the sub-folders of `dir` (byte order, as Python's sorted()), without those
/// whose names start with '_' (such as `_excluded/`, where the Label issues view moves images).
std::vector<std::string> sortedSubdirectories(const std::string& dir);

/// Every folder below (and including) `dir`, sorted by path as sorted(os.walk()) lists them.
/// Links to folders are followed, but each real folder is entered once: a symbolic-link cycle
/// cannot multiply images. What was not entered is described in `skipped` (if given).
std::vector<std::filesystem::path> walkFolders(const std::filesystem::path& dir, std::vector<std::string>* skipped);

/// The image files a command-line PATH names: the file itself, or every image below a folder
/// (recursed, sorted as walkFolders). Non-images, missing paths and folders not entered are
/// named in `skipped`.
std::vector<std::string> listImageFiles(const std::string& path, std::vector<std::string>* skipped);

}  // namespace deepsvm
