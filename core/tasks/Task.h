#pragma once

#include "io/Cancel.h"

#include <QObject>
#include <QString>
#include <QVariant>

#include <atomic>
#include <functional>

namespace deepsvm {

/// Thrown inside Task::execute() when a cancel request is honoured: the core's one Cancelled,
/// so work below the task (a fit, a hash) stops the same way.
using TaskCancelled = Cancelled;

/// A unit of long work run off the GUI thread. It reports progress and partial results and
/// ends with exactly one of finished(result), failed(message) or cancelled().
class Task : public QObject {
    Q_OBJECT
public:
    explicit Task(QString title, QObject* parent = nullptr);
    ~Task() override;

    QString title() const { return m_title; }

    /// Runs the work on the calling thread; emits the terminal signal. Never throws.
    void run();
    /// Thread-safe; the work stops at its next check point.
    void requestCancel() { m_cancel.store(true); }
    /// Also true once the task this one runs within (runWithin) was asked to cancel.
    bool isCancelRequested() const
    {
        const Task* outer = m_outer.load();
        return m_cancel.load() || (outer && outer->isCancelRequested());
    }
    /// For work below the task (a grid search, a fit): asks isCancelRequested().
    CancelCheck cancelCheck() const { return [this] { return isCancelRequested(); }; }

    enum class State { Pending, Running, Finished, Failed, Cancelled };
    State state() const { return m_state.load(); }

Q_SIGNALS:
    void started();
    void progress(qint64 done, qint64 total, const QString& message);
    void partialResult(const QVariant& value);
    void finished(const QVariant& result);
    void failed(const QString& message);
    void cancelled();

protected:
    /// The work. Throws std::exception (-> failed) or TaskCancelled (-> cancelled).
    virtual QVariant execute() = 0;
    /// Reports progress and throws TaskCancelled if a cancel was requested.
    void checkpoint(qint64 done, qint64 total, const QString& message = QString());
    void throwIfCancelled() const;
    /// Runs `inner` as a stage of this task, on this thread: its progress and partial results
    /// are re-emitted as this task's, cancelling this task cancels it, and its result is
    /// returned. Throws TaskCancelled if it was cancelled and std::runtime_error with its
    /// message if it failed.
    QVariant runWithin(Task& inner);
    /// As runWithin, but the stage's progress goes to `onProgress` (to place it within this
    /// task's own units) instead of being re-emitted as it is.
    QVariant runWithin(Task& inner, const std::function<void(qint64, qint64, const QString&)>& onProgress);

private:
    QString m_title;
    std::atomic_bool m_cancel{false};
    std::atomic<State> m_state{State::Pending};
    std::atomic<const Task*> m_outer{nullptr};
};

}  // namespace deepsvm
