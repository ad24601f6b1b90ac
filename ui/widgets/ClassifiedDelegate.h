#pragma once

#include <QStyledItemDelegate>

namespace deepsvm {

class ClassifiedModel;

/// Draws a ClassifiedModel row: the thumbnail (or its Grad-CAM overlay), "file → top class",
/// a bar per ranked class with its probability, and a warning when the image looks unlike the
/// training images; a refused file as one line with the reason. Nothing is a widget, so a
/// list of 100,000 rows costs what the visible ones do.
class ClassifiedDelegate final : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit ClassifiedDelegate(const ClassifiedModel* model, QObject* parent = nullptr);

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

    static constexpr int kBarHeight = 14;
    static constexpr int kLine = 18;

private:
    const ClassifiedModel* m_model;
};

}  // namespace deepsvm
