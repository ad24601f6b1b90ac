#pragma once

#include "tasks/ProgressMeter.h"

#include <QString>

#include <atomic>
#include <functional>

namespace deepsvm {
class Task;
}

namespace deepsvm::cli {

/// Prints a task's progress to stderr: one updating line on a terminal, a line every few
/// seconds otherwise (logs, CI).
class ProgressPrinter {
public:
    explicit ProgressPrinter(QString unit);
    void update(long long done, long long total, const QString& message);
    void finish();

private:
    QString m_unit;
    ProgressMeter m_meter;
    ProgressMeter::Clock::time_point m_lastPrint{};
    bool m_tty;
    bool m_printed = false;
};

/// Ctrl-C and SIGTERM request a clean cancel (temporary files removed) instead of killing the
/// process; with a task, its cancel is requested at once, so a fit stops within a second.
void installInterruptHandler(Task* task = nullptr);
bool interruptRequested();

/// How a command reports a task's end: failed -> the message and exit code 1, cancelled ->
/// `cancelled()`'s sentence and 130; `before` runs first (finishing a progress line).
void reportTaskEnd(Task& task, int* exitCode, std::function<QString()> cancelled, std::function<void()> before = {});

}  // namespace deepsvm::cli
