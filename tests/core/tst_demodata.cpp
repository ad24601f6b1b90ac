// Tests of the synthetic STL-10 generator (core/data/DemoData.h): exact file layout, sizes,
// labels, folds, determinism, cancellation, and that the classes are separable at all.

#include "data/DemoData.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>

using namespace deepsvm;
namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> readLines(const std::string& path)
{
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

/// Record n of an *_X.bin file decoded the way the official reader does:
/// reshape(-1, 3, 96, 96).transpose(0, 3, 2, 1) -> HWC.
std::vector<unsigned char> decodeRecord(const std::string& file, int64_t n)
{
    std::vector<unsigned char> hwc(static_cast<std::size_t>(kDemoImageBytes));
    const auto* record = reinterpret_cast<const unsigned char*>(file.data() + n * kDemoImageBytes);
    for (int c = 0; c < 3; ++c)
        for (int x = 0; x < kDemoSide; ++x)
            for (int r = 0; r < kDemoSide; ++r)
                hwc[std::size_t((r * kDemoSide + x) * 3 + c)] = record[c * kDemoSide * kDemoSide + x * kDemoSide + r];
    return hwc;
}

std::string bin(const QTemporaryDir& dir, const char* name)
{
    return (fs::path(dir.path().toStdString()) / "stl10_binary" / name).string();
}

std::vector<std::string> filesIn(const fs::path& dir)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

/// A colour- and position-free descriptor for the separability check: the magnitude-weighted
/// histogram of gradient orientations on the greyscale image, rotated so its peak comes first
/// (the classes are drawn at random rotations), plus edge density statistics.
std::vector<double> structureFeatures(const std::vector<unsigned char>& rgb)
{
    constexpr int s = kDemoSide / 2;  // 2x2 box-downsampled greyscale
    std::vector<double> grey(s * s, 0.0);
    for (int y = 0; y < kDemoSide; ++y)
        for (int x = 0; x < kDemoSide; ++x) {
            const unsigned char* p = &rgb[std::size_t((y * kDemoSide + x) * 3)];
            grey[std::size_t((y / 2) * s + x / 2)] += (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) / 4.0;
        }
    double mean = 0, var = 0;
    for (double v : grey)
        mean += v / grey.size();
    for (double v : grey)
        var += (v - mean) * (v - mean) / grey.size();
    const double sd = std::sqrt(var) + 1e-6;

    std::array<double, 12> hist{};
    double total = 0;
    int strong = 0, count = 0;
    for (int y = 1; y < s - 1; ++y)
        for (int x = 1; x < s - 1; ++x) {
            const double gx = (grey[std::size_t(y * s + x + 1)] - grey[std::size_t(y * s + x - 1)]) / sd;
            const double gy = (grey[std::size_t((y + 1) * s + x)] - grey[std::size_t((y - 1) * s + x)]) / sd;
            const double magnitude = std::hypot(gx, gy);
            double angle = std::atan2(gy, gx);
            if (angle < 0)
                angle += kPi;
            hist[std::size_t(std::min(11, int(angle / kPi * 12)))] += magnitude;
            total += magnitude;
            strong += magnitude > 0.5;
            ++count;
        }
    const auto peak = std::size_t(std::max_element(hist.begin(), hist.end()) - hist.begin());
    std::vector<double> features;
    for (std::size_t i = 0; i < hist.size(); ++i)
        features.push_back(4.0 * hist[(peak + i) % hist.size()] / (total + 1e-9));
    features.push_back(total / count);
    features.push_back(3.0 * strong / count);
    return features;
}

/// 4x4 box-downsampled greyscale (24x24): the naive baseline.
std::vector<double> rawGrey(const std::vector<unsigned char>& rgb)
{
    std::vector<double> grey(24 * 24, 0.0);
    for (int y = 0; y < kDemoSide; ++y)
        for (int x = 0; x < kDemoSide; ++x) {
            const unsigned char* p = &rgb[std::size_t((y * kDemoSide + x) * 3)];
            grey[std::size_t((y / 4) * 24 + x / 4)] += (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) / 16.0;
        }
    return grey;
}

/// Nearest-class-mean accuracy on images rendered straight from the generator.
double nearestMeanAccuracy(const std::function<std::vector<double>(const std::vector<unsigned char>&)>& describe,
                           int trainPerClass, int testPerClass)
{
    std::vector<std::vector<double>> means(kDemoClassCount);
    for (int c = 0; c < kDemoClassCount; ++c)
        for (int i = 0; i < trainPerClass; ++i) {
            const auto f = describe(renderDemoImage(c, demoImageSeed(7, DemoSplit::Train, c * 1000 + i)));
            means[std::size_t(c)].resize(f.size(), 0.0);
            for (std::size_t k = 0; k < f.size(); ++k)
                means[std::size_t(c)][k] += f[k] / trainPerClass;
        }
    int correct = 0;
    for (int c = 0; c < kDemoClassCount; ++c)
        for (int i = 0; i < testPerClass; ++i) {
            const auto f = describe(renderDemoImage(c, demoImageSeed(7, DemoSplit::Test, c * 1000 + i)));
            int best = -1;
            double bestDistance = 1e300;
            for (int k = 0; k < kDemoClassCount; ++k) {
                double d = 0;
                for (std::size_t j = 0; j < f.size(); ++j)
                    d += (f[j] - means[std::size_t(k)][j]) * (f[j] - means[std::size_t(k)][j]);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = k;
                }
            }
            correct += best == c;
        }
    return double(correct) / (kDemoClassCount * testPerClass);
}

}  // namespace

class TestDemoData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void classNames();
    void renderIsPureAndChecked();
    void fileSizesAndLabels();
    void columnMajorLayout();
    void imagesIndependentOfCounts();
    void determinism();
    void foldIndices();
    void progressReports();
    void cancelLeavesNothing();
    void cancelKeepsExistingDataSet();
    void invalidArguments();
    void ioFailureNamesThePath();
    void classesSeparable();
};

void TestDemoData::classNames()
{
    const auto& names = demoClassNames();
    QCOMPARE(int(names.size()), kDemoClassCount);
    QCOMPARE(int(std::set<std::string>(names.begin(), names.end()).size()), kDemoClassCount);
}

void TestDemoData::renderIsPureAndChecked()
{
    const auto a = renderDemoImage(3, 12345);
    QCOMPARE(int64_t(a.size()), kDemoImageBytes);
    renderDemoImage(7, 999);  // any interleaved call must not change the next result
    QVERIFY(renderDemoImage(3, 12345) == a);
    QVERIFY(renderDemoImage(3, 12346) != a);
    QVERIFY(renderDemoImage(4, 12345) != a);
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, renderDemoImage(-1, 1));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, renderDemoImage(10, 1));
}

void TestDemoData::fileSizesAndLabels()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const DemoOptions options{3, 2, 7, 5};
    QVERIFY(writeDemoStl10(dir.path().toStdString(), options));

    QCOMPARE(int64_t(fs::file_size(bin(dir, "train_X.bin"))), 30 * kDemoImageBytes);
    QCOMPARE(int64_t(fs::file_size(bin(dir, "test_X.bin"))), 20 * kDemoImageBytes);
    QCOMPARE(int64_t(fs::file_size(bin(dir, "unlabeled_X.bin"))), 7 * kDemoImageBytes);
    QCOMPARE(int64_t(fs::file_size(bin(dir, "train_y.bin"))), int64_t(30));
    QCOMPARE(int64_t(fs::file_size(bin(dir, "test_y.bin"))), int64_t(20));
    QCOMPARE(readLines(bin(dir, "class_names.txt")), demoClassNames());
    // Exactly the seven files, no leftovers.
    QCOMPARE(filesIn(fs::path(bin(dir, "train_X.bin")).parent_path()),
             (std::vector<std::string>{"class_names.txt", "fold_indices.txt", "test_X.bin", "test_y.bin", "train_X.bin",
                                       "train_y.bin", "unlabeled_X.bin"}));

    const std::array<std::pair<const char*, int>, 2> labelFiles{{{"train_y.bin", 3}, {"test_y.bin", 2}}};
    for (const auto& [name, perClass] : labelFiles) {
        const std::string labels = readAll(bin(dir, name));
        std::array<int, kDemoClassCount> counts{};
        for (const char byte : labels) {
            const int v = static_cast<unsigned char>(byte);
            QVERIFY2(v >= 1 && v <= 10, name);
            ++counts[std::size_t(v - 1)];
        }
        for (int c : counts)
            QCOMPARE(c, perClass);
    }
    // Shuffled, not in class blocks (3 per class in blocks would be 1,1,1,2,2,2,...).
    const std::string train = readAll(bin(dir, "train_y.bin"));
    QVERIFY(!std::is_sorted(train.begin(), train.end()));

    // K = 0 still writes an (empty) unlabeled file.
    QTemporaryDir empty;
    QVERIFY(writeDemoStl10(empty.path().toStdString(), DemoOptions{1, 0, 0, 5}));
    QVERIFY(fs::exists(bin(empty, "unlabeled_X.bin")));
    QCOMPARE(int64_t(fs::file_size(bin(empty, "unlabeled_X.bin"))), int64_t(0));
    QCOMPARE(int64_t(fs::file_size(bin(empty, "test_X.bin"))), int64_t(0));
}

void TestDemoData::columnMajorLayout()
{
    QTemporaryDir dir;
    const DemoOptions options{2, 2, 3, 42};
    QVERIFY(writeDemoStl10(dir.path().toStdString(), options));
    const std::string trainX = readAll(bin(dir, "train_X.bin"));
    const std::string trainY = readAll(bin(dir, "train_y.bin"));
    const auto labels = demoSplitLabels(options, DemoSplit::Train);
    QCOMPARE(int(labels.size()), 20);

    for (const int64_t n : {int64_t(0), int64_t(7), int64_t(19)}) {
        const auto expected = renderDemoImage(labels[std::size_t(n)], demoImageSeed(options.seed, DemoSplit::Train, n));
        QCOMPARE(int(static_cast<unsigned char>(trainY[std::size_t(n)])), labels[std::size_t(n)] + 1);
        QVERIFY(decodeRecord(trainX, n) == expected);
        // The offset formula spelled out for a few pixels, including non-square positions.
        const std::array<std::array<int, 3>, 4> probes{{{0, 0, 1}, {1, 5, 90}, {2, 95, 3}, {2, 40, 41}}};
        for (const auto& [c, r, x] : probes) {
            const auto byte = static_cast<unsigned char>(trainX[std::size_t(n * 27648 + c * 9216 + x * 96 + r)]);
            QCOMPARE(int(byte), int(expected[std::size_t((r * 96 + x) * 3 + c)]));
        }
        // Guard against a test that cannot fail: row-major planes would decode differently.
        std::vector<unsigned char> rowMajor(expected.size());
        const auto* record = reinterpret_cast<const unsigned char*>(trainX.data() + n * kDemoImageBytes);
        for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 9216; ++i)
                rowMajor[std::size_t(i * 3 + c)] = record[c * 9216 + i];
        QVERIFY(rowMajor != expected);
    }

    const std::string testX = readAll(bin(dir, "test_X.bin"));
    const auto testLabels = demoSplitLabels(options, DemoSplit::Test);
    QVERIFY(decodeRecord(testX, 11) == renderDemoImage(testLabels[11], demoImageSeed(options.seed, DemoSplit::Test, 11)));

    const std::string unlabeledX = readAll(bin(dir, "unlabeled_X.bin"));
    const auto hidden = demoSplitLabels(options, DemoSplit::Unlabeled);
    QCOMPARE(int(hidden.size()), 3);
    for (int n = 0; n < 3; ++n) {
        QVERIFY(hidden[std::size_t(n)] >= 0 && hidden[std::size_t(n)] < kDemoClassCount);
        QVERIFY(decodeRecord(unlabeledX, n)
                == renderDemoImage(hidden[std::size_t(n)], demoImageSeed(options.seed, DemoSplit::Unlabeled, n)));
    }
}

void TestDemoData::imagesIndependentOfCounts()
{
    // Image n is a function of (label, seed, split, n) only: a bigger run repeats a smaller
    // run's pictures wherever the shuffled labels agree, and unlabeled images always agree.
    QTemporaryDir small, large;
    const DemoOptions a{2, 1, 3, 9}, b{4, 1, 6, 9};
    QVERIFY(writeDemoStl10(small.path().toStdString(), a));
    QVERIFY(writeDemoStl10(large.path().toStdString(), b));
    const std::string ua = readAll(bin(small, "unlabeled_X.bin")), ub = readAll(bin(large, "unlabeled_X.bin"));
    QCOMPARE(ub.substr(0, ua.size()), ua);

    const auto la = demoSplitLabels(a, DemoSplit::Train), lb = demoSplitLabels(b, DemoSplit::Train);
    const std::string xa = readAll(bin(small, "train_X.bin")), xb = readAll(bin(large, "train_X.bin"));
    int same = 0;
    for (std::size_t n = 0; n < la.size(); ++n) {
        const bool equal = xa.compare(n * kDemoImageBytes, kDemoImageBytes, xb, n * kDemoImageBytes, kDemoImageBytes) == 0;
        QCOMPARE(equal, la[n] == lb[n]);
        same += equal;
    }
    qInfo("%d of %d leading training images shared between the two runs", same, int(la.size()));
}

void TestDemoData::determinism()
{
    QTemporaryDir one, two, other;
    const DemoOptions options{3, 2, 4, 77};
    QVERIFY(writeDemoStl10(one.path().toStdString(), options));
    QVERIFY(writeDemoStl10(two.path().toStdString(), options));
    DemoOptions changed = options;
    changed.seed = 78;
    QVERIFY(writeDemoStl10(other.path().toStdString(), changed));
    for (const char* name : {"train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "unlabeled_X.bin",
                             "class_names.txt", "fold_indices.txt"}) {
        QVERIFY2(readAll(bin(one, name)) == readAll(bin(two, name)), name);
    }
    for (const char* name : {"train_X.bin", "train_y.bin", "test_X.bin", "unlabeled_X.bin", "fold_indices.txt"})
        QVERIFY2(readAll(bin(one, name)) != readAll(bin(other, name)), name);
}

void TestDemoData::foldIndices()
{
    for (const int perClass : {5, 7, 1}) {
        QTemporaryDir dir;
        const DemoOptions options{perClass, 0, 0, 3};
        QVERIFY(writeDemoStl10(dir.path().toStdString(), options));
        const int64_t total = int64_t(perClass) * kDemoClassCount;
        const auto lines = readLines(bin(dir, "fold_indices.txt"));
        QCOMPARE(int(lines.size()), 10);
        const auto labels = demoSplitLabels(options, DemoSplit::Train);
        const auto expected = demoFoldIndices(options);
        std::set<std::vector<int64_t>> distinct;
        for (std::size_t f = 0; f < lines.size(); ++f) {
            QVERIFY2(lines[f].find("  ") == std::string::npos && lines[f].front() != ' ' && lines[f].back() != ' ',
                     "single spaces between indices only");
            std::istringstream words(lines[f]);
            std::vector<int64_t> fold;
            for (int64_t v; words >> v;) {
                QVERIFY(v >= 0 && v < total);
                fold.push_back(v);
            }
            QVERIFY(words.eof());
            QCOMPARE(int64_t(fold.size()), total / 5);
            QCOMPARE(int(std::set<int64_t>(fold.begin(), fold.end()).size()), int(fold.size()));
            QVERIFY(fold == expected[f]);
            distinct.insert(fold);
            if (perClass % 5 == 0) {  // stratified exactly when the share is a whole number
                std::array<int, kDemoClassCount> counts{};
                for (int64_t v : fold)
                    ++counts[std::size_t(labels[std::size_t(v)])];
                for (int c : counts)
                    QCOMPARE(c, perClass / 5);
            }
        }
        QVERIFY(distinct.size() > 1);  // the folds are different subsets
    }
}

void TestDemoData::progressReports()
{
    QTemporaryDir dir;
    const DemoOptions options{4, 3, 50, 1};
    std::vector<std::pair<int64_t, int64_t>> calls;
    QVERIFY(writeDemoStl10(dir.path().toStdString(), options, [&calls](int64_t done, int64_t total) {
        calls.emplace_back(done, total);
        return true;
    }));
    QVERIFY(calls.size() >= 3);
    QCOMPARE(calls.front().first, int64_t(0));
    QCOMPARE(calls.back().first, int64_t(120));
    for (std::size_t i = 0; i < calls.size(); ++i) {
        QCOMPARE(calls[i].second, int64_t(120));
        if (i)
            QVERIFY(calls[i].first >= calls[i - 1].first);
    }
}

void TestDemoData::cancelLeavesNothing()
{
    // Cancel at the very start, in the training images, and in the unlabeled stream (from 80 on).
    for (const int64_t cancelAt : {int64_t(0), int64_t(20), int64_t(90)}) {
        QTemporaryDir dir;
        int64_t seen = -1;
        const bool finished = writeDemoStl10(dir.path().toStdString(), DemoOptions{4, 4, 200, 1},
                                             [&](int64_t done, int64_t) {
                                                 seen = done;
                                                 return done < cancelAt;
                                             });
        QVERIFY(!finished);
        QVERIFY(seen >= cancelAt && seen < 280);  // stopped at the first report past the threshold
        const fs::path root = fs::path(dir.path().toStdString()) / "stl10_binary";
        // We created the folder, so it goes again; in any case no files at all remain in it.
        QVERIFY2(filesIn(root).empty(), cancelAt ? "files left after cancel" : "files left after early cancel");
        QVERIFY(!fs::exists(root));
    }
}

void TestDemoData::cancelKeepsExistingDataSet()
{
    QTemporaryDir dir;
    QVERIFY(writeDemoStl10(dir.path().toStdString(), DemoOptions{2, 1, 0, 1}));
    const std::string before = readAll(bin(dir, "train_X.bin"));
    QVERIFY(!writeDemoStl10(dir.path().toStdString(), DemoOptions{5, 5, 0, 2},
                            [](int64_t done, int64_t) { return done < 64; }));
    QCOMPARE(readAll(bin(dir, "train_X.bin")), before);
    QCOMPARE(int(filesIn(fs::path(bin(dir, "train_X.bin")).parent_path()).size()), 7);  // no *.part left
}

void TestDemoData::invalidArguments()
{
    QTemporaryDir dir;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, writeDemoStl10(dir.path().toStdString(), DemoOptions{0, 1, 0, 1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, writeDemoStl10(dir.path().toStdString(), DemoOptions{1, -1, 0, 1}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, writeDemoStl10(dir.path().toStdString(), DemoOptions{1, 1, -5, 1}));
}

void TestDemoData::ioFailureNamesThePath()
{
    QTemporaryDir dir;
    const std::string blocker = (fs::path(dir.path().toStdString()) / "not-a-folder").string();
    std::ofstream(blocker) << "x";
    try {
        writeDemoStl10(blocker, DemoOptions{1, 1, 0, 1});
        QFAIL("expected std::runtime_error");
    } catch (const std::runtime_error& e) {
        QVERIFY2(std::string(e.what()).find(blocker) != std::string::npos, e.what());
    }
}

void TestDemoData::classesSeparable()
{
    // No torch here: a nearest-class-mean classifier on colour-free structure features must be
    // far above the 10 % chance level. (Raw downsampled grey pixels are near chance by design:
    // colour, polarity, position and rotation are random per image.)
    const double structure = nearestMeanAccuracy(structureFeatures, 60, 40);
    const double raw = nearestMeanAccuracy(rawGrey, 60, 40);
    qInfo("nearest class mean, 10 classes, 60 train / 40 test per class: structure features %.1f %%, "
          "raw 24x24 grey %.1f %%",
          100 * structure, 100 * raw);
    QVERIFY2(structure > 0.5, "classes not separable by simple structure features");
}

QTEST_GUILESS_MAIN(TestDemoData)
#include "tst_demodata.moc"
