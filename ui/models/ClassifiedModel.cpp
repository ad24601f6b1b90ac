#include "models/ClassifiedModel.h"

#include "data/Image.h"
#include "models/LazyThumbnails.h"
#include "models/ThumbnailModel.h"

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QPixmap>
#include <QStyle>

namespace deepsvm {

ClassifiedModel::ClassifiedModel(QObject* parent) : QAbstractListModel(parent), m_thumbnails(new LazyThumbnails(this))
{
    connect(m_thumbnails, &LazyThumbnails::ready, this, [this](int row) {
        const QModelIndex i = index(row);
        Q_EMIT dataChanged(i, i, {Qt::DecorationRole});
    });
}

ClassifiedModel::~ClassifiedModel() = default;

void ClassifiedModel::append(Classifier::Result result)
{
    result.features.clear();
    result.features.shrink_to_fit();
    const int row = int(m_rows.size());
    beginInsertRows(QModelIndex(), row, row);
    if (result.error.empty()) {
        ++m_classified;
        if (!result.top.empty())
            ++m_perClass[QString::fromStdString(result.top.front().name)];
    }
    m_rows.push_back(std::move(result));
    endInsertRows();
}

void ClassifiedModel::appendRejected(const QString& path, const QString& reason)
{
    Classifier::Result r;
    r.path = QDir::toNativeSeparators(path).toStdString();
    r.error = reason.isEmpty() ? std::string("not classified") : reason.toStdString();
    append(std::move(r));
}

void ClassifiedModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_classified = 0;
    m_perClass.clear();
    m_overlays.clear();
    m_thumbnails->clear();
    ++m_generation;
    endResetModel();
}

void ClassifiedModel::setOverlay(int row, const QImage& overlay)
{
    if (row < 0 || row >= rowCount())
        return;
    if (overlay.isNull())
        m_overlays.remove(row);
    else
        m_overlays.insert(row, QPixmap::fromImage(overlay));
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i, {Qt::DecorationRole, OverlayRole});
}

void ClassifiedModel::writeCsv(const QString& file, const std::vector<std::string>& classNames) const
{
    writeClassificationCsv(QDir::toNativeSeparators(file).toStdString(), m_rows, classNames);
}

int ClassifiedModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ClassifiedModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Classifier::Result& r = m_rows[std::size_t(index.row())];
    const QString path = QString::fromStdString(r.path);
    const bool classified = r.error.empty();
    const QString top = classified && !r.top.empty() ? QString::fromStdString(r.top.front().name) : QString();
    switch (role) {
    case Qt::DisplayRole:
        return classified ? tr("%1 → %2").arg(QFileInfo(path).fileName(), top)
                          : tr("%1 — not classified: %2").arg(QFileInfo(path).fileName(), QString::fromStdString(r.error));
    case Qt::ToolTipRole:
        return path;
    case PathRole:
        return path;
    case StatusRole:
        return classified ? QStringLiteral("classified") : QStringLiteral("rejected");
    case TopClassRole:
        return top;
    case OverlayRole:
        return m_overlays.contains(index.row()) ? QVariant(m_overlays.value(index.row())) : QVariant();
    case Qt::DecorationRole: {
        if (!classified)
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        if (m_overlays.contains(index.row()))
            return m_overlays.value(index.row());
        const std::string file = r.path;
        const QPixmap* p = m_thumbnails->get(index.row(), [file] {
            try {
                return toQImage(loadImageFile(file)).scaled(kThumbnail, kThumbnail, Qt::KeepAspectRatio,
                                                            Qt::SmoothTransformation);
            } catch (const std::exception&) {
                return QImage();
            }
        });
        return p ? QVariant(*p) : QVariant();
    }
    default:
        return {};
    }
}

}  // namespace deepsvm
