// ImageFolder: torchvision's order, decoding of unusual images, refusal of bad files.
#include "TestSupport.h"

#include "data/Dataset.h"
#include "data/Image.h"
#include "data/ImageFolder.h"
#include "data/LabelEdits.h"
#include "features/FeatureStore.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <opencv2/imgcodecs.hpp>

using namespace deepsvm;

namespace {

void writeImage(const QString& path, const cv::Mat& m)
{
    QDir().mkpath(QFileInfo(path).path());
    QVERIFY2(cv::imwrite(path.toStdString(), m), qPrintable(path));
}

void writeBytes(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

cv::Mat colour(int w, int h, int b, int g, int r) { return cv::Mat(h, w, CV_8UC3, cv::Scalar(b, g, r)); }

/// A PNG whose header declares width x height but carries no real data.
QByteArray pngHeader(quint32 w, quint32 h)
{
    QByteArray b("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    for (quint32 v : {w, h})
        for (int s = 24; s >= 0; s -= 8)
            b.append(char((v >> s) & 0xFF));
    b.append("\x08\x02\0\0\0\0\0\0\0", 9);
    return b;
}

}  // namespace

class TestImageFolder : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void orderMatchesTorchvision();
    void refusesBadFilesAndListsThem();
    void decodesUnusualImages_data();
    void decodesUnusualImages();
    void headerProbe_data();
    void hugeDeclaredSizesAreRefusedSafely_data();
    void hugeDeclaredSizesAreRefusedSafely();
    void headerProbe();
    void trainTestSplits();
    void noClassFolders();
    void nonAsciiPaths();
    void cifarSample();
    void symlinkCycleListsEachImageOnce();
    void relabelExcludeAndUndoMoveTheFiles();
    void overrideEditorWritesLabelsOverrideCsv();
    void labelOverridesApplyByIdAndNameBadRows();
};

void TestImageFolder::orderMatchesTorchvision()
{
    QTemporaryDir tmp;
    const QString root = tmp.path();
    // Byte order puts upper case first; nested folders and names whose order differs
    // between natural and byte sorting.
    for (const char* f : {"b_cls/img10.png", "b_cls/img2.png", "b_cls/Img3.png", "b_cls/sub/z.png",
                          "b_cls/sub/a.bmp", "b_cls/sub2/m.jpg", "a_cls/x.jpeg", "a_cls/y.PNG",
                          "Zeta/one.webp", "Zeta/nested/deeper/two.tif"})
        writeImage(root + QLatin1Char('/') + QLatin1String(f), colour(8, 6, 10, 20, 30));
    writeBytes(root + QStringLiteral("/a_cls/notes.txt"), "not an image");
    ImageFolderDataset ds(root.toStdString());
    QCOMPARE(ds.classNames(), (std::vector<std::string>{"Zeta", "a_cls", "b_cls"}));
    auto all = ds.split("all");
    QCOMPARE(all->size(), int64_t(10));

    if (!test::referenceAvailable())
        QSKIP("/usr/bin/python3 with torchvision is not installed: run packaging/install-deps.sh --tests");
    const auto r = test::runReference({QStringLiteral("imagefolder"), root});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QStringList lines = QString::fromUtf8(r.out).trimmed().split(QLatin1Char('\n'));
    QCOMPARE(lines.front(), QStringLiteral("Zeta\ta_cls\tb_cls"));
    QCOMPARE(lines.size() - 1, int(all->size()));
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList parts = lines[i].split(QLatin1Char('\t'));
        QCOMPARE(QString::fromStdString(all->id(i - 1)), parts[0]);
        QCOMPARE(all->label(i - 1), parts[1].toInt());
    }
}

void TestImageFolder::refusesBadFilesAndListsThem()
{
    QTemporaryDir tmp;
    const QString root = tmp.path();
    writeImage(root + QStringLiteral("/cat/good.png"), colour(4, 4, 1, 2, 3));
    writeBytes(root + QStringLiteral("/cat/empty.png"), QByteArray());
    writeBytes(root + QStringLiteral("/cat/garbage.jpg"), QByteArray(500, 'x'));
    writeBytes(root + QStringLiteral("/cat/bomb.png"), pngHeader(20000, 20000));
    QByteArray truncated;
    {
        std::vector<uchar> buf;
        cv::imencode(".jpg", colour(64, 64, 9, 9, 9), buf);
        truncated = QByteArray(reinterpret_cast<const char*>(buf.data()), int(buf.size() / 3));
    }
    writeBytes(root + QStringLiteral("/dog/truncated.jpg"), truncated);
    writeImage(root + QStringLiteral("/dog/good.bmp"), colour(4, 4, 1, 2, 3));
    ImageFolderDataset ds(root.toStdString());
    auto all = ds.split("all");
    const auto skipped = all->skipped();
    QCOMPARE(skipped.size(), std::size_t(3));  // empty, garbage, bomb refused by the header check
    const std::string joined = [&] { std::string s; for (const auto& k : skipped) s += k + "\n"; return s; }();
    QVERIFY2(joined.find("empty.png: empty file") != std::string::npos, joined.c_str());
    QVERIFY2(joined.find("garbage.jpg") != std::string::npos, joined.c_str());
    QVERIFY2(joined.find("bomb.png: png declares 20000x20000") != std::string::npos, joined.c_str());
    // The truncated JPEG passes the header check but fails decoding, with its name.
    QCOMPARE(all->size(), int64_t(3));
    QCOMPARE(all->id(1), std::string("dog/good.bmp"));
    // libjpeg decodes a truncated file partially (grey fill) or refuses it; either way the
    // result is a whole image or an error that names the file, never a crash.
    try {
        QCOMPARE(all->load(2).width, 64);
    } catch (const ImageError& e) {
        QVERIFY2(std::string(e.what()).find("truncated.jpg") != std::string::npos, e.what());
    }
    QCOMPARE(all->load(0).pixels[0], std::uint8_t(3));  // BGR on disk -> R first
}

void TestImageFolder::decodesUnusualImages_data()
{
    QTest::addColumn<QString>("ext");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("expectR");
    QTest::addColumn<int>("expectG");
    QTest::addColumn<int>("expectB");
    QTest::newRow("grey png") << QStringLiteral(".png") << int(CV_8UC1) << 77 << 77 << 77;
    QTest::newRow("16-bit png") << QStringLiteral(".png") << int(CV_16UC3) << 30 << 20 << 10;
    QTest::newRow("alpha png") << QStringLiteral(".png") << int(CV_8UC4) << 30 << 20 << 10;
    QTest::newRow("bmp") << QStringLiteral(".bmp") << int(CV_8UC3) << 30 << 20 << 10;
    QTest::newRow("tiff") << QStringLiteral(".tiff") << int(CV_8UC3) << 30 << 20 << 10;
    QTest::newRow("webp lossless") << QStringLiteral(".webp") << int(CV_8UC3) << 30 << 20 << 10;
    QTest::newRow("pgm") << QStringLiteral(".pgm") << int(CV_8UC1) << 77 << 77 << 77;
}

void TestImageFolder::decodesUnusualImages()
{
    QFETCH(QString, ext);
    QFETCH(int, type);
    QFETCH(int, expectR);
    QFETCH(int, expectG);
    QFETCH(int, expectB);
    QTemporaryDir tmp;
    const QString path = tmp.path() + QStringLiteral("/img") + ext;
    cv::Mat m;
    switch (type) {
    case CV_8UC1: m = cv::Mat(5, 7, CV_8UC1, cv::Scalar(77)); break;
    case CV_16UC3: m = cv::Mat(5, 7, CV_16UC3, cv::Scalar(10 * 257, 20 * 257, 30 * 257)); break;
    case CV_8UC4: m = cv::Mat(5, 7, CV_8UC4, cv::Scalar(10, 20, 30, 128)); break;
    default: m = cv::Mat(5, 7, CV_8UC3, cv::Scalar(10, 20, 30)); break;
    }
    std::vector<int> params;
    if (ext == QLatin1String(".webp"))
        params = {cv::IMWRITE_WEBP_QUALITY, 101};
    QVERIFY(cv::imwrite(path.toStdString(), m, params));
    QCOMPARE(checkImageFile(path.toStdString()), std::string());
    const RgbImage img = loadImageFile(path.toStdString());
    QCOMPARE(img.width, 7);
    QCOMPARE(img.height, 5);
    QCOMPARE(int(img.pixels[0]), expectR);
    QCOMPARE(int(img.pixels[1]), expectG);
    QCOMPARE(int(img.pixels[2]), expectB);
}

void TestImageFolder::headerProbe_data()
{
    QTest::addColumn<QString>("ext");
    for (const char* e : {".png", ".jpg", ".bmp", ".webp", ".tif", ".ppm"})
        QTest::newRow(e) << QString::fromLatin1(e);
}

void TestImageFolder::headerProbe()
{
    QFETCH(QString, ext);
    std::vector<uchar> buf;
    QVERIFY(cv::imencode(ext.toStdString(), colour(123, 45, 1, 2, 3), buf));
    ImageHeader h;
    QVERIFY(probeImageHeader(buf.data(), buf.size(), &h));
    QCOMPARE(h.width, int64_t(123));
    QCOMPARE(h.height, int64_t(45));
}

void TestImageFolder::hugeDeclaredSizesAreRefusedSafely_data()
{
    // Found by tests/fuzz/fuzz_image: width x height overflowed int64, abs(INT32_MIN), a wrapped
    // TIFF offset.
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("pnm 2^40 x 2^40") << QByteArray("P6\n1099511627776 1099511627776\n255\n") + QByteArray(16, '\0');
    QByteArray bmp(64, '\0');
    bmp[0] = 'B';
    bmp[1] = 'M';
    bmp[14] = 40;  // BITMAPINFOHEADER
    for (int i : {18, 22}) {  // width and height = INT32_MIN
        bmp[i] = 0;
        bmp[i + 1] = 0;
        bmp[i + 2] = 0;
        bmp[i + 3] = char(0x80);
    }
    QTest::newRow("bmp INT32_MIN x INT32_MIN") << bmp;
    // The first IFD "at" 0xFFFFFFFF: the bounds check wrapped and the probe read 4 GB past the file.
    QTest::newRow("tiff IFD offset 0xFFFFFFFF") << QByteArray::fromHex("4d4d002affffffff003a2f2f");
}

void TestImageFolder::hugeDeclaredSizesAreRefusedSafely()
{
    QFETCH(QByteArray, bytes);
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("bomb.img"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();
    const std::string why = checkImageFile(path.toStdString());
    QVERIFY2(why.find("100-megapixel") != std::string::npos || why.find("not a recognised") != std::string::npos, why.c_str());
}

void TestImageFolder::trainTestSplits()
{
    QTemporaryDir tmp;
    for (const char* f : {"train/a/1.png", "train/a/2.png", "train/b/1.png", "test/b/9.png"})
        writeImage(tmp.path() + QLatin1Char('/') + QLatin1String(f), colour(4, 4, 0, 0, 0));
    auto ds = openDataset(tmp.path().toStdString());
    QCOMPARE(ds->kind(), std::string("imagefolder"));
    QCOMPARE(ds->splits(), (std::vector<std::string>{"train", "test"}));
    QCOMPARE(ds->split("train")->size(), int64_t(3));
    QCOMPARE(ds->split("test")->size(), int64_t(1));
    QCOMPARE(ds->split("test")->label(0), 1);  // "b" keeps its training index
}

void TestImageFolder::noClassFolders()
{
    QTemporaryDir tmp;
    writeImage(tmp.path() + QStringLiteral("/loose.png"), colour(4, 4, 0, 0, 0));
    try {
        ImageFolderDataset ds(tmp.path().toStdString());
        QFAIL("expected DatasetError");
    } catch (const DatasetError& e) {
        QVERIFY2(std::string(e.what()).find("no class folders") != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(DatasetError, openDataset((tmp.path() + QStringLiteral("/nope")).toStdString()));
}

void TestImageFolder::nonAsciiPaths()
{
    QTemporaryDir tmp;
    const QString path = tmp.path() + QStringLiteral("/chats t\u00e9l\u00e9/photo \u732b 1.png");
    writeImage(path, colour(6, 3, 5, 6, 7));
    ImageFolderDataset ds(tmp.path().toStdString());
    QCOMPARE(ds.classNames().front(), std::string("chats t\u00e9l\u00e9"));
    QCOMPARE(ds.split("all")->load(0).width, 6);
}

void TestImageFolder::cifarSample()
{
    const QString dir = test::cifarSampleDir();
    if (dir.isEmpty())
        QSKIP("../shared/data/cifar10-sample is absent: the real-photo check is skipped");
    ImageFolderDataset ds(dir.toStdString());
    QCOMPARE(ds.classNames().size(), std::size_t(10));
    auto all = ds.split("all");
    QVERIFY(all->skipped().empty());
    QCOMPARE(all->size(), int64_t(500));
    for (int64_t i = 0; i < all->size(); ++i) {
        const RgbImage img = all->load(i);
        QVERIFY(!img.empty());
    }
}

void TestImageFolder::symlinkCycleListsEachImageOnce()
{
    QTemporaryDir tmp;
    writeImage(tmp.filePath(QStringLiteral("cats/a.png")), colour(8, 8, 1, 2, 3));
    writeImage(tmp.filePath(QStringLiteral("cats/inner/b.png")), colour(8, 8, 4, 5, 6));
    writeImage(tmp.filePath(QStringLiteral("dogs/c.png")), colour(8, 8, 7, 8, 9));
    // A link from deep inside back to the class folder: a walk that follows it blindly lists
    // a.png and b.png again at every level.
    QVERIFY(QFile::link(tmp.filePath(QStringLiteral("cats")), tmp.filePath(QStringLiteral("cats/inner/loop"))));
    const ImageFolderDataset d(tmp.path().toStdString());
    const auto all = d.split("all");
    QCOMPARE(all->size(), 3);
    bool named = false;
    for (const auto& s : all->skipped())
        named = named || s.find("cats/inner/loop") != std::string::npos;
    QVERIFY2(named, "the link not entered is reported");
    std::vector<std::string> skipped;
    QCOMPARE(listImageFiles(tmp.path().toStdString(), &skipped).size(), std::size_t(3));
}

void TestImageFolder::relabelExcludeAndUndoMoveTheFiles()
{
    QTemporaryDir tmp;
    for (const char* f : {"cats/1.png", "cats/2.png", "cats/3.png", "dogs/1.png", "dogs/2.png"})
        writeImage(tmp.filePath(QLatin1String(f)), colour(8, 8, 9, 9, 9));
    FolderLabelEditor editor(tmp.path().toStdString());
    // cats/1.png is a dog: it moves to dogs/, where 1.png exists, so it becomes 1-2.png.
    const LabelEdit moved = editor.relabel("cats/1.png", "dogs");
    QCOMPARE(QString::fromStdString(moved.to), tmp.filePath(QStringLiteral("dogs/1-2.png")));
    QVERIFY(!QFile::exists(tmp.filePath(QStringLiteral("cats/1.png"))));
    const LabelEdit gone = editor.exclude("cats/2.png");
    QCOMPARE(QString::fromStdString(gone.to), tmp.filePath(QStringLiteral("_excluded/cats/2.png")));
    // The next listing sees both: 1-2.png is a dog, 2.png is no image of the set, _excluded no class.
    {
        const ImageFolderDataset d(tmp.path().toStdString());
        QCOMPARE(d.classNames(), (std::vector<std::string>{"cats", "dogs"}));
        const auto all = d.split("all");
        QCOMPARE(all->size(), 4);
        std::vector<std::string> ids;
        for (int64_t i = 0; i < all->size(); ++i) ids.push_back(all->id(i) + "=" + std::to_string(all->label(i)));
        QCOMPARE(ids, (std::vector<std::string>{"cats/3.png=0", "dogs/1-2.png=1", "dogs/1.png=1", "dogs/2.png=1"}));
    }
    // Undo, last first.
    QVERIFY(editor.canUndo());
    QCOMPARE(editor.undo().id, std::string("cats/2.png"));
    QVERIFY(QFile::exists(tmp.filePath(QStringLiteral("cats/2.png"))));
    editor.undo();
    QVERIFY(QFile::exists(tmp.filePath(QStringLiteral("cats/1.png"))));
    QVERIFY(!QFile::exists(tmp.filePath(QStringLiteral("dogs/1-2.png"))));
    QVERIFY(!editor.canUndo());
    // Every move is in the log, in order.
    QFile log(QString::fromStdString(editor.logPath()));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = log.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 5);
    QCOMPARE(lines[0], QByteArray("time,action,from,to"));
    QVERIFY(lines[1].contains(",relabel,") && lines[1].endsWith("dogs/1-2.png"));
    QVERIFY(lines[2].contains(",exclude,"));
    QVERIFY(lines[3].contains(",undo,") && lines[4].contains(",undo,"));
    // A missing file or a bad class name is refused by name; nothing moves.
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, editor.relabel("cats/9.png", "dogs"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, editor.relabel("cats/3.png", "../elsewhere"));
    QVERIFY(QFile::exists(tmp.filePath(QStringLiteral("cats/3.png"))));
}

void TestImageFolder::overrideEditorWritesLabelsOverrideCsv()
{
    // STL-10's binaries stay as they are: every change rewrites labels_override.csv.
    QTemporaryDir tmp;
    const std::string csv = tmp.filePath(QStringLiteral("exp/labels_override.csv")).toStdString();
    auto rows = [&] {
        QFile f(QString::fromStdString(csv));
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().split('\n') : QList<QByteArray>();
    };
    {
        OverrideLabelEditor editor(csv, {"airplane", "bird", "car"});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, editor.relabel("train/3", "horse"));
        QVERIFY(!QFile::exists(QString::fromStdString(csv)));
        const LabelEdit e = editor.relabel("train/3", "bird");
        QCOMPARE(e.toClass, std::string("bird"));
        QVERIFY(QString::fromStdString(e.summary).contains(QStringLiteral("train/3 relabelled to bird")));
        editor.exclude("train/10");
        editor.relabel("train/3", "car");  // a second change of the same image replaces its row
        QCOMPARE(rows(), (QList<QByteArray>{"id,label", "train/10,_excluded", "train/3,car"}));
        editor.undo();
        QCOMPARE(rows(), (QList<QByteArray>{"id,label", "train/10,_excluded", "train/3,bird"}));
        editor.undo();
        editor.undo();
        QCOMPARE(rows(), (QList<QByteArray>{"id,label"}));
        QVERIFY(!editor.canUndo());
        editor.relabel("train/7", "airplane");
        QFile log(QString::fromStdString(editor.logPath()));
        QVERIFY(log.open(QIODevice::ReadOnly));
        QCOMPARE(log.readAll().trimmed().split('\n').size(), 8);  // header, 3 edits, 3 undos, 1 edit
    }
    // A new editor (the window reopened) starts from what the file holds.
    OverrideLabelEditor again(csv, {"airplane", "bird", "car"});
    QCOMPARE(again.overrides().size(), std::size_t(1));
    QCOMPARE(*again.overrides().find("train/7"), std::string("airplane"));
}

void TestImageFolder::labelOverridesApplyByIdAndNameBadRows()
{
    QTemporaryDir tmp;
    const std::string csv = tmp.filePath(QStringLiteral("labels_override.csv")).toStdString();
    auto write = [&](const QByteArray& text) {
        QFile f(QString::fromStdString(csv));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
    };
    // Rows 0..4 with two features each; b is relabelled to "cats", d left out.
    FeatureSet set;
    set.rows = 5;
    set.cols = 2;
    set.values = {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4.5f};
    set.labels = {0, 1, 1, 0, 1};
    set.ids = {"a", "b", "c", "d", "e"};
    set.classNames = {"cats", "dogs"};
    write("id,label\r\nb,cats\r\nd,_excluded\r\nzz,dogs\r\n");
    const LabelOverrides o = LabelOverrides::load(csv);
    QCOMPARE(o.size(), std::size_t(3));
    const LabelOverrides::Applied applied = o.applyTo(&set, csv);
    QCOMPARE(applied.relabelled, int64_t(1));
    QCOMPARE(applied.excluded, int64_t(1));
    QCOMPARE(set.rows, int64_t(4));
    QCOMPARE(set.ids, (std::vector<std::string>{"a", "b", "c", "e"}));
    QCOMPARE(set.labels, (std::vector<int64_t>{0, 0, 1, 1}));
    QCOMPARE(set.values, (std::vector<float>{0, 0.5f, 1, 1.5f, 2, 2.5f, 4, 4.5f}));
    QCOMPARE(applied.kept, (std::vector<int64_t>{0, 1, 2, 4}));
    QCOMPARE(applied.fileRow(3), int64_t(4));
    // The digest follows the rows, not their order or line endings.
    write("zz,dogs\nd,_excluded\nb,cats\n");
    QCOMPARE(LabelOverrides::load(csv).digest(), o.digest());
    // A class the features do not have, a row given twice, a row without a label: named.
    write("id,label\na,horses\n");
    FeatureSet copy = set;
    try {
        LabelOverrides::load(csv).applyTo(&copy, csv);
        QFAIL("an unknown class was accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("'horses' is not a class")), e.what());
        QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("cats, dogs")));
    }
    for (const QByteArray& bad : {QByteArray("id,label\na,cats\na,dogs\n"), QByteArray("id,label\na,cats\nb\n")}) {
        write(bad);
        try {
            LabelOverrides::load(csv);
            QFAIL("a malformed row was accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QString::fromStdString(csv + ": line 3")), e.what());
        }
    }
    // No file: no override.
    QVERIFY(LabelOverrides::load(csv + ".missing").empty());
}

QTEST_GUILESS_MAIN(TestImageFolder)
#include "tst_imagefolder.moc"
