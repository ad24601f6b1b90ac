#pragma once

#include <string>
#include <vector>

namespace deepsvm {

/// One label change made in the Label issues view: an image moved into another class folder
/// (relabel) or into `_excluded/` beside the classes (exclude), which the loader skips.
struct LabelEdit {
    enum class Kind { Relabel, Exclude };
    Kind kind = Kind::Relabel;
    std::string id;        ///< the image's id before the move (path relative to the split root)
    std::string from, to;  ///< the file before and after the move (absolute)
    std::string toClass;   ///< Relabel: the class it now has
};

/// Relabels and excludes images of a class-folder dataset by moving their files, never
/// overwriting one (a clash gets "-2", "-3", ... before the extension), with undo and an
/// append-only log of every move (`_label_edits.log` in the split root: time, action, from, to).
/// The next extraction sees the moved files in their new classes; `_excluded/` is skipped.
class FolderLabelEditor {
public:
    /// `splitRoot`: the folder holding the class folders (the dataset folder, or its train/).
    explicit FolderLabelEditor(std::string splitRoot);

    /// Moves the image `id` (relative to the split root) into class folder `toClass`.
    /// Throws std::runtime_error naming the file and the reason.
    LabelEdit relabel(const std::string& id, const std::string& toClass);
    /// Moves the image `id` into `_excluded/<its class>/`.
    LabelEdit exclude(const std::string& id);
    bool canUndo() const { return !m_done.empty(); }
    /// Moves the last edited file back; returns that edit.
    LabelEdit undo();
    const std::vector<LabelEdit>& done() const { return m_done; }
    std::string logPath() const { return m_root + "/_label_edits.log"; }

private:
    LabelEdit move(LabelEdit::Kind kind, const std::string& id, const std::string& destFolder, const std::string& toClass);
    void log(const char* action, const std::string& from, const std::string& to) const;

    std::string m_root;
    std::vector<LabelEdit> m_done;
};

}  // namespace deepsvm
