// core/pipeline: model folders (ModelBundle), run records, layer sweeps, feature cache names.
#include "pipeline/ModelBundle.h"

#include "svm/SvmModel.h"
#include "svm/SvmReport.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <random>
#include <stdexcept>
#include <string>

using namespace deepsvm;

namespace {

/// A two-class linear libsvm model over `dims` features with labels `a` and `b`.
std::string linearModel(int dims, int a, int b)
{
    std::string m = "svm_type c_svc\nkernel_type linear\nnr_class 2\ntotal_sv 2\nrho 0.25\nlabel " + std::to_string(a) + " "
                    + std::to_string(b) + "\nnr_sv 1 1\nSV\n";
    for (double coef : {0.5, -0.5}) {
        m += std::to_string(coef);
        for (int c = 0; c < dims; ++c) m += " " + std::to_string(c + 1) + ":" + std::to_string(coef * (c + 1));
        m += "\n";
    }
    return m;
}

void writeText(const QString& path, const QByteArray& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

/// A model folder as `deepsvm svm` writes one, by hand: 4 features, classes cat and dog.
void writeModelFolder(const QString& dir, const QByteArray& featuresJson, int labelA = 0, int labelB = 1)
{
    QDir().mkpath(dir);
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(2.0f, 1.5f);
    std::vector<float> rows(20 * 4);
    for (float& v : rows) v = normal(rng);
    Scaler scaler;
    scaler.fit(rows, 20, 4);
    scaler.save((dir + QStringLiteral("/scaler.json")).toStdString());
    writeClassesJson((dir + QStringLiteral("/classes.json")).toStdString(), {"cat", "dog"});
    writeText(dir + QStringLiteral("/model.libsvm"), QByteArray::fromStdString(linearModel(4, labelA, labelB)));
    writeText(dir + QStringLiteral("/features.json"), featuresJson);
}

const QByteArray kSettings = R"({"format": "deepsvm-feature-settings", "version": 1, "weights_file": "random",
    "outlier_norm": 7.5, "key": {"backbone": "resnet18", "weights_sha256": "random-seed-4", "normalize": "half",
    "layer": "avgpool", "precision": "bf16", "dataset": "/d", "split": "train"}})";

template <typename F>
QString errorOf(F&& f)
{
    try {
        f();
    } catch (const std::exception& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

}  // namespace

class TestPipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bundleReadsEveryFile();
    void bundleRejectsInconsistentFolders();
    void bundleWritesWhatItReads();

private:
    QTemporaryDir m_dir;
};

void TestPipeline::bundleReadsEveryFile()
{
    const QString dir = m_dir.filePath(QStringLiteral("model"));
    writeModelFolder(dir, kSettings);
    const ModelBundle b = ModelBundle::read(dir.toStdString());
    QCOMPARE(b.classNames, (std::vector<std::string>{"cat", "dog"}));
    QCOMPARE(b.scaler.dims(), int64_t(4));
    QVERIFY(b.model);
    QCOMPARE(b.model->labels(), (std::vector<int>{0, 1}));
    QVERIFY(b.features.hasKey);
    QCOMPARE(b.features.key.backbone, std::string("resnet18"));
    QCOMPARE(b.features.key.weightsSha256, std::string("random-seed-4"));
    QCOMPARE(b.features.key.normalization, std::string("half"));
    QCOMPARE(b.features.key.precision, std::string("bf16"));
    QCOMPARE(b.features.key.size, 224);  // not recorded: the size older folders were made at
    QCOMPARE(b.features.weightsFile, std::string("random"));
    QCOMPARE(b.features.outlierNorm, 7.5);
    b.requireFeatureKey("");
}

void TestPipeline::bundleRejectsInconsistentFolders()
{
    const QString stray = m_dir.filePath(QStringLiteral("stray-label"));
    writeModelFolder(stray, kSettings, 0, 2);  // class 2 of a two-class classes.json
    QVERIFY(errorOf([&] { ModelBundle::read(stray.toStdString()); }).contains(QStringLiteral("come from different models")));

    const QString bare = m_dir.filePath(QStringLiteral("bare"));
    writeModelFolder(bare, R"({"format": "deepsvm-feature-settings", "version": 1, "outlier_norm": 0})");
    const ModelBundle b = ModelBundle::read(bare.toStdString());
    QVERIFY(!b.features.hasKey);
    const QString why = errorOf([&] { b.requireFeatureKey(" (because)"); });
    QVERIFY2(why.endsWith(QStringLiteral("features.json: has no feature settings (because)")), qPrintable(why));

    const QString noSettings = m_dir.filePath(QStringLiteral("no-settings"));
    writeModelFolder(noSettings, "{}");
    QFile::remove(noSettings + QStringLiteral("/features.json"));
    QVERIFY(errorOf([&] { ModelBundle::read(noSettings.toStdString()); }).contains(QStringLiteral("features.json: missing")));

    const QString broken = m_dir.filePath(QStringLiteral("broken"));
    writeModelFolder(broken, "{\"key\": ");
    QVERIFY(errorOf([&] { ModelBundle::read(broken.toStdString()); }).contains(QStringLiteral("not valid JSON")));
}

void TestPipeline::bundleWritesWhatItReads()
{
    const QString from = m_dir.filePath(QStringLiteral("from")), to = m_dir.filePath(QStringLiteral("to"));
    writeModelFolder(from, kSettings);
    const ModelBundle a = ModelBundle::read(from.toStdString());
    QDir().mkpath(to);
    a.write(to.toStdString());
    const ModelBundle b = ModelBundle::read(to.toStdString());
    QCOMPARE(b.classNames, a.classNames);
    QCOMPARE(b.scaler.mean(), a.scaler.mean());
    QCOMPARE(b.scaler.scale(), a.scaler.scale());
    QCOMPARE(b.model->labels(), a.model->labels());
    QCOMPARE(b.model->supportVectorCount(), 2);
    QVERIFY(b.features.key == a.features.key);
    QCOMPARE(b.features.weightsFile, a.features.weightsFile);
    QCOMPARE(b.features.outlierNorm, a.features.outlierNorm);
}

QTEST_GUILESS_MAIN(TestPipeline)
#include "tst_pipeline.moc"
