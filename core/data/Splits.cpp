#include "data/Splits.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>
#include <string>

namespace deepsvm {

std::vector<Fold> stratifiedKFold(const std::vector<int>& labels, int k)
{
    const std::size_t n = labels.size();
    if (k < 2)
        throw std::invalid_argument("cross-validation needs at least 2 folds (got " + std::to_string(k) + ")");
    if (std::size_t(k) > n)
        throw std::invalid_argument("cannot make " + std::to_string(k) + " folds of " + std::to_string(n) + " rows");
    // Classes numbered by first appearance, as scikit-learn encodes them.
    std::map<int, int> code;
    std::vector<int> encoded(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto it = code.find(labels[i]);
        if (it == code.end())
            it = code.emplace(labels[i], int(code.size())).first;
        encoded[i] = it->second;
    }
    const int classes = int(code.size());
    std::vector<int> sorted(encoded);
    std::sort(sorted.begin(), sorted.end());
    // allocation[f][c]: how many rows of class c fold f validates (bincount of sorted[f::k]).
    std::vector<std::vector<int64_t>> allocation(std::size_t(k), std::vector<int64_t>(std::size_t(classes), 0));
    for (std::size_t i = 0; i < n; ++i)
        ++allocation[i % std::size_t(k)][std::size_t(sorted[i])];
    std::vector<int> testFold(n, 0);
    for (int c = 0; c < classes; ++c) {
        std::vector<int> foldsForClass;
        for (int f = 0; f < k; ++f)
            foldsForClass.insert(foldsForClass.end(), std::size_t(allocation[std::size_t(f)][std::size_t(c)]), f);
        std::size_t next = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (encoded[i] == c)
                testFold[i] = foldsForClass[next++];
    }
    std::vector<Fold> folds(static_cast<std::size_t>(k));
    for (std::size_t i = 0; i < n; ++i)
        for (int f = 0; f < k; ++f)
            (testFold[i] == f ? folds[std::size_t(f)].validation : folds[std::size_t(f)].train).push_back(int64_t(i));
    for (const Fold& f : folds)
        if (f.validation.empty() || f.train.empty())
            throw std::invalid_argument("a fold would be empty: use fewer folds");
    return folds;
}

std::vector<Fold> predefinedFolds(const std::vector<std::vector<int64_t>>& trainRows, int64_t rows)
{
    if (trainRows.empty())
        throw std::invalid_argument("no predefined folds given");
    std::vector<Fold> folds;
    for (std::size_t f = 0; f < trainRows.size(); ++f) {
        std::vector<bool> inTrain(std::size_t(rows), false);
        Fold fold;
        for (int64_t i : trainRows[f]) {
            if (i < 0 || i >= rows)
                throw std::invalid_argument("fold " + std::to_string(f + 1) + ": index " + std::to_string(i)
                                            + " is outside the " + std::to_string(rows) + " training rows");
            if (inTrain[std::size_t(i)])
                throw std::invalid_argument("fold " + std::to_string(f + 1) + ": index " + std::to_string(i) + " appears twice");
            inTrain[std::size_t(i)] = true;
            fold.train.push_back(i);
        }
        for (int64_t i = 0; i < rows; ++i)
            if (!inTrain[std::size_t(i)])
                fold.validation.push_back(i);
        if (fold.train.empty() || fold.validation.empty())
            throw std::invalid_argument("fold " + std::to_string(f + 1) + " leaves no rows to train on or to validate");
        folds.push_back(std::move(fold));
    }
    return folds;
}

std::vector<Fold> holdOut(const std::vector<int>& labels, double fraction, uint64_t seed)
{
    if (!(fraction > 0 && fraction < 1))
        throw std::invalid_argument("hold-out fraction must be between 0 and 1");
    std::map<int, std::vector<int64_t>> byClass;
    for (std::size_t i = 0; i < labels.size(); ++i)
        byClass[labels[i]].push_back(int64_t(i));
    std::mt19937_64 rng(seed);
    std::vector<bool> validate(labels.size(), false);
    for (auto& [label, rows] : byClass) {
        // Fisher-Yates with our own index draw: the same on every platform.
        for (std::size_t i = rows.size(); i > 1; --i)
            std::swap(rows[i - 1], rows[std::size_t(rng() % i)]);
        // Every class keeps at least one training row; a single-image class stays in training.
        const std::size_t take = std::min(std::size_t(std::llround(fraction * double(rows.size()))),
                                          rows.size() > 1 ? rows.size() - 1 : 0);
        for (std::size_t i = 0; i < take; ++i)
            validate[std::size_t(rows[i])] = true;
    }
    Fold f;
    for (std::size_t i = 0; i < labels.size(); ++i)
        (validate[i] ? f.validation : f.train).push_back(int64_t(i));
    if (f.validation.empty() || f.train.empty())
        throw std::invalid_argument("the hold-out split leaves no rows to train on or to validate");
    return {f};
}

}  // namespace deepsvm
