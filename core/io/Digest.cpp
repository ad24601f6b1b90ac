#include "io/Digest.h"

#include "io/AtomicFile.h"

#include <QCryptographicHash>
#include <QFile>

namespace deepsvm {

std::string fileDigest(const std::string& path, DigestAlgorithm algorithm,
                       const std::function<void(int64_t, int64_t)>& progress, const CancelCheck& cancelled)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        throw IoError(path + ": cannot read (" + f.errorString().toStdString() + ")");
    QCryptographicHash hash(algorithm == DigestAlgorithm::Md5 ? QCryptographicHash::Md5 : QCryptographicHash::Sha256);
    const int64_t total = f.size();
    int64_t done = 0;
    while (!f.atEnd()) {
        throwIfCancelled(cancelled);
        const QByteArray chunk = f.read(1 << 22);
        if (chunk.isEmpty() && f.error() != QFileDevice::NoError)
            throw IoError(path + ": read error while hashing (" + f.errorString().toStdString() + ")");
        hash.addData(chunk);
        done += chunk.size();
        if (progress)
            progress(done, total);
    }
    return hash.result().toHex().toStdString();
}

std::string sha256Hex(const std::string& text)
{
    return QCryptographicHash::hash(QByteArray::fromStdString(text), QCryptographicHash::Sha256).toHex().toStdString();
}

}  // namespace deepsvm
