#include "data/LabelEdits.h"

#include "io/Csv.h"

#include <QDateTime>
#include <QFile>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <unistd.h>

namespace fs = std::filesystem;

namespace deepsvm {

namespace {

/// `dir/name`, or `dir/stem-N.ext` for the first N that is free.
fs::path freeName(const fs::path& dir, const fs::path& name)
{
    fs::path candidate = dir / name;
    for (int n = 2; fs::exists(candidate); ++n)
        candidate = dir / (name.stem().string() + "-" + std::to_string(n) + name.extension().string());
    return candidate;
}

}  // namespace

FolderLabelEditor::FolderLabelEditor(std::string splitRoot) : m_root(std::move(splitRoot))
{
    while (m_root.size() > 1 && m_root.back() == '/')
        m_root.pop_back();
}

LabelEdit FolderLabelEditor::relabel(const std::string& id, const std::string& toClass)
{
    if (toClass.empty() || toClass.find('/') != std::string::npos || toClass[0] == '_' || toClass[0] == '.')
        throw std::invalid_argument("'" + toClass + "' cannot be a class folder name");
    return move(LabelEdit::Kind::Relabel, id, m_root + "/" + toClass, toClass);
}

LabelEdit FolderLabelEditor::exclude(const std::string& id)
{
    const std::string cls = fs::path(id).begin()->string();
    return move(LabelEdit::Kind::Exclude, id, m_root + "/_excluded/" + cls, std::string());
}

LabelEdit FolderLabelEditor::move(LabelEdit::Kind kind, const std::string& id, const std::string& destFolder,
                                  const std::string& toClass)
{
    const fs::path from = fs::path(m_root) / id;
    if (id.empty() || id.find("..") != std::string::npos || !fs::is_regular_file(from))
        throw std::runtime_error(from.string() + ": no such image in the dataset (was it moved or deleted?)");
    std::error_code ec;
    fs::create_directories(destFolder, ec);
    if (ec)
        throw std::runtime_error(destFolder + ": cannot be created (" + ec.message() + ")");
    const fs::path to = freeName(destFolder, from.filename());
    fs::rename(from, to, ec);
    if (ec)
        throw std::runtime_error(from.string() + ": cannot be moved to " + to.string() + " (" + ec.message() + ")");
    LabelEdit e{kind, id, from.string(), to.string(), toClass, "moved " + from.string() + " to " + to.string()};
    log(kind == LabelEdit::Kind::Relabel ? "relabel" : "exclude", e.from, e.to);
    m_done.push_back(e);
    return e;
}

LabelEdit FolderLabelEditor::undo()
{
    if (m_done.empty())
        throw std::logic_error("nothing to undo");
    const LabelEdit e = m_done.back();
    std::error_code ec;
    if (fs::exists(e.from))
        throw std::runtime_error(e.from + ": a file of that name is there again; move it away to undo");
    fs::create_directories(fs::path(e.from).parent_path(), ec);
    fs::rename(e.to, e.from, ec);
    if (ec)
        throw std::runtime_error(e.to + ": cannot be moved back to " + e.from + " (" + ec.message() + ")");
    log("undo", e.to, e.from);
    m_done.pop_back();
    return e;
}

void LabelEditor::log(const char* action, const std::string& from, const std::string& to) const
{
    QFile f(QString::fromStdString(logPath()));
    const bool fresh = !f.exists();
    if (!f.open(QIODevice::Append | QIODevice::Text))
        throw std::runtime_error(logPath() + ": cannot be written (" + f.errorString().toStdString() + ")");
    std::string line;
    if (fresh)
        line = "time,action,from,to\n";
    line += QDateTime::currentDateTime().toString(Qt::ISODateWithMs).toStdString() + "," + action + "," + csvField(from) + ","
        + csvField(to) + "\n";
    f.write(line.data(), qint64(line.size()));
    f.flush();
    ::fdatasync(f.handle());  // the log survives a crash right after the move
}

OverrideLabelEditor::OverrideLabelEditor(std::string csvPath, std::vector<std::string> classNames)
    : m_path(std::move(csvPath)), m_classNames(std::move(classNames)), m_overrides(LabelOverrides::load(m_path))
{
}

std::string OverrideLabelEditor::logPath() const
{
    return (fs::path(m_path).parent_path() / "_label_edits.log").string();
}

LabelEdit OverrideLabelEditor::relabel(const std::string& id, const std::string& toClass)
{
    if (std::find(m_classNames.begin(), m_classNames.end(), toClass) == m_classNames.end())
        throw std::invalid_argument("'" + toClass + "' is not a class of this dataset");
    return change(LabelEdit::Kind::Relabel, id, toClass);
}

LabelEdit OverrideLabelEditor::exclude(const std::string& id)
{
    return change(LabelEdit::Kind::Exclude, id, LabelOverrides::kExcluded);
}

LabelEdit OverrideLabelEditor::change(LabelEdit::Kind kind, const std::string& id, const std::string& label)
{
    if (id.empty())
        throw std::invalid_argument("no image id to relabel");
    const std::string* before = m_overrides.find(id);
    const std::string previous = before ? *before : std::string();
    LabelOverrides next = m_overrides;
    next.set(id, label);
    next.save(m_path);  // throws IoError naming the file; nothing changed then
    m_overrides = std::move(next);
    LabelEdit e{kind, id, previous, label, kind == LabelEdit::Kind::Relabel ? label : std::string(),
                id + (kind == LabelEdit::Kind::Relabel ? " relabelled to " + label : std::string(" excluded")) + " in "
                    + m_path};
    log(kind == LabelEdit::Kind::Relabel ? "relabel" : "exclude", id, label);
    m_done.push_back(e);
    m_previous.push_back(previous);
    return e;
}

LabelEdit OverrideLabelEditor::undo()
{
    if (m_done.empty())
        throw std::logic_error("nothing to undo");
    const LabelEdit e = m_done.back();
    LabelOverrides next = m_overrides;
    if (m_previous.back().empty())
        next.erase(e.id);
    else
        next.set(e.id, m_previous.back());
    next.save(m_path);
    m_overrides = std::move(next);
    log("undo", e.id, m_previous.back().empty() ? std::string("(as given)") : m_previous.back());
    m_done.pop_back();
    m_previous.pop_back();
    LabelEdit undone = e;
    undone.summary = e.id + " has its " + (m_overrides.find(e.id) ? "previous override" : "given label") + " again";
    return undone;
}

}  // namespace deepsvm
