#include "tasks/FunctionTask.h"

namespace deepsvm {

FunctionTask::FunctionTask(QString title, Work work, QObject* parent)
    : Task(std::move(title), parent), m_work(std::move(work)) {}

}  // namespace deepsvm
