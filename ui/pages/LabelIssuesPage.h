#pragma once

#include "metrics/LabelIssues.h"

#include <QWidget>

#include <memory>
#include <string>
#include <vector>

class QLabel;
class QListView;
class QPushButton;
class QToolButton;

namespace deepsvm {

class LabelEditor;
class Session;
class ThumbnailModel;

/// Training images whose label looks wrong, from the current run's out-of-fold probabilities
/// (confident learning, as `deepsvm label-issues`): thumbnails captioned "given → suggested",
/// most suspicious first. Per image Keep, Relabel (to the suggestion or any class) or Exclude;
/// for a class folder the file moves (into the other class folder, or `_excluded/`); for
/// STL-10 or a CSV list the change goes to the session's labels_override.csv. Undo (Ctrl+Z)
/// and a log of every change. "Retrain" extracts (a class folder) and grid-searches again.
class LabelIssuesPage final : public QWidget {
    Q_OBJECT
public:
    explicit LabelIssuesPage(Session* session, QWidget* parent = nullptr);
    ~LabelIssuesPage() override;

    /// Finds the label issues of the current run; false (with the reason shown) if it cannot.
    bool findIssues();
    /// The flagged rows in the order shown.
    struct Row {
        LabelIssue issue;
        std::string id;       ///< the image id (path relative to the split root)
        QString status;       ///< "", "kept", "relabelled to X", "excluded"
    };
    const std::vector<Row>& rows() const { return m_rows; }
    /// Actions on the view's selected rows (or `row` if given), as the buttons do.
    void keep(int row);
    bool relabel(int row, int toClass);
    bool exclude(int row);
    bool undo();
    QLabel* summary() const { return m_summary; }
    QListView* view() const { return m_view; }
    ThumbnailModel* model() const { return m_model; }

Q_SIGNALS:
    /// The user asked to extract and grid-search again with the edited labels.
    void retrainRequested();

private:
    void buildActions();
    std::vector<int> selectedRows() const;
    void applyToSelection(const std::function<bool(int)>& action);
    void refreshCaptions();
    bool ensureEditor(QString* why);

    Session* m_session;
    QLabel* m_summary;
    QListView* m_view;
    ThumbnailModel* m_model;
    QPushButton* m_find;
    QPushButton* m_keep;
    QPushButton* m_relabelSuggested;
    QToolButton* m_relabelTo;
    QPushButton* m_exclude;
    QPushButton* m_undo;
    QPushButton* m_retrain;
    std::vector<Row> m_rows;
    QStringList m_classNames;
    std::unique_ptr<LabelEditor> m_editor;
    std::vector<int> m_undoRows;  ///< the row of each edit on the editor's undo stack
};

}  // namespace deepsvm
