// Writing the demo data set in the official STL-10 binary layout (the pictures themselves are
// drawn in DemoShapes.cpp).

#include "data/DemoData.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>

namespace deepsvm {

namespace fs = std::filesystem;

namespace {

constexpr int kPlane = kDemoSide * kDemoSide;
constexpr int kFoldCount = 10;
// How often progress() is called, in images: often enough for a smooth bar and a prompt
// cancel, rarely enough that the callback (maybe a queued signal) costs nothing.
constexpr int64_t kProgressEvery = 32;

/// SplitMix64's finaliser: turns structured inputs (seed, split, index) into independent-looking
/// 64-bit values, so neighbouring indices or seeds give unrelated pictures.
uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/// Our own bounded draw: std::uniform_int_distribution is implementation-defined, and the
/// files must be byte-identical everywhere. The modulo bias (< n / 2^64) is irrelevant here.
uint64_t below(std::mt19937_64& engine, uint64_t n) { return engine() % n; }

template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& engine)
{
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[std::size_t(below(engine, i))]);
}

int unlabeledLabel(uint64_t datasetSeed, int64_t index)
{
    // A stream separate from the render seed, so the hidden class is not tied to the picture's
    // random choices.
    return int(mix(demoImageSeed(datasetSeed, DemoSplit::Unlabeled, index) ^ 0x5DEECE66DULL) % kDemoClassCount);
}

void validate(const DemoOptions& options)
{
    if (options.trainPerClass < 1 || options.testPerClass < 0 || options.unlabeled < 0)
        throw std::invalid_argument("writeDemoStl10: need trainPerClass >= 1, testPerClass >= 0 and unlabeled >= 0");
}

/// HWC row-major -> the STL-10 record: three planes, each stored column by column.
void toStl10Record(const std::vector<unsigned char>& hwc, std::vector<char>& record)
{
    record.resize(std::size_t(kDemoImageBytes));
    for (int c = 0; c < 3; ++c)
        for (int x = 0; x < kDemoSide; ++x) {
            char* column = record.data() + c * kPlane + x * kDemoSide;
            for (int r = 0; r < kDemoSide; ++r)
                column[r] = char(hwc[std::size_t((r * kDemoSide + x) * 3 + c)]);
        }
}

std::string describeErrno()
{
    return errno ? std::string(" (") + std::strerror(errno) + ")" : std::string();
}

/// The files of one run under their temporary names. Nothing becomes visible under its final
/// name until commit(); the destructor removes whatever is left, so a cancel, an I/O error or an
/// exception from the progress callback leaves neither half-written nor mixed-run files behind.
class StagedFiles {
public:
    explicit StagedFiles(fs::path dir, bool createdDir) : m_dir(std::move(dir)), m_createdDir(createdDir) {}
    StagedFiles(const StagedFiles&) = delete;
    StagedFiles& operator=(const StagedFiles&) = delete;
    ~StagedFiles()
    {
        std::error_code ec;
        for (const auto& name : m_names)
            fs::remove(tempPath(name), ec);
        if (!m_committed && m_createdDir)
            fs::remove(m_dir, ec);  // only succeeds if empty, i.e. we leave the folder as we found it
    }

    /// Opens `name`'s temporary file for writing; throws naming the file.
    std::ofstream open(const std::string& name)
    {
        m_names.push_back(name);
        std::ofstream out(tempPath(name), std::ios::binary | std::ios::trunc);
        if (!out)
            throw std::runtime_error(finalPath(name) + ": cannot create" + describeErrno());
        return out;
    }

    void close(std::ofstream& out, const std::string& name)
    {
        out.close();
        if (!out)
            throw std::runtime_error(finalPath(name) + ": write failed" + describeErrno());
    }

    void commit()
    {
        for (const auto& name : m_names) {
            std::error_code ec;
            fs::rename(tempPath(name), finalPath(name), ec);
            if (ec)
                throw std::runtime_error(finalPath(name) + ": cannot rename the finished file into place ("
                                         + ec.message() + ")");
        }
        m_committed = true;
    }

    std::string finalPath(const std::string& name) const { return (m_dir / name).string(); }

private:
    fs::path tempPath(const std::string& name) const { return m_dir / (name + ".part"); }

    fs::path m_dir;
    bool m_createdDir = false;
    bool m_committed = false;
    std::vector<std::string> m_names;
};

/// Counts rendered images and asks the callback now and then whether to go on.
class Progress {
public:
    Progress(const std::function<bool(int64_t, int64_t)>& callback, int64_t total)
        : m_callback(callback), m_total(total)
    {
    }
    bool report() { return !m_callback || m_callback(m_done, m_total); }
    bool step()
    {
        ++m_done;
        return m_done % kProgressEvery != 0 || report();
    }

private:
    const std::function<bool(int64_t, int64_t)>& m_callback;
    int64_t m_total;
    int64_t m_done = 0;
};

/// Streams the images of one split into NAME_X.bin (and their labels into NAME_y.bin), one
/// record at a time so the unlabeled split never has to fit in memory.
/// `labelOf(n)` gives image n's class. Returns false if cancelled.
bool writeSplit(StagedFiles& files, const std::string& name, int64_t count, uint64_t seed, DemoSplit split,
                const std::function<int(int64_t)>& labelOf, bool withLabels, Progress& progress)
{
    const std::string xName = name + "_X.bin", yName = name + "_y.bin";
    std::ofstream x = files.open(xName);
    std::vector<char> labels;
    std::vector<char> record;
    for (int64_t n = 0; n < count; ++n) {
        const int label = labelOf(n);
        toStl10Record(renderDemoImage(label, demoImageSeed(seed, split, n)), record);
        if (!x.write(record.data(), std::streamsize(record.size())))
            throw std::runtime_error(files.finalPath(xName) + ": write failed" + describeErrno());
        if (withLabels)
            labels.push_back(char(label + 1));  // STL-10 labels are 1-based on disk
        if (!progress.step())
            return false;
    }
    files.close(x, xName);
    if (withLabels) {
        std::ofstream y = files.open(yName);
        y.write(labels.data(), std::streamsize(labels.size()));
        files.close(y, yName);
    }
    return true;
}

void writeText(StagedFiles& files, const std::string& name, const std::string& text)
{
    std::ofstream out = files.open(name);
    out.write(text.data(), std::streamsize(text.size()));
    files.close(out, name);
}

}  // namespace

const std::vector<std::string>& demoClassNames()
{
    static const std::vector<std::string> names = {"circles",      "squares", "triangles", "stripes", "checkerboard",
                                                   "rings",        "crosses", "dots",      "waves",   "stars"};
    return names;
}

uint64_t demoImageSeed(uint64_t datasetSeed, DemoSplit split, int64_t index)
{
    return mix(mix(datasetSeed ^ (0xA5A5000000000000ULL + uint64_t(split))) + uint64_t(index));
}

std::vector<int> demoSplitLabels(const DemoOptions& options, DemoSplit split)
{
    if (split == DemoSplit::Unlabeled) {
        std::vector<int> labels(std::size_t(std::max(options.unlabeled, 0)));
        for (std::size_t n = 0; n < labels.size(); ++n)
            labels[n] = unlabeledLabel(options.seed, int64_t(n));
        return labels;
    }
    const int perClass = std::max(split == DemoSplit::Train ? options.trainPerClass : options.testPerClass, 0);
    std::vector<int> labels;
    labels.reserve(std::size_t(perClass) * kDemoClassCount);
    for (int c = 0; c < kDemoClassCount; ++c)
        labels.insert(labels.end(), std::size_t(perClass), c);
    // Shuffled like the real set: a reader must not rely on the classes coming in blocks.
    std::mt19937_64 engine(mix(options.seed ^ (0x3C3C000000000000ULL + uint64_t(split))));
    shuffle(labels, engine);
    return labels;
}

std::vector<std::vector<int64_t>> demoFoldIndices(const DemoOptions& options)
{
    const std::vector<int> labels = demoSplitLabels(options, DemoSplit::Train);
    const int64_t total = int64_t(labels.size());
    const int64_t foldSize = total / 5;
    std::vector<std::vector<int64_t>> byClass(kDemoClassCount);
    for (int64_t i = 0; i < total; ++i)
        byClass[std::size_t(labels[std::size_t(i)])].push_back(i);

    std::vector<std::vector<int64_t>> folds;
    for (int f = 0; f < kFoldCount; ++f) {
        std::mt19937_64 engine(mix(options.seed ^ (0xF01D000000000000ULL + uint64_t(f))));
        // Stratified: the same share of every class, then the remainder (when perClass is not
        // a multiple of 5) drawn from what is left, so small folds still see all classes.
        std::vector<int64_t> fold, rest;
        for (auto members : byClass) {
            shuffle(members, engine);
            const std::size_t take = members.size() / 5;
            fold.insert(fold.end(), members.begin(), members.begin() + std::ptrdiff_t(take));
            rest.insert(rest.end(), members.begin() + std::ptrdiff_t(take), members.end());
        }
        shuffle(rest, engine);
        fold.insert(fold.end(), rest.begin(), rest.begin() + std::ptrdiff_t(foldSize - int64_t(fold.size())));
        std::sort(fold.begin(), fold.end());
        folds.push_back(std::move(fold));
    }
    return folds;
}

bool writeDemoStl10(const std::string& dir, const DemoOptions& options,
                    const std::function<bool(int64_t done, int64_t total)>& progress)
{
    validate(options);
    const fs::path root = fs::path(dir) / "stl10_binary";
    std::error_code ec;
    const bool existed = fs::is_directory(root, ec);
    fs::create_directories(root, ec);
    if (ec)
        throw std::runtime_error(root.string() + ": cannot create the folder (" + ec.message() + ")");

    StagedFiles files(root, !existed);
    const int64_t trainCount = int64_t(options.trainPerClass) * kDemoClassCount;
    const int64_t testCount = int64_t(options.testPerClass) * kDemoClassCount;
    Progress ticker(progress, trainCount + testCount + options.unlabeled);
    if (!ticker.report())
        return false;

    std::string names;
    for (const auto& name : demoClassNames())
        names += name + "\n";
    writeText(files, "class_names.txt", names);

    std::string folds;
    for (const auto& fold : demoFoldIndices(options)) {
        for (std::size_t i = 0; i < fold.size(); ++i)
            folds += (i ? " " : "") + std::to_string(fold[i]);
        folds += "\n";
    }
    writeText(files, "fold_indices.txt", folds);

    for (const DemoSplit split : {DemoSplit::Train, DemoSplit::Test}) {
        const std::vector<int> labels = demoSplitLabels(options, split);
        const auto labelOf = [&labels](int64_t n) { return labels[std::size_t(n)]; };
        if (!writeSplit(files, split == DemoSplit::Train ? "train" : "test", int64_t(labels.size()), options.seed,
                        split, labelOf, true, ticker))
            return false;
    }
    const uint64_t seed = options.seed;
    const auto unlabeledOf = [seed](int64_t n) { return unlabeledLabel(seed, n); };
    if (!writeSplit(files, "unlabeled", options.unlabeled, seed, DemoSplit::Unlabeled, unlabeledOf, false, ticker))
        return false;

    if (!ticker.report())  // the final (total, total) call may still cancel
        return false;
    files.commit();
    return true;
}

}  // namespace deepsvm
