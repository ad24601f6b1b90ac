// core/pipeline: model folders (ModelBundle), run records, layer sweeps, feature cache names.
#include "pipeline/ModelBundle.h"

#include "data/Stl10.h"
#include "features/Npy.h"
#include "data/DemoData.h"
#include "features/FeatureStore.h"
#include "nets/Backbones.h"
#include "pipeline/BackboneBoard.h"
#include "pipeline/FeatureCache.h"
#include "pipeline/LayerSweep.h"
#include "pipeline/RunRecord.h"
#include "pipeline/Study.h"
#include "svm/SvmModel.h"
#include "svm/SvmReport.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFileInfo>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
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
    void runRecordTakesTheReportAndRoundTrips();
    void runResultsReadAFolder();
    void featureSettingsNameTheKey();
    void layerSweepWritesCsvAndJson();
    void featureCacheNames();
    void boardComparesBackbonesAndReusesTheCache();
    void cancelledBoardKeepsWhatFinished();
    void stl10FoldFileNestedOrFlat();
    void studyHoldsOutATestSplit();

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

namespace {

QJsonObject json(const char* text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

}  // namespace

void TestPipeline::runRecordTakesTheReportAndRoundTrips()
{
    RunRecord r;
    r.id = QStringLiteral("run-1");
    r.dir = QStringLiteral("/runs/run-1");
    r.kind = QStringLiteral("grid");
    r.svm = json(R"({"metric": "accuracy"})");
    r.takeReport(json(R"({"best": {"kernel": "rbf", "C": 10}, "cv": [{}, {}, {}], "timings": {"grid": 1.5},
        "test": {"accuracy": 0.75, "balanced_accuracy": 0.7, "f1_macro": 0.6, "roc_auc_macro": 0.9, "rows": 8,
                 "confusion": [[3, 1], [1, 3]]}})"));
    QCOMPARE(r.gridPoints, 3);
    QCOMPARE(r.best.toObject().value(QStringLiteral("C")).toInt(), 10);
    const QJsonObject o = r.toJson();
    QCOMPARE(o.value(QStringLiteral("grid_points")).toInt(), 3);
    QCOMPARE(o.value(QStringLiteral("timings")).toObject().value(QStringLiteral("grid")).toDouble(), 1.5);
    const QJsonObject test = o.value(QStringLiteral("test")).toObject();
    QCOMPARE(test.keys(), (QStringList{QStringLiteral("accuracy"), QStringLiteral("balanced_accuracy"), QStringLiteral("f1_macro"),
                                       QStringLiteral("roc_auc_macro"), QStringLiteral("rows")}));
    QCOMPARE(test.value(QStringLiteral("rows")).toInt(), 8);
    for (const char* key : {"id", "dir", "kind", "started", "finished", "dataset", "features", "train_prefix", "test_prefix", "svm", "best"})
        QVERIFY2(o.contains(QLatin1String(key)), key);

    QJsonObject stored = o;
    stored[QStringLiteral("note")] = QStringLiteral("kept");  // written by a newer version
    QCOMPARE(RunRecord::fromJson(stored).toJson(), stored);

    RunRecord untested;
    untested.takeReport(json(R"({"cv": []})"));
    const QJsonObject u = untested.toJson();
    QVERIFY(!u.contains(QStringLiteral("test")));
    QVERIFY(!u.contains(QStringLiteral("best")));
    QVERIFY(!u.contains(QStringLiteral("timings")));
    QCOMPARE(u.value(QStringLiteral("grid_points")).toInt(), 0);
}

void TestPipeline::runResultsReadAFolder()
{
    const QString dir = m_dir.filePath(QStringLiteral("run"));
    QDir().mkpath(dir);
    writeText(dir + QStringLiteral("/report.json"),
              R"({"class_names": ["cat", "dog"], "test": {"confusion": [[2, 1], [0, 1]]}})");
    writeText(dir + QStringLiteral("/predictions.csv"),
              "index,true,predicted,p_cat,p_dog\n0,0,0,0.9,0.1\n1,0,1,0.4,0.6\n2,0,0,0.8,0.2\n3,1,1,0.3,0.7\n");
    RunResults r;
    QString error;
    QVERIFY2(RunResults::load(dir, &r, &error), qPrintable(error));
    QCOMPARE(r.classNames, (std::vector<std::string>{"cat", "dog"}));
    QVERIFY(r.hasTest());
    QCOMPARE(r.confusion.counts, (std::vector<int64_t>{2, 1, 0, 1}));
    QVERIFY(r.hasPredictions);
    QCOMPARE(r.truth, (std::vector<int>{0, 0, 0, 1}));
    QCOMPARE(r.predicted, (std::vector<int>{0, 1, 0, 1}));
    QCOMPARE(r.probabilities.size(), std::size_t(8));
    QVERIFY(r.hasRoc);

    QFile::remove(dir + QStringLiteral("/predictions.csv"));  // the charts of `deepsvm run` go on without it
    QVERIFY(RunResults::load(dir, &r, &error));
    QVERIFY(!r.hasPredictions);
    QVERIFY(!r.hasRoc);

    writeText(dir + QStringLiteral("/report.json"), R"({"class_names": ["cat", "dog"], "test": {"confusion": [[2, 1]]}})");
    QVERIFY(!RunResults::load(dir, &r, &error));
    QVERIFY2(error.contains(QStringLiteral("not 2 x 2")), qPrintable(error));
    QVERIFY(!RunResults::load(m_dir.filePath(QStringLiteral("nowhere")), &r, &error));
    QVERIFY2(error.contains(QStringLiteral("report.json: cannot open")), qPrintable(error));
}

void TestPipeline::featureSettingsNameTheKey()
{
    FeatureKey key;
    key.backbone = "resnet50";
    key.normalization = "half";
    key.split = "train";
    QJsonObject side{{QStringLiteral("key"), key.toJson()}, {QStringLiteral("pretrained"), true},
                     {QStringLiteral("weights_file"), QStringLiteral("/w/resnet50.pth")}};
    const QString prefix = m_dir.filePath(QStringLiteral("feats.train"));
    writeText(prefix + QStringLiteral(".json"), QJsonDocument(side).toJson());
    const QJsonObject s = featureSettingsOf(prefix);
    QCOMPARE(s.value(QStringLiteral("backbone")).toString(), QStringLiteral("resnet50"));
    QCOMPARE(s.value(QStringLiteral("weights")).toString(), QStringLiteral("/w/resnet50.pth"));
    QCOMPARE(s.value(QStringLiteral("normalization")).toString(), QStringLiteral("half"));
    QCOMPARE(s.value(QStringLiteral("weights_file")).toString(), QStringLiteral("/w/resnet50.pth"));

    // A derived split (run's hold-out) names its origin's key; random weights say so.
    side.remove(QStringLiteral("key"));
    side[QStringLiteral("source_key")] = key.toJson();
    side[QStringLiteral("pretrained")] = false;
    writeText(prefix + QStringLiteral(".json"), QJsonDocument(side).toJson());
    const QJsonObject derived = featureSettingsOf(prefix);
    QCOMPARE(derived.value(QStringLiteral("backbone")).toString(), QStringLiteral("resnet50"));
    QCOMPARE(derived.value(QStringLiteral("weights")).toString(), QStringLiteral("random"));
    QVERIFY(featureSettingsOf(m_dir.filePath(QStringLiteral("absent"))).isEmpty());
}

void TestPipeline::layerSweepWritesCsvAndJson()
{
    LayerSweep sweep(json(R"({"epochs": 2})"));
    sweep.add(QStringLiteral("layer4"), json(R"({"trainable_parameters": 1000, "weights": "/o/layer4/weights.pth",
        "epochs": [{"seconds": 1.25, "train_loss": 2, "train_accuracy": 0.1, "val_loss": 1.5, "val_accuracy": 0.2},
                   {"seconds": 2.5, "train_loss": 1, "train_accuracy": 0.5, "val_loss": 0.75, "val_accuracy": 0.625}]})"));
    const SweepRow& head = sweep.add(QStringLiteral("head"), json(R"({"trainable_parameters": 20,
        "epochs": [{"seconds": 3, "train_loss": 0.5, "train_accuracy": 0.75}]})"));
    QVERIFY(std::isnan(head.validationLoss));  // no validation split: drawn as missing
    QCOMPARE(sweep.rows().size(), std::size_t(2));
    QCOMPARE(sweep.rows()[0].seconds, 3.75);
    const QString dir = m_dir.filePath(QStringLiteral("sweep"));
    QDir().mkpath(dir);
    sweep.write(dir);
    QFile csv(dir + QStringLiteral("/sweep.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll(), QByteArray("layer,trainable_parameters,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n"
                                       "layer4,1000,1,0.5,0.75,0.625,3.75\n"
                                       "head,20,0.5,0.75,0,0,3.00\n"));
    QFile file(dir + QStringLiteral("/sweep.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject written = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(written.value(QStringLiteral("options")).toObject().value(QStringLiteral("epochs")).toInt(), 2);
    const QJsonArray layers = written.value(QStringLiteral("layers")).toArray();
    QCOMPARE(layers.size(), 2);
    QCOMPARE(layers[0].toObject().value(QStringLiteral("weights")).toString(), QStringLiteral("/o/layer4/weights.pth"));
    QCOMPARE(layers[0].toObject().value(QStringLiteral("val_accuracy")).toDouble(), 0.625);
    QVERIFY(!layers[1].toObject().contains(QStringLiteral("val_loss")));
}

void TestPipeline::featureCacheNames()
{
    ExtractOptions o;
    o.backbone = "resnet18";
    o.layer = "avgpool";
    o.size = 96;
    o.precision = "fp32";
    o.splits = {"train", "test"};
    const QString data = m_dir.filePath(QStringLiteral("shapes"));
    const QString both = featureCachePrefix(QStringLiteral("/cache"), data, o);
    const QByteArray identity = (data + QStringLiteral("|random|imagenet")).toUtf8();
    const QString tag = QString::fromLatin1(QCryptographicHash::hash(identity, QCryptographicHash::Sha256).toHex().left(8));
    QCOMPARE(both, QStringLiteral("/cache/shapes-resnet18-avgpool-96-fp32-random-") + tag);
    o.splits = {"test"};
    o.limit = 50;
    QCOMPARE(featureCachePrefix(QStringLiteral("/cache"), data, o),
             QStringLiteral("/cache/shapes-resnet18-avgpool-96-fp32-random-first50-") + tag + QStringLiteral(".test"));
    o.normalization = "half";  // not in the readable part of the name: in the hash
    QVERIFY(!featureCachePrefix(QStringLiteral("/cache"), data, o).contains(tag));
    // Every name of one setting finds one entry: ResNet's "penultimate" is "avgpool", and a
    // resize of 0 is the backbone's default (ConvNeXt's proportion, named; ResNet's, the crop).
    o.normalization = "imagenet";
    ExtractOptions same = o;
    same.layer = "penultimate";
    QCOMPARE(featureCachePrefix(QStringLiteral("/cache"), data, same), featureCachePrefix(QStringLiteral("/cache"), data, o));
    same.resize = 96;
    QCOMPARE(featureCachePrefix(QStringLiteral("/cache"), data, same), featureCachePrefix(QStringLiteral("/cache"), data, o));
    ExtractOptions convnext = o;
    convnext.backbone = "convnext_tiny";
    convnext.layer = "penultimate";
    convnext.limit = -1;
    const QString byDefault = featureCachePrefix(QStringLiteral("/cache"), data, convnext);
    QVERIFY2(byDefault.contains(QStringLiteral("-resize101-")), qPrintable(byDefault));
    convnext.resize = defaultResize("convnext_tiny", 96);
    QCOMPARE(featureCachePrefix(QStringLiteral("/cache"), data, convnext), byDefault);
}

namespace {

BoardOptions smallBoard(const QString& root)
{
    const QString demo = root + QStringLiteral("/demo");
    if (!QFileInfo::exists(demo)) {
        DemoOptions d;
        d.trainPerClass = 6;
        d.testPerClass = 1;
        writeDemoStl10(demo.toStdString(), d);
    }
    BoardOptions o;
    o.extract.data = demo.toStdString();
    o.extract.size = 32;
    o.extract.batchSize = 16;
    o.candidates = {{"resnet18", "penultimate", "random"}, {"convnext_tiny", "penultimate", "random"},
                    {"resnet18", "logits", "random"}};
    o.cacheDir = (root + QStringLiteral("/features")).toStdString();
    o.outDir = (root + QStringLiteral("/board")).toStdString();
    o.svm.folds = 3;
    return o;
}

std::vector<BoardRow> runBoard(const BoardOptions& o, BoardTask* task = nullptr)
{
    std::unique_ptr<BoardTask> own;
    if (!task) {
        own = std::make_unique<BoardTask>(o);
        task = own.get();
    }
    std::vector<BoardRow> rows;
    QObject::connect(task, &Task::partialResult, task, [&](const QVariant& v) {
        if (v.canConvert<BoardRow>())
            rows.push_back(v.value<BoardRow>());
    });
    task->run();
    return rows;
}

}  // namespace

/// The board's rows are what `deepsvm svm` finds on the same features with the same grid; the
/// best is the highest CV accuracy; board.csv / board.json hold them; a second board takes
/// every feature file from the cache and scores the same.
void TestPipeline::boardComparesBackbonesAndReusesTheCache()
{
    const QString root = m_dir.filePath(QStringLiteral("board"));
    const BoardOptions o = smallBoard(root);
    BoardTask task(o);
    QVariant result;
    connect(&task, &Task::finished, this, [&](const QVariant& v) { result = v; });
    const std::vector<BoardRow> rows = runBoard(o, &task);
    QCOMPARE(task.state(), Task::State::Finished);
    QCOMPARE(rows.size(), std::size_t(3));
    const BoardResult board = result.value<BoardResult>();
    QCOMPARE(board.rows.size(), std::size_t(3));
    QCOMPARE(board.best, bestBoardRow(rows));
    for (std::size_t i = 0; i < rows.size(); ++i)
        QVERIFY(rows[std::size_t(board.best)].cvMean >= rows[i].cvMean);
    QCOMPARE(rows[0].featureDim, int64_t(512));
    QCOMPARE(rows[1].featureDim, int64_t(768));
    QCOMPARE(rows[2].featureDim, int64_t(1000));
    QCOMPARE(rows[1].resize, defaultResize("convnext_tiny", 32));
    for (const BoardRow& r : rows) {
        QCOMPARE(r.rows, int64_t(60));
        QVERIFY(!r.reused);
        QVERIFY(r.imagesPerSecond > 0);
        QVERIFY(!std::isfinite(r.imagenetTop1));  // random weights have no ImageNet score
        QCOMPARE(r.cvFolds.size(), std::size_t(3));
        // The same grid search as `deepsvm svm` on the board's feature file.
        SvmOptions svm = o.svm;
        svm.trainPrefix = r.featuresPrefix;
        svm.outDir = (root + QStringLiteral("/check-") + QString::fromStdString(r.candidate.backbone + r.candidate.layer)).toStdString();
        SvmTask check(svm);
        QJsonObject report;
        connect(&check, &Task::finished, this, [&](const QVariant& v) { report = v.toJsonObject(); });
        check.run();
        double best = -1, bestStd = 0;
        for (const QJsonValue& v : report.value(QStringLiteral("cv")).toArray())
            if (v.toObject().value(QStringLiteral("mean")).toDouble() > best) {
                best = v.toObject().value(QStringLiteral("mean")).toDouble();
                bestStd = v.toObject().value(QStringLiteral("std")).toDouble();
            }
        QCOMPARE(r.cvMean, best);
        QCOMPARE(r.cvStd, bestStd);
        QCOMPARE(r.best, report.value(QStringLiteral("best")).toObject());
    }
    QFile csv(root + QStringLiteral("/board/board.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().split('\n');
    QCOMPARE(lines.first(), QByteArray("backbone,layer,weights,weights_tag,imagenet_top1,size,resize,rows,feature_dim,"
                                       "images_per_second,extraction_reused,cv_accuracy,cv_std,best_kernel,best_C,best_gamma,"
                                       "svm_seconds,features"));
    QCOMPARE(lines.size(), qsizetype(5));  // header, three rows, the final newline
    QVERIFY(lines[2].startsWith("convnext_tiny,penultimate,random,,,32,34,60,768,"));
    const QJsonObject json = QJsonDocument::fromJson([&] {
        QFile f(root + QStringLiteral("/board/board.json"));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }()).object();
    QCOMPARE(json.value(QStringLiteral("best")).toInt(), board.best);
    QCOMPARE(json.value(QStringLiteral("rows")).toArray().size(), qsizetype(3));
    QCOMPARE(json.value(QStringLiteral("grid")).toObject().value(QStringLiteral("folds")).toInt(), 3);

    const std::vector<BoardRow> again = runBoard(o);
    QCOMPARE(again.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        QVERIFY(again[i].reused);
        QCOMPARE(again[i].featuresPrefix, rows[i].featuresPrefix);
        QCOMPARE(again[i].imagesPerSecond, rows[i].imagesPerSecond);  // as recorded when extracted
        QCOMPARE(again[i].cvMean, rows[i].cvMean);
    }
}

/// Cancelled after its first backbone, the board ends cancelled and board.csv keeps that row.
void TestPipeline::cancelledBoardKeepsWhatFinished()
{
    const QString root = m_dir.filePath(QStringLiteral("board-cancel"));
    BoardOptions o = smallBoard(root);
    BoardTask task(o);
    connect(&task, &Task::partialResult, this, [&](const QVariant& v) {
        if (v.canConvert<BoardRow>())
            task.requestCancel();
    });
    const std::vector<BoardRow> rows = runBoard(o, &task);
    QCOMPARE(task.state(), Task::State::Cancelled);
    QCOMPARE(rows.size(), std::size_t(1));
    QFile csv(root + QStringLiteral("/board/board.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().count('\n'), qsizetype(2));
}

void TestPipeline::stl10FoldFileNestedOrFlat()
{
    const QString nested = m_dir.filePath(QStringLiteral("stl-nested"));
    QDir().mkpath(nested + QStringLiteral("/stl10_binary"));
    writeText(nested + QStringLiteral("/stl10_binary/fold_indices.txt"), "0 1\n");
    QCOMPARE(QString::fromStdString(stl10FoldFile(nested.toStdString())), nested + QStringLiteral("/stl10_binary/fold_indices.txt"));
    // The stl10_binary folder itself (what Stl10Dataset::root() gives), or a folder without one.
    QCOMPARE(QString::fromStdString(stl10FoldFile((nested + QStringLiteral("/stl10_binary")).toStdString())),
             nested + QStringLiteral("/stl10_binary/fold_indices.txt"));
    QCOMPARE(QString::fromStdString(stl10FoldFile("/nowhere")), QStringLiteral("/nowhere/fold_indices.txt"));
}

void TestPipeline::studyHoldsOutATestSplit()
{
    // 20 rows of 3 features, classes 0 and 1 alternating; row r's features are r, r, r.
    const std::string prefix = m_dir.filePath(QStringLiteral("study/features")).toStdString();
    QDir().mkpath(m_dir.filePath(QStringLiteral("study")));
    std::vector<float> values;
    std::vector<int64_t> labels;
    QJsonArray ids;
    for (int r = 0; r < 20; ++r) {
        values.insert(values.end(), {float(r), float(r), float(r)});
        labels.push_back(r % 2);
        ids.append(QStringLiteral("img%1").arg(r));
    }
    writeNpy(FeatureStore::featuresPath(prefix), values.data(), 20, 3);
    writeNpy(FeatureStore::labelsPath(prefix), labels.data(), 20);
    FeatureKey key;
    key.backbone = "resnet18";
    FeatureStore::writeSidecar(prefix, QJsonObject{{QStringLiteral("key"), key.toJson()}, {QStringLiteral("ids"), ids},
                                                   {QStringLiteral("class_names"), QJsonArray{QStringLiteral("a"), QStringLiteral("b")}}});

    const StudySplits withTest = studySplits(prefix, true, 0.25, 1);
    QVERIFY(!withTest.heldOut);
    QCOMPARE(withTest.trainPrefix, prefix + ".train");
    QVERIFY(!QFile::exists(QString::fromStdString(FeatureStore::featuresPath(withTest.trainPrefix))));

    const StudySplits s = studySplits(prefix, false, 0.2, 1);  // 2 of each class's 10 rows
    QVERIFY(s.heldOut);
    QCOMPARE(s.trainRows + s.testRows, std::size_t(20));
    QCOMPARE(s.testRows, std::size_t(4));
    const FeatureSet train = FeatureStore::load(s.trainPrefix), test = FeatureStore::load(s.testPrefix);
    QCOMPARE(train.rows, int64_t(16));
    QCOMPARE(test.rows, int64_t(4));
    QCOMPARE(std::count(test.labels.begin(), test.labels.end(), int64_t(1)), std::ptrdiff_t(2));  // stratified
    std::vector<int> seen(20, 0);
    for (const FeatureSet* set : {&train, &test})
        for (int64_t i = 0; i < set->rows; ++i) {
            const int r = int(set->values[std::size_t(i * 3)]);
            ++seen[std::size_t(r)];
            QCOMPARE(set->labels[std::size_t(i)], int64_t(r % 2));  // each row keeps its label and id
            QCOMPARE(QString::fromStdString(set->ids[std::size_t(i)]), QStringLiteral("img%1").arg(r));
        }
    QCOMPARE(seen, std::vector<int>(20, 1));
    QVERIFY(!test.sidecar.contains(QStringLiteral("key")));  // never a cache entry
    QCOMPARE(FeatureKey::fromJson(test.sidecar.value(QStringLiteral("source_key")).toObject()).backbone, std::string("resnet18"));
    QCOMPARE(test.sidecar.value(QStringLiteral("derived_split")).toString(), QStringLiteral("test"));
    QCOMPARE(test.classNames, (std::vector<std::string>{"a", "b"}));

    // The window's cached hold-out: made once, then reused from the sidecars (no file is
    // written again) until the cache entry it came from changes.
    const StudySplits cached = cachedHoldOut(prefix, 0.2, 1);
    QVERIFY(QString::fromStdString(cached.testPrefix).endsWith(QStringLiteral(".holdout-0.2-s1.test")));
    QCOMPARE(cached.testRows, std::size_t(4));
    const QString testFile = QString::fromStdString(FeatureStore::featuresPath(cached.testPrefix));
    const QDateTime made = QFileInfo(testFile).lastModified();
    QTest::qWait(20);
    const StudySplits again = cachedHoldOut(prefix, 0.2, 1);
    QCOMPARE(again.trainRows, std::size_t(16));
    QCOMPARE(again.testRows, std::size_t(4));
    QCOMPARE(QFileInfo(testFile).lastModified(), made);
    key.backbone = "resnet34";  // re-extracted with another network
    FeatureStore::writeSidecar(prefix, QJsonObject{{QStringLiteral("key"), key.toJson()}, {QStringLiteral("ids"), ids},
                                                   {QStringLiteral("class_names"), QJsonArray{QStringLiteral("a"), QStringLiteral("b")}}});
    cachedHoldOut(prefix, 0.2, 1);
    QVERIFY(QFileInfo(testFile).lastModified() != made);
    QCOMPARE(FeatureKey::fromJson(FeatureStore::load(cached.testPrefix).sidecar.value(QStringLiteral("source_key")).toObject()).backbone,
             std::string("resnet34"));
}

QTEST_GUILESS_MAIN(TestPipeline)
#include "tst_pipeline.moc"
