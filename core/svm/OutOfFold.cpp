#include "svm/OutOfFold.h"

#include "svm/DenseSvcInternal.h"
#include "svm/GridSearch.h"
#include "svm/SvmModel.h"

#include "io/Parallel.h"
#include "metrics/Metrics.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace deepsvm {

Evaluation outOfFoldPredictions(const std::vector<double>& x, int64_t rows, int64_t dims, const std::vector<int>& labels,
                                int classes, const std::vector<Fold>& folds, const SvmParams& params,
                                const OutOfFoldOptions& options)
{
    // The fold's model, fitted on its rows exactly as the final refit fits all rows.
    const FitOptions& fo = options;
    return outOfFoldPredictions(
        x, rows, dims, labels, classes, folds,
        [&](const std::vector<double>& train, int64_t nt, const std::vector<int>& trainLabels,
            const std::vector<double>& validation, int64_t nv, const std::vector<int>& validationLabels) {
            const SvmModel model = fitModel(train, nt, dims, trainLabels, params, fo);
            return evaluate(model, validation, nv, train, dims, validationLabels, classes);
        },
        options.cancelled);
}

Evaluation outOfFoldPredictions(const std::vector<double>& x, int64_t rows, int64_t dims, const std::vector<int>& labels,
                                int classes, const std::vector<Fold>& folds, const FoldPredictor& predict,
                                const CancelCheck& cancelled)
{
    // Where each validated row lands in the result: row order.
    std::vector<int64_t> position(std::size_t(rows), -1);
    for (const Fold& f : folds)
        for (int64_t r : f.validation)
            position[std::size_t(r)] = 0;
    Evaluation e;
    for (int64_t r = 0; r < rows; ++r)
        if (position[std::size_t(r)] >= 0) {
            position[std::size_t(r)] = int64_t(e.rows.size());
            e.rows.push_back(r);
        }
    const std::size_t n = e.rows.size();
    const std::size_t pairs = std::size_t(classes) * std::size_t(classes - 1) / 2;
    e.truth.resize(n);
    e.predicted.resize(n);
    e.decisions.assign(n * pairs, 0.0);
    e.rocScores.assign(n * std::size_t(classes), 0.0);
    bool anyDecisions = false;

    for (const Fold& f : folds) {
        if (f.validation.empty())
            continue;
        throwIfCancelled(cancelled);
        std::vector<int> trainLabels, validationLabels;
        for (int64_t r : f.train) trainLabels.push_back(labels[std::size_t(r)]);
        for (int64_t r : f.validation) validationLabels.push_back(labels[std::size_t(r)]);
        const std::vector<double> train = gatherRows(x, dims, f.train);
        const std::vector<double> validation = gatherRows(x, dims, f.validation);
        const int64_t nt = int64_t(f.train.size()), nv = int64_t(f.validation.size());
        const Evaluation part = predict(train, nt, trainLabels, validation, nv, validationLabels);
        // A fold whose training rows miss a class has fewer one-vs-one pairs: its decision
        // values are not comparable with the others', so only full folds keep them.
        const std::size_t partPairs = nv > 0 ? part.decisions.size() / std::size_t(nv) : 0;
        for (int64_t i = 0; i < nv; ++i) {
            const std::size_t at = std::size_t(position[std::size_t(f.validation[std::size_t(i)])]);
            e.truth[at] = validationLabels[std::size_t(i)];
            e.predicted[at] = part.predicted[std::size_t(i)];
            anyDecisions = anyDecisions || partPairs > 0;
            if (partPairs == pairs)
                std::copy_n(part.decisions.begin() + i * int64_t(pairs), pairs, e.decisions.begin() + int64_t(at * pairs));
            std::copy_n(part.rocScores.begin() + i * classes, classes, e.rocScores.begin() + int64_t(at) * classes);
            if (!part.probabilities.empty()) {
                if (e.probabilities.empty())
                    e.probabilities.assign(n * std::size_t(classes), 0.0);
                std::copy_n(part.probabilities.begin() + i * classes, classes,
                            e.probabilities.begin() + int64_t(at) * classes);
            }
        }
    }
    if (!anyDecisions)
        e.decisions.clear();  // a model without one-vs-one values (the linear solvers)
    e.confusion = confusionMatrix(e.truth, e.predicted, classes);
    e.roc = rocOneVsRest(e.truth, e.rocScores, classes);
    return e;
}

namespace {

/// Which fold validates each row (-1: none).
std::vector<int> validatingFold(int64_t n, const std::vector<Fold>& folds)
{
    std::vector<int> foldOf(std::size_t(n), -1);
    for (std::size_t f = 0; f < folds.size(); ++f)
        for (int64_t r : folds[f].validation) foldOf[std::size_t(r)] = int(f);
    return foldOf;
}

/// Pair q's (classes a, b) sigmoid on the out-of-fold decision values of its validated rows,
/// in row order, leaving out fold `skip` (-1: none).
void fitPairSigmoid(const std::vector<int>& labels, const std::vector<int>& foldOf, const ValidationScores& scores,
                    std::size_t pairs, std::size_t q, int a, int b, int skip, double* A, double* B)
{
    std::vector<double> dec;
    std::vector<std::int8_t> y;
    for (std::size_t r = 0; r < labels.size(); ++r) {
        const int l = labels[r];
        if (foldOf[r] < 0 || foldOf[r] == skip || (l != a && l != b))
            continue;
        dec.push_back(scores.decisions[r * pairs + q]);
        y.push_back(l == a ? +1 : -1);
    }
    detail::sigmoidTrain(dec, y, A, B);
}

std::vector<std::pair<int, int>> classPairs(int classes)
{
    std::vector<std::pair<int, int>> pairList;
    for (int a = 0; a < classes; ++a)
        for (int b = a + 1; b < classes; ++b) pairList.emplace_back(a, b);
    return pairList;
}

void checkScores(const std::vector<int>& labels, std::size_t pairs, const ValidationScores& scores)
{
    if (scores.predicted.size() != labels.size() || scores.decisions.size() != labels.size() * pairs)
        throw std::invalid_argument("out-of-fold scores do not match the training rows");
}

}  // namespace

PairSigmoids pairSigmoids(const std::vector<int>& labels, int classes, const std::vector<Fold>& folds,
                          const ValidationScores& scores)
{
    const std::vector<std::pair<int, int>> pairList = classPairs(classes);
    checkScores(labels, pairList.size(), scores);
    const std::vector<int> foldOf = validatingFold(int64_t(labels.size()), folds);
    PairSigmoids s;
    s.A.assign(pairList.size(), 0.0);
    s.B.assign(pairList.size(), 0.0);
    for (std::size_t q = 0; q < pairList.size(); ++q)
        fitPairSigmoid(labels, foldOf, scores, pairList.size(), q, pairList[q].first, pairList[q].second, -1, &s.A[q],
                       &s.B[q]);
    return s;
}

Evaluation outOfFoldFromValidation(const std::vector<int>& labels, int classes, const std::vector<Fold>& folds,
                                   const ValidationScores& scores, bool probability, int threads,
                                   const CancelCheck& cancelled)
{
    const int64_t n = int64_t(labels.size());
    const std::vector<std::pair<int, int>> pairList = classPairs(classes);
    const std::size_t pairs = pairList.size();
    checkScores(labels, pairs, scores);
    const std::vector<int> foldOf = validatingFold(n, folds);
    Evaluation e;
    for (int64_t r = 0; r < n; ++r)
        if (foldOf[std::size_t(r)] >= 0) {
            e.rows.push_back(r);
            e.truth.push_back(labels[std::size_t(r)]);
            e.predicted.push_back(scores.predicted[std::size_t(r)]);
            e.decisions.insert(e.decisions.end(), scores.decisions.begin() + r * int64_t(pairs),
                               scores.decisions.begin() + (r + 1) * int64_t(pairs));
        }
    const int64_t m = int64_t(e.rows.size());
    if (probability) {
        // Per (fold, pair): the sigmoid of the pair's rows that other folds validated.
        const int64_t units = int64_t(folds.size() * pairs);
        std::vector<double> A(std::size_t(units), 0.0), B(std::size_t(units), 0.0);
        parallelFor(units, threadCount(threads), [&](int64_t u) {
            const int f = int(u / int64_t(pairs));
            const std::size_t q = std::size_t(u % int64_t(pairs));
            fitPairSigmoid(labels, foldOf, scores, pairs, q, pairList[q].first, pairList[q].second, f,
                           &A[std::size_t(u)], &B[std::size_t(u)]);
        }, cancelled);
        throwIfCancelled(cancelled);
        e.probabilities.assign(std::size_t(m) * std::size_t(classes), 0.0);
        parallelFor(m, threadCount(threads), [&](int64_t i) {
            const int f = foldOf[std::size_t(e.rows[std::size_t(i)])];
            std::vector<double> pairwise(std::size_t(classes * classes), 0.0);
            constexpr double minProb = 1e-7;  // libsvm's bounds on a pairwise probability
            for (std::size_t q = 0; q < pairs; ++q) {
                const auto [a, b] = pairList[q];
                const std::size_t u = std::size_t(f) * pairs + q;
                const double p = std::min(std::max(detail::sigmoidPredict(e.decisions[std::size_t(i) * pairs + q], A[u], B[u]),
                                                   minProb), 1 - minProb);
                pairwise[std::size_t(a * classes + b)] = p;
                pairwise[std::size_t(b * classes + a)] = 1 - p;
            }
            detail::coupleProbabilities(classes, pairwise, e.probabilities.data() + i * classes);
        });
        e.rocScores = e.probabilities;
    } else {
        std::vector<int> modelLabels(static_cast<std::size_t>(classes));
        std::iota(modelLabels.begin(), modelLabels.end(), 0);
        e.rocScores = ovrScores(e.decisions, m, modelLabels, classes);
    }
    e.confusion = confusionMatrix(e.truth, e.predicted, classes);
    e.roc = rocOneVsRest(e.truth, e.rocScores, classes);
    return e;
}

}  // namespace deepsvm
