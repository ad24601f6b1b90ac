// A user's own photos through the commands: a class folder without a split, classifying
// folders, a CSV dataset, label issues, near-duplicates, images of extreme shapes.
#include "../common/TestSupport.h"

#include "features/Npy.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <unistd.h>

using namespace deepsvm;

namespace {

test::ProcessResult runDeepsvm(const QStringList& args) { return test::runProcess(test::deepsvmBinary(), args); }

QList<QByteArray> csvLines(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().trimmed().split('\n');
}

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
}

/// `perClass` pictures per class: class 0 a red disc, class 1 a blue bar, class 2 a green
/// cross, each at a random place and size on a noisy background, as PNG.
void writeClassFolder(const QString& root, int perClass, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pos(4, 28), noise(0, 60);
    const char* names[] = {"bars", "crosses", "discs"};
    for (int c = 0; c < 3; ++c) {
        QDir().mkpath(root + QLatin1Char('/') + QLatin1String(names[c]));
        for (int i = 0; i < perClass; ++i) {
            QImage im(48, 40, QImage::Format_RGB32);
            for (int y = 0; y < im.height(); ++y)
                for (int x = 0; x < im.width(); ++x)
                    im.setPixel(x, y, qRgb(noise(rng) + 80, noise(rng) + 80, noise(rng) + 80));
            QPainter p(&im);
            p.setPen(Qt::NoPen);
            const int x = pos(rng), y = pos(rng) / 2 + 4;
            if (c == 0) { p.setBrush(QColor(40, 60, 230)); p.drawRect(x - 4, 2, 8, 36); }
            if (c == 1) { p.setBrush(QColor(40, 200, 60)); p.drawRect(x - 10, y - 2, 20, 4); p.drawRect(x - 2, y - 10, 4, 20); }
            if (c == 2) { p.setBrush(QColor(230, 40, 40)); p.drawEllipse(QPoint(x + 8, y + 4), 9, 9); }
            p.end();
            QVERIFY(im.save(QStringLiteral("%1/%2/%3.png").arg(root, QLatin1String(names[c])).arg(i, 3, 10, QLatin1Char('0'))));
        }
        // The last picture of each class is a copy of the one before: a leak when a hold-out
        // puts them on both sides.
        const QString last = QStringLiteral("%1/%2/%3.png").arg(root, QLatin1String(names[c])).arg(perClass - 1, 3, 10, QLatin1Char('0'));
        QVERIFY(QFile::remove(last));
        QVERIFY(QFile::copy(QStringLiteral("%1/%2/%3.png").arg(root, QLatin1String(names[c])).arg(perClass - 2, 3, 10, QLatin1Char('0')), last));
    }
}

}  // namespace

class TestOwnData : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void classFolderRunHoldsOutATestSplit();
    void classifyFoldersInBatches();
    void linearSolversTrainAndClassify();
    void csvDataset();
    void labelIssuesArePreciserThanDisagreement();
    void labelsOverrideReachesExtractionAndSvm();
    void nearDuplicatesFindEditedCopies();
    void extremeImageExtractsWithBoundedMemory();

private:
    QString path(const QString& name) const { return m_tmp.filePath(name); }
    QTemporaryDir m_tmp;
    QString m_photos, m_model;
    const QStringList m_net{QStringLiteral("--backbone"), QStringLiteral("resnet18"), QStringLiteral("--size"),
                            QStringLiteral("32"), QStringLiteral("--weights"), QStringLiteral("random")};
};

void TestOwnData::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_photos = path(QStringLiteral("photos"));
    writeClassFolder(m_photos, 10, 5);
}

void TestOwnData::classFolderRunHoldsOutATestSplit()
{
    m_model = path(QStringLiteral("model"));
    const auto r = runDeepsvm(QStringList{QStringLiteral("run"), QStringLiteral("--data"), m_photos} + m_net
                              + QStringList{QStringLiteral("--kernel"), QStringLiteral("rbf"), QStringLiteral("--C"),
                                            QStringLiteral("1,10"), QStringLiteral("--gamma"), QStringLiteral("scale"),
                                            QStringLiteral("--folds"), QStringLiteral("3"), QStringLiteral("--out"), m_model});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("24 images for training, 6 held out for testing"), r.err.constData());
    const QJsonObject report = readJson(m_model + QStringLiteral("/report.json"));
    QCOMPARE(report[QStringLiteral("test")].toObject()[QStringLiteral("rows")].toInt(), 6);
    // Out-of-fold predictions of every training row, shaped like predictions.csv.
    const QJsonObject oof = report[QStringLiteral("oof")].toObject();
    QCOMPARE(oof[QStringLiteral("rows")].toInt(), 24);
    QVERIFY(oof[QStringLiteral("confusion")].toArray().size() == 3);
    QVERIFY(oof.contains(QStringLiteral("roc_auc_macro")));
    const auto oofLines = csvLines(m_model + QStringLiteral("/oof_predictions.csv"));
    QCOMPARE(oofLines.size(), 25);
    QCOMPARE(oofLines.front(), csvLines(m_model + QStringLiteral("/predictions.csv")).front());
    // The leak check: every copy that the hold-out put on the other side of its original is
    // listed, as identical.
    const QJsonObject nd = report[QStringLiteral("near_duplicates")].toObject();
    const QJsonArray pairs = nd[QStringLiteral("pairs")].toArray();
    QCOMPARE(nd[QStringLiteral("count")].toInt(), pairs.size());
    QSet<QString> trainIds, testIds;
    for (const auto& v : readJson(m_model + QStringLiteral("/features/features.train.json"))[QStringLiteral("ids")].toArray())
        trainIds.insert(v.toString());
    for (const auto& v : readJson(m_model + QStringLiteral("/features/features.test.json"))[QStringLiteral("ids")].toArray())
        testIds.insert(v.toString());
    int leaks = 0;
    for (const char* cls : {"bars", "crosses", "discs"}) {
        const QString a = QStringLiteral("%1/008.png").arg(QLatin1String(cls)), b = QStringLiteral("%1/009.png").arg(QLatin1String(cls));
        if (trainIds.contains(a) == trainIds.contains(b))
            continue;
        ++leaks;
        const QString test = testIds.contains(a) ? a : b, train = testIds.contains(a) ? b : a;
        bool listed = false;
        for (const auto& v : pairs) {
            const QJsonObject p = v.toObject();
            listed = listed || (p[QStringLiteral("test_id")].toString() == test && p[QStringLiteral("train_id")].toString() == train
                                && p[QStringLiteral("similarity")].toDouble() > 0.999);
        }
        QVERIFY2(listed, qPrintable(test + QStringLiteral(" (test) copies ") + train));
    }
    qInfo("%d copied pictures across the hold-out, %d pairs listed", leaks, int(pairs.size()));
    for (const auto& v : pairs)
        QVERIFY(v.toObject()[QStringLiteral("similarity")].toDouble() >= nd[QStringLiteral("threshold")].toDouble());
}

void TestOwnData::classifyFoldersInBatches()
{
    QVERIFY2(!m_model.isEmpty(), "needs the model of classFolderRunHoldsOutATestSplit");
    // The held-out test images, by path, in a folder tree with a non-image, a nested folder
    // and a symbolic link back to its parent (a cycle).
    const QJsonObject side = readJson(m_model + QStringLiteral("/features/features.test.json"));
    const QJsonArray ids = side[QStringLiteral("ids")].toArray();
    QCOMPARE(ids.size(), 6);
    const QString tree = path(QStringLiteral("to-classify"));
    QVERIFY(QDir().mkpath(tree + QStringLiteral("/nested/deeper")));
    QStringList copied;
    for (int i = 0; i < ids.size(); ++i) {
        const QString dest = QStringLiteral("%1/%2/%3.png").arg(tree, i % 2 ? QStringLiteral("nested/deeper") : QStringLiteral("nested")).arg(i);
        QVERIFY(QFile::copy(m_photos + QLatin1Char('/') + ids[i].toString(), dest));
        copied << dest;
    }
    QFile notes(tree + QStringLiteral("/nested/README.txt"));
    QVERIFY(notes.open(QIODevice::WriteOnly));
    notes.write("not an image");
    notes.close();
    QVERIFY(QFile::link(tree + QStringLiteral("/nested"), tree + QStringLiteral("/nested/deeper/loop")));
    const QString csv = path(QStringLiteral("classified.csv"));
    const auto r = runDeepsvm({QStringLiteral("classify"), QStringLiteral("--model"), m_model, tree, QStringLiteral("--csv"), csv,
                               QStringLiteral("--batch-size"), QStringLiteral("4")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("README.txt: not an image file"), r.err.constData());
    QVERIFY2(r.err.contains("already listed"), r.err.constData());
    const auto lines = csvLines(csv);
    QCOMPARE(lines.front(), QByteArray("path,predicted,p_bars,p_crosses,p_discs,far_from_training"));
    QCOMPARE(lines.size(), 7);  // every image once, the cycle did not multiply them
    // Sorted as a walk lists them; the same predictions as the run's own test scoring.
    const auto predictions = csvLines(m_model + QStringLiteral("/predictions.csv"));
    const QStringList classes{QStringLiteral("bars"), QStringLiteral("crosses"), QStringLiteral("discs")};
    QSet<QString> seen;
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> cells = lines[i].split(',');
        const QString file = QString::fromUtf8(cells[0]);
        QVERIFY(!seen.contains(file));
        seen.insert(file);
        const int row = copied.indexOf(QDir::cleanPath(file));
        QVERIFY2(row >= 0, cells[0].constData());
        const int expected = predictions[row + 1].split(',')[2].toInt();
        QCOMPARE(QString::fromUtf8(cells[1]), classes[expected]);
        double sum = 0;
        for (int k = 2; k < 5; ++k) sum += cells[k].toDouble();
        QVERIFY(std::abs(sum - 1.0) < 1e-6);
    }
    // A named file that is not an image is an error, by name; the rest still go through.
    const auto bad = runDeepsvm({QStringLiteral("classify"), QStringLiteral("--model"), m_model, copied.front(),
                                 tree + QStringLiteral("/nested/README.txt")});
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.contains("README.txt: not an image file"), bad.err.constData());
    QVERIFY(bad.out.contains(copied.front().toUtf8()));
}

void TestOwnData::linearSolversTrainAndClassify()
{
    // --solver nystroem:M and liblinear on the run's own features: the report says which
    // estimator it is, the folder holds the linear model's files (no model.libsvm), and
    // classify answers exactly as the run's test scoring did.
    QVERIFY2(!m_model.isEmpty(), "needs the model of classFolderRunHoldsOutATestSplit");
    const QString train = m_model + QStringLiteral("/features/features.train"), test = m_model + QStringLiteral("/features/features.test");
    const QString ny = path(QStringLiteral("nystroem-model"));
    const auto r = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), train, QStringLiteral("--test"), test,
                               QStringLiteral("--solver"), QStringLiteral("nystroem:12"), QStringLiteral("--kernel"),
                               QStringLiteral("rbf"), QStringLiteral("--C"), QStringLiteral("0.1,10"), QStringLiteral("--gamma"),
                               QStringLiteral("scale"), QStringLiteral("--folds"), QStringLiteral("3"), QStringLiteral("--out"), ny});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("solver: nystroem:12 as asked; estimate about"), r.err.constData());
    const QJsonObject report = readJson(ny + QStringLiteral("/report.json"));
    const QJsonObject solver = report[QStringLiteral("solver")].toObject();
    QCOMPARE(solver[QStringLiteral("name")].toString(), QStringLiteral("nystroem:12"));
    QVERIFY(solver[QStringLiteral("estimator")].toString().contains(QStringLiteral("LinearSVC")));
    QVERIFY(solver[QStringLiteral("probability")].toString().contains(QStringLiteral("Platt")));
    QCOMPARE(report[QStringLiteral("cv")].toArray().size(), 2);
    QCOMPARE(report[QStringLiteral("oof")].toObject()[QStringLiteral("rows")].toInt(), 24);
    QVERIFY(!report.contains(QStringLiteral("support_vectors")));
    for (const char* file : {"model.linear.json", "nystroem.json", "nystroem_landmarks.npy", "nystroem_normalization.npy"})
        QVERIFY2(QFile::exists(ny + QLatin1Char('/') + QLatin1String(file)), file);
    QVERIFY(!QFile::exists(ny + QStringLiteral("/model.libsvm")));

    const QJsonArray ids = readJson(m_model + QStringLiteral("/features/features.test.json"))[QStringLiteral("ids")].toArray();
    QStringList images;
    for (const auto& id : ids) images << m_photos + QLatin1Char('/') + id.toString();
    const QString csv = path(QStringLiteral("nystroem-classified.csv"));
    const auto c = runDeepsvm(QStringList{QStringLiteral("classify"), QStringLiteral("--model"), ny, QStringLiteral("--csv"), csv} + images);
    QVERIFY2(c.exitCode == 0, c.err.constData());
    const auto lines = csvLines(csv);
    const auto predictions = csvLines(ny + QStringLiteral("/predictions.csv"));
    QCOMPARE(lines.size(), 7);
    const QStringList classes{QStringLiteral("bars"), QStringLiteral("crosses"), QStringLiteral("discs")};
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> cells = lines[i].split(',');
        const int row = images.indexOf(QString::fromUtf8(cells[0]));
        QVERIFY2(row >= 0, cells[0].constData());
        QCOMPARE(QString::fromUtf8(cells[1]), classes[predictions[row + 1].split(',')[2].toInt()]);
        for (int k = 0; k < 3; ++k)  // the same Platt probabilities as predictions.csv's
            QVERIFY(std::abs(cells[2 + k].toDouble() - predictions[row + 1].split(',')[3 + k].toDouble()) < 1e-6);
    }

    // liblinear is the linear kernel's: another kernel is refused with the way out.
    const QString lin = path(QStringLiteral("liblinear-model"));
    const auto refused = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), train, QStringLiteral("--solver"),
                                     QStringLiteral("liblinear"), QStringLiteral("--kernel"), QStringLiteral("rbf"),
                                     QStringLiteral("--out"), lin});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("--solver nystroem:M"), refused.err.constData());
    const auto l = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), train, QStringLiteral("--test"), test,
                               QStringLiteral("--solver"), QStringLiteral("liblinear"), QStringLiteral("--kernel"),
                               QStringLiteral("linear"), QStringLiteral("--C"), QStringLiteral("0.01,1"), QStringLiteral("--folds"),
                               QStringLiteral("3"), QStringLiteral("--out"), lin});
    QVERIFY2(l.exitCode == 0, l.err.constData());
    const QJsonObject lr = readJson(lin + QStringLiteral("/report.json"));
    QCOMPARE(lr[QStringLiteral("solver")].toObject()[QStringLiteral("name")].toString(), QStringLiteral("liblinear"));
    QVERIFY(QFile::exists(lin + QStringLiteral("/model.linear.json")));
    QVERIFY(!QFile::exists(lin + QStringLiteral("/nystroem.json")));
    // auto on 24 rows: the exact SVM, said so.
    const auto a = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), train, QStringLiteral("--kernel"),
                               QStringLiteral("linear"), QStringLiteral("--C"), QStringLiteral("1"), QStringLiteral("--folds"),
                               QStringLiteral("3"), QStringLiteral("--out"), lin});
    QVERIFY2(a.exitCode == 0, a.err.constData());
    QVERIFY2(a.err.contains("solver: exact: 24 rows"), a.err.constData());
    QVERIFY(QFile::exists(lin + QStringLiteral("/model.libsvm")));
    QVERIFY(!QFile::exists(lin + QStringLiteral("/model.linear.json")));  // the folder's earlier linear model is gone
}

void TestOwnData::csvDataset()
{
    // The photos listed in a CSV beside them (relative paths), with labels that are not the
    // folder names, and a split column.
    const QString file = m_photos + QStringLiteral("/labels.csv");
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("path,label,split\n");
    for (const char* cls : {"bars", "discs"})
        for (int i = 0; i < 10; ++i)
            f.write(QStringLiteral("%1/%2.png,%3,%4\n").arg(QLatin1String(cls)).arg(i, 3, 10, QLatin1Char('0'))
                        .arg(QLatin1String(cls) == QLatin1String("bars") ? QStringLiteral("vertical") : QStringLiteral("round"))
                        .arg(i < 7 ? QStringLiteral("train") : QStringLiteral("test")).toUtf8());
    f.close();
    const QString prefix = path(QStringLiteral("csvfeatures"));
    const auto r = runDeepsvm(QStringList{QStringLiteral("extract"), QStringLiteral("--data"), file} + m_net
                              + QStringList{QStringLiteral("--out"), prefix});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject train = readJson(prefix + QStringLiteral(".train.json"));
    QCOMPARE(train[QStringLiteral("class_names")].toArray(), (QJsonArray{QStringLiteral("round"), QStringLiteral("vertical")}));
    QCOMPARE(train[QStringLiteral("ids")].toArray().size(), 14);
    QCOMPARE(train[QStringLiteral("ids")].toArray().first().toString(), QStringLiteral("bars/000.png"));
    const QJsonObject test = readJson(prefix + QStringLiteral(".test.json"));
    QCOMPARE(test[QStringLiteral("ids")].toArray().size(), 6);
    const std::vector<int64_t> labels = readNpyInt((prefix + QStringLiteral(".train.labels.npy")).toStdString()).data;
    QCOMPARE(labels.front(), int64_t(1));  // bars are "vertical", the second class
    QCOMPARE(labels.back(), int64_t(0));
    // A line naming a missing file is skipped by name (file and line), not fatal.
    QVERIFY(f.open(QIODevice::Append));
    f.write("bars/missing.png,vertical,train\n");
    f.close();
    const auto r2 = runDeepsvm(QStringList{QStringLiteral("extract"), QStringLiteral("--data"), file} + m_net
                               + QStringList{QStringLiteral("--out"), prefix + QStringLiteral("2")});
    QVERIFY2(r2.exitCode == 0, r2.err.constData());
    QVERIFY2(r2.err.contains("labels.csv:22"), r2.err.constData());
}

void TestOwnData::labelIssuesArePreciserThanDisagreement()
{
    // Six overlapping classes in 10 dimensions (the model makes honest mistakes too); 6% of
    // the labels flipped to another class.
    std::mt19937 rng(11);
    std::normal_distribution<double> normal(0.0, 1.0);
    const int classes = 6, perClass = 80, dims = 10, n = classes * perClass;
    std::vector<double> centres(std::size_t(classes * dims));
    for (double& c : centres) c = normal(rng) * 0.75;
    std::vector<float> x;
    std::vector<int64_t> truth, given;
    for (int i = 0; i < n; ++i) {
        const int k = i % classes;
        for (int d = 0; d < dims; ++d) x.push_back(float(centres[std::size_t(k * dims + d)] + normal(rng)));
        truth.push_back(k);
    }
    given = truth;
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    QSet<int> flipped;
    for (int j = 0; j < n * 6 / 100; ++j) {
        const int i = order[std::size_t(j)];
        given[std::size_t(i)] = (truth[std::size_t(i)] + 1 + int(rng() % (classes - 1))) % classes;
        flipped.insert(i);
    }
    const QString prefix = path(QStringLiteral("noisy"));
    writeNpy((prefix + QStringLiteral(".features.npy")).toStdString(), x.data(), n, dims);
    writeNpy((prefix + QStringLiteral(".labels.npy")).toStdString(), given.data(), n);
    const QString out = path(QStringLiteral("issues"));
    const auto r = runDeepsvm({QStringLiteral("label-issues"), QStringLiteral("--train"), prefix, QStringLiteral("--kernel"),
                               QStringLiteral("rbf"), QStringLiteral("--C"), QStringLiteral("1"), QStringLiteral("--gamma"),
                               QStringLiteral("scale"), QStringLiteral("--folds"), QStringLiteral("5"), QStringLiteral("--out"), out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto lines = csvLines(out + QStringLiteral("/label_issues.csv"));
    QCOMPARE(lines.front(), QByteArray("index,id,given,suggested,self_confidence,margin"));
    int hits = 0;
    double lastMargin = -2;
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> c = lines[i].split(',');
        const int index = c[0].toInt();
        hits += flipped.contains(index);
        QCOMPARE(c[2].toInt(), int(given[std::size_t(index)]));
        QVERIFY(c[3] != c[2]);
        QVERIFY(c[5].toDouble() >= lastMargin);  // most suspicious first
        lastMargin = c[5].toDouble();
    }
    const int flagged = int(lines.size()) - 1;
    QVERIFY(flagged > 0);
    const double precision = double(hits) / flagged, recall = double(hits) / flipped.size();
    // The baseline: every row whose most probable out-of-fold class is not its label.
    int baseHits = 0, baseFlagged = 0;
    const auto oof = csvLines(out + QStringLiteral("/svm/oof_predictions.csv"));
    for (int i = 1; i < oof.size(); ++i) {
        const QList<QByteArray> c = oof[i].split(',');
        int best = 0;
        for (int k = 1; k < classes; ++k)
            if (c[3 + k].toDouble() > c[3 + best].toDouble()) best = k;
        if (best != c[1].toInt()) {
            ++baseFlagged;
            baseHits += flipped.contains(c[0].toInt());
        }
    }
    const double basePrecision = double(baseHits) / std::max(baseFlagged, 1);
    const QString figures = QStringLiteral("confident learning: %1 flagged, precision %2, recall %3; disagreement: %4 flagged, "
                                           "precision %5").arg(flagged).arg(precision).arg(recall).arg(baseFlagged).arg(basePrecision);
    qInfo("%s", qPrintable(figures));
    QVERIFY2(precision > basePrecision, qPrintable(figures));
    QVERIFY2(recall >= 0.5, qPrintable(figures));
    const QJsonObject summary = readJson(out + QStringLiteral("/label_issues.json"));
    QCOMPARE(summary[QStringLiteral("method")].toString(), QStringLiteral("confident_learning"));
    QCOMPARE(summary[QStringLiteral("flagged")].toInt(), flagged);
    int pairTotal = 0;
    for (const auto& p : summary[QStringLiteral("pairs")].toArray()) pairTotal += p.toObject()[QStringLiteral("count")].toInt();
    QCOMPARE(pairTotal, flagged);
}

void TestOwnData::labelsOverrideReachesExtractionAndSvm()
{
    // STL-10's binaries are not edited: labels_override.csv gives train/0 another class and
    // leaves train/1 out, and extraction, the SVM and `run` honour it.
    const QString demo = path(QStringLiteral("stl10"));
    auto r = runDeepsvm({QStringLiteral("demo-data"), QStringLiteral("--out"), demo, QStringLiteral("--train-per-class"),
                         QStringLiteral("10"), QStringLiteral("--test-per-class"), QStringLiteral("2")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString raw = path(QStringLiteral("stlraw"));
    r = runDeepsvm(QStringList{QStringLiteral("extract"), QStringLiteral("--data"), demo, QStringLiteral("--split"),
                               QStringLiteral("train")} + m_net + QStringList{QStringLiteral("--out"), raw});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject rawSide = readJson(raw + QStringLiteral(".json"));
    const QJsonArray names = rawSide[QStringLiteral("class_names")].toArray();
    const std::vector<int64_t> labels = readNpyInt((raw + QStringLiteral(".labels.npy")).toStdString()).data;
    QCOMPARE(labels.size(), std::size_t(100));
    const int64_t moved = (labels[0] + 1) % names.size();
    QVERIFY(QDir().mkpath(path(QStringLiteral("exp"))));
    const QString csv = path(QStringLiteral("exp/labels_override.csv"));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("id,label\ntrain/0," + names[int(moved)].toString().toUtf8() + "\ntrain/1,_excluded\n");
    f.close();

    // Extraction: the relabelled image has its new class, the excluded one no row, and the
    // cache entry is not the one without the override.
    const QString edited = path(QStringLiteral("stledited"));
    r = runDeepsvm(QStringList{QStringLiteral("extract"), QStringLiteral("--data"), demo, QStringLiteral("--split"),
                               QStringLiteral("train"), QStringLiteral("--labels-override"), csv}
                   + m_net + QStringList{QStringLiteral("--out"), edited});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const std::vector<int64_t> editedLabels = readNpyInt((edited + QStringLiteral(".labels.npy")).toStdString()).data;
    QCOMPARE(editedLabels.size(), std::size_t(99));
    QCOMPARE(editedLabels[0], moved);
    QVERIFY(std::equal(editedLabels.begin() + 1, editedLabels.end(), labels.begin() + 2));
    const QJsonObject editedSide = readJson(edited + QStringLiteral(".json"));
    QCOMPARE(editedSide[QStringLiteral("ids")].toArray()[0].toString(), QStringLiteral("train/0"));
    QCOMPARE(editedSide[QStringLiteral("ids")].toArray()[1].toString(), QStringLiteral("train/2"));
    QVERIFY(editedSide[QStringLiteral("key")].toObject()[QStringLiteral("dataset_hash")]
            != rawSide[QStringLiteral("key")].toObject()[QStringLiteral("dataset_hash")]);
    const auto rawX = readNpyFloat((raw + QStringLiteral(".features.npy")).toStdString());
    const auto editedX = readNpyFloat((edited + QStringLiteral(".features.npy")).toStdString());
    const auto cols = std::size_t(rawX.shape[1]);
    for (std::size_t c = 0; c < cols; ++c)  // train/2's features, now in row 1
        QVERIFY(std::abs(editedX.data[cols + c] - rawX.data[2 * cols + c]) <= 1e-4f * (1 + std::abs(rawX.data[2 * cols + c])));

    // The SVM on the features as extracted, with STL-10's fold file (which counts 100 rows).
    const QString folds = demo + QStringLiteral("/stl10_binary/fold_indices.txt");
    const QString withFolds = path(QStringLiteral("stlsvmfolds"));
    r = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), raw, QStringLiteral("--labels-override"), csv,
                    QStringLiteral("--fold-indices"), folds, QStringLiteral("--kernel"), QStringLiteral("linear"),
                    QStringLiteral("--C"), QStringLiteral("1"), QStringLiteral("--no-oof"), QStringLiteral("--out"), withFolds});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject applied = readJson(withFolds + QStringLiteral("/report.json"))[QStringLiteral("labels_override")].toObject();
    QCOMPARE(applied[QStringLiteral("relabelled")].toInt(), 1);
    QCOMPARE(applied[QStringLiteral("excluded")].toInt(), 1);
    QCOMPARE(applied[QStringLiteral("file")].toString(), csv);
    QCOMPARE(applied[QStringLiteral("sha256")].toString().size(), 64);
    // Out-of-fold predictions name the rows of the feature file: no row 1, row 0 in its new class.
    const QString oofDir = path(QStringLiteral("stlsvmoof"));
    r = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), raw, QStringLiteral("--labels-override"), csv,
                    QStringLiteral("--folds"), QStringLiteral("3"), QStringLiteral("--kernel"), QStringLiteral("linear"),
                    QStringLiteral("--C"), QStringLiteral("1"), QStringLiteral("--out"), oofDir});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto oof = csvLines(oofDir + QStringLiteral("/oof_predictions.csv"));
    QCOMPARE(oof.size(), 1 + 99);
    QSet<int> rows;
    for (int i = 1; i < oof.size(); ++i) {
        const QList<QByteArray> c = oof[i].split(',');
        rows.insert(c[0].toInt());
        QCOMPARE(c[1].toLongLong(), c[0].toInt() == 0 ? moved : labels[std::size_t(c[0].toInt())]);
    }
    QVERIFY(!rows.contains(1) && rows.contains(0) && rows.contains(99));
    // label-issues names the same rows and ids.
    const QString issues = path(QStringLiteral("stlissues"));
    r = runDeepsvm({QStringLiteral("label-issues"), QStringLiteral("--train"), raw, QStringLiteral("--labels-override"), csv,
                    QStringLiteral("--kernel"), QStringLiteral("linear"), QStringLiteral("--C"), QStringLiteral("1"),
                    QStringLiteral("--folds"), QStringLiteral("3"), QStringLiteral("--out"), issues});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    for (const QByteArray& line : csvLines(issues + QStringLiteral("/label_issues.csv")).mid(1)) {
        const QList<QByteArray> c = line.split(',');
        QCOMPARE(c[1], QByteArray("train/") + c[0]);
    }
    // `run` passes it to the SVM (the features it caches are the images' own).
    const QString study = path(QStringLiteral("stlrun"));
    r = runDeepsvm(QStringList{QStringLiteral("run"), QStringLiteral("--data"), demo, QStringLiteral("--labels-override"), csv}
                   + m_net + QStringList{QStringLiteral("--kernel"), QStringLiteral("linear"), QStringLiteral("--C"),
                                         QStringLiteral("1"), QStringLiteral("--folds"), QStringLiteral("3"),
                                         QStringLiteral("--out"), study});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject report = readJson(study + QStringLiteral("/report.json"));
    QCOMPARE(report[QStringLiteral("labels_override")].toObject()[QStringLiteral("excluded")].toInt(), 1);
    QCOMPARE(readNpyInt((study + QStringLiteral("/features/features.train.labels.npy")).toStdString()).data, labels);
    // A class the dataset does not have is refused by file name.
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("id,label\ntrain/0,unicorn\n");
    f.close();
    r = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), raw, QStringLiteral("--labels-override"), csv,
                    QStringLiteral("--out"), path(QStringLiteral("stlbad"))});
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("labels_override.csv: 'unicorn' is not a class"), r.err.constData());
}

void TestOwnData::nearDuplicatesFindEditedCopies()
{
    const QString cifar = test::cifarSampleDir();
    if (cifar.isEmpty())
        QSKIP("../shared/data/cifar10-sample is absent: no real photos to look for copies in");
    // Real photos (5 per class) and, of 2 per class, a JPEG re-encode and a 90% resize.
    const QString data = path(QStringLiteral("real"));
    QHash<QString, QString> originOf;
    for (const QString& cls : QDir(cifar).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QDir().mkpath(data + QLatin1Char('/') + cls);
        const QStringList files = QDir(cifar + QLatin1Char('/') + cls).entryList(QDir::Files, QDir::Name).mid(0, 5);
        for (int i = 0; i < files.size(); ++i) {
            const QString rel = cls + QLatin1Char('/') + files[i];
            QVERIFY(QFile::copy(cifar + QLatin1Char('/') + rel, data + QLatin1Char('/') + rel));
            if (i >= 2)
                continue;
            const QImage im(data + QLatin1Char('/') + rel);
            QVERIFY(!im.isNull());
            const QString q = rel + QStringLiteral(".q60.jpg"), s = rel + QStringLiteral(".r90.png");
            QVERIFY(im.save(data + QLatin1Char('/') + q, "JPEG", 60));
            QVERIFY(im.scaled(im.width() * 9 / 10, im.height() * 9 / 10, Qt::IgnoreAspectRatio, Qt::SmoothTransformation)
                        .save(data + QLatin1Char('/') + s));
            originOf[q] = rel;
            originOf[s] = rel;
        }
    }
    const QString prefix = path(QStringLiteral("realfeatures"));
    auto r = runDeepsvm({QStringLiteral("extract"), QStringLiteral("--data"), data, QStringLiteral("--backbone"),
                         QStringLiteral("resnet18"), QStringLiteral("--weights"), QStringLiteral("random"), QStringLiteral("--size"),
                         QStringLiteral("64"), QStringLiteral("--out"), prefix});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString csv = path(QStringLiteral("pairs.csv"));
    r = runDeepsvm({QStringLiteral("near-duplicates"), QStringLiteral("--features"), prefix, QStringLiteral("--out"), csv});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const auto lines = csvLines(csv);
    QCOMPARE(lines.front(), QByteArray("a_index,a_id,b_index,b_id,similarity"));
    auto root = [&](const QString& id) { return originOf.value(id, id); };
    QSet<QString> found;
    for (int i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> c = lines[i].split(',');
        const QString a = QString::fromUtf8(c[1]), b = QString::fromUtf8(c[3]);
        QVERIFY2(root(a) == root(b), qPrintable(QStringLiteral("distinct photos paired: %1 %2 (%3)").arg(a, b, QString::fromUtf8(c[4]))));
        found.insert(a < b ? a + QLatin1Char('|') + b : b + QLatin1Char('|') + a);
    }
    // Every copy with its original, and the two copies of one photo with each other.
    QCOMPARE(found.size(), originOf.size() / 2 * 3);
    // Across two sets: the copies (as queries) against the originals.
    QStringList args{QStringLiteral("near-duplicates"), QStringLiteral("--features"), prefix, QStringLiteral("--against"), prefix,
                     QStringLiteral("--top"), QStringLiteral("5"), QStringLiteral("--out"), csv};
    r = runDeepsvm(args);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(csvLines(csv).size(), 6);  // --top 5; each row also matches itself at similarity 1
    QVERIFY(csvLines(csv)[1].endsWith(",1"));
}

void TestOwnData::extremeImageExtractsWithBoundedMemory()
{
    // A 1 x 20,000 strip among ordinary images: resized whole at 224 px it would be
    // 224 x 4,480,000 pixels (12 GB of floats). It must extract like any other image.
    const QString data = path(QStringLiteral("strips"));
    for (const char* cls : {"a", "b"}) {
        QDir().mkpath(data + QLatin1Char('/') + QLatin1String(cls));
        QImage normal(40, 30, QImage::Format_RGB32);
        normal.fill(QColor(90, 140, 200));
        QVERIFY(normal.save(data + QLatin1Char('/') + QLatin1String(cls) + QStringLiteral("/normal.png")));
    }
    QImage strip(20000, 1, QImage::Format_RGB32);
    for (int x = 0; x < strip.width(); ++x)
        strip.setPixel(x, 0, qRgb(x % 256, (x / 7) % 256, 255 - x % 256));
    QVERIFY(strip.save(data + QStringLiteral("/a/strip.png")));
    QFile broken(data + QStringLiteral("/b/broken.png"));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write(QByteArray("\x89PNG\r\n\x1a\n", 8) + QByteArray(64, 'x'));
    broken.close();
    const QString prefix = path(QStringLiteral("stripfeatures"));
    const auto r = test::runProcess(test::referencePython(),
                                    {test::sourceDir() + QStringLiteral("/tests/bench/peak_rss.py"), QStringLiteral("--"),
                                     test::deepsvmBinary(), QStringLiteral("extract"), QStringLiteral("--data"), data,
                                     QStringLiteral("--backbone"), QStringLiteral("resnet18"), QStringLiteral("--weights"),
                                     QStringLiteral("random"), QStringLiteral("--out"), prefix});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("broken.png"), r.err.constData());  // skipped and named
    QVERIFY2(!r.err.contains("frame #"), r.err.constData());   // no LibTorch stack trace
    const QJsonObject side = readJson(prefix + QStringLiteral(".json"));
    QCOMPARE(side[QStringLiteral("ids")].toArray().size(), 3);
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("peak RSS (\\d+) MiB")).match(QString::fromUtf8(r.err));
    QVERIFY2(m.hasMatch(), r.err.constData());
    QVERIFY2(m.captured(1).toInt() < 1500, r.err.constData());
}

QTEST_GUILESS_MAIN(TestOwnData)
#include "tst_owndata.moc"
