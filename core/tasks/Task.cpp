#include "tasks/Task.h"

#include <exception>

namespace deepsvm {

Task::Task(QString title, QObject* parent) : QObject(parent), m_title(std::move(title)) {}

Task::~Task() = default;

void Task::run()
{
    m_state = State::Running;
    Q_EMIT started();
    try {
        QVariant result = execute();
        m_state = State::Finished;
        Q_EMIT finished(result);
    } catch (const TaskCancelled&) {
        m_state = State::Cancelled;
        Q_EMIT cancelled();
    } catch (const std::exception& e) {
        m_state = State::Failed;
        Q_EMIT failed(QString::fromUtf8(e.what()));
    } catch (...) {
        m_state = State::Failed;
        Q_EMIT failed(QStringLiteral("%1: unknown error").arg(m_title));
    }
}

void Task::checkpoint(qint64 done, qint64 total, const QString& message)
{
    Q_EMIT progress(done, total, message);
    throwIfCancelled();
}

void Task::throwIfCancelled() const
{
    if (m_cancel.load())
        throw TaskCancelled{};
}

}  // namespace deepsvm
