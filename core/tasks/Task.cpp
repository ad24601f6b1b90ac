#include "tasks/Task.h"

#include <exception>
#include <stdexcept>

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
    if (isCancelRequested())
        throw TaskCancelled{};
}

QVariant Task::runWithin(Task& inner)
{
    return runWithin(inner, {});
}

QVariant Task::runWithin(Task& inner, const std::function<void(qint64, qint64, const QString&)>& onProgress)
{
    inner.m_outer.store(this);
    const auto forwardProgress =
        onProgress ? connect(&inner, &Task::progress, this, onProgress, Qt::DirectConnection)
                   : connect(&inner, &Task::progress, this, &Task::progress, Qt::DirectConnection);
    const auto forwardPartial = connect(&inner, &Task::partialResult, this, &Task::partialResult, Qt::DirectConnection);
    QVariant result;
    QString failure;
    const auto onFinished = connect(&inner, &Task::finished, this, [&](const QVariant& v) { result = v; },
                                    Qt::DirectConnection);
    const auto onFailed = connect(&inner, &Task::failed, this, [&](const QString& m) { failure = m; },
                                  Qt::DirectConnection);
    inner.run();
    for (const auto& c : {forwardProgress, forwardPartial, onFinished, onFailed})
        disconnect(c);
    inner.m_outer.store(nullptr);
    switch (inner.state()) {
    case State::Finished: return result;
    case State::Cancelled: throw TaskCancelled{};
    default: throw std::runtime_error(failure.toStdString());
    }
}

}  // namespace deepsvm
