// The bad-input corpus: every kind of broken file a user can hand the application, generated
// here, run through the `deepsvm` command that reads it. Each must be refused with a message
// naming the file, without a crash (the process exits normally with status 1), while the good
// files next to it still load. Odd but valid files (CMYK, 16-bit, animated, non-ASCII paths)
// must load and decode as PIL does. Output folders that cannot be written (read-only, a full
// disk through `ulimit -f`) must fail cleanly and leave the previous complete files intact.
#include "TestSupport.h"

#include "data/Image.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

#include <cstring>
#include <limits>
#include <random>

using namespace deepsvm;

namespace {

test::ProcessResult runDeepsvm(const QStringList& args)
{
    return test::runProcess(test::deepsvmBinary(), args, 300000);
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

QByteArray be32(quint32 v)
{
    QByteArray b(4, '\0');
    for (int i = 0; i < 4; ++i)
        b[i] = char((v >> (24 - 8 * i)) & 0xFF);
    return b;
}

quint32 crc32(const QByteArray& data)
{
    quint32 c = 0xFFFFFFFFu;
    for (char ch : data) {
        c ^= quint8(ch);
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

QByteArray pngChunk(const QByteArray& type, const QByteArray& body)
{
    return be32(quint32(body.size())) + type + body + be32(crc32(type + body));
}

/// A valid PNG header declaring width x height RGB pixels, with a tiny IDAT.
QByteArray pngDeclaring(quint32 width, quint32 height)
{
    QByteArray ihdr = be32(width) + be32(height);
    ihdr += QByteArray("\x08\x02\x00\x00\x00", 5);
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", ihdr) + pngChunk("IDAT", qCompress(QByteArray(64, '\0')).mid(4))
           + pngChunk("IEND", QByteArray());
}

QByteArray encoded(const QImage& image, const char* format)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, format, 95);
    return bytes;
}

/// A JPEG whose frame header (SOF0) declares width x height.
QByteArray jpegDeclaring(int width, int height)
{
    QImage image(16, 16, QImage::Format_RGB32);
    image.fill(QColor(10, 200, 30));
    QByteArray jpeg = encoded(image, "JPG");
    const int sof = jpeg.indexOf(QByteArray("\xFF\xC0", 2));
    if (sof < 0)
        return {};
    jpeg[sof + 5] = char(height >> 8);
    jpeg[sof + 6] = char(height & 0xFF);
    jpeg[sof + 7] = char(width >> 8);
    jpeg[sof + 8] = char(width & 0xFF);
    return jpeg;
}

/// A .npy file with any header text and data (for headers numpy itself would not write).
QByteArray npyFile(const QByteArray& header, const QByteArray& data, const QByteArray& magic = QByteArray("\x93NUMPY\x01\x00", 8))
{
    QByteArray h = header;
    while ((magic.size() + 2 + h.size() + 1) % 64 != 0)
        h += ' ';
    h += '\n';
    QByteArray out = magic;
    out += char(h.size() & 0xFF);
    out += char(h.size() >> 8);
    return out + h + data;
}

QByteArray floats(qint64 count, float value = 0.5f)
{
    QByteArray b(count * 4, Qt::Uninitialized);
    for (qint64 i = 0; i < count; ++i)
        std::memcpy(b.data() + 4 * i, &value, 4);
    return b;
}

void copyTree(const QString& from, const QString& to)
{
    QDir().mkpath(to);
    QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString target = to + path.mid(from.size());
        QDir().mkpath(QFileInfo(target).absolutePath());
        QFile::copy(path, target);
    }
}

QStringList temporaries(const QString& dir)
{
    QStringList found;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.contains(QStringLiteral(".tmp")))
            found << path;
    }
    return found;
}

QByteArray sha256(const QString& path)
{
    return QCryptographicHash::hash(readAll(path), QCryptographicHash::Sha256).toHex();
}

/// Checks the common promise: a normal exit with `code`, and `phrases` (the file's name and
/// the reason) in what the process printed.
#define EXPECT_REFUSED(r, code, phrases)                                                                   \
    do {                                                                                                   \
        QVERIFY2((r).exitCode == (code), qPrintable(QStringLiteral("exit %1, stderr: %2")                   \
                                                        .arg((r).exitCode)                                 \
                                                        .arg(QString::fromUtf8((r).err))));                \
        const QString printed_ = QString::fromUtf8((r).out + (r).err);                                     \
        for (const QString& p_ : (phrases))                                                                \
            QVERIFY2(printed_.contains(p_), qPrintable(QStringLiteral("'%1' not in: %2").arg(p_, printed_))); \
    } while (0)

}  // namespace

class TestBadInput : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void stl10Files_data();
    void stl10Files();
    void imageFiles_data();
    void imageFiles();
    void folderWithBadImagesStillLoads();
    void weightFiles_data();
    void weightFiles();
    void npyFiles_data();
    void npyFiles();
    void readOnlyOutputFolder();
    void fullDisk_data();
    void fullDisk();

private:
    QString path(const QString& name) const { return m_tmp.path() + QLatin1Char('/') + name; }
    QStringList extractArgs(const QString& data, const QString& out) const;

    QTemporaryDir m_tmp;
    QString m_stl10;   // a good STL-10 folder (stl10_binary)
    QString m_model;   // a model folder from `deepsvm run`
    QString m_train, m_test;  // its feature prefixes
    QString m_python;  // the corpus bad_inputs.py wrote, or empty without /usr/bin/python3 + torch
    QJsonObject m_pilPixels;  // PIL's RGB at (5, 5) of each of its images
};

QStringList TestBadInput::extractArgs(const QString& data, const QString& out) const
{
    return {QStringLiteral("extract"), QStringLiteral("--data"), data, QStringLiteral("--backbone"), QStringLiteral("resnet18"),
            QStringLiteral("--size"), QStringLiteral("32"), QStringLiteral("--weights"), QStringLiteral("random"),
            QStringLiteral("--out"), out};
}

void TestBadInput::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    configureImageDecoding();
    const QString demo = path(QStringLiteral("demo"));
    auto r = runDeepsvm({QStringLiteral("demo-data"), QStringLiteral("--out"), demo, QStringLiteral("--train-per-class"),
                         QStringLiteral("4"), QStringLiteral("--test-per-class"), QStringLiteral("2")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    m_stl10 = demo + QStringLiteral("/stl10_binary");
    m_model = path(QStringLiteral("model"));
    r = runDeepsvm({QStringLiteral("run"), QStringLiteral("--data"), demo, QStringLiteral("--backbone"), QStringLiteral("resnet18"),
                    QStringLiteral("--size"), QStringLiteral("64"), QStringLiteral("--weights"), QStringLiteral("random"),
                    QStringLiteral("--C"), QStringLiteral("1"), QStringLiteral("--gamma"), QStringLiteral("0.01"),
                    QStringLiteral("--folds"), QStringLiteral("2"), QStringLiteral("--out"), m_model});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    m_train = m_model + QStringLiteral("/features/features.train");
    m_test = m_model + QStringLiteral("/features/features.test");
    QVERIFY(QFile::exists(m_train + QStringLiteral(".features.npy")));

    if (test::referenceAvailable()) {
        const QString corpus = path(QStringLiteral("python corpus"));
        const auto py = test::runProcess(test::referencePython(),
                                         {test::sourceDir() + QStringLiteral("/tests/python/bad_inputs.py"), corpus});
        QVERIFY2(py.exitCode == 0, py.err.constData());
        m_python = corpus;
        m_pilPixels = QJsonDocument::fromJson(readAll(corpus + QStringLiteral("/images/pil_pixels.json"))).object();
    } else {
        qWarning("/usr/bin/python3 with torch, torchvision and PIL is missing: the .pth, CMYK and animated "
                 "rows are skipped (bash packaging/install-deps.sh --tests installs them)");
    }
}

// --- STL-10 ------------------------------------------------------------------------------------

void TestBadInput::stl10Files_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("change");  // truncate:N, append:N, write:TEXT, bytes:B, delete
    QTest::addColumn<QString>("phrase");  // empty: the folder must load
    QTest::newRow("images cut mid-image") << "train_X.bin" << "truncate:-100" << "not a multiple of 27648";
    QTest::newRow("images file empty") << "train_X.bin" << "truncate:0" << "train_X.bin";
    QTest::newRow("images oversized") << "train_X.bin" << "append:27648" << "labels but";
    QTest::newRow("labels missing") << "test_y.bin" << "delete" << "missing";
    QTest::newRow("labels one short") << "train_y.bin" << "truncate:-1" << "labels but";
    QTest::newRow("label 0") << "train_y.bin" << "bytes:0" << "label 0 at index 0";
    QTest::newRow("label 11") << "test_y.bin" << "bytes:11" << "outside 1..10";
    QTest::newRow("label 255") << "test_y.bin" << "bytes:255" << "label 255";
    QTest::newRow("fold index out of range") << "fold_indices.txt" << "write:0 1 2 400\n" << "index 400 is outside";
    QTest::newRow("fold index negative") << "fold_indices.txt" << "write:0 -3\n" << "index -3 is outside";
    QTest::newRow("fold index duplicated") << "fold_indices.txt" << "write:0 1 1 2\n" << "index 1 appears twice";
    QTest::newRow("fold index not a number") << "fold_indices.txt" << "write:0 1 two\n" << "'two' is not an index";
    QTest::newRow("fold index huge") << "fold_indices.txt" << "write:99999999999999999999999\n" << "is not an index";
    QTest::newRow("fold file empty") << "fold_indices.txt" << "write:" << "holds no folds";
    QTest::newRow("class names missing") << "class_names.txt" << "delete" << "class_names.txt: missing";
    QTest::newRow("class names one") << "class_names.txt" << "write:cats\n" << "between 2 and 255 class names";
    QTest::newRow("unlabeled cut") << "unlabeled_X.bin" << "append:5" << "unlabeled_X.bin";
    QTest::newRow("in a folder with spaces and non-ASCII") << "" << "" << "";
}

void TestBadInput::stl10Files()
{
    QFETCH(QString, file);
    QFETCH(QString, change);
    QFETCH(QString, phrase);
    static int n = 0;
    const QString root = path(QStringLiteral("stl10 ünïcødé %1/stl10_binary").arg(++n));
    copyTree(m_stl10, root);
    const QString target = root + QLatin1Char('/') + file;
    if (change == QLatin1String("delete")) {
        QVERIFY(QFile::remove(target));
    } else if (change.startsWith(QLatin1String("truncate:"))) {
        const qint64 by = change.mid(9).toLongLong();
        QVERIFY(QFile::resize(target, by < 0 ? QFileInfo(target).size() + by : by));
    } else if (change.startsWith(QLatin1String("append:"))) {
        QFile f(target);
        QVERIFY(f.open(QIODevice::Append));
        f.write(test::randomBytes(change.mid(7).toInt(), 5));
    } else if (change.startsWith(QLatin1String("write:"))) {
        QVERIFY(writeAll(target, change.mid(6).toUtf8()));
    } else if (change.startsWith(QLatin1String("bytes:"))) {
        QByteArray labels = readAll(target);
        labels[0] = char(change.mid(6).toInt());
        QVERIFY(writeAll(target, labels));
    }
    const auto r = runDeepsvm(extractArgs(root, path(QStringLiteral("stl10-out-%1/x").arg(n))) << QStringLiteral("--limit")
                                                                                              << QStringLiteral("2"));
    if (phrase.isEmpty()) {
        QVERIFY2(r.exitCode == 0, r.err.constData());
        return;
    }
    EXPECT_REFUSED(r, 1, (QStringList{target, phrase}));
}

// --- Images ------------------------------------------------------------------------------------

void TestBadInput::imageFiles_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("bytes");   // "<python>": made by bad_inputs.py
    QTest::addColumn<QString>("phrase");     // empty: must classify
    QTest::addColumn<int>("expectedRed");    // -1: no pixel check; else the red at (5, 5)

    QImage red(40, 30, QImage::Format_RGB32);
    red.fill(QColor(200, 40, 40));
    const QByteArray png = encoded(red, "PNG"), jpeg = encoded(red, "JPG");
    QTest::newRow("empty file") << "empty.jpg" << QByteArray() << "empty file" << -1;
    QTest::newRow("random bytes") << "random.png" << test::randomBytes(3000, 7) << "not a recognised image" << -1;
    QTest::newRow("text named .jpg") << "notes.jpg" << QByteArray("shopping list\n") << "not a recognised image" << -1;
    QTest::newRow("truncated PNG") << "cut.png" << png.left(png.size() / 2) << "cannot decode" << -1;
    QTest::newRow("truncated JPEG") << "cut.jpg" << jpeg.left(jpeg.size() / 2) << "cannot decode" << -1;
    QTest::newRow("PNG header only") << "header.png" << png.left(33) << "cannot decode" << -1;
    QTest::newRow("PNG bomb 100000 x 100000") << "bomb.png" << pngDeclaring(100000, 100000) << "above the 100-megapixel limit" << -1;
    QTest::newRow("PNG bomb 2^31 wide") << "wide.png" << pngDeclaring(0x7FFFFFFFu, 1) << "png" << -1;
    QTest::newRow("JPEG bomb 65000 x 65000") << "bomb.jpg" << jpegDeclaring(65000, 65000) << "above the 100-megapixel limit" << -1;
    QTest::newRow("JPEG zero height") << "flat.jpg" << jpegDeclaring(16, 0) << "flat.jpg" << -1;

    QImage grey(40, 30, QImage::Format_Grayscale8);
    grey.fill(100);
    QImage alpha(40, 30, QImage::Format_ARGB32);
    alpha.fill(QColor(200, 40, 40, 60));
    QImage deep(40, 30, QImage::Format_RGBX64);
    deep.fill(QColor::fromRgba64(qRgba64(200 * 257, 40 * 257, 40 * 257, 65535)));
    QTest::newRow("grey JPEG") << "grey.jpg" << encoded(grey, "JPG") << "" << 100;
    QTest::newRow("grey PNG") << "grey.png" << encoded(grey, "PNG") << "" << 100;
    QTest::newRow("RGBA PNG (alpha dropped, as PIL)") << "alpha.png" << encoded(alpha, "PNG") << "" << 200;
    QTest::newRow("16-bit RGB PNG") << "deep.png" << encoded(deep, "PNG") << "" << 200;
    QTest::newRow("BMP") << "red.bmp" << encoded(red, "BMP") << "" << 200;
    QTest::newRow("name with spaces and non-ASCII") << "my cat ünï 猫.png" << png << "" << 200;
    QTest::newRow("CMYK JPEG") << "cmyk.jpg" << QByteArray("<python>") << "" << 1000;
    QTest::newRow("palette PNG") << "palette.png" << QByteArray("<python>") << "" << 1000;
    QTest::newRow("grey + alpha PNG") << "grey-alpha.png" << QByteArray("<python>") << "" << 1000;
    QTest::newRow("animated PNG (first frame)") << "animated.png" << QByteArray("<python>") << "" << 1000;
    QTest::newRow("multi-page TIFF (first page)") << "multipage.tiff" << QByteArray("<python>") << "" << 1000;
    QTest::newRow("animated WebP") << "animated.webp" << QByteArray("<python>") << "animated WebP" << -1;
}

void TestBadInput::imageFiles()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, phrase);
    QFETCH(int, expectedRed);
    static int n = 0;
    const QString dir = path(QStringLiteral("images %1").arg(++n));
    const QString file = dir + QLatin1Char('/') + name;
    if (bytes == "<python>") {
        if (m_python.isEmpty())
            QSKIP("needs /usr/bin/python3 with PIL (bash packaging/install-deps.sh --tests)");
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QFile::copy(m_python + QStringLiteral("/images/") + name, file));
        if (expectedRed == 1000)
            expectedRed = m_pilPixels.value(name).toArray().at(0).toInt(-1);
    } else {
        QVERIFY(writeAll(file, bytes));
    }
    // A good image alongside: it is classified whatever happens to the bad one.
    QImage good(40, 30, QImage::Format_RGB32);
    good.fill(QColor(10, 200, 30));
    const QString goodFile = dir + QStringLiteral("/good.png");
    QVERIFY(good.save(goodFile));
    const auto r = runDeepsvm({QStringLiteral("classify"), QStringLiteral("--model"), m_model, QStringLiteral("--top"),
                               QStringLiteral("2"), goodFile, file});
    const QList<QByteArray> lines = r.out.split('\n');
    QVERIFY2(!lines.isEmpty() && lines[0].startsWith(goodFile.toUtf8()), r.out.constData());
    if (phrase.isEmpty()) {
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains(file.toUtf8()), r.out.constData());
        if (expectedRed >= 0) {
            // Decoded to the colour PIL gives (the JPEG rows within compression error).
            const RgbImage image = loadImageFile(file.toStdString());
            QVERIFY(!image.empty());
            const int at = (5 * image.width + 5) * 3;
            QVERIFY2(std::abs(int(image.pixels[std::size_t(at)]) - expectedRed) <= 3,
                     qPrintable(QStringLiteral("red %1, expected %2").arg(image.pixels[std::size_t(at)]).arg(expectedRed)));
        }
    } else {
        EXPECT_REFUSED(r, 1, (QStringList{file, phrase}));
    }
}

void TestBadInput::folderWithBadImagesStillLoads()
{
    // A folder-per-class tree where most classes hold a broken file: the good images are
    // extracted, each bad one is listed by name with its reason, nothing stops.
    const QString root = path(QStringLiteral("photos ünïcødé"));
    QImage image(40, 30, QImage::Format_RGB32);
    int good = 0;
    for (const char* cls : {"cats", "dogs", "ñandú birds"}) {
        for (int i = 0; i < 3; ++i) {
            image.fill(QColor(40 * i, 100, 150));
            QVERIFY(QDir().mkpath(root + QLatin1Char('/') + QString::fromUtf8(cls)));
            QVERIFY(image.save(QStringLiteral("%1/%2/img %3.png").arg(root, QString::fromUtf8(cls)).arg(i)));
            ++good;
        }
    }
    const QStringList bad = {root + QStringLiteral("/cats/empty.jpg"), root + QStringLiteral("/dogs/bomb.png"),
                             root + QStringLiteral("/ñandú birds/cut.png")};
    QVERIFY(writeAll(bad[0], QByteArray()));
    QVERIFY(writeAll(bad[1], pngDeclaring(50000, 50000)));
    QVERIFY(writeAll(bad[2], encoded(image, "PNG").left(60)));
    QVERIFY(writeAll(root + QStringLiteral("/dogs/readme.txt"), "not an image, and not an image extension"));
    const auto r = runDeepsvm(extractArgs(root, path(QStringLiteral("photos-out/x"))) << QStringLiteral("--json"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject split = QJsonDocument::fromJson(r.out.mid(r.out.indexOf('{'))).object()[QStringLiteral("splits")].toArray().at(0).toObject();
    const QJsonArray skipped = split[QStringLiteral("skipped")].toArray();
    QString listed;
    for (const auto& s : skipped)
        listed += s.toString() + QLatin1Char('\n');
    QCOMPARE(skipped.size(), 3);
    QVERIFY2(listed.contains(bad[0]) && listed.contains(bad[1]), qPrintable(listed));
    QCOMPARE(split[QStringLiteral("rows")].toInt(), good);
}

// --- Weights (.pth) ----------------------------------------------------------------------------

void TestBadInput::weightFiles_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("phrase");  // empty: must load
    QTest::newRow("torchvision state dict (control)") << "good.pth" << "";
    QTest::newRow("int64 weights (converted, as load_state_dict does)") << "int64-weights.pth" << "";
    QTest::newRow("truncated at 99.9%") << "truncated-0.999.pth" << "truncated zip";
    QTest::newRow("truncated at 50%") << "truncated-0.5.pth" << "truncated zip";
    QTest::newRow("truncated at 1%") << "truncated-0.01.pth" << "truncated zip";
    QTest::newRow("pickle calls os.system") << "global-os-system.pth" << "refuses to load global posix.system";
    QTest::newRow("pickle calls eval") << "global-builtins-eval.pth" << "refuses to load global";
    QTest::newRow("zip bomb") << "zip-bomb.pth" << "is compressed";
    QTest::newRow("storage shorter than shape") << "short-storage.pth" << "but should hold";
    QTest::newRow("complex weights") << "complex-weights.pth" << "complex";
    QTest::newRow("wrong shape") << "wrong-shape.pth" << "Shape mismatches: conv1.weight";
    QTest::newRow("missing key") << "missing-key.pth" << "Missing keys: layer1.0.conv1.weight";
    QTest::newRow("a list, not a dict") << "a-list.pth" << "not a state dict";
    QTest::newRow("a text file") << "text.pth" << "not a PyTorch file";
}

void TestBadInput::weightFiles()
{
    QFETCH(QString, name);
    QFETCH(QString, phrase);
    if (m_python.isEmpty())
        QSKIP("needs /usr/bin/python3 with torch and torchvision (bash packaging/install-deps.sh --tests)");
    const QString file = m_python + QStringLiteral("/pth/") + name;
    QStringList args = extractArgs(m_stl10, path(QStringLiteral("pth-out/") + name));
    args[args.indexOf(QStringLiteral("random"))] = file;
    const auto r = runDeepsvm(args << QStringLiteral("--limit") << QStringLiteral("1") << QStringLiteral("--split")
                                   << QStringLiteral("train"));
    // Whatever the file says, nothing in it ran.
    QVERIFY2(!QFile::exists(m_python + QStringLiteral("/PWNED")), "a pickle ran a command");
    if (phrase.isEmpty()) {
        QVERIFY2(r.exitCode == 0, r.err.constData());
        return;
    }
    EXPECT_REFUSED(r, 1, (QStringList{file, phrase}));
}

// --- Feature files (.npy) ----------------------------------------------------------------------

void TestBadInput::npyFiles_data()
{
    QTest::addColumn<QString>("which");  // features | labels
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("phrase");
    const QByteArray f4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (40, 512), }";
    const QByteArray data = floats(40 * 512);
    QTest::newRow("empty file") << "features" << QByteArray() << "npy";
    QTest::newRow("bad magic") << "features" << npyFile(f4, data, QByteArray("\x93NUMPX\x01\x00", 8)) << "npy";
    QTest::newRow("header not a dict") << "features" << npyFile("[1, 2, 3]", data) << "npy";
    QTest::newRow("header cut") << "features" << npyFile(f4, data).left(30) << "npy";
    QTest::newRow("header length beyond file") << "features" << QByteArray("\x93NUMPY\x01\x00\xff\xff{'descr'", 17) << "npy";
    QTest::newRow("complex dtype") << "features" << npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (40, 512), }", data + data) << "<c8";
    QTest::newRow("big-endian floats") << "features" << npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (40, 512), }", data) << ">f4";
    QTest::newRow("Fortran order") << "features" << npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (40, 512), }", data) << "Fortran-order arrays are not supported";
    QTest::newRow("data shorter than shape") << "features" << npyFile(f4, data.left(data.size() - 4)) << "npy";
    QTest::newRow("three dimensions") << "features" << npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (40, 2, 256), }", data) << "npy";
    QTest::newRow("shape overflows") << "features" << npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data) << "npy";
    QTest::newRow("NaN features") << "features" << npyFile(f4, floats(40 * 512, std::numeric_limits<float>::quiet_NaN())) << "NaN";
    QTest::newRow("labels one short") << "labels" << npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (39,), }", QByteArray(39 * 8, '\0')) << "labels";
    QTest::newRow("labels as floats") << "labels" << npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (40,), }", QByteArray(40 * 8, '\0')) << "<f8";
}

void TestBadInput::npyFiles()
{
    QFETCH(QString, which);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, phrase);
    static int n = 0;
    const QString prefix = path(QStringLiteral("npy %1/train").arg(++n));
    QDir().mkpath(QFileInfo(prefix).absolutePath());
    for (const char* ext : {".features.npy", ".labels.npy", ".json"})
        QVERIFY(QFile::copy(m_train + QLatin1String(ext), prefix + QLatin1String(ext)));
    const QString file = prefix + QLatin1Char('.') + which + QStringLiteral(".npy");
    QVERIFY(QFile::remove(file));
    QVERIFY(writeAll(file, bytes));
    const auto r = runDeepsvm({QStringLiteral("svm"), QStringLiteral("--train"), prefix, QStringLiteral("--test"), m_test,
                               QStringLiteral("--C"), QStringLiteral("1"), QStringLiteral("--gamma"), QStringLiteral("0.01"),
                               QStringLiteral("--folds"), QStringLiteral("2"), QStringLiteral("--out"),
                               path(QStringLiteral("npy-out %1").arg(n))});
    EXPECT_REFUSED(r, 1, (QStringList{file, phrase}));
}

// --- Output folders ----------------------------------------------------------------------------

void TestBadInput::readOnlyOutputFolder()
{
    // Root ignores permissions, so as root the command runs as `nobody` (setpriv, util-linux).
    const QString locked = path(QStringLiteral("locked"));
    QVERIFY(QDir().mkpath(locked));
    QStringList command = {test::deepsvmBinary(), QStringLiteral("svm"), QStringLiteral("--train"), m_train, QStringLiteral("--test"),
                           m_test, QStringLiteral("--C"), QStringLiteral("1"), QStringLiteral("--gamma"), QStringLiteral("0.01"),
                           QStringLiteral("--folds"), QStringLiteral("2"), QStringLiteral("--out"), locked + QStringLiteral("/run")};
    if (::geteuid() == 0) {
        // Everything the command reads must be readable by nobody.
        for (QString dir = m_tmp.path(); dir != QLatin1String("/"); dir = QFileInfo(dir).absolutePath())
            QFile::setPermissions(dir, QFile::permissions(dir) | QFile::ReadOther | QFile::ExeOther);
        QDirIterator it(m_model, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString p = it.next();
            QFile::setPermissions(p, QFile::permissions(p) | QFile::ReadOther | (QFileInfo(p).isDir() ? QFile::ExeOther : QFile::Permissions()));
        }
        command = QStringList{QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"),
                              QStringLiteral("env"), QStringLiteral("HOME=") + locked}
                  + command;
        command.prepend(QStringLiteral("setpriv"));
    }
    QVERIFY(QFile::setPermissions(locked, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadOther | QFile::ExeOther | QFile::ReadGroup
                                              | QFile::ExeGroup));
    const auto r = test::runProcess(command.takeFirst(), command, 300000);
    QFile::setPermissions(locked, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    EXPECT_REFUSED(r, 1, (QStringList{locked + QStringLiteral("/run")}));
    QVERIFY2(!r.err.contains("Traceback") && !r.err.contains("terminate called"), r.err.constData());
    QVERIFY(!QFile::exists(locked + QStringLiteral("/run")));
}

void TestBadInput::fullDisk_data()
{
    QTest::addColumn<QString>("command");  // extract | svm
    QTest::addColumn<bool>("replacing");   // a complete result is already there
    QTest::newRow("feature cache, new") << "extract" << false;
    QTest::newRow("feature cache, replacing a complete one") << "extract" << true;
    QTest::newRow("model folder, new") << "svm" << false;
    QTest::newRow("model folder, replacing a complete one") << "svm" << true;
}

void TestBadInput::fullDisk()
{
    // `ulimit -f 16`: no file may grow past 16 KiB, as on a disk that fills up mid-write.
    QFETCH(QString, command);
    QFETCH(bool, replacing);
    static int n = 0;
    const QString out = path(QStringLiteral("full %1").arg(++n));
    QStringList args;
    QString bigFile;
    if (command == QLatin1String("extract")) {
        args = extractArgs(m_stl10, out + QStringLiteral("/x")) << QStringLiteral("--split") << QStringLiteral("train")
                                                                << QStringLiteral("--no-cache");
        bigFile = out + QStringLiteral("/x.features.npy");  // 40 x 512 floats: 80 KiB
    } else {
        args = {QStringLiteral("svm"), QStringLiteral("--train"), m_train, QStringLiteral("--test"), m_test, QStringLiteral("--C"),
                QStringLiteral("1"), QStringLiteral("--gamma"), QStringLiteral("0.01"), QStringLiteral("--folds"), QStringLiteral("2"),
                QStringLiteral("--out"), out};
        bigFile = out + QStringLiteral("/model.libsvm");  // every training row is a support vector: > 100 KiB
    }
    QByteArray before;
    if (replacing) {
        const auto first = runDeepsvm(args);
        QVERIFY2(first.exitCode == 0, first.err.constData());
        before = sha256(bigFile);
        QVERIFY(QFileInfo(bigFile).size() > 16 * 1024);
    }
    QStringList shell = {QStringLiteral("-c"), QStringLiteral("ulimit -f 16; exec \"$0\" \"$@\""), test::deepsvmBinary()};
    const auto r = test::runProcess(QStringLiteral("bash"), shell + args, 300000);
    EXPECT_REFUSED(r, 1, (QStringList{bigFile, QStringLiteral("File too large")}));
    if (replacing)
        QCOMPARE(sha256(bigFile), before);  // the old complete file, untouched
    else
        QVERIFY2(!QFile::exists(bigFile), "half a file was left under the final name");
    QVERIFY2(temporaries(out).isEmpty(), qPrintable(temporaries(out).join(QLatin1Char(' '))));
}

QTEST_MAIN(TestBadInput)
#include "tst_badinput.moc"
