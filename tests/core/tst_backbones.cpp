// Backbones beyond ResNet against torchvision: state-dict names, random initialisation,
// forward outputs (penultimate features and logits), weights written back.
#include "TestSupport.h"

#include "data/Dataset.h"
#include "data/DemoData.h"
#include "features/BatchReader.h"
#include "features/FeatureExtractor.h"
#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "nets/InferenceNet.h"
#include "nets/TorchSetup.h"
#include "nets/Weights.h"

#include <QJsonObject>

#include <QTemporaryDir>
#include <QTest>

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
    PreprocessOptions pre;
    pre.size = 64;
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

QTEST_GUILESS_MAIN(TestBackbones)
#include "tst_backbones.moc"
