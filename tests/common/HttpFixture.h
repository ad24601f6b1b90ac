#pragma once

// A small HTTP/1.1 server on 127.0.0.1 for download tests: serves in-memory files with Range
// support, and misbehaves on request (cut transfers, no Range, redirects, slow trickle, 404).
#include <QByteArray>
#include <QMap>
#include <QObject>
#include <QStringList>
#include <QTcpServer>

namespace deepsvm::test {

class HttpFixture : public QObject {
    Q_OBJECT
public:
    explicit HttpFixture(QObject* parent = nullptr);
    bool listen();
    /// http://127.0.0.1:PORT
    QString base() const;
    /// Routes: /files/NAME (Range honoured), /norange/NAME (Range ignored), /cut/NAME (the first
    /// request sends half the body and closes), /redirect/NAME (302 to /files/NAME),
    /// /slow/NAME (4 KiB every 20 ms); anything else is 404.
    void addFile(const QString& name, const QByteArray& bytes) { m_files[name] = bytes; }
    /// Every request line and its Range header ("GET /files/a bytes=10-").
    QStringList log() const { return m_log; }

private:
    void serve(QTcpSocket* socket, const QByteArray& request);

    QTcpServer m_server;
    QMap<QString, QByteArray> m_files;
    QMap<QString, int> m_cutCount;
    QStringList m_log;
};

}  // namespace deepsvm::test
