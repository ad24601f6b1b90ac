#include "project/Download.h"

#include "io/Digest.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QTimer>

#include <memory>
#include <mutex>

namespace deepsvm {

Checksum Checksum::parse(const QString& text)
{
    const qsizetype colon = text.indexOf(QLatin1Char(':'));
    const QString kind = text.left(colon).toLower(), hex = text.mid(colon + 1).toLower();
    static const QRegularExpression hexOnly(QStringLiteral("^[0-9a-f]+$"));
    Checksum c;
    c.hex = hex;
    if (colon > 0 && hexOnly.match(hex).hasMatch()) {
        if (kind == QStringLiteral("sha256") && hex.size() == 64) { c.kind = Kind::Sha256; return c; }
        if (kind == QStringLiteral("md5") && hex.size() == 32) { c.kind = Kind::Md5; return c; }
        if (kind == QStringLiteral("sha256-prefix") && hex.size() >= 6 && hex.size() <= 64) { c.kind = Kind::Sha256Prefix; return c; }
    }
    throw std::invalid_argument("checksum \"" + text.toStdString()
                                + "\": use sha256:<64 hex digits>, md5:<32 hex digits> or sha256-prefix:<hex>");
}

Checksum Checksum::fromTorchvisionName(const QString& fileName)
{
    static const QRegularExpression named(QStringLiteral("-([0-9a-f]{8,64})\\.(pth|pt)$"));
    const auto m = named.match(fileName);
    Checksum c;
    if (m.hasMatch()) {
        c.kind = Kind::Sha256Prefix;
        c.hex = m.captured(1);
    }
    return c;
}

QString Checksum::describe() const
{
    switch (kind) {
    case Kind::Sha256: return QStringLiteral("SHA-256 ") + hex;
    case Kind::Sha256Prefix: return QStringLiteral("SHA-256 starting ") + hex;
    case Kind::Md5: return QStringLiteral("MD5 ") + hex;
    case Kind::None: break;
    }
    return QStringLiteral("no checksum");
}

namespace {

void verify(const QString& file, const Checksum& c, const QString& url)
{
    if (c.kind == Checksum::Kind::None)
        return;
    const QString actual = QString::fromStdString(
        fileDigest(file.toStdString(), c.kind == Checksum::Kind::Md5 ? DigestAlgorithm::Md5 : DigestAlgorithm::Sha256));
    const bool ok = c.kind == Checksum::Kind::Sha256Prefix ? actual.startsWith(c.hex) : actual == c.hex;
    if (!ok) {
        QFile::remove(file);
        throw std::runtime_error(QStringLiteral("%1: checksum mismatch (expected %2, got %3); the download was discarded. "
                                                "Try again, or use another mirror.")
                                     .arg(url, c.describe(), actual)
                                     .toStdString());
    }
}

/// Where a transfer stands: the .part being written and what the reply's handlers update.
struct Transfer {
    Transfer(const QString& part, qint64 already) : out(part), already(already) {}
    QFile out;
    const qint64 already;  ///< bytes of a .part left by an earlier run (0: none)
    bool opened = false, cancelled = false, stalled = false, writeFailed = false;
    qint64 resumedFrom = 0, done = 0, total = -1;
    QElapsedTimer sinceData;
};

/// Makes the target's folder and drops an old .part unless resuming; returns the size of the
/// .part to resume from (0: none).
qint64 preparePart(const DownloadOptions& o, const QString& part)
{
    if (!QDir().mkpath(QFileInfo(o.target).absolutePath()))
        throw std::runtime_error(QFileInfo(o.target).absolutePath().toStdString() + ": cannot create the folder");
    if (!o.resume)
        QFile::remove(part);
    return QFileInfo(part).exists() ? QFileInfo(part).size() : 0;
}

/// The GET: safe redirects, our User-Agent, and a Range for the bytes already there.
QNetworkRequest makeRequest(const QUrl& url, qint64 already)
{
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setMaximumRedirectsAllowed(10);
    request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("DeepSVM-Studio/%1").arg(QStringLiteral(DEEPSVM_VERSION)));
    if (already > 0)
        request.setRawHeader("Range", "bytes=" + QByteArray::number(already) + "-");
    return request;
}

/// Opens the .part once the reply has a body to write: appended to if the server honoured the
/// Range (206), else started over.
void openOutput(Transfer& t, QNetworkReply& reply)
{
    if (t.opened)
        return;
    t.opened = true;
    const int status = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const qint64 length = reply.header(QNetworkRequest::ContentLengthHeader).toLongLong();
    if (status == 206 && t.already > 0) {
        t.resumedFrom = t.already;  // the server honours Range: append
        if (!t.out.open(QIODevice::Append))
            t.writeFailed = true;
    } else {
        if (!t.out.open(QIODevice::WriteOnly | QIODevice::Truncate))  // full body: start over
            t.writeFailed = true;
    }
    t.done = t.resumedFrom;
    t.total = length > 0 ? t.resumedFrom + length : -1;
}

/// Runs the reply to its end in a local event loop: body bytes go to the .part, progress is
/// asked every 100 ms (false cancels) and a stall aborts. Returns the HTTP status; the .part
/// is closed.
int runTransfer(QNetworkReply& reply, Transfer& t, const DownloadOptions& o,
                const std::function<bool(qint64, qint64)>& progress)
{
    t.sinceData.start();
    QEventLoop loop;
    QObject::connect(&reply, &QNetworkReply::readyRead, &loop, [&] {
        const int status = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status >= 300)
            return;  // an error page's body is never written
        openOutput(t, reply);
        const QByteArray chunk = reply.readAll();
        if (t.out.write(chunk) != chunk.size())
            t.writeFailed = true;
        t.done += chunk.size();
        t.sinceData.restart();
        if (t.writeFailed)
            reply.abort();
    });
    QObject::connect(&reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer poll;
    poll.setInterval(100);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (progress && !progress(t.done, t.total)) {
            t.cancelled = true;
            reply.abort();
        } else if (t.sinceData.elapsed() > o.stallTimeoutMs) {
            t.stalled = true;
            reply.abort();
        }
    });
    poll.start();
    if (!reply.isFinished())
        loop.exec();
    poll.stop();
    const int status = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (!t.opened && status < 300 && reply.error() == QNetworkReply::NoError)
        openOutput(t, reply);  // an empty body
    t.out.close();
    return status;
}

/// Throws DownloadCancelled (the .part removed) or std::runtime_error for a write failure, an
/// HTTP or network error, or a short transfer. A 416 on a resume means the .part was complete.
void checkTransfer(Transfer& t, QNetworkReply& reply, int status, const DownloadOptions& o, const QString& part,
                   const QString& url)
{
    bool rangeDone = false;
    if (t.cancelled) {
        QFile::remove(part);
        throw DownloadCancelled{};
    }
    if (t.writeFailed)
        throw std::runtime_error(part.toStdString() + ": cannot write (" + t.out.errorString().toStdString()
                                 + "); check the disk has space");
    if (status == 416 && t.already > 0) {
        rangeDone = true;  // asked for bytes past the end: the .part is already complete
        t.done = t.already;
    }
    if (!rangeDone && (reply.error() != QNetworkReply::NoError || status >= 400)) {
        const QString why = t.stalled ? QStringLiteral("no data for %1 s").arg(o.stallTimeoutMs / 1000)
                            : status >= 400 ? QStringLiteral("HTTP %1 %2").arg(status).arg(reply.attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString())
                                            : reply.errorString();
        if (status >= 400)
            QFile::remove(part);  // nothing to resume from an error page
        throw std::runtime_error(QStringLiteral("%1: %2%3")
                                     .arg(url, why,
                                          QFileInfo::exists(part) ? QStringLiteral("; run it again to resume from %1 bytes").arg(QFileInfo(part).size())
                                                                  : QString())
                                     .toStdString());
    }
    if (t.total > 0 && t.done != t.total) {
        throw std::runtime_error(QStringLiteral("%1: the transfer ended after %2 of %3 bytes; run it again to resume")
                                     .arg(url).arg(t.done).arg(t.total).toStdString());
    }
}

}  // namespace

QJsonObject downloadFile(const DownloadOptions& o, const std::function<bool(qint64, qint64)>& progress)
{
    const QString part = o.target + QStringLiteral(".part");
    const QString url = o.url.toString(QUrl::RemoveUserInfo);
    const qint64 already = preparePart(o, part);
    QElapsedTimer clock;
    clock.start();

    // Honour http_proxy / https_proxy / no_proxy like other programs on the system.
    static std::once_flag proxyOnce;
    std::call_once(proxyOnce, [] { QNetworkProxyFactory::setUseSystemConfiguration(true); });
    QNetworkAccessManager manager;
    const QNetworkRequest request = makeRequest(o.url, already);
    std::unique_ptr<QNetworkReply> reply(manager.get(request));

    Transfer t(part, already);
    const int status = runTransfer(*reply, t, o, progress);
    checkTransfer(t, *reply, status, o, part, url);
    if (progress)
        progress(t.done, t.done);
    verify(part, o.checksum, url);
    QFile::remove(o.target);
    if (!QFile::rename(part, o.target))
        throw std::runtime_error(o.target.toStdString() + ": cannot move the finished download into place");
    return QJsonObject{{QStringLiteral("path"), o.target},
                       {QStringLiteral("url"), url},
                       {QStringLiteral("bytes"), double(QFileInfo(o.target).size())},
                       {QStringLiteral("resumed_from"), double(t.resumedFrom)},
                       {QStringLiteral("sha256"), QString::fromStdString(sha256OfFile(o.target.toStdString()))},
                       {QStringLiteral("seconds"), double(clock.elapsed()) / 1000.0}};
}

}  // namespace deepsvm
