#pragma once

#include <QCache>
#include <QImage>
#include <QObject>
#include <QPixmap>
#include <QSet>
#include <QThreadPool>

#include <functional>

namespace deepsvm {

/// Thumbnails decoded on worker threads only when a view asks for them (i.e. for the items
/// near its viewport), newest request first, and kept in a bounded cache, so a list of
/// 100,000 images scrolls with flat memory. Rows are the owning model's.
class LazyThumbnails final : public QObject {
    Q_OBJECT
public:
    /// Runs on a worker thread; returns the thumbnail (an empty image for one that failed).
    using Decode = std::function<QImage()>;

    explicit LazyThumbnails(QObject* parent = nullptr);
    ~LazyThumbnails() override;

    /// The thumbnail of `row` if it is decoded; otherwise starts `decode` (once per row) and
    /// returns nullptr. ready(row) follows when it is.
    const QPixmap* get(int row, const Decode& decode);
    /// Forgets every thumbnail and drops queued decodes (the rows mean other images now).
    void clear();

    int cachedCount() const { return m_cache.count(); }
    int decodesStarted() const { return m_decodesStarted; }
    /// Waits for queued decodes (tests).
    void waitForDecodes() { m_pool.waitForDone(); }

Q_SIGNALS:
    void ready(int row);

private:
    void deliver(quint64 generation, int row, const QImage& image);

    quint64 m_generation = 0;
    QCache<int, QPixmap> m_cache;
    QSet<int> m_pending;
    int m_decodesStarted = 0;
    QThreadPool m_pool;
};

}  // namespace deepsvm
