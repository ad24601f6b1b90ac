// SIGTERM and Ctrl-C during a long fit: `deepsvm svm` stops within 2 s, exits 130 and leaves
// no half-written file and no temporary in its output folder.
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

private:
    QTemporaryDir m_tmp;
};

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
    // Noise with random labels, a linear kernel at C = 1000: each of the two fold fits takes
    // about 4 s on this machine, so the signal lands inside a fit, not between two.
    const int rows = 3000, dims = 8;
    std::mt19937 rng(11);
    std::normal_distribution<float> normal;
    std::vector<float> x(std::size_t(rows * dims));
    for (float& v : x) v = normal(rng);
    std::vector<int64_t> y(static_cast<std::size_t>(rows));
    for (auto& v : y) v = int64_t(rng() % 2);
    const QString prefix = m_tmp.filePath(QStringLiteral("noise"));
    writeNpy((prefix + QStringLiteral(".features.npy")).toStdString(), x.data(), rows, dims);
    writeNpy((prefix + QStringLiteral(".labels.npy")).toStdString(), y.data(), rows);
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

QTEST_GUILESS_MAIN(TestSignals)
#include "tst_signals.moc"
