#include "data/ImageFolder.h"

#include "io/Csv.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

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

void walkInto(const fs::path& dir, int depth, std::set<fs::path>& seen, std::vector<fs::path>& dirs,
              std::vector<std::string>* skipped)
{
    dirs.push_back(dir);
    if (depth >= 32) {
        if (skipped) skipped->push_back(dir.string() + ": folders nested deeper than 32 levels, not entered");
        return;
    }
    std::vector<fs::path> subs;
    std::error_code ec;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec))
        if (it->is_directory(ec))
            subs.push_back(it->path());
    std::sort(subs.begin(), subs.end(), [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });
    for (const fs::path& sub : subs) {
        std::error_code cec;
        const fs::path real = fs::canonical(sub, cec);
        if (cec) {
            if (skipped) skipped->push_back(sub.string() + ": cannot be opened (" + cec.message() + ")");
            continue;
        }
        // A symbolic link back up the tree (or to a folder already walked) would list its
        // images again, or forever: every real folder is entered once.
        if (!seen.insert(real).second) {
            if (skipped) skipped->push_back(sub.string() + ": a link to " + real.string() + ", already listed; skipped");
            continue;
        }
        walkInto(sub, depth + 1, seen, dirs, skipped);
    }
}

}  // namespace

std::vector<fs::path> walkFolders(const fs::path& dir, std::vector<std::string>* skipped)
{
    std::vector<fs::path> dirs;
    std::error_code ec;
    std::set<fs::path> seen{fs::canonical(dir, ec)};
    walkInto(dir, 0, seen, dirs, skipped);
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });
    return dirs;
}

std::vector<std::string> listImageFiles(const std::string& path, std::vector<std::string>* skipped)
{
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
        if (!fs::exists(path, ec))
            skipped->push_back(path + ": no such file or folder");
        else if (!hasImageExtension(fs::path(path).filename().string()))
            skipped->push_back(path + ": not an image file (supported: .jpg .jpeg .png .bmp .webp .tif .tiff .ppm .pgm)");
        else
            out.push_back(path);
        return out;
    }
    for (const fs::path& d : walkFolders(path, skipped)) {
        std::vector<std::string> files;
        for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
            if (it->is_regular_file(ec))
                files.push_back(it->path().filename().string());
        std::sort(files.begin(), files.end());
        for (const std::string& f : files) {
            if (hasImageExtension(f))
                out.push_back((d / f).string());
            else
                skipped->push_back((d / f).string() + ": not an image file");
        }
    }
    return out;
}

namespace {

using SplitList = std::vector<std::pair<std::string, std::shared_ptr<const ImageSource>>>;

std::vector<std::string> splitNames(const SplitList& splits)
{
    std::vector<std::string> out;
    for (const auto& s : splits)
        out.push_back(s.first);
    return out;
}

std::shared_ptr<const ImageSource> findSplit(const SplitList& splits, const std::string& name, const std::string& where)
{
    for (const auto& s : splits)
        if (s.first == name)
            return s.second;
    throw DatasetError(where + ": has no '" + name + "' split");
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
        for (const fs::path& d : walkFolders(classDir, &skipped)) {
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
        if (it->is_directory(ec) && it->path().filename().string().rfind('_', 0) != 0)
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
    return splitNames(m_splits);
}

std::shared_ptr<const ImageSource> ImageFolderDataset::split(const std::string& name) const
{
    return findSplit(m_splits, name, m_dir);
}

namespace {

/// Reads a dataset CSV: one image a line, `path,label[,split]`; a first line naming the
/// columns (path,label,...) is a header. Lines are kept in file order within each split.
struct CsvRow {
    std::string path, label, split;
    int line = 0;
};

std::vector<CsvRow> readDatasetCsv(const std::string& file)
{
    std::ifstream in(file);
    if (!in)
        throw DatasetError(file + ": cannot be read");
    std::vector<CsvRow> rows;
    std::string text;
    for (int line = 1; std::getline(in, text); ++line) {
        if (text.empty() || text == "\r")
            continue;
        const std::vector<std::string> f = splitCsvLine(text);
        if (line == 1 && f.size() >= 2 && f[0] == "path" && f[1] == "label")
            continue;
        if (f.size() < 2 || f.size() > 3 || f[0].empty())
            throw DatasetError(file + ":" + std::to_string(line) + ": expected path,label[,split], got '" + text.substr(0, 120) + "'");
        rows.push_back({f[0], f[1], f.size() == 3 ? f[2] : std::string(), line});
    }
    if (rows.empty())
        throw DatasetError(file + ": lists no images (one line per image: path,label[,split])");
    return rows;
}

}  // namespace

CsvDataset::CsvDataset(const std::string& file) : m_file(file)
{
    const std::vector<CsvRow> rows = readDatasetCsv(file);
    const fs::path base = fs::path(file).parent_path();
    std::set<std::string> labels, splitNames;
    for (const CsvRow& r : rows) {
        if (!r.label.empty()) labels.insert(r.label);
        const std::string split = r.split.empty() ? "all" : r.split;
        if (split != "all" && split != "train" && split != "test" && split != "unlabeled")
            throw DatasetError(file + ":" + std::to_string(r.line) + ": unknown split '" + r.split
                               + "' (use train, test or unlabeled, or leave it empty)");
        splitNames.insert(split);
    }
    if (splitNames.count("all") && splitNames.size() > 1)
        throw DatasetError(file + ": some lines name a split and some do not; give every line one or none");
    m_classNames.assign(labels.begin(), labels.end());
    if (m_classNames.empty())
        throw DatasetError(file + ": no line has a label");
    for (const std::string& name : {std::string("all"), std::string("train"), std::string("test"), std::string("unlabeled")}) {
        if (!splitNames.count(name))
            continue;
        std::vector<Entry> entries;
        std::vector<std::string> skipped;
        std::string identity = file;
        for (const CsvRow& r : rows) {
            if ((r.split.empty() ? "all" : r.split) != name)
                continue;
            const fs::path full = fs::path(r.path).is_absolute() ? fs::path(r.path) : base / r.path;
            const std::string problem = checkImageFile(full.string());
            if (!problem.empty()) {
                skipped.push_back(file + ":" + std::to_string(r.line) + ": " + full.string() + ": " + problem);
                continue;
            }
            const int label = r.label.empty() ? -1
                : int(std::lower_bound(m_classNames.begin(), m_classNames.end(), r.label) - m_classNames.begin());
            entries.push_back({fs::relative(full, base).generic_string(), label});
            identity += ";" + entries.back().relative + "=" + r.label + "@" + fileStamp(full.string());
        }
        auto source = std::make_shared<FolderSplit>(base.string(), std::move(entries), std::move(skipped), identity);
        if (source->size() == 0)
            throw DatasetError(file + ": no readable image in split '" + name + "' (" + std::to_string(source->skipped().size())
                               + " skipped, e.g. " + (source->skipped().empty() ? std::string("none") : source->skipped().front()) + ")");
        m_splits.emplace_back(name, std::move(source));
    }
}

CsvDataset::~CsvDataset() = default;

std::vector<std::string> CsvDataset::splits() const
{
    return splitNames(m_splits);
}

std::shared_ptr<const ImageSource> CsvDataset::split(const std::string& name) const
{
    return findSplit(m_splits, name, m_file);
}

}  // namespace deepsvm
