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

ProgressPrinter::ProgressPrinter(QString unit, double heartbeatSeconds)
    : m_unit(std::move(unit)), m_started(ProgressMeter::Clock::now()), m_tty(isatty(STDERR_FILENO) != 0),
      m_heartbeat(heartbeatSeconds)
{
    m_meter.start(m_started);
    if (m_heartbeat > 0)
        m_beat = std::thread([this] { beat(); });
}

ProgressPrinter::~ProgressPrinter()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_beat.joinable())
        m_beat.join();
}

void ProgressPrinter::beat()
{
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_stop) {
        m_wake.wait_for(lock, std::chrono::milliseconds(250));
        const auto now = ProgressMeter::Clock::now();
        if (!m_stop && m_active && std::chrono::duration<double>(now - m_lastPrint).count() >= m_heartbeat)
            print(now, true);
    }
}

void ProgressPrinter::update(long long done, long long total, const QString& message)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto now = ProgressMeter::Clock::now();
    m_meter.update(done, total, now);
    m_message = message;
    m_active = done < total;
    const double since = std::chrono::duration<double>(now - m_lastPrint).count();
    if (since < (m_tty ? 0.25 : 5.0) && done < total)
        return;
    print(now, false);
}

void ProgressPrinter::print(ProgressMeter::Clock::time_point now, bool heartbeat)
{
    m_lastPrint = now;
    QString line = m_meter.format(m_unit);
    if (heartbeat || m_heartbeat > 0)
        line += QStringLiteral(", elapsed ") + ProgressMeter::formatDuration(std::chrono::duration<double>(now - m_started).count());
    line += QStringLiteral("  ") + m_message;
    std::fprintf(stderr, m_tty ? "\r\033[K%s" : "%s\n", line.toUtf8().constData());
    std::fflush(stderr);
    m_printed = true;
}

void ProgressPrinter::println(const QString& line)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    std::fprintf(stderr, m_tty && m_printed ? "\r\033[K%s\n" : "%s\n", line.toUtf8().constData());
    if (m_tty && m_printed)
        print(ProgressMeter::Clock::now(), false);  // the progress line again, below it
    std::fflush(stderr);
}

void ProgressPrinter::finish()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_active = false;
    if (m_tty && m_printed)
        std::fputc('\n', stderr);
    m_printed = false;
}

}  // namespace deepsvm::cli
