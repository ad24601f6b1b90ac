#pragma once

#include <QAbstractListModel>
#include <QStringList>

#include <memory>
#include <vector>

namespace deepsvm {

class ImageSource;
class LazyThumbnails;
struct RgbImage;

/// RGB8 pixels as a QImage (deep copy).
QImage toQImage(const RgbImage& image);

/// The images of one split (optionally a subset of indices) as a list of thumbnails. Holds
/// indices and labels, never all pixmaps: thumbnails come from LazyThumbnails, so 100,000
/// images scroll with flat memory.
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
    int cachedCount() const;
    int decodesStarted() const;
    /// Waits for queued decodes (tests).
    void waitForDecodes();

Q_SIGNALS:
    void thumbnailReady(int row);

private:
    void reset(std::shared_ptr<const ImageSource> source, const QStringList& classNames, bool subset,
               std::vector<qint64> indices);

    std::shared_ptr<const ImageSource> m_source;
    QStringList m_classNames;
    QStringList m_captions;
    std::vector<qint64> m_indices;
    bool m_subset = false;  ///< false: every image, m_indices unused
    int m_side = 96;
    LazyThumbnails* m_thumbnails;
};

}  // namespace deepsvm
