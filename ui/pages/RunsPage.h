#pragma once

#include <QJsonObject>
#include <QWidget>

class QTableWidget;
class QTextBrowser;

namespace deepsvm {

class Session;

/// Every run with its settings, timings and results; two runs side by side.
class RunsPage final : public QWidget {
    Q_OBJECT
public:
    explicit RunsPage(Session* session, QWidget* parent = nullptr);

    QTableWidget* table() const { return m_table; }
    QTextBrowser* comparison() const { return m_compare; }
    /// Compares the runs in table rows `a` and `b`.
    void compare(int a, int b);
    /// The run shown in table row `row` (empty if none).
    QJsonObject runAt(int row) const;

Q_SIGNALS:
    void exportReportRequested(const QJsonObject& run);

private:
    void refresh();

    Session* m_session;
    QTableWidget* m_table;
    QTextBrowser* m_compare;
};

}  // namespace deepsvm
