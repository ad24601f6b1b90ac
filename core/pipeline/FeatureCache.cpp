#include "pipeline/FeatureCache.h"

#include "io/Digest.h"
#include "nets/Backbones.h"

#include <QDir>
#include <QFileInfo>

namespace deepsvm {

QString featureCachePrefix(const QString& folder, const QString& datasetDir, const ExtractOptions& o)
{
    // Names as the cache key records them: ResNet's "penultimate" is "avgpool", and a resize of
    // 0 is the backbone's default, so every page and command that means the same finds it.
    const std::string layer = canonicalLayer(o.backbone, o.layer);
    const int resize = o.resize > 0 ? o.resize : defaultResize(o.backbone, o.size);
    const QString name = QStringLiteral("%1-%2-%3-%4-%5%6")
                             .arg(QFileInfo(datasetDir).fileName(), QString::fromStdString(o.backbone), QString::fromStdString(layer))
                             .arg(o.size)
                             .arg(QString::fromStdString(o.precision), o.weights == "random" ? QStringLiteral("-random") : QString())
                         + (resize != o.size ? QStringLiteral("-resize%1").arg(resize) : QString())
                         + (o.limit > 0 ? QStringLiteral("-first%1").arg(o.limit) : QString());
    // The name shows the settings people compare; the hash covers the rest (full dataset path,
    // weights file, normalisation), which would make names too long.
    const QByteArray identity = (QFileInfo(datasetDir).absoluteFilePath() + QLatin1Char('|') + QString::fromStdString(o.weights)
                                 + QLatin1Char('|') + QString::fromStdString(o.normalization))
                                    .toUtf8();
    const QString tag = QString::fromStdString(sha256Hex(identity.toStdString()).substr(0, 8));
    QString prefix = QDir::toNativeSeparators(folder + QLatin1Char('/') + name + QLatin1Char('-') + tag);
    // Several splits always get PREFIX.<split>; one split gets the same name, so the cache is shared.
    if (o.splits.size() == 1)
        prefix += QStringLiteral(".") + QString::fromStdString(o.splits.front());
    return prefix;
}

}  // namespace deepsvm
