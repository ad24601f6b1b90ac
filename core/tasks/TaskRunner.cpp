#include "tasks/TaskRunner.h"

#include "tasks/Task.h"

#include <QRunnable>

#include <algorithm>

namespace deepsvm {

TaskRunner::TaskRunner(int maxThreads, QObject* parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(std::max(1, maxThreads));
}

TaskRunner::~TaskRunner()
{
    cancelAllAndWait(-1);
    // Tasks whose end was queued but not yet delivered: the runner owns them.
    for (Task* t : m_active)
        delete t;
    m_active.clear();
}

Task* TaskRunner::start(std::unique_ptr<Task> task)
{
    Task* raw = task.release();
    raw->setParent(nullptr);
    m_active.push_back(raw);
    auto onEnd = [this, raw] {
        m_active.erase(std::remove(m_active.begin(), m_active.end(), raw), m_active.end());
        Q_EMIT taskEnded(raw);
        raw->deleteLater();
    };
    connect(raw, &Task::finished, this, onEnd, Qt::QueuedConnection);
    connect(raw, &Task::failed, this, onEnd, Qt::QueuedConnection);
    connect(raw, &Task::cancelled, this, onEnd, Qt::QueuedConnection);
    Q_EMIT taskStarted(raw);
    m_pool.start(QRunnable::create([raw] { raw->run(); }));
    return raw;
}

bool TaskRunner::cancelAllAndWait(int msecs)
{
    for (Task* t : m_active)
        t->requestCancel();
    return m_pool.waitForDone(msecs);
}

int TaskRunner::activeCount() const
{
    return int(m_active.size());
}

}  // namespace deepsvm
