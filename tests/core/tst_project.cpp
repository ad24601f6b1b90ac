// Downloads against a local HTTP server (complete, cut and resumed, no Range, bad checksum,
// 404, cancel, redirect), archive extraction (STL-10 layout, path traversal refused),
// discovery of weights and STL-10 folders, and `deepsvm fetch` with --mirror.
#include "HttpFixture.h"
#include "TestSupport.h"
#include "data/Dataset.h"
#include "data/DemoData.h"
#include "project/Archive.h"
#include "project/Download.h"
#include "project/Experiment.h"
#include "project/Fetch.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>

#include <future>

using namespace deepsvm;
using deepsvm::test::HttpFixture;

namespace {

QString sha256(const QByteArray& b) { return QString::fromLatin1(QCryptographicHash::hash(b, QCryptographicHash::Sha256).toHex()); }

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// Runs downloadFile on a worker thread while this thread's event loop serves HTTP.
struct Outcome {
    QJsonObject result;
    QString error;
    bool cancelled = false;
};
Outcome download(const DownloadOptions& o, std::function<bool(qint64, qint64)> progress = {})
{
    auto future = std::async(std::launch::async, [o, progress] {
        Outcome out;
        try {
            out.result = downloadFile(o, progress);
        } catch (const DownloadCancelled&) {
            out.cancelled = true;
        } catch (const std::exception& e) {
            out.error = QString::fromUtf8(e.what());
        }
        return out;
    });
    while (future.wait_for(std::chrono::milliseconds(5)) != std::future_status::ready)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    return future.get();
}

/// A .tar.gz written with libarchive: entries (name -> bytes; a name ending in '/' is a folder).
void writeTarGz(const QString& path, const QList<QPair<QString, QByteArray>>& entries)
{
    archive* a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    QVERIFY(archive_write_open_filename(a, QFile::encodeName(path).constData()) == ARCHIVE_OK);
    for (const auto& [name, bytes] : entries) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.toUtf8().constData());
        const bool dir = name.endsWith(QLatin1Char('/'));
        archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(e, dir ? 0755 : 0644);
        archive_entry_set_size(e, dir ? 0 : bytes.size());
        archive_write_header(a, e);
        if (!dir)
            archive_write_data(a, bytes.constData(), size_t(bytes.size()));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

}  // namespace

class TestProject : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void completeDownload();
    void cutDownloadResumes();
    void serverWithoutRangeRestartsCleanly();
    void wrongChecksumDiscardsTheFile();
    void notFoundNamesTheUrl();
    void cancelLeavesNothing();
    void redirectIsFollowed();
    void torchvisionNameConvention();
    void checksumParsing();
    void stl10ArchiveExtractsAndOpens();
    void traversalEntriesAreRefused();
    void discoveryFindsWeightsAndStl10();
    void fetchCommandWithMirror();
    void fetchTaskUnpacksStl10();
    void experimentFilesAreChecked_data();
    void experimentFilesAreChecked();

private:
    HttpFixture m_http;
    QTemporaryDir m_dir;
    QByteArray m_payload = test::randomBytes(300 * 1024, 7);
};

void TestProject::initTestCase()
{
    QVERIFY(m_http.listen());
    m_http.addFile(QStringLiteral("a.bin"), m_payload);
    m_http.addFile(QStringLiteral("b.bin"), test::randomBytes(512 * 1024, 8));
    m_http.addFile(QStringLiteral("c.bin"), test::randomBytes(200 * 1024, 9));
    m_http.addFile(QStringLiteral("slow.bin"), test::randomBytes(400 * 1024, 10));
}

void TestProject::completeDownload()
{
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/files/a.bin"));
    o.target = m_dir.filePath(QStringLiteral("complete/a.bin"));
    o.checksum = Checksum::parse(QStringLiteral("sha256:") + sha256(m_payload));
    qint64 lastDone = 0;
    const Outcome out = download(o, [&](qint64 done, qint64) { lastDone = done; return true; });
    QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
    QCOMPARE(readAll(o.target), m_payload);
    QVERIFY(!QFile::exists(o.target + QStringLiteral(".part")));
    QCOMPARE(out.result.value(QStringLiteral("bytes")).toDouble(), double(m_payload.size()));
    QCOMPARE(out.result.value(QStringLiteral("sha256")).toString(), sha256(m_payload));
    QCOMPARE(lastDone, qint64(m_payload.size()));
}

void TestProject::cutDownloadResumes()
{
    const QByteArray body = test::randomBytes(512 * 1024, 8);
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/cut/b.bin"));
    o.target = m_dir.filePath(QStringLiteral("cut/b.bin"));
    o.checksum = Checksum::parse(QStringLiteral("sha256:") + sha256(body));
    const Outcome first = download(o);
    QVERIFY(!first.error.isEmpty());
    QVERIFY2(first.error.contains(QStringLiteral("resume")), qPrintable(first.error));
    QVERIFY(!QFile::exists(o.target));
    const qint64 partial = QFileInfo(o.target + QStringLiteral(".part")).size();
    QVERIFY(partial > 0 && partial < body.size());
    const Outcome second = download(o);
    QVERIFY2(second.error.isEmpty(), qPrintable(second.error));
    QCOMPARE(second.result.value(QStringLiteral("resumed_from")).toDouble(), double(partial));
    QCOMPARE(readAll(o.target), body);
    QVERIFY(m_http.log().contains(QStringLiteral("GET /cut/b.bin bytes=%1-").arg(partial)));
}

void TestProject::serverWithoutRangeRestartsCleanly()
{
    const QByteArray body = test::randomBytes(200 * 1024, 9);
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/norange/c.bin"));
    o.target = m_dir.filePath(QStringLiteral("norange/c.bin"));
    o.checksum = Checksum::parse(QStringLiteral("sha256:") + sha256(body));
    QDir().mkpath(m_dir.filePath(QStringLiteral("norange")));
    QFile stale(o.target + QStringLiteral(".part"));
    QVERIFY(stale.open(QIODevice::WriteOnly));
    stale.write(QByteArray(1000, 'x'));  // not a prefix of the body
    stale.close();
    const Outcome out = download(o);
    QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
    QCOMPARE(out.result.value(QStringLiteral("resumed_from")).toDouble(), 0.0);
    QCOMPARE(readAll(o.target), body);
}

void TestProject::wrongChecksumDiscardsTheFile()
{
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/files/a.bin"));
    o.target = m_dir.filePath(QStringLiteral("bad/a.bin"));
    o.checksum = Checksum::parse(QStringLiteral("md5:00000000000000000000000000000000"));
    const Outcome out = download(o);
    QVERIFY(out.error.contains(QStringLiteral("checksum mismatch")));
    QVERIFY(out.error.contains(QStringLiteral("/files/a.bin")));
    QVERIFY(!QFile::exists(o.target));
    QVERIFY(!QFile::exists(o.target + QStringLiteral(".part")));
}

void TestProject::notFoundNamesTheUrl()
{
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/files/missing.bin"));
    o.target = m_dir.filePath(QStringLiteral("missing/missing.bin"));
    const Outcome out = download(o);
    QVERIFY2(out.error.contains(QStringLiteral("404")), qPrintable(out.error));
    QVERIFY(out.error.contains(QStringLiteral("missing.bin")));
    QVERIFY(!QFile::exists(o.target));
    QVERIFY(!QFile::exists(o.target + QStringLiteral(".part")));
}

void TestProject::cancelLeavesNothing()
{
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/slow/slow.bin"));
    o.target = m_dir.filePath(QStringLiteral("cancel/slow.bin"));
    const Outcome out = download(o, [](qint64 done, qint64) { return done < 16 * 1024; });
    QVERIFY(out.cancelled);
    QVERIFY(!QFile::exists(o.target));
    QVERIFY(!QFile::exists(o.target + QStringLiteral(".part")));
}

void TestProject::redirectIsFollowed()
{
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/redirect/a.bin"));
    o.target = m_dir.filePath(QStringLiteral("redirect/a.bin"));
    const Outcome out = download(o);
    QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
    QCOMPARE(readAll(o.target), m_payload);
}

void TestProject::torchvisionNameConvention()
{
    const QString prefix = sha256(m_payload).left(8);
    const QString name = QStringLiteral("resnet18-%1.pth").arg(prefix);
    m_http.addFile(name, m_payload);
    m_http.addFile(QStringLiteral("resnet18-00000000.pth"), m_payload);
    DownloadOptions o;
    o.url = QUrl(m_http.base() + QStringLiteral("/files/") + name);
    o.target = m_dir.filePath(QStringLiteral("hub/") + name);
    o.checksum = Checksum::fromTorchvisionName(name);
    QCOMPARE(int(o.checksum.kind), int(Checksum::Kind::Sha256Prefix));
    QVERIFY(download(o).error.isEmpty());
    QVERIFY(QFile::exists(o.target));
    o.url = QUrl(m_http.base() + QStringLiteral("/files/resnet18-00000000.pth"));
    o.target = m_dir.filePath(QStringLiteral("hub/resnet18-00000000.pth"));
    o.checksum = Checksum::fromTorchvisionName(QStringLiteral("resnet18-00000000.pth"));
    QVERIFY(download(o).error.contains(QStringLiteral("checksum mismatch")));
    QVERIFY(!QFile::exists(o.target));
}

void TestProject::checksumParsing()
{
    QCOMPARE(int(Checksum::parse(QStringLiteral("MD5:91f7769df0f17e558f3565bffb0c7dfb")).kind), int(Checksum::Kind::Md5));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Checksum::parse(QStringLiteral("sha256:abc")));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Checksum::parse(QStringLiteral("crc:1234")));
    QCOMPARE(int(Checksum::fromTorchvisionName(QStringLiteral("weights.pth")).kind), int(Checksum::Kind::None));
    // The published items.
    const FetchItem stl = fetchItem(QStringLiteral("stl10"));
    QCOMPARE(stl.url, QStringLiteral("http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"));
    QCOMPARE(stl.checksum.hex, QStringLiteral("91f7769df0f17e558f3565bffb0c7dfb"));
    QCOMPARE(fetchItem(QStringLiteral("resnet50"), QStringLiteral("IMAGENET1K_V2")).fileName, QStringLiteral("resnet50-11ad3fa6.pth"));
    QCOMPARE(fetchItem(QStringLiteral("resnet50")).url, QStringLiteral("https://download.pytorch.org/models/resnet50-0676ba61.pth"));
    QCOMPARE(fetchItem(QStringLiteral("resnet18"), QString(), QStringLiteral("http://mirror/m/")).url, QStringLiteral("http://mirror/m/resnet18-f37072fd.pth"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fetchItem(QStringLiteral("resnet18"), QStringLiteral("IMAGENET1K_V2")));
    QCOMPARE(fetchItem(QStringLiteral("resnet50"), QStringLiteral("V2")).fileName, QStringLiteral("resnet50-11ad3fa6.pth"));
    QCOMPARE(fetchItem(QStringLiteral("resnet101"), QStringLiteral("DEFAULT")).weightsTag, QStringLiteral("IMAGENET1K_V2"));
    QCOMPARE(fetchItem(QStringLiteral("convnext_tiny")).url,
             QStringLiteral("https://download.pytorch.org/models/convnext_tiny-983f1562.pth"));
    QVERIFY(fetchItem(QStringLiteral("convnext_tiny")).checksum.describe().contains(QStringLiteral("983f1562")));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fetchItem(QStringLiteral("vgg16")));
}

void TestProject::stl10ArchiveExtractsAndOpens()
{
    // A small STL-10-format set, packed the way the official archive is (stl10_binary/...).
    const QString source = m_dir.filePath(QStringLiteral("stlsrc"));
    DemoOptions demo;
    demo.trainPerClass = 2;
    demo.testPerClass = 1;
    QVERIFY(writeDemoStl10(source.toStdString(), demo));
    QList<QPair<QString, QByteArray>> entries{{QStringLiteral("stl10_binary/"), {}}};
    for (const QString& f : QDir(source + QStringLiteral("/stl10_binary")).entryList(QDir::Files))
        entries.append({QStringLiteral("stl10_binary/") + f, readAll(source + QStringLiteral("/stl10_binary/") + f)});
    const QString tarGz = m_dir.filePath(QStringLiteral("stl10_binary.tar.gz"));
    writeTarGz(tarGz, entries);
    const QString target = m_dir.filePath(QStringLiteral("stl-out"));
    qint64 lastDone = -1, lastTotal = -1;
    const long long files = extractArchive(tarGz, target, [&](qint64 d, qint64 t) { lastDone = d; lastTotal = t; return true; });
    QCOMPARE(files, qint64(entries.size() - 1));
    QCOMPARE(lastDone, lastTotal);
    const auto dataset = openDataset(target.toStdString());
    QCOMPARE(QString::fromStdString(dataset->kind()), QStringLiteral("stl10"));
    QCOMPARE(dataset->split("train")->size(), 20);
    QVERIFY(QDir(target).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot) == QStringList{QStringLiteral("stl10_binary")});
    // Cancelled half-way: the destination keeps the earlier, complete copy.
    const QString before = sha256(readAll(target + QStringLiteral("/stl10_binary/train_X.bin")));
    QVERIFY_THROWS_EXCEPTION(ExtractionCancelled, extractArchive(tarGz, target, [](qint64, qint64) { return false; }));
    QCOMPARE(sha256(readAll(target + QStringLiteral("/stl10_binary/train_X.bin"))), before);
    QCOMPARE(QDir(target).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).size(), 1);
}

void TestProject::traversalEntriesAreRefused()
{
    const QString tarGz = m_dir.filePath(QStringLiteral("evil.tar.gz"));
    writeTarGz(tarGz, {{QStringLiteral("stl10_binary/ok.txt"), "fine"}, {QStringLiteral("stl10_binary/../../evil.txt"), "gotcha"}});
    const QString target = m_dir.filePath(QStringLiteral("evil-out/inner"));
    try {
        extractArchive(tarGz, target);
        QFAIL("a ../ entry was extracted");
    } catch (const std::runtime_error& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("../../evil.txt")), e.what());
    }
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("evil.txt"))));
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("evil-out/evil.txt"))));
    QVERIFY(!QFile::exists(target + QStringLiteral("/stl10_binary/ok.txt")));  // all or nothing
    const QString absolute = m_dir.filePath(QStringLiteral("abs.tar.gz"));
    writeTarGz(absolute, {{QStringLiteral("/tmp/deepsvm-absolute-evil.txt"), "x"}});
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, extractArchive(absolute, target));
    QVERIFY(!QFile::exists(QStringLiteral("/tmp/deepsvm-absolute-evil.txt")));
}

void TestProject::discoveryFindsWeightsAndStl10()
{
    const QString torchHome = m_dir.filePath(QStringLiteral("torchhome"));
    QDir().mkpath(torchHome + QStringLiteral("/hub/checkpoints"));
    QFile w(torchHome + QStringLiteral("/hub/checkpoints/resnet34-b627a593.pth"));
    QVERIFY(w.open(QIODevice::WriteOnly));
    w.write("x");
    w.close();
    qputenv("TORCH_HOME", torchHome.toUtf8());
    QCOMPARE(torchHubCheckpoints(), torchHome + QStringLiteral("/hub/checkpoints"));
    QCOMPARE(findWeights(QStringLiteral("resnet34")).value(0), w.fileName());
    QVERIFY(findWeights(QStringLiteral("resnet152")).filter(torchHome).isEmpty());
    qunsetenv("TORCH_HOME");
    const QString stl = m_dir.filePath(QStringLiteral("stl-out"));
    QVERIFY(findStl10({stl, m_dir.filePath(QStringLiteral("nothing-here"))}).contains(QDir(stl).absolutePath()));
    QVERIFY(!findStl10({m_dir.filePath(QStringLiteral("nothing-here"))}).contains(m_dir.filePath(QStringLiteral("nothing-here"))));
}

void TestProject::fetchCommandWithMirror()
{
    const QString name = QStringLiteral("resnet18-f37072fd.pth");
    m_http.addFile(name, m_payload);
    const QString to = m_dir.filePath(QStringLiteral("fetched"));
    QProcess p;
    p.start(deepsvm::test::deepsvmBinary(), {QStringLiteral("fetch"), QStringLiteral("resnet18"), QStringLiteral("--mirror"),
                                             m_http.base() + QStringLiteral("/files"), QStringLiteral("--to"), to,
                                             QStringLiteral("--checksum"), QStringLiteral("sha256:") + sha256(m_payload),
                                             QStringLiteral("--json")});
    QVERIFY(p.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(p.state() == QProcess::NotRunning, 60000);
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QCOMPARE(readAll(to + QLatin1Char('/') + name), m_payload);
    QVERIFY(p.readAllStandardOutput().contains("\"sha256\""));
    // The published checksum is enforced when not overridden: these bytes do not match it.
    QFile::remove(to + QLatin1Char('/') + name);
    QProcess q;
    q.start(deepsvm::test::deepsvmBinary(), {QStringLiteral("fetch"), QStringLiteral("resnet18"), QStringLiteral("--mirror"),
                                             m_http.base() + QStringLiteral("/files"), QStringLiteral("--to"), to});
    QVERIFY(q.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(q.state() == QProcess::NotRunning, 60000);
    QCOMPARE(q.exitCode(), 1);
    QVERIFY(q.readAllStandardError().contains("checksum mismatch"));
    QVERIFY(!QFile::exists(to + QLatin1Char('/') + name));
}

void TestProject::fetchTaskUnpacksStl10()
{
    m_http.addFile(QStringLiteral("stl10_binary.tar.gz"), readAll(m_dir.filePath(QStringLiteral("stl10_binary.tar.gz"))));
    FetchItem item = fetchItem(QStringLiteral("stl10"), QString(), m_http.base() + QStringLiteral("/files"));
    item.checksum = Checksum::parse(QStringLiteral("md5:") + QString::fromLatin1(QCryptographicHash::hash(
        readAll(m_dir.filePath(QStringLiteral("stl10_binary.tar.gz"))), QCryptographicHash::Md5).toHex()));
    const QString dir = m_dir.filePath(QStringLiteral("task-stl"));
    FetchTask task(item, dir);
    QSignalSpy finished(&task, &Task::finished);
    QSignalSpy failed(&task, &Task::failed);
    auto future = std::async(std::launch::async, [&task] { task.run(); });
    while (future.wait_for(std::chrono::milliseconds(5)) != std::future_status::ready)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished[0][0].toJsonObject().value(QStringLiteral("path")).toString(), dir);
    QVERIFY(!QFile::exists(dir + QStringLiteral("/stl10_binary.tar.gz")));
    QCOMPARE(openDataset(dir.toStdString())->split("test")->size(), 10);
}

void TestProject::experimentFilesAreChecked_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("error");  // empty: accepted, and read back unchanged after writing
    const QByteArray head = R"({"format": "deepsvm-experiment", )";
    const QByteArray good = head + R"("version": 1, "dataset": "/data/stl10", "features": {"backbone": "resnet50"},
        "svm": {"C": "0.1,1"}, "runs": [{"id": "run-1", "dir": "/w/run-1"}], "current_run": "run-1"})";
    QTest::newRow("valid") << good << QString();
    QTest::newRow("no version (the first files)") << head + R"("runs": []})" << QString();
    QTest::newRow("non-ASCII paths") << head + QString::fromUtf8(R"("dataset": "/données/ñandú 猫"})").toUtf8() << QString();
    QTest::newRow("empty file") << QByteArray() << "not valid JSON";
    QTest::newRow("cut short") << good.left(good.size() / 2) << "not valid JSON";
    QTest::newRow("binary garbage") << test::randomBytes(500, 11) << "not valid JSON";
    QTest::newRow("a list") << QByteArray("[1, 2]") << "not an object";
    QTest::newRow("another program's JSON") << QByteArray(R"({"name": "x"})") << "not a DeepSVM Studio experiment";
    QTest::newRow("newer version") << head + R"("version": 2, "runs": []})" << "written by a newer DeepSVM Studio (experiment version 2";
    QTest::newRow("version as text") << head + R"("version": "1"})" << "\"version\" should be a whole number";
    QTest::newRow("version 1.5") << head + R"("version": 1.5})" << "\"version\" should be a whole number";
    QTest::newRow("version 0") << head + R"("version": 0})" << "\"version\" should be a whole number";
    QTest::newRow("runs not a list") << head + R"("runs": {"id": "a"}})" << "\"runs\" should be a list of runs";
    QTest::newRow("run without id") << head + R"("runs": [{"dir": "/w"}]})" << "run 1 of \"runs\"";
    QTest::newRow("run not an object") << head + R"("runs": [{"id": "a"}, 7]})" << "run 2 of \"runs\"";
    QTest::newRow("dataset a number") << head + R"("dataset": 5})" << "\"dataset\" should be text";
    QTest::newRow("features a list") << head + R"("features": []})" << "\"features\" should be an object";
    QTest::newRow("nested 100000 deep") << head + QByteArray(100000, '[') << "not valid JSON";
}

void TestProject::experimentFilesAreChecked()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, error);
    QString why;
    const std::optional<Experiment> e = parseExperiment(bytes, &why);
    if (error.isEmpty()) {
        QVERIFY2(e.has_value(), qPrintable(why));
        const QJsonObject written = experimentJson(*e);
        const std::optional<Experiment> again = parseExperiment(QJsonDocument(written).toJson(), &why);
        QVERIFY2(again.has_value(), qPrintable(why));
        QCOMPARE(experimentJson(*again), written);
        return;
    }
    QVERIFY(!e.has_value());
    QVERIFY2(why.contains(error), qPrintable(why));
}

QTEST_MAIN(TestProject)
#include "tst_project.moc"
