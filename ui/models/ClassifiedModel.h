#pragma once

#include "pipeline/Classifier.h"

#include <QAbstractListModel>
#include <QHash>
#include <QImage>
#include <QStringList>

#include <map>
#include <vector>

namespace deepsvm {

class LazyThumbnails;

/// The Classify page's results: one row per file, classified (its top classes, scores and
/// distance from the training data) or refused (why). Holds the results, never all pixmaps:
/// thumbnails come from LazyThumbnails as the view scrolls, so 100,000 files fit. Rows are
/// only appended (in the order the files were given) or all cleared.
class ClassifiedModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        PathRole = Qt::UserRole,  ///< the file
        StatusRole,               ///< "classified" or "rejected"
        TopClassRole,             ///< the top class's name (classified rows)
        OverlayRole,              ///< the Grad-CAM overlay, if one is shown (QPixmap)
    };

    explicit ClassifiedModel(QObject* parent = nullptr);
    ~ClassifiedModel() override;

    /// Appends a result; its features are dropped (Similar images computes them again).
    void append(Classifier::Result result);
    /// Appends a refused file with the reason.
    void appendRejected(const QString& path, const QString& reason);
    void clear();

    const Classifier::Result& result(int row) const { return m_rows[std::size_t(row)]; }
    bool isClassified(int row) const { return m_rows[std::size_t(row)].error.empty(); }
    int classifiedCount() const { return m_classified; }
    int rejectedCount() const { return int(m_rows.size()) - m_classified; }
    /// Classified rows per top class, in class-name order.
    const std::map<QString, int>& perClass() const { return m_perClass; }
    /// Incremented by clear(): a task started before it must not touch the new rows.
    quint64 generation() const { return m_generation; }

    /// Shows (or with a null image removes) a Grad-CAM overlay instead of a row's thumbnail.
    void setOverlay(int row, const QImage& overlay);
    bool hasOverlay(int row) const { return m_overlays.contains(row); }

    /// Writes `deepsvm classify --csv`'s file of the classified rows. Throws IoError.
    void writeCsv(const QString& file, const std::vector<std::string>& classNames) const;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    LazyThumbnails* thumbnails() const { return m_thumbnails; }
    static constexpr int kThumbnail = 96;

private:
    std::vector<Classifier::Result> m_rows;
    int m_classified = 0;
    std::map<QString, int> m_perClass;
    QHash<int, QPixmap> m_overlays;
    LazyThumbnails* m_thumbnails;
    quint64 m_generation = 0;
};

}  // namespace deepsvm
