#include "TestSupport.h"

#include <QDir>
#include <QFileInfo>

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

}  // namespace deepsvm::test
