#pragma once

#include <QSize>
#include <QJsonObject>
#include <QString>

#include <vector>

class QPainter;

namespace deepsvm {

/// One candidate of the backbone board as its chart draws it.
struct BoardBar {
    QString backbone;          ///< "convnext_tiny"
    QString layer;             ///< "penultimate"
    double cvMean = 0;         ///< the best grid point's mean CV accuracy
    double cvStd = 0;          ///< its population std over the folds
    std::vector<double> folds; ///< each fold's accuracy (drawn as dots)
    double featureDim = 0;
    double imagesPerSecond = 0;
    double imagenetTop1 = 0;   ///< percent; NaN when the weights are not torchvision's
    bool best = false;
};

/// A bar from a row of board.json (BoardRow::toJson).
BoardBar boardBarFromJson(const QJsonObject& row, bool best);

/// The board's chart drawn with QPainter alone: per candidate a bar of its CV accuracy with a
/// whisker of +- one std and a dot per fold, the best bar highlighted, and under each its
/// feature size, extraction speed and ImageNet top-1. Used by the Backbones page and by
/// `deepsvm compare-backbones` for board.png.
void paintBoardChart(QPainter& painter, const QSizeF& size, const std::vector<BoardBar>& bars);

/// The picture size writeBoardChart uses: wider with more candidates.
QSize boardChartSize(std::size_t candidates);

/// Writes the chart as PNG or PDF (from the suffix). Returns false if it cannot write.
bool writeBoardChart(const std::vector<BoardBar>& bars, const QString& path);

}  // namespace deepsvm
