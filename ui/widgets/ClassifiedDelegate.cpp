#include "widgets/ClassifiedDelegate.h"

#include "models/ClassifiedModel.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionProgressBar>

#include <algorithm>

namespace deepsvm {

namespace {
constexpr int kMargin = 6;
constexpr int kThumbBox = ClassifiedModel::kThumbnail + 4;
constexpr int kNameWidth = 120;
}  // namespace

ClassifiedDelegate::ClassifiedDelegate(const ClassifiedModel* model, QObject* parent)
    : QStyledItemDelegate(parent), m_model(model)
{
}

QSize ClassifiedDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    const int width = std::max(option.rect.width(), 400);
    if (!m_model->isClassified(index.row()))
        return QSize(width, kLine + 2 * kMargin);
    const Classifier::Result& r = m_model->result(index.row());
    const int text = kLine * (1 + int(r.top.size()) + (r.farFromTraining ? 1 : 0));
    return QSize(width, std::max(kThumbBox, text) + 2 * kMargin);
}

void ClassifiedDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyle* style = option.widget ? option.widget->style() : QApplication::style();
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    background.icon = QIcon();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, option.widget);
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette::ColorRole textRole = selected ? QPalette::HighlightedText : QPalette::Text;
    const QRect area = option.rect.adjusted(kMargin, kMargin, -kMargin, -kMargin);
    painter->save();
    painter->setPen(option.palette.color(textRole));

    if (!m_model->isClassified(index.row())) {
        const QIcon icon = qvariant_cast<QIcon>(index.data(Qt::DecorationRole));
        icon.paint(painter, QRect(area.left(), area.top() + 1, 16, 16));
        painter->drawText(area.adjusted(22, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter,
                          option.fontMetrics.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideMiddle, area.width() - 22));
        painter->restore();
        return;
    }
    const Classifier::Result& r = m_model->result(index.row());
    // The thumbnail, centred in its box; a frame while it is being decoded.
    const QRect box(area.left(), area.top(), kThumbBox, kThumbBox);
    const QPixmap thumb = qvariant_cast<QPixmap>(index.data(Qt::DecorationRole));
    if (!thumb.isNull()) {
        const QSize s = thumb.deviceIndependentSize().toSize();
        painter->drawPixmap(QRect(box.center() - QPoint(s.width() / 2, s.height() / 2), s), thumb);
    } else {
        painter->setPen(option.palette.color(QPalette::Mid));
        painter->drawRect(box.adjusted(2, 2, -3, -3));
        painter->setPen(option.palette.color(textRole));
    }
    const int left = box.right() + 2 * kMargin;
    const int width = area.right() - left;
    int y = area.top();
    QFont bold = option.font;
    bold.setBold(true);
    painter->setFont(bold);
    painter->drawText(QRect(left, y, width, kLine), Qt::AlignLeft | Qt::AlignVCenter,
                      QFontMetrics(bold).elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideMiddle, width));
    painter->setFont(option.font);
    y += kLine;
    for (const Classifier::Ranked& ranked : r.top) {
        painter->drawText(QRect(left, y, kNameWidth - 6, kLine), Qt::AlignLeft | Qt::AlignVCenter,
                          option.fontMetrics.elidedText(QString::fromStdString(ranked.name), Qt::ElideRight, kNameWidth - 6));
        QStyleOptionProgressBar bar;
        bar.rect = QRect(left + kNameWidth, y + (kLine - kBarHeight) / 2, std::clamp(width - kNameWidth, 60, 420), kBarHeight);
        bar.minimum = 0;
        bar.maximum = 1000;
        bar.progress = int(std::clamp(ranked.probability, 0.0, 1.0) * 1000);
        bar.text = QStringLiteral("%1%").arg(100 * ranked.probability, 0, 'f', 1);
        bar.textVisible = true;
        bar.state = QStyle::State_Enabled | QStyle::State_Horizontal;
        bar.palette = option.palette;
        bar.fontMetrics = option.fontMetrics;
        style->drawControl(QStyle::CE_ProgressBar, &bar, painter, option.widget);
        y += kLine;
    }
    if (r.farFromTraining) {
        painter->setPen(QColor(0xb4, 0x53, 0x09));
        painter->drawText(QRect(left, y, width, kLine), Qt::AlignLeft | Qt::AlignVCenter,
                          option.fontMetrics.elidedText(tr("⚠ This image looks unlike the training images (distance %1): "
                                                           "treat the answer with care.").arg(r.distance, 0, 'f', 1),
                                                        Qt::ElideRight, width));
    }
    painter->restore();
}

}  // namespace deepsvm
