#include "pages/LabelIssuesPage.h"

#include "Session.h"
#include "widgets/SimilarImages.h"
#include "data/Dataset.h"
#include "data/LabelEdits.h"
#include "models/ImageLookup.h"
#include "models/RunData.h"
#include "models/ThumbnailModel.h"

#include <QDir>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QPushButton>
#include <QShortcut>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace deepsvm {

namespace {
QString capitalised(const std::string& text)
{
    QString s = QString::fromStdString(text);
    if (!s.isEmpty())
        s[0] = s[0].toUpper();
    return s;
}
}  // namespace

LabelIssuesPage::LabelIssuesPage(Session* session, QWidget* parent) : QWidget(parent), m_session(session)
{
    m_summary = new QLabel(tr("Train a model with cross-validation on the SVM page, then press Find label issues: "
                              "the training images whose label the out-of-fold predictions confidently contradict "
                              "are listed here, most suspicious first."), this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_model = new ThumbnailModel(this);
    m_model->setThumbnailSize(96);
    m_view = new QListView(this);
    m_view->setObjectName(QStringLiteral("labelIssues"));
    m_view->setViewMode(QListView::IconMode);
    m_view->setResizeMode(QListView::Adjust);
    m_view->setUniformItemSizes(true);
    m_view->setMovement(QListView::Static);
    m_view->setSpacing(4);
    m_view->setIconSize(QSize(96, 96));
    m_view->setGridSize(QSize(176, 132));
    m_view->setWordWrap(true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setModel(m_model);
    offerSimilarImages(m_view, m_session);
    buildActions();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    auto* bar = new QHBoxLayout;
    for (QWidget* w : std::initializer_list<QWidget*>{m_find, m_keep, m_relabelSuggested, m_relabelTo, m_exclude, m_undo})
        bar->addWidget(w);
    bar->addStretch(1);
    bar->addWidget(m_retrain);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
    connect(m_session, &Session::datasetChanged, this, [this] {
        m_rows.clear();
        m_editor.reset();
        m_undoRows.clear();
        m_model->setSource(nullptr, {});
    });
}

LabelIssuesPage::~LabelIssuesPage() = default;

void LabelIssuesPage::buildActions()
{
    m_find = new QPushButton(tr("Find label issues"), this);
    m_find->setShortcut(QKeySequence(Qt::Key_F5));
    m_find->setToolTip(tr("From the current run's out-of-fold probabilities (F5)"));
    m_keep = new QPushButton(tr("Keep"), this);
    m_keep->setShortcut(QKeySequence(Qt::Key_K));
    m_keep->setToolTip(tr("The label is right: keep it (K)"));
    m_relabelSuggested = new QPushButton(tr("Relabel to suggested"), this);
    m_relabelSuggested->setShortcut(QKeySequence(Qt::Key_R));
    m_relabelSuggested->setToolTip(tr("Give the image the suggested class (R)"));
    m_relabelTo = new QToolButton(this);
    m_relabelTo->setText(tr("Relabel to..."));
    m_relabelTo->setPopupMode(QToolButton::InstantPopup);
    m_relabelTo->setMenu(new QMenu(m_relabelTo));
    m_exclude = new QPushButton(tr("Exclude"), this);
    m_exclude->setShortcut(QKeySequence(Qt::Key_Delete));
    m_exclude->setToolTip(tr("Leave the image out: a class folder's file moves into _excluded/ beside the classes, "
                             "which the loader skips; STL-10 or a CSV list marks it in labels_override.csv (Delete)"));
    m_undo = new QPushButton(tr("Undo"), this);
    m_undo->setShortcut(QKeySequence::Undo);
    m_undo->setToolTip(tr("Take the last change back (Ctrl+Z)"));
    m_retrain = new QPushButton(tr("Retrain"), this);
    m_retrain->setToolTip(tr("Run the grid search again with the edited labels (a class folder is extracted again first)"));
    connect(m_find, &QPushButton::clicked, this, [this] { findIssues(); });
    connect(m_keep, &QPushButton::clicked, this, [this] { applyToSelection([this](int r) { keep(r); return true; }); });
    connect(m_relabelSuggested, &QPushButton::clicked, this, [this] {
        applyToSelection([this](int r) { return relabel(r, m_rows[std::size_t(r)].issue.suggested); });
    });
    connect(m_exclude, &QPushButton::clicked, this, [this] { applyToSelection([this](int r) { return exclude(r); }); });
    connect(m_undo, &QPushButton::clicked, this, [this] { undo(); });
    connect(m_retrain, &QPushButton::clicked, this, &LabelIssuesPage::retrainRequested);
}

bool LabelIssuesPage::findIssues()
{
    RunData data;
    QString error;
    const QJsonObject run = m_session->currentRun();
    if (run.isEmpty() || !RunData::load(run, &data, &error, Evaluated::OutOfFold) || !data.hasTest()) {
        m_summary->setText(run.isEmpty() ? tr("No run yet: train a model on the SVM page first.")
                                         : error.isEmpty() ? tr("The current run has no out-of-fold predictions: run the grid "
                                                                "search with cross-validation.")
                                                           : error);
        return false;
    }
    if (data.probabilities.empty()) {
        m_summary->setText(tr("The current run's model has no probability estimates; tick them on the SVM page and retrain."));
        return false;
    }
    const int k = int(data.classNames.size());
    const LabelIssues found = findLabelIssues(data.probabilities, data.truth, k);
    m_classNames.clear();
    for (const auto& n : data.classNames) m_classNames << QString::fromStdString(n);
    // The images, found again in the open dataset's training split.
    const auto dataset = m_session->dataset();
    ImageLookup lookup(dataset);
    std::shared_ptr<const ImageSource> source;
    std::vector<qint64> indices;
    m_rows.clear();
    for (const LabelIssue& issue : found.issues) {
        if (std::size_t(issue.index) >= data.testIds.size())
            continue;
        const std::string id = data.testIds[std::size_t(issue.index)];
        ImageLookup::Found hit;
        for (const std::string& split : dataset ? dataset->splits() : std::vector<std::string>{})
            if (split != "test" && (hit = lookup.find(split, id)).index >= 0)
                break;
        if (hit.index < 0 || (source && hit.source != source))
            continue;
        source = hit.source;
        indices.push_back(hit.index);
        m_rows.push_back({issue, id, QString()});
    }
    m_model->setSubset(source, m_classNames, indices);
    refreshCaptions();
    QMenu* menu = m_relabelTo->menu();
    menu->clear();
    for (int c = 0; c < k; ++c)
        menu->addAction(m_classNames[c], this, [this, c] { applyToSelection([this, c](int r) { return relabel(r, c); }); });
    m_summary->setText(tr("%1 of %2 training images look mislabelled (confident learning on out-of-fold probabilities; "
                          "Northcutt et al., JAIR 2021). Most suspicious first: select images, then Keep, Relabel or Exclude.")
                           .arg(found.issues.size())
                           .arg(found.rows));
    return true;
}

void LabelIssuesPage::refreshCaptions()
{
    QStringList captions;
    for (const Row& r : m_rows) {
        QString c = tr("%1 → %2").arg(m_classNames.value(r.issue.given), m_classNames.value(r.issue.suggested));
        if (!r.status.isEmpty())
            c += QStringLiteral("\n(") + r.status + QLatin1Char(')');
        captions << c;
    }
    m_model->setCaptions(captions);
}

std::vector<int> LabelIssuesPage::selectedRows() const
{
    std::vector<int> rows;
    for (const QModelIndex& i : m_view->selectionModel()->selectedIndexes())
        rows.push_back(i.row());
    std::sort(rows.begin(), rows.end());
    return rows;
}

void LabelIssuesPage::applyToSelection(const std::function<bool(int)>& action)
{
    for (int r : selectedRows())
        if (!action(r))
            break;
    refreshCaptions();
}

bool LabelIssuesPage::ensureEditor(QString* why)
{
    const auto dataset = m_session->dataset();
    if (!dataset) {
        *why = tr("No dataset is open.");
        return false;
    }
    if (m_editor)
        return true;
    try {
        if (m_session->datasetRelabelsByMoving()) {
            const auto splits = dataset->splits();
            const bool nested = std::find(splits.begin(), splits.end(), "train") != splits.end();
            m_editor = std::make_unique<FolderLabelEditor>(dataset->root() + (nested ? "/train" : ""));
        } else {
            // STL-10's binaries and a CSV list stay as they are: the changes go to labels_override.csv.
            m_editor = std::make_unique<OverrideLabelEditor>(m_session->labelsOverridePath().toStdString(), dataset->classNames());
        }
    } catch (const std::exception& e) {
        *why = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

void LabelIssuesPage::keep(int row)
{
    if (row >= 0 && std::size_t(row) < m_rows.size() && m_rows[std::size_t(row)].status.isEmpty())
        m_rows[std::size_t(row)].status = tr("kept");
}

bool LabelIssuesPage::relabel(int row, int toClass)
{
    QString why;
    if (row < 0 || std::size_t(row) >= m_rows.size() || toClass < 0 || toClass >= m_classNames.size())
        return false;
    Row& r = m_rows[std::size_t(row)];
    if (!r.status.isEmpty() && r.status != tr("kept"))
        return true;  // already moved
    if (!ensureEditor(&why)) {
        m_summary->setText(why);
        return false;
    }
    try {
        const LabelEdit e = m_editor->relabel(r.id, m_classNames[toClass].toStdString());
        r.status = tr("relabelled to %1").arg(m_classNames[toClass]);
        m_undoRows.push_back(row);
        m_summary->setText(tr("%1. Press Retrain when done; every change is in %2.")
                               .arg(capitalised(e.summary), QDir::toNativeSeparators(QString::fromStdString(m_editor->logPath()))));
        return true;
    } catch (const std::exception& e) {
        m_summary->setText(QString::fromUtf8(e.what()));
        return false;
    }
}

bool LabelIssuesPage::exclude(int row)
{
    QString why;
    if (row < 0 || std::size_t(row) >= m_rows.size())
        return false;
    Row& r = m_rows[std::size_t(row)];
    if (!r.status.isEmpty() && r.status != tr("kept"))
        return true;
    if (!ensureEditor(&why)) {
        m_summary->setText(why);
        return false;
    }
    try {
        const LabelEdit e = m_editor->exclude(r.id);
        r.status = tr("excluded");
        m_undoRows.push_back(row);
        m_summary->setText(capitalised(e.summary) + QLatin1Char('.'));
        return true;
    } catch (const std::exception& e) {
        m_summary->setText(QString::fromUtf8(e.what()));
        return false;
    }
}

bool LabelIssuesPage::undo()
{
    if (!m_editor || !m_editor->canUndo())
        return false;
    try {
        const LabelEdit e = m_editor->undo();
        if (!m_undoRows.empty()) {
            m_rows[std::size_t(m_undoRows.back())].status.clear();
            m_undoRows.pop_back();
        }
        m_summary->setText(tr("Undone: %1.").arg(QString::fromStdString(e.summary)));
        refreshCaptions();
        return true;
    } catch (const std::exception& e) {
        m_summary->setText(QString::fromUtf8(e.what()));
        return false;
    }
}

}  // namespace deepsvm
