#include "models/ThumbnailModel.h"

#include "data/Dataset.h"
#include "data/Image.h"

#include <QPainter>
#include <QPointer>
#include <QRunnable>

namespace deepsvm {

QImage toQImage(const RgbImage& image)
{
    if (image.empty())
        return {};
    QImage view(image.pixels.data(), image.width, image.height, image.width * 3, QImage::Format_RGB888);
    return view.copy();
}

ThumbnailModel::ThumbnailModel(QObject* parent) : QAbstractListModel(parent)
{
    m_cache.setMaxCost(4000);  // ~4000 thumbnails of 96x96: ~110 MB at most
    m_pool.setMaxThreadCount(2);
}

ThumbnailModel::~ThumbnailModel()
{
    m_pool.clear();
    m_pool.waitForDone();
}

void ThumbnailModel::setSource(std::shared_ptr<const ImageSource> source, const QStringList& classNames)
{
    reset(std::move(source), classNames, false, {});
}

void ThumbnailModel::setSubset(std::shared_ptr<const ImageSource> source, const QStringList& classNames,
                               std::vector<qint64> indices)
{
    reset(std::move(source), classNames, true, std::move(indices));
}

void ThumbnailModel::reset(std::shared_ptr<const ImageSource> source, const QStringList& classNames, bool subset,
                           std::vector<qint64> indices)
{
    beginResetModel();
    m_pool.clear();  // drop queued decodes of the old list
    ++m_generation;
    m_source = std::move(source);
    m_classNames = classNames;
    m_captions.clear();
    m_indices = std::move(indices);
    m_subset = subset;
    m_cache.clear();
    m_pending.clear();
    endResetModel();
}

void ThumbnailModel::setThumbnailSize(int side)
{
    beginResetModel();
    ++m_generation;
    m_side = side;
    m_cache.clear();
    m_pending.clear();
    endResetModel();
}

qint64 ThumbnailModel::imageIndex(int row) const
{
    if (row < 0 || row >= rowCount())
        return -1;
    return m_subset ? m_indices[std::size_t(row)] : qint64(row);
}

int ThumbnailModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_source)
        return 0;
    return int(m_subset ? qint64(m_indices.size()) : m_source->size());
}

void ThumbnailModel::setCaptions(QStringList captions)
{
    m_captions = std::move(captions);
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0), index(rowCount() - 1), {Qt::DisplayRole});
}

QVariant ThumbnailModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const qint64 image = imageIndex(index.row());
    const int label = m_source->label(image);
    switch (role) {
    case Qt::DisplayRole:
    case LabelRole:
        if (role == LabelRole)
            return label;
        if (index.row() < m_captions.size())
            return m_captions[index.row()];
        return label >= 0 && label < m_classNames.size() ? m_classNames[label] : QStringLiteral("#%1").arg(image);
    case Qt::ToolTipRole:
        return QStringLiteral("%1\n%2").arg(QString::fromStdString(m_source->id(image)),
                                            label >= 0 && label < m_classNames.size() ? m_classNames[label] : tr("unlabeled"));
    case ImageIndexRole:
        return image;
    case ImageIdRole:
        return QString::fromStdString(m_source->id(image));
    case Qt::DecorationRole:
        if (QPixmap* p = m_cache.object(index.row()))
            return *p;
        request(index.row());
        return {};
    case Qt::SizeHintRole:
        return QSize(m_side + 12, m_side + 26);
    default:
        return {};
    }
}

void ThumbnailModel::request(int row) const
{
    if (m_pending.contains(row))
        return;
    m_pending.insert(row);
    ++m_decodesStarted;
    const std::shared_ptr<const ImageSource> source = m_source;
    const qint64 image = imageIndex(row);
    const quint64 generation = m_generation;
    const int side = m_side;
    QPointer<ThumbnailModel> self(const_cast<ThumbnailModel*>(this));
    // Newest requests first: what the user scrolled to last is what they are looking at.
    m_pool.start(QRunnable::create([source, image, generation, side, row, self] {
        QImage thumb;
        try {
            thumb = toQImage(source->load(image)).scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        } catch (const std::exception&) {
            thumb = QImage(side, side, QImage::Format_RGB32);
            thumb.fill(QColor(200, 60, 60));
        }
        if (self)
            QMetaObject::invokeMethod(self.data(), [self, generation, row, thumb] {
                if (self) self->deliver(generation, row, thumb);
            }, Qt::QueuedConnection);
    }), m_pending.size());
}

void ThumbnailModel::deliver(quint64 generation, int row, const QImage& image)
{
    if (generation != m_generation)
        return;
    m_pending.remove(row);
    m_cache.insert(row, new QPixmap(QPixmap::fromImage(image)), 1);
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i, {Qt::DecorationRole});
    Q_EMIT thumbnailReady(row);
}

}  // namespace deepsvm
