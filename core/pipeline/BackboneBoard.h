#pragma once

#include "features/ExtractTask.h"
#include "svm/SvmTask.h"

#include <QJsonObject>
#include <QMetaType>

#include <string>
#include <vector>

namespace deepsvm {

/// One network (and layer) the board compares.
struct BoardCandidate {
    std::string backbone;
    std::string layer = "penultimate";
    std::string weights = "random";  ///< .pth / TorchScript file, or "random"
};

/// `deepsvm compare-backbones` and the Backbones page: per candidate, extract the training split
/// (cached under cacheDir with featureCachePrefix's names, so the Features page finds it again),
/// cross-validate the SVM's grid on it, and compare.
struct BoardOptions {
    /// The common extraction settings (data, precision, batch size, limit, seed). size 0: each
    /// backbone's defaultCrop; resize 0: its defaultResize. backbone, layer, weights, splits and
    /// outPrefix are set per candidate.
    ExtractOptions extract{};
    std::vector<BoardCandidate> candidates;
    /// The grid and folds (defaultBoardSvm()); prefixes and outDir are set per candidate.
    SvmOptions svm = defaultBoardSvm();
    std::string cacheDir;  ///< the feature cache folder
    std::string outDir;    ///< board.csv, board.json and one SVM report folder per candidate

    /// The board's small default grid: linear and rbf, C {0.1, 1, 10}, gamma "scale", 5 folds,
    /// accuracy, no probability refit, no out-of-fold predictions.
    static SvmOptions defaultBoardSvm();
};

/// One candidate's outcome (a row of board.csv).
struct BoardRow {
    BoardCandidate candidate;
    std::string weightsTag;     ///< "IMAGENET1K_V1" when the file is torchvision's; "" otherwise
    double imagenetTop1 = 0;    ///< that file's ImageNet top-1 (percent) from the weights metadata; NaN if none
    int size = 0, resize = 0;   ///< the crop and the resize used
    int64_t rows = 0, featureDim = 0;
    double extractSeconds = 0;
    double imagesPerSecond = 0; ///< of the extraction that wrote the features (recorded in the cache)
    bool reused = false;        ///< the features came from the cache
    double cvMean = 0, cvStd = 0;   ///< the best grid point's fold accuracies: mean, population std
    std::vector<double> cvFolds;
    QJsonObject best;           ///< the best grid point (report.json's "best")
    double svmSeconds = 0;
    std::string featuresPrefix;
    std::string reportDir;

    QJsonObject toJson() const;
};

/// The board as board.json holds it: rows, the index of the best (highest CV accuracy, first on
/// ties; -1 when empty) and the settings.
struct BoardResult {
    std::vector<BoardRow> rows;
    int best = -1;
    QJsonObject toJson(const BoardOptions& options) const;
};

/// The index of the row with the highest CV mean (the first on ties); -1 for none.
int bestBoardRow(const std::vector<BoardRow>& rows);

/// Writes DIR/board.csv and DIR/board.json atomically. Throws IoError naming the file.
void writeBoard(const std::string& dir, const BoardResult& result, const BoardOptions& options);

/// The board as a task. Progress: per candidate 1,000 units (extraction 600, the SVM 400),
/// messages naming the candidate; partial results: each BoardRow as it finishes (and the SVM's
/// GridPointResults); result: the BoardResult. board.csv / board.json are rewritten after every
/// candidate, so a cancelled board keeps what finished.
class BoardTask final : public Task {
    Q_OBJECT
public:
    explicit BoardTask(BoardOptions options, QObject* parent = nullptr);

protected:
    QVariant execute() override;

private:
    BoardOptions m_options;
};

}  // namespace deepsvm

Q_DECLARE_METATYPE(deepsvm::BoardRow)
Q_DECLARE_METATYPE(deepsvm::BoardResult)
