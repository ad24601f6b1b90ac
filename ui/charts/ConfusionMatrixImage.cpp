#include "charts/ConfusionMatrixImage.h"

#include <QFontMetrics>
#include <QPainter>

#include <algorithm>

namespace deepsvm {

QImage renderConfusionMatrix(const ConfusionMatrix& cm, const std::vector<std::string>& names, bool normalised,
                             const QSize& size, double dpr)
{
    QImage image(size * dpr, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(dpr);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    const int k = cm.classes;
    QFont font = p.font();
    font.setPixelSize(std::clamp(size.height() / (3 * std::max(k, 1) + 6), 9, 16));
    p.setFont(font);
    const QFontMetrics fm(font);
    int labelWidth = 0;
    for (const auto& n : names)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(QString::fromStdString(n)));
    const int top = fm.height() * 3, left = labelWidth + fm.height() * 2 + 8;
    const int cell = std::max(8, std::min((size.width() - left - 10) / std::max(k, 1),
                                          (size.height() - top - labelWidth - 20) / std::max(k, 1)));
    p.drawText(QRect(0, 0, size.width(), fm.height() * 2), Qt::AlignCenter,
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
    return image;
}

}  // namespace deepsvm
