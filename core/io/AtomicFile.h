#pragma once

#include <QByteArray>
#include <QString>

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

QT_BEGIN_NAMESPACE
class QIODevice;
QT_END_NAMESPACE

namespace deepsvm {

/// A file could not be written or moved into place; the message names the file and the fix.
class IoError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Every file the program writes goes through here: it is written under a temporary name
/// beside its target, TARGET.tmp-PID-N, flushed to disk and renamed onto the target only
/// when complete, so a reader (or a crash at any moment) sees the old file or the new one,
/// never half of one. A temporary left by a killed process is swept by the next writer of
/// the same target, or by sweepStaleTemporaries() over a folder.
class AtomicFile {
public:
    enum class Folder { Create, MustExist };
    /// Opens a fresh temporary beside `target`, creating its folder unless told it must
    /// exist. Throws IoError "TARGET: cannot create (why); ...".
    explicit AtomicFile(std::string target, Folder folder = Folder::Create);
    ~AtomicFile();  ///< not committed: the temporary is removed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    std::FILE* file() const { return m_file; }
    const std::string& target() const { return m_target; }
    const std::string& temporaryPath() const { return m_tmp; }
    /// Appends bytes; throws IoError naming the target (disk full, I/O error).
    void write(const void* data, std::size_t bytes);
    void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
    /// Flushes, syncs and renames onto the target (replacing it). Throws IoError; the
    /// temporary is gone either way.
    void commit();
    /// Flushes, syncs and closes the complete temporary and hands it over: the caller renames
    /// it with commitFile() (to move several files into place together) or removes it.
    std::string release();

private:
    std::string m_target, m_tmp;
    std::FILE* m_file = nullptr;
};

/// A fresh temporary name for `target` (made of TARGET.tmp-PID-N), its folder created on
/// demand; stale temporaries of the same target are swept first. For writers that must
/// produce a file by name (libsvm, torch::save): pair with commitFile().
std::string temporaryPathFor(const std::string& target, AtomicFile::Folder folder = AtomicFile::Folder::Create);
/// Renames a complete temporary onto its target. On failure the temporary is removed and
/// IoError names the target.
void commitFile(const std::string& tmp, const std::string& target);

/// Runs `write(temporaryPath)` and commits its file; if `write` throws, the temporary is
/// removed and the exception goes on.
void writeAtomically(const std::string& target, const std::function<void(const std::string& tmp)>& write);
/// The whole file at once. Throws IoError naming `path`.
void writeFileAtomically(const std::string& path, const QByteArray& bytes);
/// For Qt writers (QImage::save, QPdfWriter, QSvgGenerator): `write` fills the device and
/// returns whether it succeeded. The folder must exist (a user picked it in a dialog).
/// Returns false with a message naming `path` instead of throwing.
bool writeAtomically(const QString& path, const std::function<bool(QIODevice*)>& write, QString* error);

/// Whether `name` (a file name, no folder) is a temporary of this program that its writer
/// can no longer finish: TARGET.tmp-PID-N whose process is gone, or a TARGET.tmp-HEX left by
/// an older version more than ten minutes ago.
bool isStaleTemporary(const std::string& folder, const std::string& name);
/// Removes the stale temporaries of one target.
void removeStaleTemporaries(const std::string& target);
/// Removes every stale temporary directly inside `folder`; returns how many.
int sweepStaleTemporaries(const std::string& folder);

}  // namespace deepsvm
