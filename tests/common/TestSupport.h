#pragma once

// Shared by the test suites: the reference Python, the project's paths, small helpers.
#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

#include "data/Image.h"

#include <vector>

namespace deepsvm::test {

inline QString sourceDir() { return QStringLiteral(DEEPSVM_SOURCE_DIR); }
inline QString deepsvmBinary() { return QStringLiteral(DEEPSVM_BINARY); }
/// Debian's interpreter, which has torch, torchvision and sklearn (the first python3 on PATH may not).
inline QString referencePython() { return QStringLiteral("/usr/bin/python3"); }
inline QString referenceScript() { return sourceDir() + QStringLiteral("/tests/python/torchvision_reference.py"); }

/// True if /usr/bin/python3 imports torch and torchvision.
bool referenceAvailable();

struct ProcessResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};
ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs = 600000);
/// Runs torchvision_reference.py with `args`; QFAILs the calling test on error.
ProcessResult runReference(const QStringList& args);

/// Writes images (all the same size) as a uint8 N x H x W x 3 .npy, for the reference scripts.
bool saveImagesNpy(const QString& path, const std::vector<RgbImage>& images);

/// n deterministic pseudo-random bytes (std::mt19937 seeded with `seed`).
QByteArray randomBytes(qint64 n, unsigned seed);

/// ../shared/data/cifar10-sample next to the checkout, or empty if absent.
QString cifarSampleDir();

}  // namespace deepsvm::test
