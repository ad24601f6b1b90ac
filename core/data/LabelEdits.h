#pragma once

#include "features/LabelOverrides.h"

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
    std::string summary;   ///< what was done, in a sentence for the user
};

/// Relabels and excludes images with undo; every change is logged. FolderLabelEditor moves
/// the files of a class folder; OverrideLabelEditor writes labels_override.csv.
class LabelEditor {
public:
    virtual ~LabelEditor() = default;
    /// Gives image `id` the class `toClass`. Throws std::runtime_error naming the file and the reason.
    virtual LabelEdit relabel(const std::string& id, const std::string& toClass) = 0;
    /// Leaves image `id` out of the dataset.
    virtual LabelEdit exclude(const std::string& id) = 0;
    bool canUndo() const { return !m_done.empty(); }
    /// Takes the last edit back; returns it.
    virtual LabelEdit undo() = 0;
    const std::vector<LabelEdit>& done() const { return m_done; }
    /// The append-only log of every change (time, action, from, to).
    virtual std::string logPath() const = 0;

protected:
    void log(const char* action, const std::string& from, const std::string& to) const;
    std::vector<LabelEdit> m_done;
};

/// Relabels and excludes images of a class-folder dataset by moving their files, never
/// overwriting one (a clash gets "-2", "-3", ... before the extension), with undo and an
/// append-only log of every move (`_label_edits.log` in the split root: time, action, from, to).
/// The next extraction sees the moved files in their new classes; `_excluded/` is skipped.
class FolderLabelEditor final : public LabelEditor {
public:
    /// `splitRoot`: the folder holding the class folders (the dataset folder, or its train/).
    explicit FolderLabelEditor(std::string splitRoot);

    /// Moves the image `id` (relative to the split root) into class folder `toClass`.
    /// Throws std::runtime_error naming the file and the reason.
    LabelEdit relabel(const std::string& id, const std::string& toClass) override;
    /// Moves the image `id` into `_excluded/<its class>/`.
    LabelEdit exclude(const std::string& id) override;
    /// Moves the last edited file back.
    LabelEdit undo() override;
    std::string logPath() const override { return m_root + "/_label_edits.log"; }

private:
    LabelEdit move(LabelEdit::Kind kind, const std::string& id, const std::string& destFolder, const std::string& toClass);

    std::string m_root;
};

/// Label changes of a dataset whose files stay where they are (STL-10's binaries, a CSV list):
/// each edit rewrites labels_override.csv (atomically) at `csvPath`, which extraction and the
/// SVM honour; the log is `_label_edits.log` beside it. Undo restores the previous row.
class OverrideLabelEditor final : public LabelEditor {
public:
    /// Reads the overrides already in `csvPath` (if any); `classNames` are the dataset's.
    OverrideLabelEditor(std::string csvPath, std::vector<std::string> classNames);

    LabelEdit relabel(const std::string& id, const std::string& toClass) override;
    LabelEdit exclude(const std::string& id) override;
    LabelEdit undo() override;
    std::string logPath() const override;
    const LabelOverrides& overrides() const { return m_overrides; }

private:
    LabelEdit change(LabelEdit::Kind kind, const std::string& id, const std::string& label);

    std::string m_path;
    std::vector<std::string> m_classNames;
    LabelOverrides m_overrides;
    std::vector<std::string> m_previous;  ///< per edit: the row's label before it ("" for none)
};

}  // namespace deepsvm
