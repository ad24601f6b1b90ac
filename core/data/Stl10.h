#pragma once

#include "data/Dataset.h"

namespace deepsvm {

constexpr int kStl10Side = 96;
constexpr std::int64_t kStl10ImageBytes = 3 * kStl10Side * kStl10Side;

class MappedFile;

/// STL-10 in its official binary layout. The image files are memory-mapped and read lazily.
class Stl10Dataset final : public Dataset {
public:
    /// `dir` is the stl10_binary folder itself. Throws DatasetError naming the file.
    explicit Stl10Dataset(const std::string& dir);
    ~Stl10Dataset() override;

    std::string kind() const override { return "stl10"; }
    std::string root() const override { return m_dir; }
    const std::vector<std::string>& classNames() const override { return m_classNames; }
    std::vector<std::string> splits() const override;
    std::shared_ptr<const ImageSource> split(const std::string& name) const override;
    std::vector<std::vector<std::int64_t>> folds() const override { return m_folds; }

    /// Parses fold_indices.txt: one line per fold of 0-based training indices.
    static std::vector<std::vector<std::int64_t>> readFoldIndices(const std::string& path, std::int64_t trainSize);

private:
    std::string m_dir;
    std::vector<std::string> m_classNames;
    std::vector<std::vector<std::int64_t>> m_folds;
    std::vector<std::pair<std::string, std::shared_ptr<const ImageSource>>> m_splits;
};

/// STL-10's fold_indices.txt for a dataset folder: DIR/stl10_binary/fold_indices.txt if it
/// exists, else DIR/fold_indices.txt (DIR is the stl10_binary folder itself). Whether that file
/// exists is for the caller (SvmTask names it when it cannot read it).
std::string stl10FoldFile(const std::string& dir);

/// Converts one STL-10 record (3 planes, each column-major) to an RGB image.
RgbImage stl10RecordToImage(const std::uint8_t* record);

}  // namespace deepsvm
