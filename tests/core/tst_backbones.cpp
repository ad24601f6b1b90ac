// Backbones beyond ResNet against torchvision: state-dict names, random initialisation,
// forward outputs (penultimate features and logits), weights written back.
#include "TestSupport.h"

#include "features/Npy.h"
#include "nets/TorchSetup.h"
#include "nets/Weights.h"

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

QTEST_GUILESS_MAIN(TestBackbones)
#include "tst_backbones.moc"
