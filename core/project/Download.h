#pragma once

#include <QJsonObject>
#include <QString>
#include <QUrl>

#include <functional>
#include <stdexcept>

namespace deepsvm {

/// What a downloaded file must hash to before it is moved into place.
struct Checksum {
    enum class Kind { None, Sha256, Sha256Prefix, Md5 };
    Kind kind = Kind::None;
    QString hex;  ///< lower-case

    /// "sha256:HEX", "md5:HEX", or "sha256-prefix:HEX"; throws std::invalid_argument.
    static Checksum parse(const QString& text);
    /// torchvision's convention: "resnet50-0676ba61.pth" must have a SHA-256 starting 0676ba61.
    static Checksum fromTorchvisionName(const QString& fileName);
    QString describe() const;
};

/// Thrown by downloadFile when its progress callback asks to stop.
struct DownloadCancelled {};

struct DownloadOptions {
    QUrl url;
    QString target;            ///< final path; the transfer goes to target + ".part" first
    Checksum checksum;
    bool resume = true;        ///< continue an existing .part with an HTTP Range request
    int stallTimeoutMs = 60000;///< give up when no byte arrives for this long
};

/// Downloads `options.url` (redirects followed, system proxy) to `options.target`: bytes go to
/// TARGET.part, a partial file from an interrupted run is resumed (a server that ignores Range
/// restarts from zero), the checksum is verified, and only then is the file renamed into place.
/// On a network error the .part stays for the next attempt; on a checksum mismatch or a cancel
/// it is removed. progress(done, total) may return false to cancel (total is -1 if unknown).
/// Result: {path, bytes, resumed_from, sha256, seconds, url}. Throws std::runtime_error naming
/// the URL or file, or DownloadCancelled. Runs its own event loop: call it from a worker thread.
QJsonObject downloadFile(const DownloadOptions& options, const std::function<bool(qint64 done, qint64 total)>& progress);

}  // namespace deepsvm
