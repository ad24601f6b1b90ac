// The STL-10 reader: byte-exact against the official numpy reading, labels, folds, errors.
#include "TestSupport.h"

#include "data/Dataset.h"
#include "data/Stl10.h"
#include "features/Npy.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace deepsvm;

namespace {

void writeBytes(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(bytes), bytes.size());
}

/// A small STL-10 folder: `train` / `test` images with labels 1..10, class names, folds.
QString makeStl10(const QTemporaryDir& tmp, int train = 20, int test = 10, int unlabeled = 3)
{
    const QString dir = tmp.path() + QStringLiteral("/stl10_binary");
    QDir().mkpath(dir);
    writeBytes(dir + QStringLiteral("/train_X.bin"), test::randomBytes(train * kStl10ImageBytes, 1));
    writeBytes(dir + QStringLiteral("/test_X.bin"), test::randomBytes(test * kStl10ImageBytes, 2));
    writeBytes(dir + QStringLiteral("/unlabeled_X.bin"), test::randomBytes(unlabeled * kStl10ImageBytes, 3));
    QByteArray trainY, testY;
    for (int i = 0; i < train; ++i) trainY.append(char(1 + i % 10));
    for (int i = 0; i < test; ++i) testY.append(char(10 - i % 10));
    writeBytes(dir + QStringLiteral("/train_y.bin"), trainY);
    writeBytes(dir + QStringLiteral("/test_y.bin"), testY);
    writeBytes(dir + QStringLiteral("/class_names.txt"),
               "airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\nmonkey\nship\ntruck\n");
    QByteArray folds;
    for (int f = 0; f < 10; ++f) {
        for (int k = 0; k < 4; ++k)
            folds += QByteArray::number((f * 2 + k) % train) + (k < 3 ? " " : "");
        folds += "\n";
    }
    writeBytes(dir + QStringLiteral("/fold_indices.txt"), folds);
    return dir;
}

}  // namespace

class TestStl10 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void byteExactAgainstNumpy();
    void labelsAndSplits();
    void openAcceptsParentOrBinaryFolder();
    void unlabeledIsOptional();
    void folds_data();
    void folds();
    void validationErrors_data();
    void validationErrors();
};

void TestStl10::byteExactAgainstNumpy()
{
    if (!test::referenceAvailable())
        QSKIP("/usr/bin/python3 with numpy/torch is not installed: run packaging/install-deps.sh --tests");
    QTemporaryDir tmp;
    const QString dir = makeStl10(tmp, 7, 3, 2);
    for (const char* split : {"train", "test", "unlabeled"}) {
        const QString npy = tmp.path() + QStringLiteral("/ref.npy");
        const auto r = test::runReference({QStringLiteral("stl10"),
                                           dir + QStringLiteral("/%1_X.bin").arg(QLatin1String(split)), npy});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const NpyArray<int64_t> ref = readNpyInt(npy.toStdString());  // uint8 widened
        Stl10Dataset ds(dir.toStdString());
        auto source = ds.split(split);
        QCOMPARE(ref.data.size(), std::size_t(source->size()) * std::size_t(kStl10ImageBytes));
        for (int64_t i = 0; i < source->size(); ++i) {
            const RgbImage img = source->load(i);
            QCOMPARE(img.width, 96);
            QCOMPARE(img.height, 96);
            for (std::size_t k = 0; k < img.pixels.size(); ++k)
                if (int64_t(img.pixels[k]) != ref.data[std::size_t(i) * img.pixels.size() + k])
                    QFAIL(qPrintable(QStringLiteral("%1 image %2 byte %3 differs").arg(QLatin1String(split)).arg(i).arg(k)));
        }
    }
}

void TestStl10::labelsAndSplits()
{
    QTemporaryDir tmp;
    Stl10Dataset ds(makeStl10(tmp).toStdString());
    QCOMPARE(ds.classNames().size(), std::size_t(10));
    QCOMPARE(ds.classNames().front(), std::string("airplane"));
    QCOMPARE(ds.splits(), (std::vector<std::string>{"train", "test", "unlabeled"}));
    auto train = ds.split("train");
    QCOMPARE(train->size(), int64_t(20));
    QCOMPARE(train->label(0), 0);   // 1 on disk
    QCOMPARE(train->label(9), 9);   // 10 on disk
    QCOMPARE(ds.split("test")->label(0), 9);
    QCOMPARE(ds.split("unlabeled")->label(0), -1);
    QCOMPARE(train->id(5), std::string("train/5"));
    QCOMPARE(ds.folds().size(), std::size_t(10));
    QCOMPARE(ds.folds()[1], (std::vector<int64_t>{2, 3, 4, 5}));
    QVERIFY_THROWS_EXCEPTION(DatasetError, ds.split("validation"));
}

void TestStl10::openAcceptsParentOrBinaryFolder()
{
    QTemporaryDir tmp;
    const QString dir = makeStl10(tmp);
    QCOMPARE(openDataset(tmp.path().toStdString())->kind(), std::string("stl10"));
    QCOMPARE(openDataset(dir.toStdString())->root(), dir.toStdString());
}

void TestStl10::unlabeledIsOptional()
{
    QTemporaryDir tmp;
    const QString dir = makeStl10(tmp);
    QFile::remove(dir + QStringLiteral("/unlabeled_X.bin"));
    Stl10Dataset ds(dir.toStdString());
    QCOMPARE(ds.splits(), (std::vector<std::string>{"train", "test"}));
}

void TestStl10::folds_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("error");  // empty: valid
    QTest::newRow("valid") << QByteArray("0 1 2\n3 4 5\n") << QString();
    QTest::newRow("trailing spaces and CRLF") << QByteArray("0 1 2 \r\n3 4\r\n") << QString();
    QTest::newRow("out of range") << QByteArray("0 1 20\n") << QStringLiteral("index 20 is outside");
    QTest::newRow("negative") << QByteArray("0 -1\n") << QStringLiteral("index -1 is outside");
    QTest::newRow("duplicate") << QByteArray("0 1 1\n") << QStringLiteral("appears twice");
    QTest::newRow("not a number") << QByteArray("0 x 2\n") << QStringLiteral("'x' is not an index");
    QTest::newRow("empty file") << QByteArray("\n\n") << QStringLiteral("holds no folds");
}

void TestStl10::folds()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, error);
    QTemporaryDir tmp;
    const QString path = tmp.path() + QStringLiteral("/fold_indices.txt");
    writeBytes(path, content);
    try {
        const auto folds = Stl10Dataset::readFoldIndices(path.toStdString(), 20);
        QVERIFY2(error.isEmpty(), "expected an error");
        QCOMPARE(folds.size(), std::size_t(2));
        QCOMPARE(folds[0], (std::vector<int64_t>{0, 1, 2}));
    } catch (const DatasetError& e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(!error.isEmpty(), e.what());
        QVERIFY2(what.contains(error), e.what());
        QVERIFY2(what.contains(path), "the message must name the file");
    }
}

void TestStl10::validationErrors_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("content");  // replaces the file; "<delete>" removes it
    QTest::addColumn<QString>("error");
    QTest::newRow("truncated images") << QStringLiteral("train_X.bin") << test::randomBytes(5 * kStl10ImageBytes - 7, 4)
                                      << QStringLiteral("not a multiple of 27648");
    QTest::newRow("too few labels") << QStringLiteral("train_y.bin") << QByteArray(19, '\1')
                                    << QStringLiteral("has 19 labels but");
    QTest::newRow("label 0") << QStringLiteral("test_y.bin") << QByteArray(10, '\0') << QStringLiteral("label 0 at index 0");
    QTest::newRow("label 11") << QStringLiteral("test_y.bin") << QByteArray(10, '\x0b') << QStringLiteral("outside 1..10");
    QTest::newRow("no class names") << QStringLiteral("class_names.txt") << QByteArray("<delete>")
                                    << QStringLiteral("class_names.txt: missing");
    QTest::newRow("no test labels") << QStringLiteral("test_y.bin") << QByteArray("<delete>") << QStringLiteral("missing");
    QTest::newRow("fold out of range") << QStringLiteral("fold_indices.txt") << QByteArray("0 1 99\n")
                                       << QStringLiteral("index 99 is outside");
}

void TestStl10::validationErrors()
{
    QFETCH(QString, file);
    QFETCH(QByteArray, content);
    QFETCH(QString, error);
    QTemporaryDir tmp;
    const QString dir = makeStl10(tmp);
    const QString path = dir + QLatin1Char('/') + file;
    if (content == "<delete>")
        QVERIFY(QFile::remove(path));
    else
        writeBytes(path, content);
    try {
        Stl10Dataset ds(dir.toStdString());
        QFAIL("expected a DatasetError");
    } catch (const DatasetError& e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(error), e.what());
        QVERIFY2(what.contains(file), "the message must name the file");
    }
}

QTEST_GUILESS_MAIN(TestStl10)
#include "tst_stl10.moc"
