#pragma once

#include "tasks/Task.h"

#include <functional>

namespace deepsvm {

/// A Task whose work is a function, for short jobs that need no class of their own (making
/// the demo set, classifying dropped files, projections, writing a report). The function
/// reports through step(), which also honours cancel requests.
class FunctionTask final : public Task {
    Q_OBJECT
public:
    using Work = std::function<QVariant(FunctionTask& task)>;
    FunctionTask(QString title, Work work, QObject* parent = nullptr);

    /// Progress report and cancel point for the work function.
    void step(qint64 done, qint64 total, const QString& message = QString()) { checkpoint(done, total, message); }
    /// Streams a partial result to listeners.
    void emitPartial(const QVariant& value) { Q_EMIT partialResult(value); }

protected:
    QVariant execute() override { return m_work(*this); }

private:
    Work m_work;
};

}  // namespace deepsvm
