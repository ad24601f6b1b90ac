#pragma once

#include <QObject>
#include <QThreadPool>

#include <memory>
#include <vector>

namespace deepsvm {

class Task;

/// Runs Tasks on worker threads. Owns the tasks it runs until they end.
class TaskRunner : public QObject {
    Q_OBJECT
public:
    explicit TaskRunner(int maxThreads = 2, QObject* parent = nullptr);
    ~TaskRunner() override;

    /// Takes ownership; the task's signals arrive queued on receivers in other threads.
    Task* start(std::unique_ptr<Task> task);
    /// Asks every running task to stop and waits up to `msecs` for them.
    bool cancelAllAndWait(int msecs);
    int activeCount() const;

Q_SIGNALS:
    void taskStarted(deepsvm::Task* task);
    void taskEnded(deepsvm::Task* task);

private:
    QThreadPool m_pool;
    std::vector<Task*> m_active;
};

}  // namespace deepsvm
