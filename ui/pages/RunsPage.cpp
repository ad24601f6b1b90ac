#include "pages/RunsPage.h"

#include "Session.h"
#include "models/RunData.h"
#include "svm/SvmParams.h"

#include <QDesktopServices>
#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

#include <cmath>

namespace deepsvm {

namespace {

QString flatten(const QJsonValue& v)
{
    if (v.isArray()) {
        QStringList parts;
        for (const auto& x : v.toArray()) parts << flatten(x);
        return parts.join(QStringLiteral(", "));
    }
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 6);
    if (v.isBool())
        return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    return v.toString();
}

/// Every leaf of a run record as "section.key" -> text, for the side-by-side table.
void collect(const QJsonObject& o, const QString& prefix, QList<QPair<QString, QString>>* out)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString key = prefix.isEmpty() ? it.key() : prefix + QLatin1Char('.') + it.key();
        if (it.value().isObject())
            collect(it.value().toObject(), key, out);
        else
            out->append({key, flatten(it.value())});
    }
}

/// "0.8125 ± 0.0210" of the best grid point, sortable by its mean.
QTableWidgetItem* cvItem(const QJsonObject& run)
{
    auto* item = new QTableWidgetItem;
    const QJsonObject cv = run.value(QStringLiteral("cv_best")).toObject();
    const double mean = cv.value(QStringLiteral("mean")).toDouble(std::nan(""));
    if (std::isfinite(mean)) {
        item->setData(Qt::DisplayRole, QStringLiteral("%1 ± %2").arg(mean, 0, 'f', 4)
                                           .arg(cv.value(QStringLiteral("std")).toDouble(), 0, 'f', 4));
        item->setToolTip(QObject::tr("%1 over %2 folds").arg(cv.value(QStringLiteral("metric")).toString())
                             .arg(cv.value(QStringLiteral("folds")).toInt()));
    }
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

}  // namespace

RunsPage::RunsPage(Session* session, QWidget* parent) : QWidget(parent), m_session(session)
{
    m_table = new QTableWidget(0, 10, this);
    m_table->setHorizontalHeaderLabels({tr("run"), tr("kind"), tr("backbone"), tr("best parameters"), tr("best CV (mean ± std)"),
                                        tr("test accuracy"), tr("macro F1"), tr("macro AUC"), tr("grid s"), tr("total s")});
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_compare = new QTextBrowser(this);
    m_compare->setPlaceholderText(tr("Select two runs and press Compare to see them side by side."));

    auto* show = new QPushButton(tr("Show in Evaluation"), this);
    auto* compareButton = new QPushButton(tr("Compare selected two"), this);
    auto* report = new QPushButton(tr("Export report..."), this);
    auto* folder = new QPushButton(tr("Open folder"), this);
    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {show, compareButton, report, folder})
        buttons->addWidget(b);
    buttons->addStretch(1);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_compare);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(split, 1);

    auto selectedRows = [this] {
        QList<int> rows;
        for (const QModelIndex& i : m_table->selectionModel()->selectedRows()) rows << i.row();
        std::sort(rows.begin(), rows.end());
        return rows;
    };
    connect(show, &QPushButton::clicked, this, [this, selectedRows] {
        const auto rows = selectedRows();
        if (!rows.isEmpty())
            m_session->setCurrentRun(runAt(rows.first()));
    });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row) { m_session->setCurrentRun(runAt(row)); });
    connect(compareButton, &QPushButton::clicked, this, [this, selectedRows] {
        const auto rows = selectedRows();
        if (rows.size() == 2)
            compare(rows[0], rows[1]);
        else
            m_compare->setHtml(tr("<p>Select exactly two runs (Ctrl+click) to compare them.</p>"));
    });
    connect(report, &QPushButton::clicked, this, [this, selectedRows] {
        const auto rows = selectedRows();
        Q_EMIT exportReportRequested(rows.isEmpty() ? m_session->currentRun() : runAt(rows.first()));
    });
    connect(folder, &QPushButton::clicked, this, [this, selectedRows] {
        const auto rows = selectedRows();
        if (!rows.isEmpty())
            QDesktopServices::openUrl(QUrl::fromLocalFile(runAt(rows.first()).value(QStringLiteral("dir")).toString()));
    });
    connect(m_session, &Session::runsChanged, this, &RunsPage::refresh);
    refresh();
}

QJsonObject RunsPage::runAt(int row) const
{
    const QTableWidgetItem* item = m_table->item(row, 0);
    return item ? item->data(Qt::UserRole).toJsonObject() : QJsonObject();
}

void RunsPage::refresh()
{
    m_table->setSortingEnabled(false);
    m_table->setRowCount(0);
    const QJsonArray runs = m_session->runs();
    for (const auto& v : runs) {
        const QJsonObject r = v.toObject();
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        auto* id = new QTableWidgetItem(r.value(QStringLiteral("id")).toString());
        id->setData(Qt::UserRole, r);
        id->setToolTip(QDir::toNativeSeparators(r.value(QStringLiteral("dir")).toString()));
        m_table->setItem(row, 0, id);
        m_table->setItem(row, 1, new QTableWidgetItem(r.value(QStringLiteral("kind")).toString() == QStringLiteral("grid")
                                                          ? tr("grid search (%1 points)").arg(r.value(QStringLiteral("grid_points")).toInt())
                                                          : tr("single model")));
        m_table->setItem(row, 2, new QTableWidgetItem(r.value(QStringLiteral("features")).toObject().value(QStringLiteral("backbone")).toString()));
        m_table->setItem(row, 3, new QTableWidgetItem(describeParams(r.value(QStringLiteral("best")).toObject())));
        m_table->setItem(row, 4, cvItem(r));
        // Without a test split, the out-of-fold scores stand in (marked as such).
        const bool oof = !r.contains(QStringLiteral("test")) || r.value(QStringLiteral("test")).toObject().isEmpty();
        const QJsonObject test = r.value(oof ? QStringLiteral("oof") : QStringLiteral("test")).toObject();
        const QJsonObject t = r.value(QStringLiteral("timings")).toObject();
        int c = 5;
        for (double value : {test.value(QStringLiteral("accuracy")).toDouble(std::nan("")), test.value(QStringLiteral("f1_macro")).toDouble(std::nan("")),
                             test.value(QStringLiteral("roc_auc_macro")).toDouble(std::nan("")),
                             t.value(QStringLiteral("grid_search_seconds")).toDouble(std::nan("")),
                             t.value(QStringLiteral("total_seconds")).toDouble(std::nan(""))}) {
            auto* item = new QTableWidgetItem;
            if (std::isfinite(value))
                item->setData(Qt::DisplayRole, QString::number(value, 'f', c >= 8 ? 2 : 4).toDouble());
            if (oof && c < 8 && std::isfinite(value))
                item->setToolTip(tr("out-of-fold: this run has no test split"));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, c++, item);
        }
    }
    m_table->setSortingEnabled(true);
}

void RunsPage::compare(int a, int b)
{
    const QJsonObject ra = runAt(a), rb = runAt(b);
    QList<QPair<QString, QString>> la, lb;
    collect(ra, QString(), &la);
    collect(rb, QString(), &lb);
    QMap<QString, QPair<QString, QString>> merged;
    for (const auto& [k, v] : la) merged[k].first = v;
    for (const auto& [k, v] : lb) merged[k].second = v;
    QString html = tr("<table border=1 cellspacing=0 cellpadding=3><tr><th>setting / result</th><th>%1</th><th>%2</th></tr>")
                       .arg(ra.value(QStringLiteral("id")).toString().toHtmlEscaped(), rb.value(QStringLiteral("id")).toString().toHtmlEscaped());
    for (auto it = merged.begin(); it != merged.end(); ++it) {
        const bool differs = it.value().first != it.value().second;
        html += QStringLiteral("<tr%1><td>%2</td><td>%3</td><td>%4</td></tr>")
                    .arg(differs ? QStringLiteral(" style=\"background:#fff3c4;color:#000\"") : QString(), it.key().toHtmlEscaped(),
                         it.value().first.toHtmlEscaped(), it.value().second.toHtmlEscaped());
    }
    html += QStringLiteral("</table><p>") + tr("Highlighted rows differ.") + QStringLiteral("</p>");
    m_compare->setHtml(html);
}

}  // namespace deepsvm
