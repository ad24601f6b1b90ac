#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <random>

namespace deepsvm::test {

bool referenceAvailable()
{
    static const int ok = [] {
        const ProcessResult r = runProcess(referencePython(), {QStringLiteral("-c"),
                                                               QStringLiteral("import torch, torchvision")}, 120000);
        return r.exitCode == 0 ? 1 : 0;
    }();
    return ok == 1;
}

ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess p;
    p.start(program, args);
    ProcessResult r;
    if (!p.waitForStarted(30000)) {
        r.err = "cannot start " + program.toUtf8();
        return r;
    }
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out: " + program.toUtf8();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

ProcessResult runReference(const QStringList& args)
{
    return runProcess(referencePython(), QStringList{referenceScript()} + args);
}

QString cifarSampleDir()
{
    const QString dir = QDir(sourceDir() + QStringLiteral("/../shared/data/cifar10-sample")).absolutePath();
    return QFileInfo(dir).isDir() ? dir : QString();
}

bool saveImagesNpy(const QString& path, const std::vector<RgbImage>& images)
{
    // uint8 N x H x W x 3, written as a raw .npy by hand (our writer does float32/int64).
    if (images.empty())
        return false;
    const RgbImage& f = images.front();
    std::string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(images.size()) + ", "
        + std::to_string(f.height) + ", " + std::to_string(f.width) + ", 3), }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return false;
    out.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {char(header.size() & 0xFF), char(header.size() >> 8)};
    out.write(len, 2);
    out.write(header.data(), qint64(header.size()));
    for (const auto& img : images)
        out.write(reinterpret_cast<const char*>(img.pixels.data()), qint64(img.pixels.size()));
    return out.error() == QFile::NoError;
}

QByteArray randomBytes(qint64 n, unsigned seed)
{
    std::mt19937 rng(seed);
    QByteArray b(n, Qt::Uninitialized);
    for (qint64 i = 0; i < n; ++i)
        b[i] = char(rng() & 0xFF);
    return b;
}

}  // namespace deepsvm::test
