#pragma once

#include "tasks/ProgressMeter.h"

#include <QString>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <functional>

namespace deepsvm {
class Task;
}

namespace deepsvm::cli {

/// Prints a task's progress to stderr: one updating line on a terminal, a line every few
/// seconds otherwise (logs, CI). With a heartbeat, a line comes at least that often even
/// while one step takes minutes (a large SVM fit): the last state, the time elapsed and the
/// ETA, from a thread of its own. Thread-safe.
class ProgressPrinter {
public:
    explicit ProgressPrinter(QString unit, double heartbeatSeconds = 0);
    ~ProgressPrinter();
    ProgressPrinter(const ProgressPrinter&) = delete;
    ProgressPrinter& operator=(const ProgressPrinter&) = delete;

    void update(long long done, long long total, const QString& message);
    /// A line of its own (a finished grid point), above the progress line on a terminal.
    void println(const QString& line);
    /// Ends the progress line; the heartbeat stops.
    void finish();

private:
    void print(ProgressMeter::Clock::time_point now, bool heartbeat);  ///< with m_mutex held
    void beat();

    QString m_unit;
    ProgressMeter m_meter;
    ProgressMeter::Clock::time_point m_started, m_lastPrint{};
    QString m_message;
    bool m_tty;
    bool m_printed = false;
    bool m_active = false;   ///< an update came and finish() did not
    double m_heartbeat;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::thread m_beat;
};

/// Ctrl-C and SIGTERM request a clean cancel (temporary files removed) instead of killing the
/// process; with a task, its cancel is requested at once, so a fit stops within a second.
void installInterruptHandler(Task* task = nullptr);
bool interruptRequested();

/// How a command reports a task's end: failed -> the message and exit code 1, cancelled ->
/// `cancelled()`'s sentence and 130; `before` runs first (finishing a progress line).
void reportTaskEnd(Task& task, int* exitCode, std::function<QString()> cancelled, std::function<void()> before = {});

}  // namespace deepsvm::cli
