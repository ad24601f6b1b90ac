// core/io: the atomic writer and its sweeper, the parallel loops, digests and JSON files.
#include "io/AtomicFile.h"
#include "io/Digest.h"
#include "io/JsonFile.h"
#include "io/Parallel.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace deepsvm;

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void touch(const QString& path, const QByteArray& bytes = "x")
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

/// A process id that is certainly not running: a child that has exited and been reaped.
long deadPid()
{
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return long(child);
}

QStringList entries(const QString& dir) { return QDir(dir).entryList(QDir::Files | QDir::Hidden, QDir::Name); }

}  // namespace

class TestIo : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void atomicFileCommitsOrLeavesNothing();
    void atomicFileFolder();
    void qtDeviceWriter();
    void staleTemporariesOfEveryNamingAreSwept();
    void killedWriterLeavesOldOrNewFile();
    void parallelForCoversEveryIndexOnce();
    void parallelForRethrowsAndCancels();
    void parallelForReportingRunsOnDoneOnTheCaller();
    void digests();
    void jsonFilesNameTheFile();

private:
    QTemporaryDir m_tmp;
};

void TestIo::atomicFileCommitsOrLeavesNothing()
{
    const QString dir = m_tmp.filePath(QStringLiteral("commit"));
    const QString target = dir + QStringLiteral("/a.bin");
    {
        AtomicFile f(target.toStdString());
        QVERIFY(QFile::exists(QString::fromStdString(f.temporaryPath())));
        QVERIFY(!QFile::exists(target));  // nothing under the final name until commit
        f.write(std::string("first"));
        f.commit();
    }
    QCOMPARE(readAll(target), QByteArray("first"));
    QCOMPARE(entries(dir), QStringList{QStringLiteral("a.bin")});
    {
        AtomicFile f(target.toStdString());
        f.write(std::string("second, never committed"));
    }  // destroyed without commit: the old file stays, the temporary goes
    QCOMPARE(readAll(target), QByteArray("first"));
    QCOMPARE(entries(dir), QStringList{QStringLiteral("a.bin")});
    try {
        writeAtomically(target.toStdString(), [](const std::string& tmp) {
            touch(QString::fromStdString(tmp), "half");
            throw std::runtime_error("the writer failed");
        });
        QFAIL("expected the writer's exception");
    } catch (const std::runtime_error& e) {
        QCOMPARE(QString::fromUtf8(e.what()), QStringLiteral("the writer failed"));
    }
    QCOMPARE(readAll(target), QByteArray("first"));
    QCOMPARE(entries(dir), QStringList{QStringLiteral("a.bin")});
    writeFileAtomically(target.toStdString(), "third");
    QCOMPARE(readAll(target), QByteArray("third"));
}

void TestIo::atomicFileFolder()
{
    const QString made = m_tmp.filePath(QStringLiteral("new/deeper/file.json"));
    writeFileAtomically(made.toStdString(), "{}");  // folders made on demand
    QVERIFY(QFile::exists(made));
    const std::string missing = m_tmp.filePath(QStringLiteral("none/file.bin")).toStdString();
    try {
        AtomicFile f(missing, AtomicFile::Folder::MustExist);
        QFAIL("expected IoError");
    } catch (const IoError& e) {
        QVERIFY2(QString::fromUtf8(e.what()).startsWith(QString::fromStdString(missing + ": cannot create")), e.what());
    }
    QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("none"))));
}

void TestIo::qtDeviceWriter()
{
    const QString target = m_tmp.filePath(QStringLiteral("device/out.txt"));
    QString error;
    // As with QSaveFile, the folder must exist (a user chose it in a dialog).
    QVERIFY(!writeAtomically(target, [](QIODevice* d) { return d->write("x") == 1; }, &error));
    QVERIFY2(error.contains(target), qPrintable(error));
    QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("device"))));
    QVERIFY(QDir().mkpath(m_tmp.filePath(QStringLiteral("device"))));
    QVERIFY2(writeAtomically(target, [](QIODevice* d) { return d->write("through Qt") == 10; }, &error), qPrintable(error));
    QCOMPARE(readAll(target), QByteArray("through Qt"));
    QVERIFY(!writeAtomically(target, [](QIODevice* d) { d->write("partial"); return false; }, &error));
    QVERIFY2(error.contains(target), qPrintable(error));
    QCOMPARE(readAll(target), QByteArray("through Qt"));
    QCOMPARE(entries(m_tmp.filePath(QStringLiteral("device"))), QStringList{QStringLiteral("out.txt")});
}

void TestIo::staleTemporariesOfEveryNamingAreSwept()
{
    const QString dir = m_tmp.filePath(QStringLiteral("sweep"));
    QVERIFY(QDir().mkpath(dir));
    const QString dead = QString::number(deadPid());
    const QString alive = QString::number(long(::getppid()));  // the test runner: running
    const QString self = QString::number(long(::getpid()));
    const QStringList stale = {QStringLiteral("model.libsvm.tmp-%1-12345").arg(dead),
                               QStringLiteral("train.features.npy.tmp-%1-7").arg(dead),
                               QStringLiteral("weights.pth.tmp-0badc0de")};  // an older version's archive writer
    const QStringList kept = {QStringLiteral("report.json.tmp-%1-99").arg(alive),   // its writer still runs
                              QStringLiteral("scaler.json.tmp-%1-1").arg(self),     // ours
                              QStringLiteral("recent.pth.tmp-0123abcd"),            // too recent to judge
                              QStringLiteral("notes.tmp-keep.txt"), QStringLiteral("classes.json"),
                              QStringLiteral("a.tmp-12-34-56")};
    for (const QString& name : stale + kept)
        touch(dir + QLatin1Char('/') + name);
    const auto hourAgo = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
    std::filesystem::last_write_time((dir + QStringLiteral("/weights.pth.tmp-0badc0de")).toStdString(), hourAgo);
    // One target's sweep takes only that target's temporaries.
    removeStaleTemporaries((dir + QStringLiteral("/model.libsvm")).toStdString());
    QVERIFY(!QFile::exists(dir + QLatin1Char('/') + stale[0]));
    QVERIFY(QFile::exists(dir + QLatin1Char('/') + stale[1]));
    // A folder sweep takes every stale one and nothing else.
    QCOMPARE(sweepStaleTemporaries(dir.toStdString()), 2);
    QStringList expected = kept;
    expected.sort();
    QCOMPARE(entries(dir), expected);
    // A new writer of a target sweeps its stale temporaries first.
    touch(dir + QStringLiteral("/scaler.json.tmp-%1-5").arg(dead));
    writeFileAtomically((dir + QStringLiteral("/scaler.json")).toStdString(), "{}");
    QVERIFY(!QFile::exists(dir + QStringLiteral("/scaler.json.tmp-%1-5").arg(dead)));
}

void TestIo::killedWriterLeavesOldOrNewFile()
{
    // A child rewrites one file through AtomicFile in a loop, alternating two contents of
    // 4 MiB; it is killed with SIGKILL at a random moment, 20 times. Each time the target
    // is one of the two contents, whole, and the next writer sweeps the dead child's temporary.
    const QString dir = m_tmp.filePath(QStringLiteral("kill"));
    QVERIFY(QDir().mkpath(dir));
    const std::string target = (dir + QStringLiteral("/features.npy")).toStdString();
    const std::string a(4 << 20, 'a'), b(4 << 20, 'b');
    writeFileAtomically(target, QByteArray::fromStdString(a));
    std::mt19937 rng(7);
    for (int kill = 0; kill < 20; ++kill) {
        const pid_t child = ::fork();
        if (child == 0) {
            for (int i = 0;; ++i) {
                AtomicFile f(target);
                const std::string& bytes = i % 2 ? a : b;
                for (std::size_t at = 0; at < bytes.size(); at += 65536)
                    f.write(bytes.data() + at, 65536);
                f.commit();
            }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(2000, 60000)(rng)));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        const QByteArray now = readAll(QString::fromStdString(target));
        QVERIFY2(now == QByteArray::fromStdString(a) || now == QByteArray::fromStdString(b),
                 qPrintable(QStringLiteral("kill %1: the target is neither version (%2 bytes)").arg(kill).arg(now.size())));
    }
    writeFileAtomically(target, "done");
    QCOMPARE(entries(dir), QStringList{QStringLiteral("features.npy")});
}

void TestIo::parallelForCoversEveryIndexOnce()
{
    for (int threads : {1, 2, 5}) {
        std::vector<std::atomic<int>> hits(1000);
        parallelFor(1000, threads, [&](int64_t i) { ++hits[std::size_t(i)]; });
        for (const auto& h : hits)
            QCOMPARE(h.load(), 1);
    }
    parallelFor(0, 4, [](int64_t) { QFAIL("no index in an empty loop"); });
}

void TestIo::parallelForRethrowsAndCancels()
{
    std::atomic<int> ran{0};
    try {
        parallelFor(10000, 2, [&](int64_t i) {
            ++ran;
            if (i == 10)
                throw std::runtime_error("index 10 failed");
        });
        QFAIL("expected the body's exception");
    } catch (const std::runtime_error& e) {
        QCOMPARE(QString::fromUtf8(e.what()), QStringLiteral("index 10 failed"));
    }
    QVERIFY(ran.load() < 10000);  // the hand-out stopped
    std::atomic<int> started{0};
    std::atomic_bool stop{false};
    try {
        parallelFor(1000000, 2, [&](int64_t) {
            if (++started == 100)
                stop = true;
        }, [&] { return stop.load(); });
        QFAIL("expected Cancelled");
    } catch (const Cancelled&) {
    }
    QVERIFY2(started.load() < 110, qPrintable(QString::number(started.load())));
}

void TestIo::parallelForReportingRunsOnDoneOnTheCaller()
{
    const auto caller = std::this_thread::get_id();
    std::set<int64_t> reported;
    std::mutex bodyThreads;
    std::set<std::thread::id> workers;
    parallelForReporting(200, 3,
        [&](int64_t) {
            std::lock_guard<std::mutex> lock(bodyThreads);
            workers.insert(std::this_thread::get_id());
        },
        [&](int64_t i) {
            QVERIFY(std::this_thread::get_id() == caller);
            QVERIFY(reported.insert(i).second);
        });
    QCOMPARE(int(reported.size()), 200);
    QVERIFY(!workers.count(caller));
    // An exception from onDone ends the loop and comes back here.
    try {
        parallelForReporting(1000, 2, [](int64_t) {}, [](int64_t i) {
            if (i >= 0)
                throw std::logic_error("stop reporting");
        });
        QFAIL("expected onDone's exception");
    } catch (const std::logic_error&) {
    }
}

void TestIo::digests()
{
    QCOMPARE(QString::fromStdString(sha256Hex("abc")),
             QStringLiteral("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const QString path = m_tmp.filePath(QStringLiteral("digest.bin"));
    touch(path, QByteArray(10 << 20, 'z'));  // three chunks
    std::vector<int64_t> seen;
    const std::string sha = fileDigest(path.toStdString(), DigestAlgorithm::Sha256,
                                       [&](int64_t done, int64_t total) {
                                           QCOMPARE(total, int64_t(10 << 20));
                                           seen.push_back(done);
                                       });
    QCOMPARE(QByteArray::fromStdString(sha),
             QCryptographicHash::hash(QByteArray(10 << 20, 'z'), QCryptographicHash::Sha256).toHex());
    QCOMPARE(seen, (std::vector<int64_t>{4 << 20, 8 << 20, 10 << 20}));
    QCOMPARE(QByteArray::fromStdString(fileDigest(path.toStdString(), DigestAlgorithm::Md5)),
             QCryptographicHash::hash(QByteArray(10 << 20, 'z'), QCryptographicHash::Md5).toHex());
    QVERIFY_THROWS_EXCEPTION(Cancelled, fileDigest(path.toStdString(), DigestAlgorithm::Sha256, {}, [] { return true; }));
    try {
        sha256OfFile(m_tmp.filePath(QStringLiteral("absent.pth")).toStdString());
        QFAIL("expected IoError");
    } catch (const IoError& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("absent.pth: cannot read")), e.what());
    }
}

void TestIo::jsonFilesNameTheFile()
{
    const std::string path = m_tmp.filePath(QStringLiteral("j/settings.json")).toStdString();
    QVERIFY(!readJsonObjectIfExists(path));
    writeJsonAtomically(path, QJsonObject{{QStringLiteral("k"), 3}});
    QCOMPARE(readJsonObject(path).value(QStringLiteral("k")).toInt(), 3);
    writeFileAtomically(path, "{not json");
    try {
        readJsonObject(path, "delete it to start over");
        QFAIL("expected IoError");
    } catch (const IoError& e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.startsWith(QString::fromStdString(path + ": not valid JSON (")), e.what());
        QVERIFY2(what.endsWith(QStringLiteral("; delete it to start over")), e.what());
    }
    writeFileAtomically(path, "[1, 2]");
    QVERIFY_THROWS_EXCEPTION(IoError, readJsonObject(path));
}

QTEST_GUILESS_MAIN(TestIo)
#include "tst_io.moc"
