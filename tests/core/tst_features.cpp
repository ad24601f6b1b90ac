// Feature files and extraction: .npy format, the cache, the task's signals, cancel, skips.
#include "TestSupport.h"

#include "data/Dataset.h"
#include "data/DemoData.h"
#include "features/ExtractTask.h"
#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "nets/TorchSetup.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/imgcodecs.hpp>

#include <thread>

using namespace deepsvm;

namespace {

ExtractOptions smallOptions(const QString& data, const QString& prefix)
{
    ExtractOptions o;
    o.data = data.toStdString();
    o.backbone = "resnet18";
    o.size = 64;
    o.batchSize = 8;
    o.outPrefix = prefix.toStdString();
    return o;
}

QJsonObject runTask(ExtractTask& task)
{
    QSignalSpy finished(&task, &Task::finished);
    QSignalSpy failed(&task, &Task::failed);
    task.run();
    if (!failed.isEmpty())
        qWarning("task failed: %s", qPrintable(failed.front().front().toString()));
    if (finished.size() != 1)
        return {};
    return finished.front().front().toJsonObject();
}

QStringList filesIn(const QString& dir)
{
    return QDir(dir).entryList(QDir::Files, QDir::Name);
}

}  // namespace

class TestFeatures : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void npyRoundTripAndNumpyReadsIt();
    void npyRowWriterStreams();
    void badNpyFiles_data();
    void badNpyFiles();
    void extractWritesFilesAndSidecar();
    void cacheReusedOnlyOnIdenticalKey();
    void cancelLeavesNoFiles();
    void cancelledReextractionKeepsTheOldCache();
    void skippedImagesAreListed();
    void twoTasksWritingTheSameCacheKey();
    void fcLayerGivesLogits();
    void badOptionsFail_data();
    void badOptionsFail();

private:
    QTemporaryDir m_tmp;
    QString m_demo;
};

void TestFeatures::initTestCase()
{
    setUpTorch();
    m_demo = m_tmp.path() + QStringLiteral("/demo");
    DemoOptions o;
    o.trainPerClass = 3;
    o.testPerClass = 2;
    o.unlabeled = 5;
    QVERIFY(writeDemoStl10(m_demo.toStdString(), o));
}

void TestFeatures::npyRoundTripAndNumpyReadsIt()
{
    const std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 1e-7f, 65504.0f};
    const std::vector<int64_t> labels = {3, -1, 9};
    const QString f = m_tmp.path() + QStringLiteral("/rt.features.npy");
    const QString l = m_tmp.path() + QStringLiteral("/rt.labels.npy");
    writeNpy(f.toStdString(), values.data(), 3, 2);
    writeNpy(l.toStdString(), labels.data(), 3);
    const auto a = readNpyFloat(f.toStdString());
    QCOMPARE(a.shape, (std::vector<int64_t>{3, 2}));
    QCOMPARE(a.data, values);
    QCOMPARE(readNpyInt(l.toStdString()).data, labels);
    if (!test::referenceAvailable())
        QSKIP("/usr/bin/python3 with numpy is not installed: run packaging/install-deps.sh --tests");
    const auto r = test::runProcess(test::referencePython(),
        {QStringLiteral("-c"), QStringLiteral("import numpy as np, sys; a = np.load(sys.argv[1]); b = np.load(sys.argv[2]);"
                                              "print(a.dtype, a.shape, repr(a[2, 1]), b.dtype, b.tolist())"), f, l});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray("float32 (3, 2) 65504.0 int64 [3, -1, 9]"));
}

void TestFeatures::npyRowWriterStreams()
{
    const QString path = m_tmp.path() + QStringLiteral("/stream.npy");
    {
        NpyRowWriter w(path.toStdString(), 3);
        const float rows[6] = {1, 2, 3, 4, 5, 6};
        w.append(rows, 2);
        w.append(rows, 1);
        QVERIFY(!QFile::exists(path));  // nothing under the final name before finish
        commitFile(w.finish(), path.toStdString());
    }
    const auto a = readNpyFloat(path.toStdString());
    QCOMPARE(a.shape, (std::vector<int64_t>{3, 3}));
    QCOMPARE(a.data[6], 1.0f);
    {
        NpyRowWriter abandoned((m_tmp.path() + QStringLiteral("/abandoned.npy")).toStdString(), 3);
    }
    for (const QString& name : filesIn(m_tmp.path()))
        QVERIFY2(!name.contains(QStringLiteral(".tmp-")), qPrintable(name));
}

void TestFeatures::badNpyFiles_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("error");
    auto npy = [](const QByteArray& dict, const QByteArray& data) {
        QByteArray h = dict;
        while ((10 + h.size() + 1) % 64) h += ' ';
        h += '\n';
        return QByteArray("\x93NUMPY\x01\x00", 8) + char(h.size() & 0xFF) + char(h.size() >> 8) + h + data;
    };
    QTest::newRow("not npy") << QByteArray("hello world, not numpy") << QStringLiteral("bad magic");
    QTest::newRow("fortran") << npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", QByteArray(4, 0))
                             << QStringLiteral("Fortran-order");
    QTest::newRow("wrong dtype") << npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1), }", QByteArray(16, 0))
                                 << QStringLiteral("dtype '<c16'");
    QTest::newRow("truncated data") << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 10), }", QByteArray(40, 0))
                                    << QStringLiteral("truncated");
    QTest::newRow("truncated header") << QByteArray("\x93NUMPY\x01\x00\xff\x00{'descr'", 18) << QStringLiteral("truncated header");
    QTest::newRow("bad shape") << npy("{'descr': '<f4', 'fortran_order': False, 'shape': (a, 1), }", QByteArray(4, 0))
                               << QStringLiteral("malformed shape");
}

void TestFeatures::badNpyFiles()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    const QString path = m_tmp.path() + QStringLiteral("/bad.npy");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();
    try {
        readNpyFloat(path.toStdString());
        QFAIL("expected NpyError");
    } catch (const NpyError& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(error), e.what());
        QVERIFY2(QString::fromUtf8(e.what()).contains(path), e.what());
    }
}

void TestFeatures::extractWritesFilesAndSidecar()
{
    const QString prefix = m_tmp.path() + QStringLiteral("/out/a");
    QDir().mkpath(m_tmp.path() + QStringLiteral("/out"));
    ExtractTask task(smallOptions(m_demo, prefix));
    QSignalSpy progress(&task, &Task::progress);
    const QJsonObject r = runTask(task);
    QCOMPARE(r[QStringLiteral("splits")].toArray().size(), 2);  // train and test; unlabeled only on request
    QVERIFY(progress.size() >= 2);
    QCOMPARE(progress.back().at(0).toLongLong(), progress.back().at(1).toLongLong());

    const FeatureSet train = FeatureStore::load((prefix + QStringLiteral(".train")).toStdString());
    QCOMPARE(train.rows, int64_t(30));
    QCOMPARE(train.cols, int64_t(512));
    QCOMPARE(train.classNames.size(), std::size_t(10));
    QCOMPARE(train.ids.front(), std::string("train/0"));
    // Labels are the dataset's, in row order.
    auto ds = openDataset(m_demo.toStdString());
    for (int64_t i = 0; i < train.rows; ++i)
        QCOMPARE(train.labels[std::size_t(i)], int64_t(ds->split("train")->label(i)));
    const QJsonObject key = train.sidecar[QStringLiteral("key")].toObject();
    for (const char* field : {"dataset", "dataset_hash", "split", "backbone", "weights_sha256", "layer", "size",
                              "precision", "normalize", "preprocess_version"})
        QVERIFY2(key.contains(QLatin1String(field)), field);
    QVERIFY(train.sidecar[QStringLiteral("timings")].toObject()[QStringLiteral("seconds")].toDouble() > 0);
    for (float v : train.values)
        QVERIFY(std::isfinite(v) && v >= 0.0f);  // pooled after ReLU
    for (const QString& name : filesIn(m_tmp.path() + QStringLiteral("/out")))
        QVERIFY2(!name.contains(QStringLiteral(".tmp-")), qPrintable(name));
}

void TestFeatures::cacheReusedOnlyOnIdenticalKey()
{
    const QString prefix = m_tmp.path() + QStringLiteral("/cache");
    ExtractOptions o = smallOptions(m_demo, prefix);
    o.splits = {"test"};
    {
        ExtractTask first(o);
        QCOMPARE(runTask(first)[QStringLiteral("splits")].toArray()[0].toObject()[QStringLiteral("reused")].toBool(), false);
    }
    const QByteArray before = [&] { QFile f(prefix + QStringLiteral(".features.npy")); f.open(QIODevice::ReadOnly); return f.readAll(); }();
    {
        ExtractTask again(o);
        QCOMPARE(runTask(again)[QStringLiteral("splits")].toArray()[0].toObject()[QStringLiteral("reused")].toBool(), true);
    }
    o.size = 72;  // any key field changed -> extracted again, with different numbers
    {
        ExtractTask changed(o);
        QCOMPARE(runTask(changed)[QStringLiteral("splits")].toArray()[0].toObject()[QStringLiteral("reused")].toBool(), false);
    }
    const QByteArray after = [&] { QFile f(prefix + QStringLiteral(".features.npy")); f.open(QIODevice::ReadOnly); return f.readAll(); }();
    QVERIFY(before != after);
    QCOMPARE(FeatureStore::load(prefix.toStdString()).sidecar[QStringLiteral("key")].toObject()[QStringLiteral("size")].toInt(), 72);
}

void TestFeatures::cancelLeavesNoFiles()
{
    const QString dir = m_tmp.path() + QStringLiteral("/cancel");
    QDir().mkpath(dir);
    ExtractOptions o = smallOptions(m_demo, dir + QStringLiteral("/c"));
    o.batchSize = 2;
    ExtractTask task(o);
    QSignalSpy cancelled(&task, &Task::cancelled);
    QSignalSpy finished(&task, &Task::finished);
    connect(&task, &Task::progress, &task, [&](qint64 done) {
        if (done >= 4)
            task.requestCancel();
    });
    task.run();
    QCOMPARE(cancelled.size(), 1);
    QCOMPARE(finished.size(), 0);
    QCOMPARE(task.state(), Task::State::Cancelled);
    QCOMPARE(filesIn(dir), QStringList());
}

void TestFeatures::cancelledReextractionKeepsTheOldCache()
{
    const QString dir = m_tmp.path() + QStringLiteral("/keep");
    QDir().mkpath(dir);
    ExtractOptions o = smallOptions(m_demo, dir + QStringLiteral("/k"));
    o.splits = {"train"};
    o.batchSize = 2;
    {
        ExtractTask first(o);
        QVERIFY(!runTask(first).isEmpty());
    }
    const QStringList before = filesIn(dir);
    o.size = 80;  // a new key: extraction starts over, then is cancelled
    ExtractTask second(o);
    connect(&second, &Task::progress, &second, [&](qint64 done) {
        if (done >= 4)
            second.requestCancel();
    });
    QSignalSpy cancelled(&second, &Task::cancelled);
    second.run();
    QCOMPARE(cancelled.size(), 1);
    QCOMPARE(filesIn(dir), before);
    o.size = 64;
    ExtractTask again(o);  // the old entry is still a valid cache hit
    QCOMPARE(runTask(again)[QStringLiteral("splits")].toArray()[0].toObject()[QStringLiteral("reused")].toBool(), true);
}

void TestFeatures::twoTasksWritingTheSameCacheKey()
{
    // Two extractions of the same key into the same prefix at the same time (two windows, or
    // a window and a script): both finish, and what is left is one complete, loadable set.
    const QString dir = m_tmp.path() + QStringLiteral("/race");
    QDir().mkpath(dir);
    ExtractOptions o = smallOptions(m_demo, dir + QStringLiteral("/same"));
    o.splits = {"train"};
    o.reuseCache = false;
    ExtractTask a(o), b(o);
    QJsonObject ra, rb;
    std::thread first([&] { ra = runTask(a); });
    std::thread second([&] { rb = runTask(b); });
    first.join();
    second.join();
    QVERIFY(!ra.isEmpty());
    QVERIFY(!rb.isEmpty());
    QCOMPARE(filesIn(dir), (QStringList{QStringLiteral("same.features.npy"), QStringLiteral("same.json"), QStringLiteral("same.labels.npy")}));
    const FeatureSet set = FeatureStore::load((dir + QStringLiteral("/same")).toStdString());
    const int64_t rows = openDataset(m_demo.toStdString())->split("train")->size();
    QCOMPARE(set.rows, rows);
    QCOMPARE(int64_t(set.labels.size()), rows);
    QCOMPARE(int64_t(set.ids.size()), rows);
    QCOMPARE(set.sidecar.value(QStringLiteral("rows")).toDouble(), double(rows));
}

void TestFeatures::skippedImagesAreListed()
{
    const QString root = m_tmp.path() + QStringLiteral("/folder");
    for (const char* cls : {"apple", "pear"}) {
        QDir().mkpath(root + QLatin1Char('/') + QLatin1String(cls));
        for (int i = 0; i < 3; ++i)
            cv::imwrite(QStringLiteral("%1/%2/%3.png").arg(root).arg(QLatin1String(cls)).arg(i).toStdString(),
                        cv::Mat(40, 50, CV_8UC3, cv::Scalar(i * 40, 100, cls[0] == 'a' ? 200 : 20)));
    }
    QFile bad(root + QStringLiteral("/pear/broken.png"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("\x89PNG\r\n\x1a\n garbage");
    bad.close();
    const QString prefix = m_tmp.path() + QStringLiteral("/folderfeat");
    ExtractTask task(smallOptions(root, prefix));
    const QJsonObject r = runTask(task);
    const QJsonObject split = r[QStringLiteral("splits")].toArray()[0].toObject();
    QCOMPARE(split[QStringLiteral("rows")].toInt(), 6);
    const QJsonArray skipped = split[QStringLiteral("skipped")].toArray();
    QCOMPARE(skipped.size(), 1);
    QVERIFY(skipped[0].toString().contains(QStringLiteral("broken.png")));
    const FeatureSet set = FeatureStore::load(prefix.toStdString());
    QCOMPARE(set.ids, (std::vector<std::string>{"apple/0.png", "apple/1.png", "apple/2.png", "pear/0.png", "pear/1.png", "pear/2.png"}));
    QCOMPARE(set.labels, (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
}

void TestFeatures::fcLayerGivesLogits()
{
    const QString prefix = m_tmp.path() + QStringLiteral("/fc");
    ExtractOptions o = smallOptions(m_demo, prefix);
    o.layer = "fc";
    o.splits = {"unlabeled"};
    ExtractTask task(o);
    runTask(task);
    const FeatureSet set = FeatureStore::load(prefix.toStdString());
    QCOMPARE(set.rows, int64_t(5));
    QCOMPARE(set.cols, int64_t(1000));
    QCOMPARE(set.labels, std::vector<int64_t>(5, -1));
    bool negative = false;
    for (float v : set.values)
        negative = negative || v < 0;
    QVERIFY(negative);  // logits, not post-ReLU features
}

void TestFeatures::badOptionsFail_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("error");
    QTest::newRow("layer") << QStringLiteral("layer") << QStringLiteral("conv9") << QStringLiteral("unknown layer 'conv9'");
    QTest::newRow("backbone") << QStringLiteral("backbone") << QStringLiteral("vgg16") << QStringLiteral("unknown backbone 'vgg16'");
    QTest::newRow("precision") << QStringLiteral("precision") << QStringLiteral("fp16") << QStringLiteral("unknown precision");
    QTest::newRow("split") << QStringLiteral("split") << QStringLiteral("validation") << QStringLiteral("no 'validation' split");
    QTest::newRow("weights") << QStringLiteral("weights") << QStringLiteral("/nonexistent/w.pth") << QStringLiteral("/nonexistent/w.pth");
    QTest::newRow("data") << QStringLiteral("data") << QStringLiteral("/nonexistent/data") << QStringLiteral("/nonexistent/data: no such folder");
}

void TestFeatures::badOptionsFail()
{
    QFETCH(QString, field);
    QFETCH(QString, value);
    QFETCH(QString, error);
    ExtractOptions o = smallOptions(m_demo, m_tmp.path() + QStringLiteral("/bad"));
    const std::string v = value.toStdString();
    if (field == QLatin1String("layer")) o.layer = v;
    if (field == QLatin1String("backbone")) o.backbone = v;
    if (field == QLatin1String("precision")) o.precision = v;
    if (field == QLatin1String("split")) o.splits = {v};
    if (field == QLatin1String("weights")) o.weights = v;
    if (field == QLatin1String("data")) o.data = v;
    ExtractTask task(o);
    QSignalSpy failed(&task, &Task::failed);
    task.run();
    QCOMPARE(failed.size(), 1);
    QVERIFY2(failed.front().front().toString().contains(error), qPrintable(failed.front().front().toString()));
}

QTEST_GUILESS_MAIN(TestFeatures)
#include "tst_features.moc"
