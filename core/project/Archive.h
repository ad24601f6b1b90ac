#pragma once

#include <QString>

#include <functional>

namespace deepsvm {

/// Thrown by extractArchive when its progress callback asks to stop.
struct ExtractionCancelled {};

/// Streams a .tar / .tar.gz (any format libarchive reads) into `destination`. Entries are
/// unpacked under a temporary folder inside `destination` and moved into place only when the
/// whole archive succeeded, so a failed or cancelled run leaves the destination as it was.
/// Absolute paths, ".." components, links and device files are refused (the whole archive is
/// then rejected with the entry's name). progress(doneBytes, totalBytes) counts compressed
/// bytes read and may return false to cancel. Returns the number of files written. Throws
/// std::runtime_error naming the archive, or ExtractionCancelled.
long long extractArchive(const QString& archive, const QString& destination,
                         const std::function<bool(qint64 done, qint64 total)>& progress = {});

}  // namespace deepsvm
