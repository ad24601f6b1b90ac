// Fine-tuning on a small demo set with a random ResNet-18: frozen parts stay bitwise
// unchanged (BatchNorm statistics included), the selection changes, the loss falls, a
// cancelled run resumes to the same weights, and the exported .pth loads in torchvision
// and gives the logits `deepsvm extract --layer fc` gives.
#include "TestSupport.h"
#include "data/Dataset.h"
#include "data/DemoData.h"
#include "features/Npy.h"
#include "features/Preprocess.h"
#include "finetune/FineTune.h"
#include "finetune/GradCamTorch.h"
#include "svm/Scaler.h"
#include "svm/SvmReport.h"
#include "nets/Weights.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <torch/torch.h>

#include <random>

using namespace deepsvm;

namespace {

struct Run {
    QJsonObject result;
    QString error;
    bool cancelled = false;
};

Run runFineTune(const FineTuneOptions& o, int cancelAfterEpoch = 0)
{
    FineTuneTask task(o);
    Run run;
    QObject::connect(&task, &Task::finished, [&](const QVariant& v) { run.result = v.toJsonObject(); });
    QObject::connect(&task, &Task::failed, [&](const QString& m) { run.error = m; });
    QObject::connect(&task, &Task::cancelled, [&] { run.cancelled = true; });
    QObject::connect(&task, &Task::partialResult, [&](const QVariant& v) {
        if (cancelAfterEpoch > 0 && v.toJsonObject().value(QStringLiteral("epoch")).toInt() == cancelAfterEpoch)
            task.requestCancel();
    });
    task.run();  // direct connections: everything above runs on this thread
    return run;
}

std::map<std::string, torch::Tensor> asMap(const NamedTensors& tensors)
{
    std::map<std::string, torch::Tensor> m;
    for (const auto& [k, v] : tensors) m[k] = v;
    return m;
}

bool within(const std::string& name, const std::string& module)
{
    return name == module || name.rfind(module + ".", 0) == 0;
}

}  // namespace

class TestFineTune : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void presetsAndModules();
    void unknownModuleIsRefused();
    void onlyTheSelectionChanges();
    void lossFallsOnTheDemoSet_data();
    void lossFallsOnTheDemoSet();
    void cancelledRunResumesToTheSameWeights();
    void exportedWeightsMatchTorchvisionAndExtract();
    void sweepCommandComparesLayers();
    void gradCamOfLinearSvmEqualsLinearHead();

private:
    FineTuneOptions base(const QString& out) const;
    QTemporaryDir m_dir;
    QString m_data;
};

void TestFineTune::initTestCase()
{
    m_data = m_dir.filePath(QStringLiteral("demo"));
    DemoOptions demo;
    demo.trainPerClass = 8;
    demo.testPerClass = 2;
    QVERIFY(writeDemoStl10(m_data.toStdString(), demo));
}

FineTuneOptions TestFineTune::base(const QString& out) const
{
    FineTuneOptions o;
    o.data = m_data.toStdString();
    o.backbone = "resnet18";
    o.weights = "random";
    o.size = 32;
    o.batchSize = 16;
    o.epochs = 1;
    o.lr = 0.05;
    o.validationFraction = 0.25;
    o.outDir = out.toStdString();
    return o;
}

void TestFineTune::presetsAndModules()
{
    QCOMPARE(presetLayers("layer", "resnet50"), std::vector<std::string>{"layer4.2.conv3"});
    QCOMPARE(presetLayers("layer", "resnet18"), std::vector<std::string>{"layer4.1.conv2"});
    QCOMPARE(presetLayers("block", "resnet101"), std::vector<std::string>{"layer4.2"});
    QVERIFY(presetLayers("head", "resnet18").empty());
    QCOMPARE(presetLayers("all", "resnet18").size(), std::size_t(6));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, presetLayers("most", "resnet18"));
    const auto tree = moduleTree("resnet50");
    auto count = [&](const std::string& name) {
        for (const auto& [n, c] : tree)
            if (n == name) return c;
        return int64_t(-1);
    };
    QCOMPARE(count("layer4.0.downsample"), int64_t(2048 * 1024 + 2 * 2048));  // 1x1 conv + BN
    QCOMPARE(count("fc"), int64_t(2048 * 1000 + 1000));
    QCOMPARE(count("layer4.2.conv3"), int64_t(512 * 2048));
}

void TestFineTune::unknownModuleIsRefused()
{
    FineTuneOptions o = base(m_dir.filePath(QStringLiteral("unknown")));
    o.layers = {"layer9"};
    const Run r = runFineTune(o);
    QVERIFY(r.error.contains(QStringLiteral("layer9")));
}

void TestFineTune::onlyTheSelectionChanges()
{
    FineTuneOptions o = base(m_dir.filePath(QStringLiteral("selection")));
    o.layers = {"layer4.1", "layer2.0.downsample"};
    const Run r = runFineTune(o);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    WeightsInfo info;
    ResNet initial = makeResNet("resnet18", "random", &info, 0);
    const auto before = asMap(stateDict(initial));
    const auto after = asMap(readWeightsFile(r.result.value(QStringLiteral("weights")).toString().toStdString()));
    QCOMPARE(after.size(), before.size());
    QCOMPARE(after.at("fc.weight").sizes().vec(), (std::vector<int64_t>{10, 512}));
    int unchanged = 0, changed = 0;
    for (const auto& [key, value] : before) {
        if (key.rfind("fc.", 0) == 0)
            continue;
        const bool selected = within(key, "layer4.1") || within(key, "layer2.0.downsample");
        const bool same = torch::equal(value, after.at(key));
        if (!selected) {
            QVERIFY2(same, key.c_str());  // bitwise, BatchNorm running statistics included
            ++unchanged;
        } else if (key.find("num_batches_tracked") == std::string::npos) {
            QVERIFY2(!same, key.c_str());  // weights, biases and (train-mode) BN statistics moved
            ++changed;
        }
    }
    QVERIFY(unchanged > 90);
    QVERIFY(changed >= 10);
    QVERIFY(r.result.value(QStringLiteral("trainable_parameters")).toDouble() < r.result.value(QStringLiteral("frozen_parameters")).toDouble());
}

void TestFineTune::lossFallsOnTheDemoSet_data()
{
    QTest::addColumn<QString>("precision");
    QTest::newRow("fp32") << QStringLiteral("fp32");
    QTest::newRow("bf16 autocast") << QStringLiteral("bf16");
}

void TestFineTune::lossFallsOnTheDemoSet()
{
    QFETCH(QString, precision);
    FineTuneOptions o = base(m_dir.filePath(QStringLiteral("loss-") + precision));
    o.precision = precision.toStdString();
    o.layers = {"layer4"};
    o.epochs = 5;
    o.augment = false;
    o.schedule = "cosine";
    const Run r = runFineTune(o);
    QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
    const QJsonArray epochs = r.result.value(QStringLiteral("epochs")).toArray();
    QCOMPARE(epochs.size(), 5);
    const double first = epochs.first().toObject().value(QStringLiteral("train_loss")).toDouble();
    const double last = epochs.last().toObject().value(QStringLiteral("train_loss")).toDouble();
    QVERIFY2(last < 0.8 * first, qPrintable(QStringLiteral("train loss %1 -> %2").arg(first).arg(last)));
    QVERIFY(epochs.last().toObject().contains(QStringLiteral("val_accuracy")));
    QVERIFY(QFile::exists(m_dir.filePath(QStringLiteral("loss-") + precision + QStringLiteral("/metrics.csv"))));
}

void TestFineTune::cancelledRunResumesToTheSameWeights()
{
    FineTuneOptions whole = base(m_dir.filePath(QStringLiteral("whole")));
    whole.layers = {"layer4.1"};
    whole.epochs = 3;
    const Run a = runFineTune(whole);
    QVERIFY2(a.error.isEmpty(), qPrintable(a.error));

    FineTuneOptions parts = whole;
    parts.outDir = m_dir.filePath(QStringLiteral("parts")).toStdString();
    const Run cut = runFineTune(parts, 1);
    QVERIFY(cut.cancelled);
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("parts/weights.pth"))));
    const Run resumed = runFineTune(parts);
    QVERIFY2(resumed.error.isEmpty(), qPrintable(resumed.error));
    QCOMPARE(resumed.result.value(QStringLiteral("resumed_from")).toInt(), 1);
    QCOMPARE(resumed.result.value(QStringLiteral("epochs")).toArray().size(), 3);
    const auto wa = asMap(readWeightsFile(a.result.value(QStringLiteral("weights")).toString().toStdString()));
    const auto wb = asMap(readWeightsFile(resumed.result.value(QStringLiteral("weights")).toString().toStdString()));
    for (const auto& [key, value] : wa)
        QVERIFY2(torch::allclose(value.to(torch::kDouble), wb.at(key).to(torch::kDouble), 1e-5, 1e-6), key.c_str());
    // The same epoch-3 losses as the uninterrupted run.
    QCOMPARE(resumed.result.value(QStringLiteral("epochs")).toArray()[2].toObject().value(QStringLiteral("train_loss")).toDouble(),
             a.result.value(QStringLiteral("epochs")).toArray()[2].toObject().value(QStringLiteral("train_loss")).toDouble());
}

void TestFineTune::exportedWeightsMatchTorchvisionAndExtract()
{
    if (!test::referenceAvailable())
        QSKIP("/usr/bin/python3 with torch/torchvision is not installed: run packaging/install-deps.sh --tests");
    const QString weights = m_dir.filePath(QStringLiteral("selection/weights.pth"));
    QVERIFY(QFile::exists(weights));
    // torchvision.models.resnet18(num_classes=10).load_state_dict(strict=True)
    auto r = test::runReference({QStringLiteral("check-load"), QStringLiteral("resnet18"), weights, QStringLiteral("10")});
    QVERIFY(r.out.contains("OK"));
    // The test images through torchvision...
    const auto test = openDataset(m_data.toStdString())->split("test");
    std::vector<RgbImage> images;
    for (int64_t i = 0; i < test->size(); ++i) images.push_back(test->load(i));
    const QString dir = m_dir.filePath(QStringLiteral("reference"));
    QDir().mkpath(dir);
    QVERIFY(test::saveImagesNpy(dir + QStringLiteral("/images.npy"), images));
    test::runReference({QStringLiteral("forward"), QStringLiteral("resnet18"), weights, dir + QStringLiteral("/images.npy"),
                        QStringLiteral("32"), QStringLiteral("imagenet"), dir});
    const auto reference = readNpyFloat((dir + QStringLiteral("/logits.npy")).toStdString());
    // ... and through `deepsvm extract --layer fc` with the same file.
    const QString prefix = m_dir.filePath(QStringLiteral("extracted"));
    r = test::runProcess(test::deepsvmBinary(), {QStringLiteral("extract"), QStringLiteral("--data"), m_data, QStringLiteral("--split"),
                                                 QStringLiteral("test"), QStringLiteral("--backbone"), QStringLiteral("resnet18"),
                                                 QStringLiteral("--weights"), weights, QStringLiteral("--layer"), QStringLiteral("fc"),
                                                 QStringLiteral("--size"), QStringLiteral("32"), QStringLiteral("--out"), prefix});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto ours = readNpyFloat((prefix + QStringLiteral(".features.npy")).toStdString());
    QCOMPARE(ours.cols(), int64_t(10));
    QCOMPARE(ours.data.size(), reference.data.size());
    double worst = 0;
    for (std::size_t i = 0; i < ours.data.size(); ++i)
        worst = std::max(worst, double(std::abs(ours.data[i] - reference.data[i])));
    QVERIFY2(worst < 1e-4, qPrintable(QStringLiteral("max |logit difference| %1").arg(worst)));
}

void TestFineTune::sweepCommandComparesLayers()
{
    const QString out = m_dir.filePath(QStringLiteral("sweep"));
    const auto r = test::runProcess(test::deepsvmBinary(),
                                    {QStringLiteral("sweep"), QStringLiteral("--data"), m_data, QStringLiteral("--backbone"),
                                     QStringLiteral("resnet18"), QStringLiteral("--candidates"),
                                     QStringLiteral("layer4.0.downsample,layer4.1.conv2"), QStringLiteral("--epochs"), QStringLiteral("1"),
                                     QStringLiteral("--size"), QStringLiteral("32"), QStringLiteral("--out"), out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile csv(out + QStringLiteral("/sweep.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[1].startsWith("layer4.0.downsample,137226,"));  // 256x512 1x1 conv + BN + a 10-class head
    QVERIFY(lines[2].startsWith("layer4.1.conv2,2364426,"));
    QFile png(out + QStringLiteral("/sweep.png"));
    QVERIFY(png.open(QIODevice::ReadOnly));
    QVERIFY(png.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8));
    QVERIFY(QFile::exists(out + QStringLiteral("/layer4.1.conv2/weights.pth")));
}

void TestFineTune::gradCamOfLinearSvmEqualsLinearHead()
{
    // A hand-written two-class linear SVM in libsvm's format, over a random ResNet-18's features.
    const QString dir = m_dir.filePath(QStringLiteral("gradcam"));
    QDir().mkpath(dir);
    const int64_t D = 512;
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(1.0f, 2.0f);
    std::vector<float> rows(40 * D);
    for (float& v : rows) v = normal(rng);
    Scaler scaler;
    scaler.fit(rows, 40, D);
    scaler.save((dir + QStringLiteral("/scaler.json")).toStdString());
    writeClassesJson((dir + QStringLiteral("/classes.json")).toStdString(), {"cat", "dog"});
    QFile settings(dir + QStringLiteral("/features.json"));
    QVERIFY(settings.open(QIODevice::WriteOnly));
    settings.write(R"({"format": "deepsvm-feature-settings", "version": 1, "weights_file": "random",
        "key": {"backbone": "resnet18", "weights_sha256": "random-seed-0", "size": 64, "normalize": "imagenet",
                "layer": "avgpool", "precision": "fp32"}})");
    settings.close();
    const double rho = 0.3;
    const std::vector<double> coef{0.7, 0.4, -1.1};
    torch::manual_seed(11);  // the same support vectors whichever tests ran before
    torch::Tensor sv = torch::randn({3, D}, torch::kDouble);
    std::string model = "svm_type c_svc\nkernel_type linear\nnr_class 2\ntotal_sv 3\nrho 0.3\nlabel 0 1\nnr_sv 2 1\nSV\n";
    for (int r = 0; r < 3; ++r) {
        model += std::to_string(coef[std::size_t(r)]);
        for (int64_t c = 0; c < D; ++c) {
            char buf[64];
            std::snprintf(buf, sizeof buf, " %lld:%.17g", static_cast<long long>(c + 1), sv[r][c].item<double>());
            model += buf;
        }
        model += "\n";
    }
    QFile file(dir + QStringLiteral("/model.libsvm"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray::fromStdString(model));
    file.close();
    const RgbImage image = openDataset(m_data.toStdString())->split("test")->load(0);
    const SvmGradCam svm(dir.toStdString());

    // The same function as a linear head: score_cat = w.z - rho with z = (f - mean) / scale.
    const torch::Tensor w = (torch::tensor(coef, torch::kDouble).view({3, 1}) * sv).sum(0);
    const torch::Tensor mean = torch::tensor(scaler.mean(), torch::kDouble), scale = torch::tensor(scaler.scale(), torch::kDouble);
    const torch::Tensor weight = w / scale;
    const double bias = -(weight * mean).sum().item<double>() - rho;
    WeightsInfo info;
    ResNet net = makeResNet("resnet18", "random", &info, 0);
    PreprocessOptions pre;
    pre.size = 64;
    const torch::Tensor input = preprocess(image, pre).unsqueeze(0);
    auto head = [&](const torch::Tensor& pooled) {
        const torch::Tensor cat = (pooled.to(torch::kDouble) * weight).sum(1) + bias;
        return torch::stack({cat, -cat}, 1);
    };
    int nonZeroMaps = 0;
    for (int cls : {0, 1}) {
        const HeatMap a = svm.compute(image, cls);
        const HeatMap b = gradCam(net, input, head, cls);
        QCOMPARE(a.size, 64);
        QCOMPARE(a.values.size(), std::size_t(64 * 64));
        QCOMPARE(a.targetClass, cls);
        QVERIFY(std::abs(a.scores[0] - b.scores[0]) < 1e-6 * std::max(1.0, std::abs(b.scores[0])));
        float worst = 0, top = 0;
        for (std::size_t i = 0; i < a.values.size(); ++i) {
            worst = std::max(worst, std::abs(a.values[i] - b.values[i]));
            top = std::max(top, a.values[i]);
        }
        QVERIFY2(worst < 1e-5f, qPrintable(QStringLiteral("class %1: max difference %2").arg(cls).arg(worst)));
        nonZeroMaps += top > 0.99f ? 1 : 0;  // scaled to 1, unless ReLU leaves nothing for this class
    }
    QVERIFY(nonZeroMaps >= 1);  // the comparison is between real maps, not two blanks

    // The same through `deepsvm gradcam`, by class name, and through a tuned network's own head.
    // The test image as a binary PPM file, which `deepsvm gradcam` reads like any image.
    const QString ppm = dir + QStringLiteral("/image.ppm"), overlay = dir + QStringLiteral("/overlay.png");
    QFile ppmFile(ppm);
    QVERIFY(ppmFile.open(QIODevice::WriteOnly));
    ppmFile.write(QByteArray("P6\n") + QByteArray::number(image.width) + " " + QByteArray::number(image.height) + "\n255\n");
    ppmFile.write(reinterpret_cast<const char*>(image.pixels.data()), qint64(image.pixels.size()));
    ppmFile.close();
    auto r = test::runProcess(test::deepsvmBinary(), {QStringLiteral("gradcam"), ppm, QStringLiteral("--model"), dir,
                                                      QStringLiteral("--class"), QStringLiteral("dog"), QStringLiteral("--out"), overlay});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.startsWith("class 1 (dog)"));
    QFile o(overlay);
    QVERIFY(o.open(QIODevice::ReadOnly));
    QVERIFY(o.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8));
    const QString tuned = m_dir.filePath(QStringLiteral("selection/weights.pth"));
    r = test::runProcess(test::deepsvmBinary(), {QStringLiteral("gradcam"), ppm, QStringLiteral("--weights"), tuned, QStringLiteral("--backbone"),
                                                 QStringLiteral("resnet18"), QStringLiteral("--size"), QStringLiteral("32"), QStringLiteral("--out"), overlay});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // Its class and score are the top logit `deepsvm extract --layer fc` gave for this image.
    const QString logitsFile = m_dir.filePath(QStringLiteral("extracted.features.npy"));
    if (QFile::exists(logitsFile)) {
        const auto logits = readNpyFloat(logitsFile.toStdString());
        const auto first = logits.data.begin();
        const int top = int(std::max_element(first, first + 10) - first);
        int cls = -1;
        double score = 0;
        QVERIFY(std::sscanf(r.out.constData(), "class %d (%*[^)]), score %lf", &cls, &score) == 2);
        QCOMPARE(cls, top);
        QVERIFY2(std::abs(score - double(logits.data[std::size_t(top)])) < 1e-4, r.out.constData());
    }
}

QTEST_MAIN(TestFineTune)
#include "tst_finetune.moc"
