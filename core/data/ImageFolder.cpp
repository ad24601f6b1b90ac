#include "data/ImageFolder.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace deepsvm {

namespace {

struct Entry {
    std::string relative;  // path relative to the split root, '/' separated
    int label;
};

class FolderSplit final : public ImageSource {
public:
    FolderSplit(std::string root, std::vector<Entry> entries, std::vector<std::string> skipped, std::string identity)
        : m_root(std::move(root)), m_entries(std::move(entries)), m_skipped(std::move(skipped)),
          m_identity(std::move(identity)) {}

    std::int64_t size() const override { return std::int64_t(m_entries.size()); }
    int label(std::int64_t i) const override { return m_entries[std::size_t(i)].label; }
    std::string id(std::int64_t i) const override { return m_entries[std::size_t(i)].relative; }
    RgbImage load(std::int64_t i) const override { return loadImageFile(m_root + "/" + id(i)); }
    std::string identity() const override { return m_identity; }
    std::vector<std::string> skipped() const override { return m_skipped; }

private:
    std::string m_root;
    std::vector<Entry> m_entries;
    std::vector<std::string> m_skipped;
    std::string m_identity;
};

/// Every directory below (and including) `dir`, sorted by path string as sorted(os.walk()).
std::vector<fs::path> walkSorted(const fs::path& dir)
{
    std::vector<fs::path> dirs{dir};
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink
                                                      | fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        if (it.depth() > 32) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory(ec))
            dirs.push_back(it->path());
    }
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });
    return dirs;
}

std::shared_ptr<const ImageSource> scanSplit(const std::string& root, const std::vector<std::string>& classes)
{
    std::vector<Entry> entries;
    std::vector<std::string> skipped;
    std::string identity = root;
    for (std::size_t c = 0; c < classes.size(); ++c) {
        const fs::path classDir = fs::path(root) / classes[c];
        if (!fs::is_directory(classDir))
            continue;
        for (const fs::path& d : walkSorted(classDir)) {
            std::vector<std::string> files;
            std::error_code ec;
            for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
                if (it->is_regular_file(ec) && hasImageExtension(it->path().filename().string()))
                    files.push_back(it->path().filename().string());
            std::sort(files.begin(), files.end());
            for (const std::string& f : files) {
                const fs::path full = d / f;
                const std::string rel = fs::relative(full, root).generic_string();
                const std::string problem = checkImageFile(full.string());
                if (!problem.empty()) {
                    skipped.push_back(full.string() + ": " + problem);
                    continue;
                }
                entries.push_back({rel, int(c)});
                identity += ";" + rel + "@" + fileStamp(full.string());
            }
        }
    }
    return std::make_shared<FolderSplit>(root, std::move(entries), std::move(skipped), identity);
}

}  // namespace

std::vector<std::string> sortedSubdirectories(const std::string& dir)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec))
            names.push_back(it->path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

ImageFolderDataset::ImageFolderDataset(const std::string& dir) : m_dir(dir)
{
    if (!fs::is_directory(dir))
        throw DatasetError(dir + ": not a folder");
    const auto top = sortedSubdirectories(dir);
    const bool hasSplits = std::find(top.begin(), top.end(), "train") != top.end();
    std::vector<std::string> splitNames = hasSplits ? std::vector<std::string>{"train"} : std::vector<std::string>{""};
    if (hasSplits && std::find(top.begin(), top.end(), "test") != top.end())
        splitNames.push_back("test");
    // Class names come from the training split (torchvision's find_classes on its root).
    m_classNames = sortedSubdirectories(hasSplits ? dir + "/train" : dir);
    if (m_classNames.empty())
        throw DatasetError(dir + ": no class folders found; put the images of each class in a sub-folder named after the class");
    for (const std::string& s : splitNames) {
        const std::string root = s.empty() ? dir : dir + "/" + s;
        if (!s.empty()) {
            for (const std::string& c : sortedSubdirectories(root))
                if (std::find(m_classNames.begin(), m_classNames.end(), c) == m_classNames.end())
                    throw DatasetError(root + "/" + c + ": class folder not present in " + dir + "/train");
        }
        auto source = scanSplit(root, m_classNames);
        if (source->size() == 0)
            throw DatasetError(root + ": no readable images (" + std::to_string(source->skipped().size())
                               + " skipped); supported: .jpg .jpeg .png .bmp .webp .tif .tiff .ppm .pgm");
        m_splits.emplace_back(s.empty() ? "all" : s, std::move(source));
    }
}

ImageFolderDataset::~ImageFolderDataset() = default;

std::vector<std::string> ImageFolderDataset::splits() const
{
    std::vector<std::string> out;
    for (const auto& s : m_splits)
        out.push_back(s.first);
    return out;
}

std::shared_ptr<const ImageSource> ImageFolderDataset::split(const std::string& name) const
{
    for (const auto& s : m_splits)
        if (s.first == name)
            return s.second;
    throw DatasetError(m_dir + ": has no '" + name + "' split");
}

}  // namespace deepsvm
