#include "models/LazyThumbnails.h"

#include <QPointer>
#include <QRunnable>

namespace deepsvm {

LazyThumbnails::LazyThumbnails(QObject* parent) : QObject(parent)
{
    m_cache.setMaxCost(4000);  // ~4000 thumbnails of 96x96: ~110 MB at most
    m_pool.setMaxThreadCount(2);
}

LazyThumbnails::~LazyThumbnails()
{
    m_pool.clear();
    m_pool.waitForDone();
}

const QPixmap* LazyThumbnails::get(int row, const Decode& decode)
{
    if (const QPixmap* p = m_cache.object(row))
        return p;
    if (m_pending.contains(row))
        return nullptr;
    m_pending.insert(row);
    ++m_decodesStarted;
    const quint64 generation = m_generation;
    QPointer<LazyThumbnails> self(this);
    // Newest requests first: what the user scrolled to last is what they are looking at.
    m_pool.start(QRunnable::create([decode, generation, row, self] {
        const QImage thumb = decode();
        if (self)
            QMetaObject::invokeMethod(self.data(), [self, generation, row, thumb] {
                if (self) self->deliver(generation, row, thumb);
            }, Qt::QueuedConnection);
    }), m_pending.size());
    return nullptr;
}

void LazyThumbnails::clear()
{
    m_pool.clear();  // drop queued decodes of the old rows
    ++m_generation;
    m_cache.clear();
    m_pending.clear();
}

void LazyThumbnails::deliver(quint64 generation, int row, const QImage& image)
{
    if (generation != m_generation)
        return;
    m_pending.remove(row);
    m_cache.insert(row, new QPixmap(QPixmap::fromImage(image)), 1);
    Q_EMIT ready(row);
}

}  // namespace deepsvm
