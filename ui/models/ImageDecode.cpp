#include "models/ImageDecode.h"

#include <QMetaObject>
#include <QPointer>
#include <QThreadPool>

#include <exception>

namespace deepsvm {

namespace {

QThreadPool& previewPool()
{
    static QThreadPool* pool = [] {
        auto* p = new QThreadPool;  // lives as long as the program: previews may be queued at exit
        p->setMaxThreadCount(2);
        return p;
    }();
    return *pool;
}

}  // namespace

void decodeImageAsync(QObject* receiver, std::function<QImage()> decode,
                      std::function<void(const QImage& image, const QString& error)> deliver)
{
    QPointer<QObject> guard(receiver);
    previewPool().start([guard, decode = std::move(decode), deliver = std::move(deliver)] {
        QImage image;
        QString error;
        try {
            image = decode();
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        if (!guard)
            return;
        QMetaObject::invokeMethod(guard.data(), [guard, deliver, image, error] {
            if (guard)
                deliver(image, error);
        }, Qt::QueuedConnection);
    });
}

}  // namespace deepsvm
