#include "models/ThumbnailModel.h"

#include "data/Dataset.h"
#include "data/Image.h"
#include "models/LazyThumbnails.h"

#include <QColor>
#include <QPixmap>

namespace deepsvm {

QImage toQImage(const RgbImage& image)
{
    if (image.empty())
        return {};
    QImage view(image.pixels.data(), image.width, image.height, image.width * 3, QImage::Format_RGB888);
    return view.copy();
}

ThumbnailModel::ThumbnailModel(QObject* parent) : QAbstractListModel(parent), m_thumbnails(new LazyThumbnails(this))
{
    connect(m_thumbnails, &LazyThumbnails::ready, this, [this](int row) {
        const QModelIndex i = index(row);
        Q_EMIT dataChanged(i, i, {Qt::DecorationRole});
        Q_EMIT thumbnailReady(row);
    });
}

ThumbnailModel::~ThumbnailModel() = default;

int ThumbnailModel::cachedCount() const { return m_thumbnails->cachedCount(); }
int ThumbnailModel::decodesStarted() const { return m_thumbnails->decodesStarted(); }
void ThumbnailModel::waitForDecodes() { m_thumbnails->waitForDecodes(); }

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
    m_thumbnails->clear();
    m_source = std::move(source);
    m_classNames = classNames;
    m_captions.clear();
    m_indices = std::move(indices);
    m_subset = subset;
    endResetModel();
}

void ThumbnailModel::setThumbnailSize(int side)
{
    beginResetModel();
    m_thumbnails->clear();
    m_side = side;
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
    case Qt::DecorationRole: {
        const std::shared_ptr<const ImageSource> source = m_source;
        const int side = m_side;
        const QPixmap* p = m_thumbnails->get(index.row(), [source, image, side] {
            try {
                return toQImage(source->load(image)).scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            } catch (const std::exception&) {
                QImage failed(side, side, QImage::Format_RGB32);
                failed.fill(QColor(200, 60, 60));
                return failed;
            }
        });
        return p ? QVariant(*p) : QVariant();
    }
    case Qt::SizeHintRole:
        return QSize(m_side + 12, m_side + 26);
    default:
        return {};
    }
}

}  // namespace deepsvm
