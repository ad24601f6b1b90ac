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

}  // namespace

QJsonObject downloadFile(const DownloadOptions& o, const std::function<bool(qint64, qint64)>& progress)
{
    const QString part = o.target + QStringLiteral(".part");
    const QString url = o.url.toString(QUrl::RemoveUserInfo);
    if (!QDir().mkpath(QFileInfo(o.target).absolutePath()))
        throw std::runtime_error(QFileInfo(o.target).absolutePath().toStdString() + ": cannot create the folder");
    if (!o.resume)
        QFile::remove(part);
    const qint64 already = QFileInfo(part).exists() ? QFileInfo(part).size() : 0;
    QElapsedTimer clock;
    clock.start();

    // Honour http_proxy / https_proxy / no_proxy like other programs on the system.
    static std::once_flag proxyOnce;
    std::call_once(proxyOnce, [] { QNetworkProxyFactory::setUseSystemConfiguration(true); });
    QNetworkAccessManager manager;
    QNetworkRequest request(o.url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setMaximumRedirectsAllowed(10);
    request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("DeepSVM-Studio/%1").arg(QStringLiteral(DEEPSVM_VERSION)));
    if (already > 0)
        request.setRawHeader("Range", "bytes=" + QByteArray::number(already) + "-");
    std::unique_ptr<QNetworkReply> reply(manager.get(request));

    QFile out(part);
    bool opened = false, cancelled = false, stalled = false, writeFailed = false, rangeDone = false;
    qint64 resumedFrom = 0, done = 0, total = -1;
    QElapsedTimer sinceData;
    sinceData.start();
    QEventLoop loop;
    auto openOutput = [&] {
        if (opened)
            return;
        opened = true;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (status == 206 && already > 0) {
            resumedFrom = already;  // the server honours Range: append
            if (!out.open(QIODevice::Append))
                writeFailed = true;
        } else {
            if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))  // full body: start over
                writeFailed = true;
        }
        done = resumedFrom;
        total = length > 0 ? resumedFrom + length : -1;
    };
    QObject::connect(reply.get(), &QNetworkReply::readyRead, &loop, [&] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status >= 300)
            return;  // an error page's body is never written
        openOutput();
        const QByteArray chunk = reply->readAll();
        if (out.write(chunk) != chunk.size())
            writeFailed = true;
        done += chunk.size();
        sinceData.restart();
        if (writeFailed)
            reply->abort();
    });
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer poll;
    poll.setInterval(100);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (progress && !progress(done, total)) {
            cancelled = true;
            reply->abort();
        } else if (sinceData.elapsed() > o.stallTimeoutMs) {
            stalled = true;
            reply->abort();
        }
    });
    poll.start();
    if (!reply->isFinished())
        loop.exec();
    poll.stop();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (!opened && status < 300 && reply->error() == QNetworkReply::NoError)
        openOutput();  // an empty body
    out.close();

    if (cancelled) {
        QFile::remove(part);
        throw DownloadCancelled{};
    }
    if (writeFailed)
        throw std::runtime_error(part.toStdString() + ": cannot write (" + out.errorString().toStdString()
                                 + "); check the disk has space");
    if (status == 416 && already > 0) {
        rangeDone = true;  // asked for bytes past the end: the .part is already complete
        done = already;
    }
    if (!rangeDone && (reply->error() != QNetworkReply::NoError || status >= 400)) {
        const QString why = stalled ? QStringLiteral("no data for %1 s").arg(o.stallTimeoutMs / 1000)
                            : status >= 400 ? QStringLiteral("HTTP %1 %2").arg(status).arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString())
                                            : reply->errorString();
        if (status >= 400)
            QFile::remove(part);  // nothing to resume from an error page
        throw std::runtime_error(QStringLiteral("%1: %2%3")
                                     .arg(url, why,
                                          QFileInfo::exists(part) ? QStringLiteral("; run it again to resume from %1 bytes").arg(QFileInfo(part).size())
                                                                  : QString())
                                     .toStdString());
    }
    if (total > 0 && done != total) {
        throw std::runtime_error(QStringLiteral("%1: the transfer ended after %2 of %3 bytes; run it again to resume")
                                     .arg(url).arg(done).arg(total).toStdString());
    }
    if (progress)
        progress(done, done);
    verify(part, o.checksum, url);
    QFile::remove(o.target);
    if (!QFile::rename(part, o.target))
        throw std::runtime_error(o.target.toStdString() + ": cannot move the finished download into place");
    return QJsonObject{{QStringLiteral("path"), o.target},
                       {QStringLiteral("url"), url},
                       {QStringLiteral("bytes"), double(QFileInfo(o.target).size())},
                       {QStringLiteral("resumed_from"), double(resumedFrom)},
                       {QStringLiteral("sha256"), QString::fromStdString(sha256OfFile(o.target.toStdString()))},
                       {QStringLiteral("seconds"), double(clock.elapsed()) / 1000.0}};
}

}  // namespace deepsvm
