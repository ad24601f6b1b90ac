#include "data/Dataset.h"

#include "data/ImageFolder.h"
#include "data/Stl10.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace deepsvm {

std::unique_ptr<Dataset> openDataset(const std::string& path)
{
    // Absolute, so cache keys and sidecars name the same folder from any working directory.
    std::string dir = path.empty() ? path : fs::absolute(path).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    if (!fs::exists(dir))
        throw DatasetError(dir + ": no such folder");
    if (fs::is_regular_file(dir) && fs::path(dir).extension() == ".csv")
        return std::make_unique<CsvDataset>(dir);
    if (!fs::is_directory(dir))
        throw DatasetError(dir + ": not a folder (give the dataset's folder, or a CSV file of path,label[,split])");
    if (fs::exists(fs::path(dir) / "stl10_binary" / "train_X.bin"))
        return std::make_unique<Stl10Dataset>((fs::path(dir) / "stl10_binary").string());
    if (fs::exists(fs::path(dir) / "train_X.bin"))
        return std::make_unique<Stl10Dataset>(dir);
    return std::make_unique<ImageFolderDataset>(dir);
}

}  // namespace deepsvm
