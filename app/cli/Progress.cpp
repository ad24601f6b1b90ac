#include "cli/Progress.h"
#include "cli/Cli.h"

#include "tasks/Task.h"

#include <csignal>
#include <cstdio>

#include <unistd.h>

namespace deepsvm::cli {

namespace {
std::atomic_bool g_interrupted{false};
std::atomic<Task*> g_task{nullptr};
static_assert(std::atomic<Task*>::is_always_lock_free && std::atomic_bool::is_always_lock_free,
              "the signal handler may only touch lock-free atomics");

extern "C" void onInterrupt(int)
{
    g_interrupted.store(true);
    if (Task* task = g_task.load())
        task->requestCancel();  // an atomic store: safe in a signal handler
}
}  // namespace

void installInterruptHandler(Task* task)
{
    g_task.store(task);
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
}

bool interruptRequested()
{
    return g_interrupted.load();
}

void reportTaskEnd(Task& task, int* exitCode, std::function<QString()> cancelled, std::function<void()> before)
{
    QObject::connect(&task, &Task::failed, &task, [exitCode, before](const QString& msg) {
        if (before) before();
        printError(msg);
        *exitCode = 1;
    });
    QObject::connect(&task, &Task::cancelled, &task, [exitCode, before, cancelled] {
        if (before) before();
        printError(cancelled());
        *exitCode = 130;
    });
}

ProgressPrinter::ProgressPrinter(QString unit) : m_unit(std::move(unit)), m_tty(isatty(STDERR_FILENO) != 0)
{
    m_meter.start();
}

void ProgressPrinter::update(long long done, long long total, const QString& message)
{
    const auto now = ProgressMeter::Clock::now();
    m_meter.update(done, total, now);
    const double since = std::chrono::duration<double>(now - m_lastPrint).count();
    if (since < (m_tty ? 0.25 : 5.0) && done < total)
        return;
    m_lastPrint = now;
    const QString line = m_meter.format(m_unit) + QStringLiteral("  ") + message;
    std::fprintf(stderr, m_tty ? "\r\033[K%s" : "%s\n", line.toUtf8().constData());
    std::fflush(stderr);
    m_printed = true;
}

void ProgressPrinter::finish()
{
    if (m_tty && m_printed)
        std::fputc('\n', stderr);
}

}  // namespace deepsvm::cli
