#include "widgets/TaskPanel.h"

#include "tasks/ProgressMeter.h"
#include "tasks/Task.h"
#include "tasks/TaskRunner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include <memory>

namespace deepsvm {

TaskPanel::TaskPanel(TaskRunner* runner, QWidget* parent) : QWidget(parent)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(4, 4, 4, 4);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* inner = new QWidget(scroll);
    m_list = new QVBoxLayout(inner);
    m_list->setContentsMargins(0, 0, 0, 0);
    m_idle = new QLabel(tr("No tasks running."), inner);
    m_idle->setEnabled(false);
    m_list->addWidget(m_idle);
    m_list->addStretch(1);
    scroll->setWidget(inner);
    outer->addWidget(scroll);
    connect(runner, &TaskRunner::taskStarted, this, &TaskPanel::addTask);
    connect(runner, &TaskRunner::taskEnded, this, &TaskPanel::removeTask);
}

void TaskPanel::addTask(Task* task)
{
    auto* row = new QWidget(this);
    row->setObjectName(QStringLiteral("taskRow"));
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 2, 0, 2);
    auto* title = new QLabel(task->title(), row);
    title->setMinimumWidth(150);
    auto* bar = new QProgressBar(row);
    bar->setRange(0, 0);  // busy until the first report
    bar->setTextVisible(false);
    auto* detail = new QLabel(tr("starting"), row);
    detail->setMinimumWidth(260);
    auto* cancel = new QPushButton(tr("Cancel"), row);
    cancel->setToolTip(tr("Stop this task at its next safe point; files it writes stay complete or absent."));
    layout->addWidget(title);
    layout->addWidget(bar, 1);
    layout->addWidget(detail);
    layout->addWidget(cancel);
    auto meter = std::make_shared<ProgressMeter>(15.0);
    meter->start();
    connect(task, &Task::progress, row, [bar, detail, meter](qint64 done, qint64 total, const QString& message) {
        meter->update(done, total);
        if (total > 0) {
            // QProgressBar is int-based: scale big totals down.
            const double f = double(done) / double(total);
            bar->setRange(0, 1000);
            bar->setValue(int(f * 1000));
        }
        QString text = meter->format(QStringLiteral("it"));
        // A task that reports its own rate (images/s) keeps it; the panel adds share and ETA.
        if (message.contains(QStringLiteral("/s")) && total > 0)
            text = QStringLiteral("%1 · %2% · ETA %3")
                       .arg(message)
                       .arg(100.0 * double(done) / double(total), 0, 'f', 1)
                       .arg(ProgressMeter::formatDuration(meter->etaSeconds()));
        else if (!message.isEmpty())
            text = message + QStringLiteral(" · ") + text;
        detail->setText(text);
    });
    connect(cancel, &QPushButton::clicked, row, [task, cancel, detail] {
        task->requestCancel();
        cancel->setEnabled(false);
        detail->setText(tr("cancelling..."));
    });
    m_list->insertWidget(m_list->count() - 1, row);
    m_rows[task] = row;
    m_idle->setVisible(false);
}

void TaskPanel::removeTask(Task* task)
{
    auto it = m_rows.find(task);
    if (it == m_rows.end())
        return;
    it->second->deleteLater();
    m_rows.erase(it);
    m_idle->setVisible(m_rows.empty());
}

}  // namespace deepsvm
