#include "HttpFixture.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace deepsvm::test {

HttpFixture::HttpFixture(QObject* parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket* socket = m_server.nextPendingConnection()) {
            auto* buffer = new QByteArray;
            connect(socket, &QTcpSocket::disconnected, socket, [socket, buffer] {
                delete buffer;
                socket->deleteLater();
            });
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                buffer->append(socket->readAll());
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                const QByteArray request = buffer->left(end);
                buffer->remove(0, end + 4);
                serve(socket, request);
            });
        }
    });
}

bool HttpFixture::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QString HttpFixture::base() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort());
}

void HttpFixture::serve(QTcpSocket* socket, const QByteArray& request)
{
    const QList<QByteArray> lines = request.split('\n');
    const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
    const QString path = QString::fromLatin1(first.value(1));
    QByteArray range;
    for (const QByteArray& l : lines)
        if (l.toLower().startsWith("range:"))
            range = l.mid(6).trimmed();
    m_log << QStringLiteral("%1 %2 %3").arg(QString::fromLatin1(first.value(0)), path, QString::fromLatin1(range)).trimmed();
    const QString route = path.section(QLatin1Char('/'), 1, 1), name = path.section(QLatin1Char('/'), 2);
    auto send = [socket](const QByteArray& status, const QByteArray& headers, const QByteArray& body) {
        socket->write("HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: " + QByteArray::number(body.size())
                      + "\r\nConnection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
    };
    if (!m_files.contains(name) || !QStringList{QStringLiteral("files"), QStringLiteral("norange"), QStringLiteral("cut"),
                                                QStringLiteral("redirect"), QStringLiteral("slow")}.contains(route)) {
        send("404 Not Found", "Content-Type: text/plain\r\n", "no such file\n");
        return;
    }
    const QByteArray& body = m_files[name];
    if (route == QStringLiteral("redirect")) {
        send("302 Found", "Location: /files/" + name.toUtf8() + "\r\n", QByteArray());
        return;
    }
    if (route == QStringLiteral("slow")) {
        socket->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n");
        auto* timer = new QTimer(socket);
        auto sent = std::make_shared<qsizetype>(0);
        connect(timer, &QTimer::timeout, socket, [socket, timer, sent, body] {
            const QByteArray chunk = body.mid(*sent, 4096);
            *sent += chunk.size();
            socket->write(chunk);
            if (*sent >= body.size()) {
                timer->stop();
                socket->disconnectFromHost();
            }
        });
        timer->start(20);
        return;
    }
    if (route == QStringLiteral("cut") && m_cutCount[name]++ == 0) {
        // Promise the whole body, deliver half, hang up.
        socket->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n");
        socket->write(body.left(body.size() / 2));
        socket->flush();
        QPointer<QTcpSocket> guard(socket);
        QTimer::singleShot(50, socket, [guard] {
            if (guard)
                guard->abort();
        });
        return;
    }
    qint64 from = 0;
    if (route != QStringLiteral("norange") && range.startsWith("bytes=")) {
        from = range.mid(6, range.indexOf('-') - 6).toLongLong();
        if (from >= body.size()) {
            send("416 Range Not Satisfiable", "Content-Range: bytes */" + QByteArray::number(body.size()) + "\r\n", QByteArray());
            return;
        }
        send("206 Partial Content",
             "Content-Range: bytes " + QByteArray::number(from) + "-" + QByteArray::number(body.size() - 1) + "/"
                 + QByteArray::number(body.size()) + "\r\nAccept-Ranges: bytes\r\n",
             body.mid(from));
        return;
    }
    send("200 OK", route == QStringLiteral("norange") ? QByteArray() : QByteArray("Accept-Ranges: bytes\r\n"), body);
}

}  // namespace deepsvm::test
