// Networks against torchvision: weights files, forward outputs, preprocessing, bf16.
#include "TestSupport.h"

#include "features/Npy.h"
#include "features/Preprocess.h"
#include "nets/CpuMemoryCache.h"
#include "nets/InferenceNet.h"
#include "nets/TorchSetup.h"
#include "nets/Weights.h"

#include <c10/core/CPUAllocator.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace deepsvm;

namespace {

torch::Tensor loadNpy(const QString& path)
{
    NpyArray<float> a = readNpyFloat(path.toStdString());
    std::vector<int64_t> shape = a.shape;
    return torch::from_blob(a.data.data(), shape, torch::kFloat32).clone();
}

/// max |a - b| / max |b|: the tolerance the equivalence checks use.
double relativeError(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>() / std::max(1e-12, b.abs().max().item<double>());
}

std::vector<RgbImage> randomImages(int n, int w, int h, unsigned seed)
{
    std::mt19937 rng(seed);
    std::vector<RgbImage> out;
    for (int i = 0; i < n; ++i) {
        RgbImage img;
        img.width = w;
        img.height = h;
        img.pixels.resize(std::size_t(w * h * 3));
        // Smooth gradients plus noise: closer to photos than white noise.
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < 3; ++c)
                    img.pixels[std::size_t((y * w + x) * 3 + c)] =
                        std::uint8_t((x * (c + 1) * 255 / w + y * 255 / h + int(rng() % 64)) % 256);
        out.push_back(std::move(img));
    }
    return out;
}

torch::Tensor batch(const std::vector<RgbImage>& images, const PreprocessOptions& o)
{
    std::vector<torch::Tensor> xs;
    for (const auto& img : images)
        xs.push_back(preprocess(img, o));
    return torch::stack(xs);
}

}  // namespace

class TestResNet : public QObject {
    Q_OBJECT
private:
    double torchvisionPreprocessGap(const RgbImage& image, int size, const QString& norm);

private Q_SLOTS:
    void initTestCase();
    void forwardMatchesTorchvision_data();
    void forwardMatchesTorchvision();
    void preprocessMatchesTorchvision_data();
    void preprocessMatchesTorchvision();
    void windowedPreprocessMatchesLibTorch_data();
    void windowedPreprocessMatchesLibTorch();
    void extremeShapesMatchTorchvision();
    void stateDictNamesAndOrderMatchTorchvision();
    void fusedMatchesModuleAcrossShapes();
    void bf16CloseToFp32();
    void cpuMemoryCacheReusesBlocksWithinItsCap();
    void torchScriptArchive();
    void writtenWeightsLoadInTorchvision();
    void mismatchedWeightsNameTheKeys();
    void classCountComesFromTheFile();
    void unknownBackbone();

private:
    QTemporaryDir m_tmp;
    bool m_reference = false;
};

void TestResNet::initTestCase()
{
    setUpTorch();
    m_reference = test::referenceAvailable();
}

void TestResNet::forwardMatchesTorchvision_data()
{
    QTest::addColumn<QString>("arch");
    QTest::addColumn<int>("size");
    QTest::addColumn<QString>("norm");
    QTest::newRow("resnet18 224 imagenet") << QStringLiteral("resnet18") << 224 << QStringLiteral("imagenet");
    QTest::newRow("resnet50 224 imagenet") << QStringLiteral("resnet50") << 224 << QStringLiteral("imagenet");
    QTest::newRow("resnet50 96 half") << QStringLiteral("resnet50") << 96 << QStringLiteral("half");
}

void TestResNet::forwardMatchesTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    QFETCH(QString, arch);
    QFETCH(int, size);
    QFETCH(QString, norm);
    const QString dir = m_tmp.path() + QLatin1Char('/') + QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'));
    QDir().mkpath(dir);
    const QString weights = dir + QStringLiteral("/w.pth");
    auto r = test::runReference({QStringLiteral("weights"), arch, weights, QStringLiteral("3")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto images = randomImages(3, 96, 96, 11);
    QVERIFY(test::saveImagesNpy(dir + QStringLiteral("/images.npy"), images));
    r = test::runReference({QStringLiteral("forward"), arch, weights, dir + QStringLiteral("/images.npy"),
                            QString::number(size), norm, dir});
    QVERIFY2(r.exitCode == 0, r.err.constData());

    PreprocessOptions o;
    o.size = size;
    o.normalization = parseNormalization(norm.toStdString());
    const torch::Tensor input = batch(images, o);
    QVERIFY(relativeError(input, loadNpy(dir + QStringLiteral("/input.npy"))) < 1e-6);

    WeightsInfo info;
    ResNet net = makeResNet(arch.toStdString(), weights.toStdString(), &info);
    net->eval();
    const torch::Tensor refPooled = loadNpy(dir + QStringLiteral("/pooled.npy"));
    const torch::Tensor refLogits = loadNpy(dir + QStringLiteral("/logits.npy"));
    {
        torch::NoGradGuard g;
        const double e = relativeError(net->features(input), refPooled);
        QVERIFY2(e < 1e-4, qPrintable(QStringLiteral("module pooled rel. error %1").arg(e)));
    }
    const std::pair<ActivationLayout, ConvAlgorithm> variants[] = {
        {ActivationLayout::Fused, ConvAlgorithm::Direct},
        {ActivationLayout::Fused, ConvAlgorithm::Winograd},
        {ActivationLayout::Blocked, ConvAlgorithm::Direct},
        {ActivationLayout::ChannelsLast, ConvAlgorithm::Direct},
    };
    for (const auto& [layout, algorithm] : variants) {
        const QString name = QString::fromStdString(activationLayoutName(layout) + " " + convAlgorithmName(algorithm));
        const InferenceNet fast(net, Precision::Float32, layout, algorithm);
        const auto out = fast.forward(input);
        const double ePooled = relativeError(out.pooled, refPooled);
        const double eLogits = relativeError(out.logits, refLogits);
        qInfo("%s, %s: folded fp32 rel. error pooled %.2e, logits %.2e", qPrintable(arch), qPrintable(name), ePooled,
              eLogits);
        QVERIFY2(ePooled < 1e-4, qPrintable(QStringLiteral("%1 pooled rel. error %2").arg(name).arg(ePooled)));
        QVERIFY2(eLogits < 1e-4, qPrintable(QStringLiteral("%1 logits rel. error %2").arg(name).arg(eLogits)));
    }
}

/// The fused network plans per input shape and shares its buffers between plans: shapes that
/// grow, shrink, are odd (the max pool's right padding) or come back must all give the
/// module's features, and no convolution may run oneDNN's slow reference kernel.
void TestResNet::fusedMatchesModuleAcrossShapes()
{
    struct Shape {
        int n, w, h;
    };
    const Shape shapes[] = {{2, 64, 64}, {3, 97, 61}, {1, 33, 45}, {2, 64, 64}};
    for (const char* arch : {"resnet18", "resnet50"}) {
        WeightsInfo info;
        ResNet net = makeResNet(arch, "random", &info, 9);
        net->eval();
        for (const ConvAlgorithm algorithm : {ConvAlgorithm::Direct, ConvAlgorithm::Winograd}) {
            const InferenceNet fused(net, Precision::Float32, ActivationLayout::Fused, algorithm);
            QCOMPARE(int(fused.layout()), int(ActivationLayout::Fused));
            for (const Shape& s : shapes) {
                const torch::Tensor input = torch::randn({s.n, 3, s.h, s.w});
                torch::Tensor expected;
                {
                    torch::NoGradGuard g;
                    expected = net->features(input);
                }
                const torch::Tensor got = fused.forward(input).pooled;
                QCOMPARE(got.sizes().vec(), expected.sizes().vec());
                const double e = relativeError(got, expected);
                QVERIFY2(e < 1e-4, qPrintable(QStringLiteral("%1 %2 %3x%4x%5: rel. error %6")
                                                  .arg(QLatin1String(arch))
                                                  .arg(QString::fromStdString(convAlgorithmName(algorithm)))
                                                  .arg(s.n)
                                                  .arg(s.h)
                                                  .arg(s.w)
                                                  .arg(e)));
                const std::vector<std::string> impls = fused.implementations();
                QVERIFY(!impls.empty());
                for (const std::string& impl : impls)
                    QVERIFY2(impl.rfind("ref", 0) != 0, impl.c_str());
            }
        }
    }
}

void TestResNet::preprocessMatchesTorchvision_data()
{
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("size");
    QTest::addColumn<QString>("norm");
    QTest::newRow("stl 96 -> 224 (upscale)") << 96 << 96 << 224 << QStringLiteral("imagenet");
    QTest::newRow("same size (no-op)") << 64 << 64 << 64 << QStringLiteral("imagenet");
    QTest::newRow("landscape shrink, antialiased") << 300 << 200 << 96 << QStringLiteral("imagenet");
    QTest::newRow("portrait, odd crop") << 57 << 101 << 45 << QStringLiteral("half");
    QTest::newRow("portrait upscale") << 33 << 50 << 64 << QStringLiteral("half");
}

/// Largest difference between preprocess() and torchvision's Resize + CenterCrop + Normalize
/// (tests/python/torchvision_reference.py) on one image; -1 when the reference failed.
double TestResNet::torchvisionPreprocessGap(const RgbImage& image, int size, const QString& norm)
{
    const QString in = m_tmp.path() + QStringLiteral("/pre_in.npy");
    const QString out = m_tmp.path() + QStringLiteral("/pre_out.npy");
    if (!test::saveImagesNpy(in, {image}))
        return -1;
    // The reference takes one H x W x 3 image: drop the leading 1 by re-saving in Python.
    const auto r = test::runProcess(test::referencePython(),
                                    {QStringLiteral("-c"),
                                     QStringLiteral("import numpy as np, sys; np.save(sys.argv[1], np.load(sys.argv[1])[0])"), in});
    const auto r2 = test::runReference({QStringLiteral("preprocess"), in, QString::number(size), norm, out});
    if (r.exitCode != 0 || r2.exitCode != 0) {
        qWarning("reference failed: %s %s", r.err.constData(), r2.err.constData());
        return -1;
    }
    PreprocessOptions o;
    o.size = size;
    o.normalization = parseNormalization(norm.toStdString());
    const torch::Tensor mine = preprocess(image, o);
    const torch::Tensor ref = loadNpy(out);
    if (mine.sizes().vec() != ref.sizes().vec())
        return -1;
    return (mine - ref).abs().max().item<double>();
}

void TestResNet::preprocessMatchesTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    QFETCH(int, w);
    QFETCH(int, h);
    QFETCH(int, size);
    QFETCH(QString, norm);
    const auto images = randomImages(1, w, h, unsigned(w * 31 + h));
    const double e = torchvisionPreprocessGap(images.front(), size, norm);
    QVERIFY2(e >= 0, "the reference could not run");
    QVERIFY2(e < 1e-6, qPrintable(QStringLiteral("max abs difference %1").arg(e)));
}

void TestResNet::windowedPreprocessMatchesLibTorch_data()
{
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("size");
    QTest::newRow("stl 96 -> 224 (upscale)") << 96 << 96 << 224;
    QTest::newRow("same size") << 64 << 64 << 64;
    QTest::newRow("landscape shrink") << 300 << 200 << 96;
    QTest::newRow("portrait, odd crop") << 57 << 101 << 45;
    QTest::newRow("large photo shrink") << 1600 << 1200 << 224;
    QTest::newRow("1 x 700 strip") << 700 << 1 << 64;
    QTest::newRow("3 x 2000 tower") << 3 << 2000 << 45;
}

void TestResNet::windowedPreprocessMatchesLibTorch()
{
    QFETCH(int, w);
    QFETCH(int, h);
    QFETCH(int, size);
    const RgbImage image = randomImages(1, w, h, unsigned(w * 7 + h)).front();
    PreprocessOptions o;
    o.size = size;
    o.path = PreprocessOptions::Path::Whole;
    const torch::Tensor whole = preprocess(image, o);
    o.path = PreprocessOptions::Path::Windowed;
    const torch::Tensor windowed = preprocess(image, o);
    QCOMPARE(windowed.sizes().vec(), whole.sizes().vec());
    const double e = (windowed - whole).abs().max().item<double>();
    // LibTorch's weights to the bit; its vectorised sums are reproduced exactly when
    // upscaling and within a few ulps (of values near 2) when downscaling.
    QVERIFY2(e < 2e-6, qPrintable(QStringLiteral("max abs difference %1").arg(e)));
    if (image.width <= size && image.height <= size)
        QVERIFY2(e == 0, qPrintable(QStringLiteral("upscaling: max abs difference %1").arg(e)));
}

void TestResNet::extremeShapesMatchTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    // Resized whole, these would be 64 x 320,000 and 245,000 x 70 pixels: preprocess() takes
    // the windowed path on its own, and torchvision can still check it at this size.
    struct Shape { int w, h, size; };
    for (const Shape s : {Shape{5000, 1, 64}, Shape{20, 70000, 70}}) {
        QVERIFY(preprocessIsWindowed(s.h, s.w, s.size));
        const RgbImage image = randomImages(1, s.w, s.h, unsigned(s.w + s.h)).front();
        const double e = torchvisionPreprocessGap(image, s.size, QStringLiteral("imagenet"));
        QVERIFY2(e >= 0, "the reference could not run");
        QVERIFY2(e < 1e-6, qPrintable(QStringLiteral("%1 x %2: max abs difference %3").arg(s.w).arg(s.h).arg(e)));
    }
}

void TestResNet::stateDictNamesAndOrderMatchTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    for (const char* arch : {"resnet18", "resnet50"}) {
        const QString weights = m_tmp.path() + QStringLiteral("/keys_%1.pth").arg(QLatin1String(arch));
        auto r = test::runReference({QStringLiteral("weights"), QLatin1String(arch), weights, QStringLiteral("1")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        r = test::runReference({QStringLiteral("keys"), weights});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QStringList lines = QString::fromUtf8(r.out).trimmed().split(QLatin1Char('\n'));
        ResNet net(resnetSpec(arch), 1000);
        const NamedTensors mine = stateDict(net);
        QCOMPARE(int(mine.size()), lines.size());
        for (std::size_t i = 0; i < mine.size(); ++i)
            QCOMPARE(QString::fromStdString(mine[i].first), lines[int(i)].section(QLatin1Char('\t'), 0, 0));
    }
}

void TestResNet::bf16CloseToFp32()
{
    for (const char* arch : {"resnet18", "resnet50"}) {
        WeightsInfo info;
        ResNet net = makeResNet(arch, "random", &info, 5);
        net->eval();
        PreprocessOptions o;
        o.size = 96;
        const torch::Tensor input = batch(randomImages(4, 96, 96, 3), o);
        const auto a = InferenceNet(net, Precision::Float32).forward(input).pooled;
        const auto b = InferenceNet(net, Precision::BFloat16).forward(input).pooled;
        QCOMPARE(b.scalar_type(), torch::kFloat32);
        const torch::Tensor cos = torch::cosine_similarity(a, b, 1);
        const double worst = cos.min().item<double>();
        qInfo("%s: bf16 vs fp32 worst cosine similarity %.6f", arch, worst);
        QVERIFY2(worst >= 0.999, qPrintable(QStringLiteral("cosine %1").arg(worst)));
    }
}

/// Freed activation-sized blocks come back for the next request of their size (so a second
/// batch faults no pages in), what is kept never exceeds the cap, and release empties it.
void TestResNet::cpuMemoryCacheReusesBlocksWithinItsCap()
{
    const std::size_t cap = 64u << 20;
    installCpuMemoryCache(cap);
    releaseCpuMemoryCache();
    const CpuMemoryCacheStats before = cpuMemoryCacheStats();
    QCOMPARE(before.capBytes, cap);
    QCOMPARE(before.cachedBytes, std::size_t(0));

    const int64_t floats = (8 << 20) / 4;  // 8 MiB
    void* first = nullptr;
    {
        torch::Tensor t = torch::ones({floats});
        first = t.data_ptr();
    }
    QCOMPARE(cpuMemoryCacheStats().cachedBytes, std::size_t(8 << 20));
    {
        // A request up to an eighth smaller reuses the block; the values are the new tensor's.
        torch::Tensor t = torch::zeros({floats - floats / 10});
        QCOMPARE(t.data_ptr(), first);
        QCOMPARE(t.sum().item<double>(), 0.0);
        QCOMPARE(cpuMemoryCacheStats().cachedBytes, std::size_t(0));
    }
    QCOMPARE(cpuMemoryCacheStats().reused, before.reused + 1);
    {
        torch::Tensor half = torch::empty({floats / 2});  // too much smaller: a fresh block
        QVERIFY(half.data_ptr() != first);
    }
    // Twelve 8 MiB tensors freed at once: only the cap's worth (8 blocks) is kept.
    {
        std::vector<torch::Tensor> many;
        for (int i = 0; i < 12; ++i)
            many.push_back(torch::empty({floats}));
    }
    const CpuMemoryCacheStats full = cpuMemoryCacheStats();
    QVERIFY2(full.cachedBytes <= cap, qPrintable(QString::number(full.cachedBytes)));
    QVERIFY(full.cachedBytes >= cap - (8u << 20) - (4u << 20));
    QVERIFY(full.released > before.released);
    // oneDNN allocates through the raw interface, which must hand back what it was given.
    c10::Allocator* a = c10::GetCPUAllocator();
    void* raw = a->raw_allocate(1u << 20);
    a->raw_deallocate(raw);
    releaseCpuMemoryCache();
    QCOMPARE(cpuMemoryCacheStats().cachedBytes, std::size_t(0));
    QCOMPARE(cpuMemoryCacheStats().liveBytes, before.liveBytes);
    installCpuMemoryCache(defaultCpuMemoryCacheCap());
}

void TestResNet::torchScriptArchive()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    const QString pth = m_tmp.path() + QStringLiteral("/ts.pth");
    const QString pt = m_tmp.path() + QStringLiteral("/ts.pt");
    auto r = test::runReference({QStringLiteral("weights"), QStringLiteral("resnet18"), pth, QStringLiteral("9"), QStringLiteral("7")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    r = test::runReference({QStringLiteral("torchscript"), QStringLiteral("resnet18"), pth, pt});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    WeightsInfo a, b;
    ResNet fromPth = makeResNet("resnet18", pth.toStdString(), &a);
    ResNet fromScript = makeResNet("resnet18", pt.toStdString(), &b);
    QCOMPARE(b.numClasses, int64_t(7));
    const NamedTensors x = stateDict(fromPth), y = stateDict(fromScript);
    QCOMPARE(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        QVERIFY2(torch::equal(x[i].second, y[i].second), x[i].first.c_str());
}

void TestResNet::writtenWeightsLoadInTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    WeightsInfo info;
    ResNet net = makeResNet("resnet18", "random", &info, 2, 10);
    const QString path = m_tmp.path() + QStringLiteral("/ours.pth");
    writeWeightsFile(path.toStdString(), stateDict(net));
    const auto r = test::runReference({QStringLiteral("check-load"), QStringLiteral("resnet18"), path, QStringLiteral("10")});
    QVERIFY2(r.exitCode == 0 && r.out.trimmed() == "OK", r.err.constData());
    // And back: the same values.
    ResNet again = makeResNet("resnet18", path.toStdString(), &info);
    QCOMPARE(info.numClasses, int64_t(10));
    const NamedTensors x = stateDict(net), y = stateDict(again);
    for (std::size_t i = 0; i < x.size(); ++i)
        QVERIFY2(torch::equal(x[i].second, y[i].second), x[i].first.c_str());
}

void TestResNet::mismatchedWeightsNameTheKeys()
{
    WeightsInfo info;
    ResNet small = makeResNet("resnet18", "random", &info);
    const QString path = m_tmp.path() + QStringLiteral("/r18.pth");
    writeWeightsFile(path.toStdString(), stateDict(small));
    try {
        makeResNet("resnet50", path.toStdString(), &info);
        QFAIL("expected WeightsError");
    } catch (const WeightsError& e) {
        const std::string what = e.what();
        QVERIFY2(what.find(path.toStdString()) != std::string::npos, e.what());
        QVERIFY2(what.find("Missing keys: ") != std::string::npos, e.what());
        QVERIFY2(what.find("conv3.weight") != std::string::npos, e.what());
        QVERIFY2(what.find("Shape mismatches: ") != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(WeightsError, makeResNet("resnet18", (path + QStringLiteral(".missing")).toStdString(), &info));
}

void TestResNet::classCountComesFromTheFile()
{
    WeightsInfo info;
    ResNet net = makeResNet("resnet34", "random", &info, 1, 3);
    const QString path = m_tmp.path() + QStringLiteral("/r34.pth");
    writeWeightsFile(path.toStdString(), stateDict(net));
    ResNet loaded = makeResNet("resnet34", path.toStdString(), &info);
    QCOMPARE(loaded->numClasses(), int64_t(3));
    QCOMPARE(info.sha256.size(), std::size_t(64));
    QVERIFY(info.pretrained());
}

void TestResNet::unknownBackbone()
{
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, resnetSpec("resnet42"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parsePrecision("fp8"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseActivationLayout("nhwc"));
    QCOMPARE(int(parseConvAlgorithm("winograd")), int(ConvAlgorithm::Winograd));
    const QByteArray saved = qgetenv("DEEPSVM_CONV_ALGORITHM");
    qputenv("DEEPSVM_CONV_ALGORITHM", "winograd");
    QCOMPARE(int(defaultConvAlgorithm()), int(ConvAlgorithm::Winograd));
    qputenv("DEEPSVM_CONV_ALGORITHM", "fft");
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, defaultConvAlgorithm());
    qunsetenv("DEEPSVM_CONV_ALGORITHM");
    QCOMPARE(int(defaultConvAlgorithm()), int(ConvAlgorithm::Direct));
    if (!saved.isNull())
        qputenv("DEEPSVM_CONV_ALGORITHM", saved);
}

QTEST_GUILESS_MAIN(TestResNet)
#include "tst_resnet.moc"
