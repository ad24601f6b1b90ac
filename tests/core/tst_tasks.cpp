// Tasks: exactly one terminal signal, cancel between units, runner threads; ETA arithmetic.
#include "tasks/ProgressMeter.h"
#include "tasks/Task.h"
#include "tasks/TaskRunner.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <stdexcept>

using namespace deepsvm;

namespace {

/// Counts to `units`, one checkpoint per unit; fails at `failAt` if set.
class CountingTask final : public Task {
public:
    CountingTask(int units, int failAt = -1, int sleepMs = 0)
        : Task(QStringLiteral("count")), m_units(units), m_failAt(failAt), m_sleepMs(sleepMs) {}
    int reached = 0;
    Qt::HANDLE thread = nullptr;

protected:
    QVariant execute() override
    {
        thread = QThread::currentThreadId();
        for (int i = 0; i < m_units; ++i) {
            if (i == m_failAt)
                throw std::runtime_error("data.bin: unit " + std::to_string(i) + " is broken");
            if (m_sleepMs)
                QThread::msleep(m_sleepMs);
            reached = i + 1;
            checkpoint(i + 1, m_units);
        }
        return m_units;
    }

private:
    int m_units, m_failAt, m_sleepMs;
};

/// Runs two CountingTasks as its stages, adding their results.
class StagedTask final : public Task {
public:
    StagedTask(CountingTask& first, CountingTask& second) : Task(QStringLiteral("staged")), m_first(first), m_second(second) {}

protected:
    QVariant execute() override { return runWithin(m_first).toInt() + runWithin(m_second).toInt(); }

private:
    CountingTask& m_first;
    CountingTask& m_second;
};

}  // namespace

class TestTasks : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void finishesWithResult();
    void failureBecomesFailedSignal();
    void cancelStopsBetweenUnits();
    void stagesReportAsTheirTask();
    void stageFailureAndCancelReachTheOuterTask();
    void runnerRunsOffTheCallingThread();
    void runnerCancelAll();
    void meterRateAndEta();
    void durationFormat();
};

void TestTasks::finishesWithResult()
{
    CountingTask t(5);
    QSignalSpy finished(&t, &Task::finished), failed(&t, &Task::failed), cancelled(&t, &Task::cancelled),
        progress(&t, &Task::progress);
    t.run();
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.front().front().toInt(), 5);
    QCOMPARE(failed.size() + cancelled.size(), 0);
    QCOMPARE(progress.size(), 5);
    QCOMPARE(t.state(), Task::State::Finished);
}

void TestTasks::failureBecomesFailedSignal()
{
    CountingTask t(5, 3);
    QSignalSpy finished(&t, &Task::finished), failed(&t, &Task::failed);
    t.run();
    QCOMPARE(finished.size(), 0);
    QCOMPARE(failed.size(), 1);
    QCOMPARE(failed.front().front().toString(), QStringLiteral("data.bin: unit 3 is broken"));
    QCOMPARE(t.state(), Task::State::Failed);
}

void TestTasks::cancelStopsBetweenUnits()
{
    CountingTask t(100);
    connect(&t, &Task::progress, &t, [&](qint64 done) {
        if (done == 7)
            t.requestCancel();
    });
    QSignalSpy cancelled(&t, &Task::cancelled), finished(&t, &Task::finished);
    t.run();
    QCOMPARE(cancelled.size(), 1);
    QCOMPARE(finished.size(), 0);
    QCOMPARE(t.reached, 7);
}

void TestTasks::stagesReportAsTheirTask()
{
    CountingTask a(3), b(4);
    StagedTask t(a, b);
    QSignalSpy progress(&t, &Task::progress), finished(&t, &Task::finished);
    t.run();
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toInt(), 7);
    QCOMPARE(progress.count(), 7);  // each stage's checkpoints, as the outer task's progress
    QCOMPARE(progress.at(6).at(1).toLongLong(), 4);
    QCOMPARE(int(t.state()), int(Task::State::Finished));
}

void TestTasks::stageFailureAndCancelReachTheOuterTask()
{
    {
        CountingTask a(3), b(5, 2);
        StagedTask t(a, b);
        QSignalSpy failed(&t, &Task::failed);
        t.run();
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("data.bin: unit 2 is broken"));
        QCOMPARE(b.reached, 2);
    }
    {
        CountingTask a(3), b(100);
        StagedTask t(a, b);
        QSignalSpy cancelled(&t, &Task::cancelled), finished(&t, &Task::finished);
        // Cancelling the outer task stops the running stage at its next checkpoint.
        connect(&t, &Task::progress, &t, [&](qint64 done, qint64 total) {
            if (total == 100 && done == 10)
                t.requestCancel();
        });
        t.run();
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(a.reached, 3);
        QCOMPARE(b.reached, 10);
        QCOMPARE(int(b.state()), int(Task::State::Cancelled));
    }
}

void TestTasks::runnerRunsOffTheCallingThread()
{
    TaskRunner runner(2);
    auto owned = std::make_unique<CountingTask>(3);
    CountingTask* t = owned.get();
    QSignalSpy ended(&runner, &TaskRunner::taskEnded);
    QSignalSpy finished(t, &Task::finished);
    runner.start(std::move(owned));
    QVERIFY(ended.wait(5000));
    QCOMPARE(finished.size(), 1);
    QVERIFY(t->thread != QThread::currentThreadId());
}

void TestTasks::runnerCancelAll()
{
    TaskRunner runner(2);
    auto owned = std::make_unique<CountingTask>(1000, -1, 5);
    QSignalSpy cancelled(owned.get(), &Task::cancelled);
    runner.start(std::move(owned));
    QTest::qWait(50);
    QVERIFY(runner.cancelAllAndWait(2000));
    QCOMPARE(cancelled.size(), 1);
}

void TestTasks::meterRateAndEta()
{
    ProgressMeter m(100.0);
    const auto t0 = ProgressMeter::Clock::now();
    m.start(t0);
    m.update(10, 100, t0 + std::chrono::seconds(1));
    m.update(30, 100, t0 + std::chrono::seconds(3));
    QCOMPARE(m.ratePerSecond(), 10.0);
    QCOMPARE(m.etaSeconds(), 7.0);
    QVERIFY(m.format(QStringLiteral("img")).contains(QStringLiteral("30/100 (30.0%) 10.0 img/s ETA 0:07")));
    ProgressMeter empty;
    QCOMPARE(empty.etaSeconds(), -1.0);
}

void TestTasks::durationFormat()
{
    QCOMPARE(ProgressMeter::formatDuration(59.6), QStringLiteral("1:00"));
    QCOMPARE(ProgressMeter::formatDuration(3725), QStringLiteral("1:02:05"));
    QCOMPARE(ProgressMeter::formatDuration(-1), QStringLiteral("--:--"));
}

QTEST_GUILESS_MAIN(TestTasks)
#include "tst_tasks.moc"
