#pragma once

#include <cstdint>
#include <vector>

namespace deepsvm {

/// One cross-validation split: rows to train on and rows to score.
struct Fold {
    std::vector<int64_t> train;
    std::vector<int64_t> validation;
};

/// scikit-learn's StratifiedKFold(n_splits=k, shuffle=False): the same folds, row for row.
/// Throws std::invalid_argument if k < 2, k > rows, or a fold would be empty.
std::vector<Fold> stratifiedKFold(const std::vector<int>& labels, int k);

/// Predefined folds (STL-10's fold_indices.txt): line i = the training rows of fold i,
/// validated on the remaining rows. Throws std::invalid_argument for indices out of range.
std::vector<Fold> predefinedFolds(const std::vector<std::vector<int64_t>>& trainRows, int64_t rows);

/// One stratified hold-out split: `fraction` of each class (shuffled with `seed`) validates.
std::vector<Fold> holdOut(const std::vector<int>& labels, double fraction, uint64_t seed);

}  // namespace deepsvm
