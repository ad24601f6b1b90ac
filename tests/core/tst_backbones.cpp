// Backbones beyond ResNet against torchvision: state-dict names, random initialisation,
// forward outputs (penultimate features and logits), weights written back.
#include "TestSupport.h"

#include "data/Dataset.h"
#include "data/DemoData.h"
#include "features/BatchReader.h"
#include "features/FeatureExtractor.h"
#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "features/Preprocess.h"
#include "nets/Backbones.h"
#include "nets/InferenceNet.h"
#include "nets/TorchSetup.h"
#include "nets/Weights.h"

#include <QJsonObject>

#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace deepsvm;

namespace {

torch::Tensor loadNpy(const QString& path)
{
    NpyArray<float> a = readNpyFloat(path.toStdString());
    return torch::from_blob(a.data.data(), a.shape, torch::kFloat32).clone();
}

double relativeError(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>() / std::max(1e-12, b.abs().max().item<double>());
}

}  // namespace

class TestBackbones : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void convnextRandomInitialisationIsTorchvisions();
    void convnextStateDictMatchesTorchvision();
    void convnextForwardMatchesTorchvision_data();
    void convnextForwardMatchesTorchvision();
    void convnextWeightsLoadBackIntoTorchvision();
    void unknownConvNeXt();
    void convnextExtraction();
    void layerNamesPerFamily();
    void catalogMatchesTorchvision();
    void preprocessingPerFamilyMatchesTorchvision_data();
    void preprocessingPerFamilyMatchesTorchvision();
    void featureKeyRecordsTheResize();

private:
    QTemporaryDir m_tmp;
    bool m_reference = false;
};

void TestBackbones::initTestCase()
{
    setUpTorch();
    m_reference = test::referenceAvailable();
}

void TestBackbones::convnextRandomInitialisationIsTorchvisions()
{
    WeightsInfo info;
    ConvNeXt net = makeConvNeXt("convnext_tiny", "random", &info, 3);
    QCOMPARE(info.sha256, std::string("random-seed-3"));
    QCOMPARE(net->numClasses(), int64_t(1000));
    for (const auto& [name, value] : stateDict(*net)) {
        torch::NoGradGuard g;
        if (name.find("layer_scale") != std::string::npos) {
            QVERIFY2((value - 1e-6).abs().max().item<double>() < 1e-12, name.c_str());
        } else if (value.dim() >= 2 && value.numel() > 10000) {  // conv and Linear weights: trunc. normal 0.02
            const double sd = value.std().item<double>();
            QVERIFY2(sd > 0.019 && sd < 0.021, qPrintable(QStringLiteral("%1: std %2").arg(QString::fromStdString(name)).arg(sd)));
        } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
            QVERIFY2(value.abs().max().item<double>() == 0.0, name.c_str());
        }
    }
}

void TestBackbones::convnextStateDictMatchesTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    const QString weights = m_tmp.path() + QStringLiteral("/keys.pth");
    auto r = test::runReference({QStringLiteral("weights"), QStringLiteral("convnext_tiny"), weights, QStringLiteral("1")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    r = test::runReference({QStringLiteral("keys"), weights});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QStringList lines = QString::fromUtf8(r.out).trimmed().split(QLatin1Char('\n'));
    ConvNeXt net(convnextSpec("convnext_tiny"), 1000);
    const NamedTensors mine = stateDict(*net);
    QCOMPARE(int(mine.size()), lines.size());
    for (std::size_t i = 0; i < mine.size(); ++i) {
        QCOMPARE(QString::fromStdString(mine[i].first), lines[int(i)].section(QLatin1Char('\t'), 0, 0));
        QStringList dims;
        for (const int64_t d : mine[i].second.sizes()) dims << QString::number(d);
        QCOMPARE(QStringLiteral("[%1]").arg(dims.join(QStringLiteral(", "))), lines[int(i)].section(QLatin1Char('\t'), 1));
    }
}

void TestBackbones::convnextForwardMatchesTorchvision_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("64 px") << 64;
    QTest::newRow("odd 97 px") << 97;
}

void TestBackbones::convnextForwardMatchesTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    QFETCH(int, size);
    const QString dir = m_tmp.path() + QStringLiteral("/fwd%1").arg(size);
    QVERIFY(QDir().mkpath(dir));
    const QString weights = dir + QStringLiteral("/w.pth");
    // LayerNorm weights and the layer scales perturbed, so no block is the identity.
    auto r = test::runReference({QStringLiteral("weights"), QStringLiteral("convnext_tiny"), weights, QStringLiteral("4"),
                                 QStringLiteral("7")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    r = test::runReference({QStringLiteral("forward-input"), QStringLiteral("convnext_tiny"), weights, QStringLiteral("2"),
                            QString::number(size), QStringLiteral("5"), dir});
    QVERIFY2(r.exitCode == 0, r.err.constData());

    WeightsInfo info;
    ConvNeXt net = makeConvNeXt("convnext_tiny", weights.toStdString(), &info);
    QCOMPARE(net->numClasses(), int64_t(7));
    net->eval();
    const torch::Tensor input = loadNpy(dir + QStringLiteral("/input.npy"));
    const torch::Tensor refPenultimate = loadNpy(dir + QStringLiteral("/penultimate.npy"));
    const torch::Tensor refLogits = loadNpy(dir + QStringLiteral("/logits.npy"));
    QCOMPARE(refPenultimate.size(1), int64_t(768));
    torch::Tensor penultimate, logits;
    {
        c10::InferenceMode guard;
        penultimate = net->features(input);
        logits = net->forward(input);
    }
    const double eP = relativeError(penultimate, refPenultimate), eL = relativeError(logits, refLogits);
    qInfo("convnext_tiny %d px: fp32 rel. error penultimate %.2e, logits %.2e", size, eP, eL);
    QVERIFY2(eP < 1e-4, qPrintable(QStringLiteral("penultimate rel. error %1").arg(eP)));
    QVERIFY2(eL < 1e-4, qPrintable(QStringLiteral("logits rel. error %1").arg(eL)));
    // A wrong block would be caught: the outputs are far from the input's mere statistics.
    QVERIFY(refPenultimate.std().item<double>() > 0.1);

    // bf16: the same weights rounded, activations in bf16.
    ConvNeXt half(convnextSpec("convnext_tiny"), 7);
    loadInto(*half, "convnext_tiny", stateDict(*net), "(copy)");
    half->eval();
    half->to(torch::kBFloat16);
    torch::Tensor halfPen;
    {
        c10::InferenceMode guard;
        halfPen = half->features(input.to(torch::kBFloat16)).to(torch::kFloat32);
    }
    const double worst = torch::cosine_similarity(halfPen, refPenultimate, 1).min().item<double>();
    qInfo("convnext_tiny %d px: bf16 worst cosine %.6f", size, worst);
    QVERIFY2(worst >= 0.999, qPrintable(QStringLiteral("bf16 cosine %1").arg(worst)));
}

void TestBackbones::convnextWeightsLoadBackIntoTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    WeightsInfo info;
    ConvNeXt net = makeConvNeXt("convnext_tiny", "random", &info, 11, 5);
    const QString path = m_tmp.path() + QStringLiteral("/written.pth");
    writeWeightsFile(path.toStdString(), stateDict(*net));
    const auto r = test::runReference({QStringLiteral("check-load"), QStringLiteral("convnext_tiny"), path, QStringLiteral("5")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("OK"), r.out.constData());
    // and back into ours, bit for bit
    ConvNeXt again = makeConvNeXt("convnext_tiny", path.toStdString(), &info);
    const NamedTensors a = stateDict(*net), b = stateDict(*again);
    QCOMPARE(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        QVERIFY2(torch::equal(a[i].second, b[i].second), a[i].first.c_str());
}

void TestBackbones::unknownConvNeXt()
{
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, convnextSpec("convnext_huge"));
    QVERIFY(isConvNeXt("convnext_base"));
    QVERIFY(!isConvNeXt("resnet50"));
    // A ResNet file does not fit a ConvNeXt, and the error names the keys.
    WeightsInfo info;
    ResNet r = makeResNet("resnet18", "random", &info, 1);
    const QString path = m_tmp.path() + QStringLiteral("/resnet.pth");
    writeWeightsFile(path.toStdString(), stateDict(r));
    try {
        makeConvNeXt("convnext_tiny", path.toStdString(), &info);
        QFAIL("a ResNet file loaded into a ConvNeXt");
    } catch (const WeightsError& e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(QStringLiteral("does not fit convnext_tiny")), e.what());
        QVERIFY2(what.contains(QStringLiteral("features.0.0.weight")), e.what());
        QVERIFY2(what.contains(QStringLiteral("Unexpected keys: conv1.weight")), e.what());
    }
}

/// `deepsvm extract --backbone convnext_tiny`: the rows are the module's penultimate features
/// (and logits) of the preprocessed images, the key records the family's layer name, and bf16
/// stays within cosine 0.999 of fp32.
void TestBackbones::convnextExtraction()
{
    const QString demo = m_tmp.path() + QStringLiteral("/demo");
    DemoOptions d;
    d.trainPerClass = 2;
    d.testPerClass = 1;
    d.unlabeled = 0;
    QVERIFY(writeDemoStl10(demo.toStdString(), d));
    auto extract = [&](const std::string& layer, const std::string& precision, const QString& name) {
        ExtractOptions o;
        o.data = demo.toStdString();
        o.splits = {"train"};
        o.backbone = "convnext_tiny";
        o.weights = "random";
        o.seed = 4;
        o.layer = layer;
        o.precision = precision;
        o.size = 64;
        o.batchSize = 8;
        o.outPrefix = (m_tmp.path() + QStringLiteral("/") + name).toStdString();
        FeatureExtractor(o).run({});
        FeatureSet f = FeatureStore::load(o.outPrefix);
        return std::make_pair(torch::from_blob(f.values.data(), {f.rows, f.cols}, torch::kFloat32).clone(), f.sidecar);
    };
    const auto [pen, sidecar] = extract("avgpool", "fp32", QStringLiteral("pen"));  // ResNet's name is accepted
    QCOMPARE(pen.size(0), int64_t(20));
    QCOMPARE(pen.size(1), int64_t(768));
    QCOMPARE(sidecar.value(QStringLiteral("key")).toObject().value(QStringLiteral("layer")).toString(),
             QStringLiteral("penultimate"));
    const auto [logits, unused] = extract("logits", "fp32", QStringLiteral("logits"));
    QCOMPARE(logits.size(1), int64_t(1000));

    // The reference: the module itself on the same preprocessed images.
    WeightsInfo info;
    ConvNeXt net = makeConvNeXt("convnext_tiny", "random", &info, 4);
    net->eval();
    auto source = openDataset(demo.toStdString())->split("train");
    // Extraction resizes to the family's proportion before the crop (torchvision's 236 for 224).
    QCOMPARE(sidecar.value(QStringLiteral("key")).toObject().value(QStringLiteral("resize")).toInt(), 67);
    PreprocessOptions pre;
    pre.size = 64;
    pre.resize = defaultResize("convnext_tiny", 64);
    BatchReader reader(source, source->size(), 64, pre);
    Batch batch;
    QVERIFY(reader.next(&batch));
    torch::Tensor refPen, refLogits;
    {
        c10::InferenceMode guard;
        refPen = net->features(torch::stack(batch.images));
        refLogits = net->head(refPen);
    }
    const double eP = relativeError(pen, refPen), eL = relativeError(logits, refLogits);
    qInfo("extraction against the module: rel. error penultimate %.2e, logits %.2e", eP, eL);
    QVERIFY2(eP < 1e-5, qPrintable(QString::number(eP)));
    QVERIFY2(eL < 1e-5, qPrintable(QString::number(eL)));
    QVERIFY(refPen.std().item<double>() > 0.1);

    const auto [half, unused2] = extract("penultimate", "bf16", QStringLiteral("half"));
    const double worst = torch::cosine_similarity(half, pen, 1).min().item<double>();
    qInfo("extraction bf16 against fp32: worst cosine %.6f", worst);
    QVERIFY2(worst >= 0.999, qPrintable(QString::number(worst)));
}

void TestBackbones::layerNamesPerFamily()
{
    QCOMPARE(canonicalLayer("resnet50", "penultimate"), std::string("avgpool"));
    QCOMPARE(canonicalLayer("resnet50", "logits"), std::string("fc"));
    QCOMPARE(canonicalLayer("resnet50", "avgpool"), std::string("avgpool"));
    QCOMPARE(canonicalLayer("convnext_small", "fc"), std::string("logits"));
    QCOMPARE(canonicalLayer("convnext_small", "penultimate"), std::string("penultimate"));
    QCOMPARE(penultimateDim("convnext_base"), int64_t(1024));
    QCOMPARE(penultimateDim("convnext_large"), int64_t(1536));
    QCOMPARE(penultimateDim("resnet18"), int64_t(512));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, canonicalLayer("convnext_tiny", "layer4"));
    try {
        checkBackbone("vgg16");
        QFAIL("vgg16 accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("convnext_tiny")), e.what());
    }
}

/// Every backbone's weights catalog (tags, file names with their hash prefixes, crop, resize,
/// interpolation, ImageNet top-1) is torchvision's weights metadata, field for field.
void TestBackbones::catalogMatchesTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    for (const std::string& b : backboneNames()) {
        const auto r = test::runReference({QStringLiteral("published"), QString::fromStdString(b)});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QStringList lines = QString::fromUtf8(r.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        const auto& mine = publishedWeights(b);
        QCOMPARE(qsizetype(mine.size()), lines.size());
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const QStringList f = lines[i].split(QLatin1Char('\t'));
            QCOMPARE(f.size(), qsizetype(6));
            const PublishedWeights& w = mine[std::size_t(i)];
            const QString what = QString::fromStdString(b + " " + w.tag) + QStringLiteral(": torchvision says ") + lines[i];
            QVERIFY2(f[0] == QString::fromStdString(w.tag), qPrintable(what));
            QVERIFY2(f[1] == QString::fromStdString(w.file), qPrintable(what));
            QVERIFY2(f[2].toInt() == w.crop, qPrintable(what));
            QVERIFY2(f[3].toInt() == w.resize, qPrintable(what));
            QVERIFY2(f[4] == QString::fromStdString(w.interpolation), qPrintable(what));
            QVERIFY2(std::abs(f[5].toDouble() - w.top1) < 1e-9, qPrintable(what));
            // The lookups by tag and by file name find this entry.
            QCOMPARE(publishedWeights(b, w.tag).file, w.file);
            QVERIFY(publishedWeightsForFile(b, w.file) == &publishedWeights(b, w.tag));
        }
        QCOMPARE(defaultCrop(b), mine.front().crop);
    }
}

void TestBackbones::preprocessingPerFamilyMatchesTorchvision_data()
{
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QString>("tag");
    QTest::newRow("convnext_tiny V1 (resize 236)") << QStringLiteral("convnext_tiny") << QStringLiteral("IMAGENET1K_V1");
    QTest::newRow("convnext_small V1 (resize 230)") << QStringLiteral("convnext_small") << QStringLiteral("IMAGENET1K_V1");
    QTest::newRow("resnet50 V2 (resize 232)") << QStringLiteral("resnet50") << QStringLiteral("IMAGENET1K_V2");
    QTest::newRow("resnet101 V1 (resize 256)") << QStringLiteral("resnet101") << QStringLiteral("IMAGENET1K_V1");
}

/// preprocess() with a family's published resize and crop equals torchvision's transforms of
/// those weights on a non-square image, on both the whole-image and the windowed path.
void TestBackbones::preprocessingPerFamilyMatchesTorchvision()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    QFETCH(QString, arch);
    QFETCH(QString, tag);
    std::mt19937 rng(unsigned(qHash(arch + tag)));
    RgbImage image;
    image.width = 397;
    image.height = 289;
    image.pixels.resize(std::size_t(image.width * image.height * 3));
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x)
            for (int c = 0; c < 3; ++c)
                image.pixels[std::size_t((y * image.width + x) * 3 + c)] =
                    std::uint8_t((x * (c + 1) * 255 / image.width + y * 255 / image.height + int(rng() % 64)) % 256);
    const QString in = m_tmp.path() + QStringLiteral("/family_in.npy");
    const QString out = m_tmp.path() + QStringLiteral("/family_out.npy");
    QVERIFY(test::saveImagesNpy(in, {image}));
    const auto squeeze = test::runProcess(
        test::referencePython(),
        {QStringLiteral("-c"), QStringLiteral("import numpy as np, sys; np.save(sys.argv[1], np.load(sys.argv[1])[0])"), in});
    QVERIFY2(squeeze.exitCode == 0, squeeze.err.constData());
    const auto r = test::runReference({QStringLiteral("preprocess-weights"), arch, tag, in, out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const torch::Tensor ref = loadNpy(out);

    const PublishedWeights& w = publishedWeights(arch.toStdString(), tag.toStdString());
    PreprocessOptions o;
    o.size = w.crop;
    o.resize = w.resize;
    for (auto path : {PreprocessOptions::Path::Whole, PreprocessOptions::Path::Windowed}) {
        o.path = path;
        const torch::Tensor mine = preprocess(image, o);
        QCOMPARE(mine.sizes().vec(), ref.sizes().vec());
        const double gap = (mine - ref).abs().max().item<double>();
        qInfo("%s %s %s path: max |gap| %.2e", qPrintable(arch), qPrintable(tag),
              path == PreprocessOptions::Path::Whole ? "whole" : "windowed", gap);
        QVERIFY2(gap < 1e-5, qPrintable(QString::number(gap)));
    }
    // Extraction's default for the family at the published crop is the V1 weights' resize.
    if (tag == QStringLiteral("IMAGENET1K_V1") && backboneFamily(arch.toStdString()) != "resnet")
        QCOMPARE(defaultResize(arch.toStdString(), w.crop), w.resize);
}

/// The feature cache key records a resize that differs from the crop (so a different resize is
/// a different cache entry) and leaves it out otherwise (so caches written before stay valid).
void TestBackbones::featureKeyRecordsTheResize()
{
    FeatureKey k;
    k.backbone = "convnext_tiny";
    k.layer = "penultimate";
    k.size = 224;
    k.resize = 236;
    const QJsonObject j = k.toJson();
    QCOMPARE(j.value(QStringLiteral("resize")).toInt(), 236);
    QVERIFY(FeatureKey::fromJson(j) == k);
    FeatureKey other = k;
    other.resize = 256;
    QVERIFY(!(FeatureKey::fromJson(other.toJson()) == k));
    FeatureKey plain = k;
    plain.resize = 0;
    QVERIFY(!plain.toJson().contains(QStringLiteral("resize")));
    QVERIFY(FeatureKey::fromJson(plain.toJson()) == plain);
    QCOMPARE(defaultResize("resnet50", 96), 96);   // the study's Resize(size) + CenterCrop(size)
    QCOMPARE(defaultResize("convnext_tiny", 96), 101);
}

QTEST_GUILESS_MAIN(TestBackbones)
#include "tst_backbones.moc"
