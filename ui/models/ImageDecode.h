#pragma once

#include <QImage>
#include <QObject>
#include <QString>

#include <functional>

namespace deepsvm {

/// Decodes one image off the GUI thread for a preview (the Data page's large view, the
/// Features page's hover pop-up) and hands it to `deliver` on `receiver`'s thread, unless
/// the receiver is gone by then. `decode` may throw: `deliver` gets the message instead.
/// The work runs on one small pool of its own, so a long task never delays a preview;
/// thumbnails have their own queue in ThumbnailModel (it drops stale requests on reset).
void decodeImageAsync(QObject* receiver, std::function<QImage()> decode,
                      std::function<void(const QImage& image, const QString& error)> deliver);

}  // namespace deepsvm
