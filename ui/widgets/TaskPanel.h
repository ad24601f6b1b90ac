#pragma once

#include <QWidget>

#include <map>

class QVBoxLayout;
class QLabel;

namespace deepsvm {

class Task;
class TaskRunner;

/// One row per running task: title, progress bar, throughput and ETA, and Cancel.
class TaskPanel final : public QWidget {
    Q_OBJECT
public:
    explicit TaskPanel(TaskRunner* runner, QWidget* parent = nullptr);
    int rowCount() const { return int(m_rows.size()); }

private:
    void addTask(Task* task);
    void removeTask(Task* task);

    QVBoxLayout* m_list;
    QLabel* m_idle;
    std::map<Task*, QWidget*> m_rows;
};

}  // namespace deepsvm
