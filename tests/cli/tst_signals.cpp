// SIGTERM and Ctrl-C during a long fit: `deepsvm svm` stops within 2 s, exits 130 and leaves
// no half-written file and no temporary in its output folder. While one fit takes many
// seconds, a progress line (fits done, elapsed, ETA) still comes at least every 5 s.
#include "TestSupport.h"

#include "features/Npy.h"

#include <QDir>
#include <QFile>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <random>

#include <csignal>

using namespace deepsvm;

class TestSignals : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void signalStopsSvmDuringAFit_data();
    void signalStopsSvmDuringAFit();
    void progressLinesComeDuringALongFit();

private:
    /// Noise with random labels: with a linear kernel at C = 1000 each of two fold fits takes
    /// about 4 s on this machine, so a signal lands inside a fit, not between two.
    QString noise();
    QTemporaryDir m_tmp;
};

QString TestSignals::noise()
{
    const QString prefix = m_tmp.filePath(QStringLiteral("noise"));
    if (QFile::exists(prefix + QStringLiteral(".labels.npy")))
        return prefix;
    const int rows = 3000, dims = 8;
    std::mt19937 rng(11);
    std::normal_distribution<float> normal;
    std::vector<float> x(std::size_t(rows * dims));
    for (float& v : x) v = normal(rng);
    std::vector<int64_t> y(static_cast<std::size_t>(rows));
    for (auto& v : y) v = int64_t(rng() % 2);
    writeNpy((prefix + QStringLiteral(".features.npy")).toStdString(), x.data(), rows, dims);
    writeNpy((prefix + QStringLiteral(".labels.npy")).toStdString(), y.data(), rows);
    return prefix;
}

void TestSignals::signalStopsSvmDuringAFit_data()
{
    QTest::addColumn<int>("signal");
    QTest::addColumn<QString>("kernelMemory");
    QTest::newRow("SIGTERM, precomputed kernels") << int(SIGTERM) << QStringLiteral("1024");
    QTest::newRow("SIGINT, precomputed kernels") << int(SIGINT) << QStringLiteral("1024");
    QTest::newRow("SIGTERM, libsvm kernels") << int(SIGTERM) << QStringLiteral("0");
}

void TestSignals::signalStopsSvmDuringAFit()
{
    QFETCH(int, signal);
    QFETCH(QString, kernelMemory);
    const QString prefix = noise();
    const QString out = m_tmp.filePath(QStringLiteral("out-%1-%2").arg(signal).arg(kernelMemory));
    // An older run's files are there: they must survive the cancelled run untouched.
    QVERIFY(QDir().mkpath(out));
    for (const QString& name : {QStringLiteral("model.libsvm"), QStringLiteral("report.json")}) {
        QFile f(out + QLatin1Char('/') + name);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("an older run's " + name.toUtf8());
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::SeparateChannels);
    p.start(test::deepsvmBinary(), {QStringLiteral("svm"), QStringLiteral("--train"), prefix, QStringLiteral("--kernel"),
                                    QStringLiteral("linear"), QStringLiteral("--C"), QStringLiteral("1000"),
                                    QStringLiteral("--folds"),
                                    QStringLiteral("2"), QStringLiteral("--kernel-memory"), kernelMemory,
                                    QStringLiteral("--out"), out});
    QVERIFY(p.waitForStarted());
    QTest::qWait(1500);  // reading, scaling and the Gram matrix are done: the fits run
    QCOMPARE(p.state(), QProcess::Running);
    QElapsedTimer sent;
    sent.start();
    ::kill(pid_t(p.processId()), signal);
    QVERIFY2(p.waitForFinished(10000), "still running 10 s after the signal");
    const qint64 ms = sent.elapsed();
    QVERIFY2(ms < 2000, qPrintable(QStringLiteral("exited %1 ms after the signal").arg(ms)));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 130);
    QVERIFY2(p.readAllStandardError().contains("cancelled"), "says it was cancelled");
    // Nothing of a model or report was written over the old ones, and no temporary is left.
    const QStringList left = QDir(out).entryList(QDir::Files | QDir::Hidden, QDir::Name);
    QCOMPARE(left, (QStringList{QStringLiteral("model.libsvm"), QStringLiteral("report.json")}));
    for (const QString& name : left) {
        QFile f(out + QLatin1Char('/') + name);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), "an older run's " + name.toUtf8());
    }
}

void TestSignals::progressLinesComeDuringALongFit()
{
    // Logs (stderr not a terminal) get a line per 5 s; here every fit takes longer than that
    // would allow without a heartbeat.
    QProcess p;
    p.setProcessChannelMode(QProcess::SeparateChannels);
    p.start(test::deepsvmBinary(), {QStringLiteral("svm"), QStringLiteral("--train"), noise(), QStringLiteral("--kernel"),
                                    QStringLiteral("linear"), QStringLiteral("--C"), QStringLiteral("1000"),
                                    QStringLiteral("--folds"), QStringLiteral("2"), QStringLiteral("--no-probability"),
                                    QStringLiteral("--out"), m_tmp.filePath(QStringLiteral("progress"))});
    QVERIFY(p.waitForStarted());
    QElapsedTimer clock;
    clock.start();
    QList<qint64> at;
    QByteArray seen;
    bool rowsNamed = false;
    while (at.size() < 4 && clock.elapsed() < 30000 && p.state() == QProcess::Running) {
        p.waitForReadyRead(200);
        seen += p.readAllStandardError();
        while (seen.contains('\n')) {
            const QByteArray line = seen.left(seen.indexOf('\n'));
            seen.remove(0, line.size() + 1);
            if (line.contains(" fits/s ETA ")) {
                QVERIFY2(line.contains(", elapsed "), line.constData());
                rowsNamed = rowsNamed || line.contains("3000 rows");
                at << clock.elapsed();
            }
        }
    }
    p.kill();
    p.waitForFinished();
    QVERIFY(rowsNamed);
    QVERIFY2(at.size() >= 4, qPrintable(QStringLiteral("%1 progress lines in %2 ms").arg(at.size()).arg(clock.elapsed())));
    for (int i = 1; i < at.size(); ++i)  // 5 s apart, with a margin for a busy machine
        QVERIFY2(at[i] - at[i - 1] <= 6500, qPrintable(QStringLiteral("%1 ms between two lines").arg(at[i] - at[i - 1])));
}

QTEST_GUILESS_MAIN(TestSignals)
#include "tst_signals.moc"
