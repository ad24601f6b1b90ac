#pragma once

#include <QAbstractListModel>
#include <QCache>
#include <QPixmap>
#include <QSet>
#include <QStringList>
#include <QThreadPool>

#include <memory>
#include <vector>

namespace deepsvm {

class ImageSource;
struct RgbImage;

/// RGB8 pixels as a QImage (deep copy).
QImage toQImage(const RgbImage& image);

/// The images of one split (optionally a subset of indices) as a list of thumbnails. Holds
/// indices and labels, never all pixmaps: a thumbnail is decoded on a worker thread when the
/// view first asks for it, i.e. only for items near the viewport, and kept in a bounded cache,
/// so 100,000 images scroll with flat memory.
class ThumbnailModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { LabelRole = Qt::UserRole, ImageIndexRole, ImageIdRole };

    explicit ThumbnailModel(QObject* parent = nullptr);
    ~ThumbnailModel() override;

    /// Shows every image of `source`.
    void setSource(std::shared_ptr<const ImageSource> source, const QStringList& classNames);
    /// Shows only `indices` of `source` (possibly none).
    void setSubset(std::shared_ptr<const ImageSource> source, const QStringList& classNames, std::vector<qint64> indices);
    /// Text under each thumbnail instead of its class name (one per row; cleared by setSource
    /// and setSubset), e.g. "cat → dog" in the Label issues view.
    void setCaptions(QStringList captions);
    std::shared_ptr<const ImageSource> source() const { return m_source; }
    qint64 imageIndex(int row) const;
    void setThumbnailSize(int side);
    int thumbnailSize() const { return m_side; }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    /// Decoded thumbnails held right now (bounded) and decodes started so far (for tests).
    int cachedCount() const { return m_cache.count(); }
    int decodesStarted() const { return m_decodesStarted; }
    /// Waits for queued decodes (tests).
    void waitForDecodes() { m_pool.waitForDone(); }

Q_SIGNALS:
    void thumbnailReady(int row);

private:
    void reset(std::shared_ptr<const ImageSource> source, const QStringList& classNames, bool subset,
               std::vector<qint64> indices);
    void request(int row) const;
    void deliver(quint64 generation, int row, const QImage& image);

    std::shared_ptr<const ImageSource> m_source;
    QStringList m_classNames;
    QStringList m_captions;
    std::vector<qint64> m_indices;
    bool m_subset = false;  ///< false: every image, m_indices unused
    int m_side = 96;
    quint64 m_generation = 0;
    mutable QCache<int, QPixmap> m_cache;
    mutable QSet<int> m_pending;
    mutable int m_decodesStarted = 0;
    mutable QThreadPool m_pool;
};

}  // namespace deepsvm
