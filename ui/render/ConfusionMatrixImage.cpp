#include "render/ConfusionMatrixImage.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace deepsvm {

namespace {

struct Layout {
    QFont font;
    int left = 0, top = 0, cell = 8;
};

Layout layoutFor(const ConfusionMatrix& cm, const std::vector<std::string>& names, const QSizeF& size, QFont font)
{
    Layout l;
    const int k = std::max(cm.classes, 1);
    font.setPixelSize(std::clamp(int(size.height()) / (3 * k + 6), 9, 16));
    l.font = font;
    const QFontMetrics fm(font);
    int labelWidth = 0;
    for (const auto& n : names)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(QString::fromStdString(n)));
    l.top = fm.height() * 3;
    l.left = labelWidth + fm.height() * 2 + 8;
    l.cell = std::max(8, std::min((int(size.width()) - l.left - 10) / k, (int(size.height()) - l.top - labelWidth - 20) / k));
    return l;
}

}  // namespace

QPoint confusionCellAt(const ConfusionMatrix& cm, const std::vector<std::string>& names, const QSizeF& size,
                       const QFont& font, const QPointF& pos)
{
    const Layout l = layoutFor(cm, names, size, font);
    const int q = int(std::floor((pos.x() - l.left) / l.cell)), t = int(std::floor((pos.y() - l.top) / l.cell));
    if (pos.x() < l.left || pos.y() < l.top || q >= cm.classes || t >= cm.classes)
        return QPoint(-1, -1);
    return QPoint(q, t);
}

void paintConfusionMatrix(QPainter& p, const QSizeF& size, const ConfusionMatrix& cm,
                          const std::vector<std::string>& names, bool normalised, const QPoint& selected)
{
    p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
    const int k = cm.classes;
    const Layout l = layoutFor(cm, names, size, p.font());
    const int left = l.left, top = l.top, cell = l.cell;
    p.setFont(l.font);
    const QFontMetrics fm(l.font);
    p.setPen(Qt::black);
    p.drawText(QRectF(0, 0, size.width(), fm.height() * 2), Qt::AlignCenter,
               normalised ? QStringLiteral("Confusion matrix (row %)") : QStringLiteral("Confusion matrix (counts)"));
    int64_t maxCount = 1;
    for (int64_t c : cm.counts) maxCount = std::max(maxCount, c);
    for (int t = 0; t < k; ++t) {
        int64_t rowTotal = 0;
        for (int q = 0; q < k; ++q) rowTotal += cm.at(t, q);
        for (int q = 0; q < k; ++q) {
            const int64_t c = cm.at(t, q);
            const double share = normalised ? (rowTotal ? double(c) / double(rowTotal) : 0.0) : double(c) / double(maxCount);
            const QColor fill = QColor::fromRgbF(1.0 - 0.85 * share, 1.0 - 0.55 * share, 1.0 - 0.15 * share);
            const QRect r(left + q * cell, top + t * cell, cell, cell);
            p.fillRect(r, fill);
            p.setPen(QColor(220, 220, 220));
            p.drawRect(r);
            if (selected == QPoint(q, t)) {
                p.setPen(QPen(QColor(230, 120, 0), 3));
                p.drawRect(r.adjusted(1, 1, -1, -1));
            }
            p.setPen(share > 0.55 ? Qt::white : Qt::black);
            const QString text = normalised ? QString::number(100.0 * share, 'f', 0) : QString::number(c);
            if (fm.horizontalAdvance(text) < cell - 2)
                p.drawText(r, Qt::AlignCenter, text);
        }
        p.setPen(Qt::black);
        p.drawText(QRect(0, top + t * cell, left - 6, cell), Qt::AlignRight | Qt::AlignVCenter,
                   QString::fromStdString(names[std::size_t(t)]));
    }
    // Predicted-class labels, rotated under the columns.
    for (int q = 0; q < k; ++q) {
        p.save();
        p.translate(left + q * cell + cell / 2 + fm.ascent() / 2, top + k * cell + 6);
        p.rotate(90);
        p.drawText(0, 0, QString::fromStdString(names[std::size_t(q)]));
        p.restore();
    }
    p.save();
    p.translate(fm.height(), top + k * cell / 2);
    p.rotate(-90);
    p.drawText(QRect(-100, -fm.height(), 200, fm.height() * 2), Qt::AlignCenter, QStringLiteral("true class"));
    p.restore();
    p.drawText(QRect(left, top - fm.height() - 4, k * cell, fm.height()), Qt::AlignCenter, QStringLiteral("predicted class"));
}


QImage renderConfusionMatrix(const ConfusionMatrix& cm, const std::vector<std::string>& names, bool normalised,
                             const QSize& size, double dpr)
{
    QImage image(size * dpr, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(dpr);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    paintConfusionMatrix(p, QSizeF(size), cm, names, normalised);
    return image;
}

}  // namespace deepsvm
