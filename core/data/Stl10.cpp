#include "data/Stl10.h"

#include <QFile>
#include <QFileInfo>

#include <sys/mman.h>

#include <fstream>
#include <sstream>

namespace deepsvm {

namespace {

std::string join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

/// A read-only memory map. Reads copy out and, for big files, drop the pages again so
/// reading the 2.7 GB unlabeled file keeps the resident set flat.
class Mapping {
public:
    explicit Mapping(const std::string& path) : m_file(QString::fromStdString(path))
    {
        if (!m_file.open(QIODevice::ReadOnly))
            throw DatasetError(path + ": cannot open (" + m_file.errorString().toStdString() + ")");
        m_size = m_file.size();
        if (m_size > 0) {
            m_data = m_file.map(0, m_size);
            if (!m_data)
                throw DatasetError(path + ": cannot memory-map (" + m_file.errorString().toStdString() + ")");
        }
    }
    std::int64_t size() const { return m_size; }
    const std::uint8_t* data() const { return m_data; }
    void release(std::int64_t offset, std::int64_t length) const
    {
        const long page = 4096;
        const std::int64_t begin = (offset + page - 1) / page * page;
        const std::int64_t end = (offset + length) / page * page;
        if (m_data && end > begin)
            madvise(const_cast<std::uint8_t*>(m_data) + begin, std::size_t(end - begin), MADV_DONTNEED);
    }

private:
    QFile m_file;
    std::int64_t m_size = 0;
    std::uint8_t* m_data = nullptr;
};

class Stl10Split final : public ImageSource {
public:
    Stl10Split(std::string name, const std::string& xPath, const std::string& yPath, int classCount)
        : m_name(std::move(name)), m_images(xPath)
    {
        if (m_images.size() % kStl10ImageBytes != 0)
            throw DatasetError(xPath + ": size " + std::to_string(m_images.size())
                               + " bytes is not a multiple of 27648 (3x96x96); the file is truncated or not STL-10");
        m_count = m_images.size() / kStl10ImageBytes;
        m_identity = xPath + "@" + fileStamp(xPath);
        if (!yPath.empty()) {
            std::ifstream in(yPath, std::ios::binary);
            if (!in)
                throw DatasetError(yPath + ": cannot open the label file");
            m_labels.assign(std::istreambuf_iterator<char>(in), {});
            if (std::int64_t(m_labels.size()) != m_count)
                throw DatasetError(yPath + ": has " + std::to_string(m_labels.size()) + " labels but "
                                   + xPath + " has " + std::to_string(m_count) + " images");
            for (std::size_t i = 0; i < m_labels.size(); ++i) {
                const int v = std::uint8_t(m_labels[i]);
                if (v < 1 || v > classCount)
                    throw DatasetError(yPath + ": label " + std::to_string(v) + " at index " + std::to_string(i)
                                       + " is outside 1.." + std::to_string(classCount));
            }
            m_identity += ";" + yPath + "@" + fileStamp(yPath);
        }
        m_releasePages = m_images.size() > (std::int64_t(256) << 20);
    }

    std::int64_t size() const override { return m_count; }
    int label(std::int64_t i) const override { return m_labels.empty() ? -1 : int(std::uint8_t(m_labels[std::size_t(i)])) - 1; }
    std::string id(std::int64_t i) const override { return m_name + "/" + std::to_string(i); }
    std::string identity() const override { return m_identity; }
    RgbImage load(std::int64_t i) const override
    {
        if (i < 0 || i >= m_count)
            throw ImageError(m_name + ": index " + std::to_string(i) + " out of range");
        const std::int64_t offset = i * kStl10ImageBytes;
        RgbImage img = stl10RecordToImage(m_images.data() + offset);
        if (m_releasePages)
            m_images.release(offset, kStl10ImageBytes);
        return img;
    }

private:
    std::string m_name;
    Mapping m_images;
    std::int64_t m_count = 0;
    std::string m_labels;
    std::string m_identity;
    bool m_releasePages = false;
};

bool exists(const std::string& path) { return QFileInfo::exists(QString::fromStdString(path)); }

}  // namespace

std::string fileStamp(const std::string& path)
{
    const QFileInfo info(QString::fromStdString(path));
    return std::to_string(info.size()) + ":" + std::to_string(info.lastModified().toMSecsSinceEpoch());
}

RgbImage stl10RecordToImage(const std::uint8_t* record)
{
    RgbImage img;
    img.width = kStl10Side;
    img.height = kStl10Side;
    img.pixels.resize(std::size_t(kStl10ImageBytes));
    constexpr int plane = kStl10Side * kStl10Side;
    for (int c = 0; c < 3; ++c)
        for (int x = 0; x < kStl10Side; ++x) {
            const std::uint8_t* column = record + c * plane + x * kStl10Side;
            for (int y = 0; y < kStl10Side; ++y)
                img.pixels[std::size_t((y * kStl10Side + x) * 3 + c)] = column[y];
        }
    return img;
}

Stl10Dataset::Stl10Dataset(const std::string& dir) : m_dir(dir)
{
    const std::string namesPath = join(dir, "class_names.txt");
    std::ifstream names(namesPath);
    if (!names)
        throw DatasetError(namesPath + ": missing; an STL-10 folder needs class_names.txt (one class name per line)");
    std::string line;
    while (std::getline(names, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        if (!line.empty())
            m_classNames.push_back(line);
    }
    if (m_classNames.size() < 2 || m_classNames.size() > 255)
        throw DatasetError(namesPath + ": needs between 2 and 255 class names, found "
                           + std::to_string(m_classNames.size()));
    const int k = int(m_classNames.size());
    for (const char* s : {"train", "test"}) {
        const std::string x = join(dir, std::string(s) + "_X.bin");
        const std::string y = join(dir, std::string(s) + "_y.bin");
        if (!exists(x))
            throw DatasetError(x + ": missing from the STL-10 folder");
        if (!exists(y))
            throw DatasetError(y + ": missing from the STL-10 folder");
        m_splits.emplace_back(s, std::make_shared<Stl10Split>(s, x, y, k));
    }
    const std::string unlabeled = join(dir, "unlabeled_X.bin");
    if (exists(unlabeled))
        m_splits.emplace_back("unlabeled", std::make_shared<Stl10Split>("unlabeled", unlabeled, std::string(), k));
    const std::string foldPath = join(dir, "fold_indices.txt");
    if (exists(foldPath))
        m_folds = readFoldIndices(foldPath, m_splits.front().second->size());
}

Stl10Dataset::~Stl10Dataset() = default;

std::string stl10FoldFile(const std::string& dir)
{
    const std::string nested = join(join(dir, "stl10_binary"), "fold_indices.txt");
    return QFileInfo::exists(QString::fromStdString(nested)) ? nested : join(dir, "fold_indices.txt");
}

std::vector<std::string> Stl10Dataset::splits() const
{
    std::vector<std::string> out;
    for (const auto& s : m_splits)
        out.push_back(s.first);
    return out;
}

std::shared_ptr<const ImageSource> Stl10Dataset::split(const std::string& name) const
{
    for (const auto& s : m_splits)
        if (s.first == name)
            return s.second;
    throw DatasetError(m_dir + ": has no '" + name + "' split (it has: " + [this] {
        std::string all;
        for (const auto& s : m_splits)
            all += (all.empty() ? "" : ", ") + s.first;
        return all;
    }() + ")");
}

}  // namespace deepsvm
