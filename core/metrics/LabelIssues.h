#pragma once

#include <cstdint>
#include <vector>

namespace deepsvm {

/// One training row whose given label looks wrong.
struct LabelIssue {
    int64_t index = 0;         ///< row in the feature file
    int given = 0;             ///< the label it has
    int suggested = 0;         ///< the class it confidently belongs to
    double selfConfidence = 0; ///< out-of-fold probability of the given label
    double margin = 0;         ///< p(given) - max p(other): the more negative, the more suspicious
};

struct LabelIssues {
    std::vector<LabelIssue> issues;             ///< most suspicious first (lowest margin)
    std::vector<double> thresholds;             ///< per class: mean self-confidence of its rows
    std::vector<std::vector<int64_t>> pairs;    ///< [given][suggested]: the flagged rows per pair
    int64_t rows = 0;
};

/// Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty
/// in Dataset Labels", JAIR 70, 2021) on out-of-fold probabilities (rows x classes, row-major):
/// class j's threshold t_j is the mean probability of j over the rows labelled j; a row is
/// "confidently j" when j is the most probable of the classes whose probability reaches their
/// threshold. A row is flagged when it is confidently some class other than its label and its
/// label's own probability is below that label's threshold (so a row the model also finds
/// plausible as labelled is an honest mistake, not a label issue). Ranked by normalised margin.
/// Classes without rows get a threshold of 1 (nothing is confidently them).
LabelIssues findLabelIssues(const std::vector<double>& probabilities, const std::vector<int>& given, int classes);

/// The baseline confident learning must beat: every row whose most probable class is not its
/// label, in row order.
std::vector<int64_t> predictionDiffersFromLabel(const std::vector<double>& probabilities, const std::vector<int>& given,
                                                int classes);

}  // namespace deepsvm
