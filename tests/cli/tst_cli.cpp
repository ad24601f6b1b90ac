// The headless commands as a user's script sees them: exit codes, messages, files.
#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cstdlib>

using namespace deepsvm;

namespace {
test::ProcessResult runDeepsvm(const QStringList& args)
{
    return test::runProcess(test::deepsvmBinary(), args);
}
}  // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void versionAndHelp();
    void launcherKeepsSvmLight();
    void commandsRunWithoutWidgets();
    void usageErrors_data();
    void usageErrors();
    void demoDataThenExtract();
    void compareBackbonesWritesTheBoard();
    void demoDataIsDeterministic();
    void runWritesReportFolderThenClassify();

private:
    QTemporaryDir m_tmp;
};

void TestCli::versionAndHelp()
{
    auto r = runDeepsvm({QStringLiteral("--version")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.startsWith("deepsvm "));
    r = runDeepsvm({QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("extract"));
    QVERIFY(r.out.contains("demo-data"));
    r = runDeepsvm({QStringLiteral("extract"), QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    for (const char* flag : {"--data", "--split", "--backbone", "--weights", "--layer", "--size", "--precision",
                             "--batch-size", "--out", "--normalize"})
        QVERIFY2(r.out.contains(flag), flag);
}

void TestCli::launcherKeepsSvmLight()
{
    // `deepsvm svm` runs in the launcher itself: nothing of LibTorch, OpenCV or Qt's GUI may
    // be among the libraries it loads (ldd lists them all, transitively).
    const auto ldd = test::runProcess(QStringLiteral("ldd"), {test::deepsvmBinary()});
    QCOMPARE(ldd.exitCode, 0);
    QVERIFY2(ldd.out.contains("libsvm.so"), ldd.out.constData());
    for (const char* heavy : {"libtorch", "libc10", "libopencv", "libQt6Gui", "libQt6Widgets"})
        QVERIFY2(!ldd.out.contains(heavy), heavy);
    // Commands go to deepsvm-cli next to it, the window to deepsvm-studio (also the fallback for
    // commands); without either, a message naming deepsvm-studio.
    const QString alone = m_tmp.path() + QStringLiteral("/alone");
    QVERIFY(QDir().mkpath(alone));
    QVERIFY(QFile::copy(test::deepsvmBinary(), alone + QStringLiteral("/deepsvm")));
    QFile::setPermissions(alone + QStringLiteral("/deepsvm"), QFile::permissions(test::deepsvmBinary()));
    auto r = test::runProcess(alone + QStringLiteral("/deepsvm"), {QStringLiteral("--version")});
    QCOMPARE(r.exitCode, 127);
    QVERIFY2(r.err.contains(QFile::encodeName(alone + QStringLiteral("/deepsvm-studio"))), r.err.constData());
    QVERIFY2(r.err.contains("reinstall"), r.err.constData());
    // ... while svm itself still runs there (here: its help).
    r = test::runProcess(alone + QStringLiteral("/deepsvm"), {QStringLiteral("svm"), QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("--fold-indices"));
}

void TestCli::commandsRunWithoutWidgets()
{
    // The commands run in deepsvm-cli, next to the launcher: Qt Gui draws their charts, and
    // neither Qt 6 Widgets nor Qt Charts may be among the libraries it loads. (Debian's
    // libtorch_cpu itself needs libopencv_highgui, hence Qt 5's libraries: not ours to drop.)
    const QString cli = QStringLiteral(DEEPSVM_CLI_BINARY);
    QCOMPARE(QFileInfo(cli).absolutePath(), QFileInfo(test::deepsvmBinary()).absolutePath());
    QCOMPARE(QFileInfo(cli).fileName(), QStringLiteral("deepsvm-cli"));
    const auto ldd = test::runProcess(QStringLiteral("ldd"), {cli});
    QCOMPARE(ldd.exitCode, 0);
    QVERIFY2(ldd.out.contains("libQt6Gui"), ldd.out.constData());
    for (const char* heavy : {"libQt6Widgets", "libQt6Charts"})
        QVERIFY2(!ldd.out.contains(heavy), heavy);
    // The launcher execs deepsvm-cli for a command (here alone with it: no deepsvm-studio) and
    // deepsvm-studio for the window.
    const QString dir = m_tmp.path() + QStringLiteral("/clionly");
    QVERIFY(QDir().mkpath(dir));
    QVERIFY(QFile::copy(test::deepsvmBinary(), dir + QStringLiteral("/deepsvm")));
    QFile::setPermissions(dir + QStringLiteral("/deepsvm"), QFile::permissions(test::deepsvmBinary()));
    QVERIFY(QFile::link(cli, dir + QStringLiteral("/deepsvm-cli")));
    auto r = test::runProcess(dir + QStringLiteral("/deepsvm"), {QStringLiteral("run"), QStringLiteral("--help")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.contains("--stl10-folds"));
    r = test::runProcess(dir + QStringLiteral("/deepsvm"), {QStringLiteral("--demo")});
    QCOMPARE(r.exitCode, 127);
    QVERIFY2(r.err.contains(QFile::encodeName(dir + QStringLiteral("/deepsvm-studio"))), r.err.constData());

    // `deepsvm run` still draws its ROC chart there: a real PNG, 900 x 600 at 2x.
    const QString demo = m_tmp.path() + QStringLiteral("/clidemo");
    r = runDeepsvm({QStringLiteral("demo-data"), QStringLiteral("--out"), demo, QStringLiteral("--train-per-class"),
                    QStringLiteral("6"), QStringLiteral("--test-per-class"), QStringLiteral("3")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString out = m_tmp.path() + QStringLiteral("/clirun");
    r = runDeepsvm({QStringLiteral("run"), QStringLiteral("--data"), demo, QStringLiteral("--backbone"), QStringLiteral("resnet18"),
                    QStringLiteral("--size"), QStringLiteral("64"), QStringLiteral("--C"), QStringLiteral("1"),
                    QStringLiteral("--gamma"), QStringLiteral("0.01"), QStringLiteral("--stl10-folds"), QStringLiteral("--out"), out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString roc = out + QStringLiteral("/roc.png");
    QVERIFY(QFileInfo(roc).size() > 20000);
    QImageReader reader(roc);
    QCOMPARE(reader.format(), QByteArray("png"));
    QCOMPARE(reader.size(), QSize(1800, 1200));
    const QImage image = reader.read();
    QVERIFY2(!image.isNull(), qPrintable(reader.errorString()));
    // Not a blank page: the class curves are in colour.
    int coloured = 0;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3) {
            const QColor c = image.pixelColor(x, y);
            coloured += std::abs(c.red() - c.blue()) > 80 || std::abs(c.green() - c.blue()) > 80;
        }
    QVERIFY2(coloured > 200, qPrintable(QString::number(coloured)));
}

void TestCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << 2 << QStringLiteral("unknown command 'frobnicate'");
    QTest::newRow("unknown option") << QStringList{QStringLiteral("extract"), QStringLiteral("--colour")} << 2 << QStringLiteral("colour");
    QTest::newRow("missing --out") << QStringList{QStringLiteral("extract"), QStringLiteral("--data"), QStringLiteral("x")} << 2
                                   << QStringLiteral("--out PREFIX");
    QTest::newRow("missing data folder") << QStringList{QStringLiteral("extract"), QStringLiteral("--data"), QStringLiteral("/no/such/dir"),
                                                        QStringLiteral("--out"), QStringLiteral("/tmp/x")}
                                         << 1 << QStringLiteral("/no/such/dir: no such folder");
    QTest::newRow("bad number") << QStringList{QStringLiteral("extract"), QStringLiteral("--data"), QStringLiteral("x"), QStringLiteral("--out"),
                                               QStringLiteral("y"), QStringLiteral("--size"), QStringLiteral("big")}
                                << 2 << QStringLiteral("whole numbers");
    QTest::newRow("board without backbones") << QStringList{QStringLiteral("compare-backbones"), QStringLiteral("--data"), QStringLiteral("x"),
                                                            QStringLiteral("--out"), QStringLiteral("y")}
                                             << 2 << QStringLiteral("--backbones a,b,c");
    QTest::newRow("board, unknown backbone") << QStringList{QStringLiteral("compare-backbones"), QStringLiteral("--data"), QStringLiteral("x"),
                                                            QStringLiteral("--backbones"), QStringLiteral("resnet18,vgg16"),
                                                            QStringLiteral("--out"), QStringLiteral("y")}
                                             << 2 << QStringLiteral("convnext_tiny");
    QTest::newRow("board, unknown layer") << QStringList{QStringLiteral("compare-backbones"), QStringLiteral("--data"), QStringLiteral("x"),
                                                         QStringLiteral("--backbones"), QStringLiteral("resnet18"), QStringLiteral("--layers"),
                                                         QStringLiteral("layer9"), QStringLiteral("--weights"), QStringLiteral("random"),
                                                         QStringLiteral("--out"), QStringLiteral("y")}
                                          << 2 << QStringLiteral("penultimate");
}

void TestCli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QString, message);
    const auto r = runDeepsvm(args);
    QCOMPARE(r.exitCode, code);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
}

void TestCli::demoDataThenExtract()
{
    const QString demo = m_tmp.path() + QStringLiteral("/demo");
    auto r = runDeepsvm({QStringLiteral("demo-data"), QStringLiteral("--out"), demo, QStringLiteral("--train-per-class"),
                      QStringLiteral("2"), QStringLiteral("--test-per-class"), QStringLiteral("1")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(QFile::exists(demo + QStringLiteral("/stl10_binary/train_X.bin")));
    // --data takes DIR or DIR/stl10_binary alike.
    const QString prefix = m_tmp.path() + QStringLiteral("/feat");
    r = runDeepsvm({QStringLiteral("extract"), QStringLiteral("--data"), demo + QStringLiteral("/stl10_binary"),
                 QStringLiteral("--split"), QStringLiteral("train"), QStringLiteral("--backbone"), QStringLiteral("resnet18"),
                 QStringLiteral("--size"), QStringLiteral("64"), QStringLiteral("--out"), prefix, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject result = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(result[QStringLiteral("splits")].toArray()[0].toObject()[QStringLiteral("rows")].toInt(), 20);
    QVERIFY(r.err.contains("20 x 512 features"));
    for (const char* suffix : {".features.npy", ".labels.npy", ".json"})
        QVERIFY2(QFile::exists(prefix + QLatin1String(suffix)), suffix);
    r = runDeepsvm({QStringLiteral("extract"), QStringLiteral("--data"), demo, QStringLiteral("--split"), QStringLiteral("train"),
                 QStringLiteral("--backbone"), QStringLiteral("resnet18"), QStringLiteral("--size"), QStringLiteral("64"),
                 QStringLiteral("--out"), prefix});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.err.contains("reused from the cache"), r.err.constData());
}

/// `deepsvm compare-backbones`: board.csv, board.json (also on stdout with --json) and
/// board.png for two backbones, the best marked in the table on stderr.
void TestCli::compareBackbonesWritesTheBoard()
{
    const QString demo = m_tmp.path() + QStringLiteral("/boarddemo");
    auto r = runDeepsvm({QStringLiteral("demo-data"), QStringLiteral("--out"), demo, QStringLiteral("--train-per-class"),
                         QStringLiteral("6"), QStringLiteral("--test-per-class"), QStringLiteral("1")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString out = m_tmp.path() + QStringLiteral("/board");
    r = runDeepsvm({QStringLiteral("compare-backbones"), QStringLiteral("--data"), demo, QStringLiteral("--backbones"),
                    QStringLiteral("resnet18,convnext_tiny"), QStringLiteral("--weights"), QStringLiteral("random"),
                    QStringLiteral("--size"), QStringLiteral("32"), QStringLiteral("--folds"), QStringLiteral("3"),
                    QStringLiteral("--out"), out, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject board = QJsonDocument::fromJson(r.out).object();
    const QJsonArray rows = board.value(QStringLiteral("rows")).toArray();
    QCOMPARE(rows.size(), qsizetype(2));
    QCOMPARE(rows[0].toObject().value(QStringLiteral("backbone")).toString(), QStringLiteral("resnet18"));
    QCOMPARE(rows[1].toObject().value(QStringLiteral("feature_dim")).toInt(), 768);
    const int best = board.value(QStringLiteral("best")).toInt();
    QVERIFY(rows[best].toObject().value(QStringLiteral("cv_accuracy")).toDouble()
            >= rows[1 - best].toObject().value(QStringLiteral("cv_accuracy")).toDouble());
    QVERIFY2(r.err.contains("<- best"), r.err.constData());
    QVERIFY(QFileInfo(out + QStringLiteral("/board.csv")).size() > 100);
    QVERIFY(QFile::exists(out + QStringLiteral("/board.json")));
    QVERIFY(QFile::exists(out + QStringLiteral("/resnet18-penultimate/report.json")));
    QImageReader reader(out + QStringLiteral("/board.png"));
    QCOMPARE(reader.format(), QByteArray("png"));
    QCOMPARE(reader.size(), QSize(1440, 1040));
}

void TestCli::demoDataIsDeterministic()
{
    QByteArray first;
    for (int run = 0; run < 2; ++run) {
        const QString dir = m_tmp.path() + QStringLiteral("/det%1").arg(run);
        const auto r = runDeepsvm({QStringLiteral("demo-data"), QStringLiteral("--out"), dir, QStringLiteral("--train-per-class"),
                                QStringLiteral("1"), QStringLiteral("--test-per-class"), QStringLiteral("1"), QStringLiteral("--seed"),
                                QStringLiteral("42")});
        QCOMPARE(r.exitCode, 0);
        QFile f(dir + QStringLiteral("/stl10_binary/train_X.bin"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        if (run == 0)
            first = bytes;
        else
            QCOMPARE(bytes, first);
    }
}

void TestCli::runWritesReportFolderThenClassify()
{
    const QString demo = m_tmp.path() + QStringLiteral("/rundemo");
    auto r = runDeepsvm({QStringLiteral("demo-data"), QStringLiteral("--out"), demo, QStringLiteral("--train-per-class"),
                         QStringLiteral("6"), QStringLiteral("--test-per-class"), QStringLiteral("3")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QString out = m_tmp.path() + QStringLiteral("/report");
    r = runDeepsvm({QStringLiteral("run"), QStringLiteral("--data"), demo, QStringLiteral("--backbone"), QStringLiteral("resnet18"),
                    QStringLiteral("--size"), QStringLiteral("64"), QStringLiteral("--C"), QStringLiteral("1,10"),
                    QStringLiteral("--gamma"), QStringLiteral("0.01,0.001"), QStringLiteral("--stl10-folds"),
                    QStringLiteral("--out"), out, QStringLiteral("--json")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject report = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(report[QStringLiteral("cv")].toArray().size(), 4);
    QCOMPARE(report[QStringLiteral("folds")].toInt(), 10);  // STL-10's predefined folds
    QCOMPARE(report[QStringLiteral("test")].toObject()[QStringLiteral("rows")].toInt(), 30);
    for (const char* f : {"report.json", "predictions.csv", "model.libsvm", "scaler.json", "classes.json", "features.json",
                          "roc_circles.csv", "roc_micro_average.csv", "roc_macro_average.csv", "features/features.train.features.npy"})
        QVERIFY2(QFile::exists(out + QLatin1Char('/') + QLatin1String(f)), f);
    for (const char* png : {"roc.png", "confusion.png", "confusion_normalized.png"}) {
        const QImage image(out + QLatin1Char('/') + QLatin1String(png));
        QVERIFY2(!image.isNull() && image.width() > 500, png);
    }

    // The model folder classifies image files; a file that is not an image is refused by name.
    const QString image = m_tmp.path() + QStringLiteral("/photo.png");
    QImage picture(80, 60, QImage::Format_RGB32);
    picture.fill(QColor(200, 40, 40));
    QVERIFY(picture.save(image));
    const QString text = m_tmp.path() + QStringLiteral("/notes.png");
    QFile notes(text);
    QVERIFY(notes.open(QIODevice::WriteOnly));
    notes.write("not an image at all");
    notes.close();
    r = runDeepsvm({QStringLiteral("classify"), QStringLiteral("--model"), out, QStringLiteral("--top"), QStringLiteral("3"), image, text});
    QCOMPARE(r.exitCode, 1);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 4);  // the image line and its top 3
    QVERIFY(lines[0].startsWith(image.toUtf8()));
    double sum = 0;
    for (int i = 1; i < 4; ++i)
        sum += lines[i].simplified().split(' ').last().toDouble();
    QVERIFY(sum > 0 && sum <= 1.0 + 1e-9);
    QVERIFY2(r.err.contains("notes.png: not a recognised image"), r.err.constData());
}

QTEST_MAIN(TestCli)
#include "tst_cli.moc"
