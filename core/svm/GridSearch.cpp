#include "svm/GridSearch.h"

#include "svm/DenseSvc.h"

#include "metrics/Metrics.h"
#include "svm/Gram.h"
#include "svm/SvmModel.h"

#include "io/Parallel.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <stdexcept>
#include <tuple>

namespace deepsvm {

Metric parseMetric(const std::string& name)
{
    if (name == "accuracy") return Metric::Accuracy;
    if (name == "f1_macro") return Metric::MacroF1;
    if (name == "roc_auc_macro") return Metric::MacroAuc;
    throw std::invalid_argument("unknown metric '" + name + "' (use accuracy, f1_macro or roc_auc_macro)");
}

std::string metricName(Metric m)
{
    switch (m) {
    case Metric::Accuracy: return "accuracy";
    case Metric::MacroF1: return "f1_macro";
    case Metric::MacroAuc: return "roc_auc_macro";
    }
    return "?";
}

std::vector<SvmParams> expandGrid(const std::vector<Kernel>& kernels, const std::vector<double>& Cs,
                                  const std::vector<std::string>& gammas, const std::vector<int>& degrees,
                                  const std::vector<double>& coef0s)
{
    std::vector<SvmParams> out;
    auto seen = [&](const SvmParams& p) {
        for (const auto& q : out)
            if (q.kernel == p.kernel && q.C == p.C && q.gamma == p.gamma && q.gammaMode == p.gammaMode
                && q.degree == p.degree && q.coef0 == p.coef0)
                return true;
        return false;
    };
    for (double C : Cs)
        for (double coef0 : coef0s)
            for (int degree : degrees)
                for (const std::string& g : gammas)
                    for (Kernel k : kernels) {
                        SvmParams p;
                        p.kernel = k;
                        p.C = C;
                        if (g == "scale" || g == "auto") {
                            p.gammaMode = g;
                        } else {
                            p.gamma = parseValueList(g, "gamma").front();
                        }
                        // Settings the kernel does not use are fixed to their defaults.
                        const bool usesGamma = k != Kernel::Linear;
                        if (!usesGamma) { p.gamma = 0; p.gammaMode.clear(); }
                        p.degree = k == Kernel::Poly ? degree : 3;
                        p.coef0 = (k == Kernel::Poly || k == Kernel::Sigmoid) ? coef0 : 0.0;
                        p.validate();
                        if (!seen(p))
                            out.push_back(p);
                    }
    return out;
}

void resolveGammaOn(SvmParams& params, const std::vector<double>& x, int64_t dims, const std::vector<int64_t>* rows)
{
    if (params.gammaMode.empty())
        return;
    double sum = 0, sumSq = 0;
    auto add = [&](int64_t r) {
        for (int64_t c = 0; c < dims; ++c) {
            const double v = x[std::size_t(r * dims + c)];
            sum += v;
            sumSq += v * v;
        }
    };
    const int64_t count = rows ? int64_t(rows->size()) : int64_t(x.size()) / dims;
    if (rows)
        for (int64_t r : *rows) add(r);
    else
        for (int64_t r = 0; r < count; ++r) add(r);
    const double n = double(count) * double(dims), mean = sum / n;
    params.gamma = resolveGamma(params.gammaMode, params.gamma, int(dims), sumSq / n - mean * mean);
}

std::vector<double> kernelMatrix(const std::vector<double>& a, int64_t ra, const std::vector<double>& b, int64_t rb,
                                 int64_t dims, const SvmParams& params)
{
    std::vector<double> k = crossProducts(a, ra, b, rb, dims);
    applyKernel(k, ra, rb, rowNormsSquared(a, ra, dims), rowNormsSquared(b, rb, dims), params);
    return k;
}

std::shared_ptr<const SvmRows> precomputedKernelRows(const std::vector<double>& a, int64_t ra, const std::vector<double>& b,
                                                     int64_t rb, int64_t dims, const SvmParams& params)
{
    return SvmRows::fromKernel(kernelMatrix(a, ra, b, rb, dims, params), ra, rb);
}

double scorePredictions(Metric metric, const std::vector<int>& truth, const std::vector<int>& predicted,
                        const std::vector<double>& decisions, const std::vector<int>& modelLabels, int classes)
{
    const ConfusionMatrix cm = confusionMatrix(truth, predicted, classes);
    switch (metric) {
    case Metric::Accuracy: return accuracy(cm);
    case Metric::MacroF1: return macroF1(cm);
    case Metric::MacroAuc:
        return rocOneVsRest(truth, ovrScores(decisions, int64_t(truth.size()), modelLabels, classes), classes).aucMacro;
    }
    return 0;
}

GridSearch::GridSearch(std::vector<double> x, int64_t rows, int64_t dims, std::vector<int> labels, int classes,
                       std::vector<Fold> folds, std::vector<SvmParams> points, GridSearchOptions options)
    : m_x(std::move(x)), m_rows(rows), m_dims(dims), m_labels(std::move(labels)), m_classes(classes),
      m_folds(std::move(folds)), m_points(std::move(points)), m_options(options)
{
    if (int64_t(m_x.size()) != rows * dims || int64_t(m_labels.size()) != rows)
        throw std::invalid_argument("grid search: features and labels do not match in size");
    if (m_points.empty())
        throw std::invalid_argument("grid search: the grid is empty");
    if (m_folds.empty())
        throw std::invalid_argument("grid search: no folds");
    for (const Fold& f : m_folds) {
        if (f.train.empty() || f.validation.empty())
            throw std::invalid_argument("grid search: a fold has no training or no validation rows");
        for (const auto* part : {&f.train, &f.validation})
            for (int64_t i : *part)
                if (i < 0 || i >= rows)
                    throw std::invalid_argument("grid search: fold index " + std::to_string(i) + " is outside the "
                                                + std::to_string(rows) + " rows");
    }
}

KernelStorage GridSearch::kernelStorage() const
{
    return chooseKernelStorage(m_options.storage, m_labels, m_classes, m_options.threads, m_options.kernelMemoryMb);
}

ValidationScores GridSearch::takeValidation(int index)
{
    if (index < 0 || std::size_t(index) >= m_validation.size())
        return {};
    return std::move(m_validation[std::size_t(index)]);
}

int GridSearch::bestIndex(const std::vector<GridPointResult>& results)
{
    // NaN (a score undefined on some fold) ranks last, as in GridSearchCV.
    int best = -1;
    for (std::size_t i = 0; i < results.size(); ++i)
        if (!std::isnan(results[i].mean) && (best < 0 || results[i].mean > results[std::size_t(best)].mean))
            best = int(i);
    return best;
}

namespace {

/// The grid points that share one kernel setting, and so one kernel matrix.
std::vector<std::vector<int>> groupByKernel(const std::vector<SvmParams>& points)
{
    std::map<std::tuple<int, double, std::string, int, double>, std::size_t> groupOf;
    std::vector<std::vector<int>> groups;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const SvmParams& p = points[i];
        const auto key = std::make_tuple(int(p.kernel), p.gamma, p.gammaMode, p.degree, p.coef0);
        const auto [it, added] = groupOf.emplace(key, groups.size());
        if (added)
            groups.emplace_back();
        groups[it->second].push_back(int(i));
    }
    return groups;
}

}  // namespace

void finishGridPoint(GridPointResult& res)
{
    double mean = 0, var = 0;
    for (double s : res.folds) mean += s;
    mean /= double(res.folds.size());
    for (double s : res.folds) var += (s - mean) * (s - mean);
    res.mean = mean;
    res.std = std::sqrt(var / double(res.folds.size()));
}


double GridSearch::scoreFold(const SvmParams& point, const Fold& fold, const FoldKernel& k, const CancelCheck& cancelled) const
{
    SvmParams params = point;
    resolveGammaOn(params, m_x, m_dims, &fold.train);
    std::vector<int> trainLabels;
    trainLabels.reserve(fold.train.size());
    for (int64_t r : fold.train)
        trainLabels.push_back(m_labels[std::size_t(r)]);
    std::vector<int> truth, predicted, modelLabels;
    std::vector<double> decisions, d;
    auto validate = [&](auto&& predictRow) {
        for (int64_t r : fold.validation) {
            predicted.push_back(predictRow(r, &d));
            truth.push_back(m_labels[std::size_t(r)]);
            decisions.insert(decisions.end(), d.begin(), d.end());
        }
    };
    // Precomputed: the kernel matrix itself, solved by DenseSvc (libsvm's algorithm, bit for
    // bit, on contiguous rows); otherwise libsvm with its own kernels.
    if (k.matrix) {
        const DenseSvc model = DenseSvc::train(k.matrix->data(), m_rows, fold.train, trainLabels, params.C, cancelled);
        validate([&](int64_t r, std::vector<double>* out) { return model.predict(k.matrix->data(), m_rows, r, out); });
        modelLabels = model.labels();
    } else {
        SvmModel::Options options;
        options.cancelled = cancelled;
        const SvmModel model = SvmModel::train(k.rows, fold.train, trainLabels, params, options);
        validate([&](int64_t r, std::vector<double>* out) { return model.predict(k.rows->row(r), out); });
        modelLabels = model.labels();
    }
    return scorePredictions(m_options.metric, truth, predicted, decisions, modelLabels, m_classes);
}

std::vector<GridPointResult> GridSearch::run(const PointDone& onPoint, const CancelCheck& cancelled, const FitDone& onFit)
{
    using Clock = std::chrono::steady_clock;
    const KernelStorage storage = kernelStorage();
    if (storage == KernelStorage::ClassPairs)
        return runClassPairs(onPoint, cancelled, onFit);
    const bool precomputed = storage == KernelStorage::Full;
    std::vector<double> gram, norms;
    if (precomputed) {
        gram = crossProducts(m_x, m_rows, m_x, m_rows, m_dims);
        norms.resize(std::size_t(m_rows));
        for (int64_t i = 0; i < m_rows; ++i)
            norms[std::size_t(i)] = gram[std::size_t(i * m_rows + i)];
    }
    std::vector<GridPointResult> results(m_points.size());
    std::vector<int> foldsLeft(m_points.size(), int(m_folds.size()));
    for (std::size_t i = 0; i < m_points.size(); ++i) {
        results[i].index = int(i);
        results[i].params = m_points[i];
        results[i].folds.assign(m_folds.size(), 0.0);
    }
    int done = 0;
    int64_t fitsDone = 0;
    const int64_t fitsTotal = int64_t(m_points.size()) * int64_t(m_folds.size());
    std::shared_ptr<const SvmRows> nativeRows;
    try {
        for (const std::vector<int>& members : groupByKernel(m_points)) {
            throwIfCancelled(cancelled);
            const SvmParams& first = m_points[std::size_t(members.front())];
            FoldKernel kernel;
            if (precomputed && first.gammaMode.empty()) {
                auto k = std::make_shared<std::vector<double>>(gram);
                applyKernel(*k, m_rows, m_rows, norms, norms, first);
                kernel.matrix = std::move(k);
            } else {
                if (!nativeRows)
                    nativeRows = SvmRows::fromFeatures(m_x, m_rows, m_dims);
                kernel.rows = nativeRows;
            }
            // Every (point, fold) fit of the group on the pool; each writes only its own slot,
            // and the calling thread collects them as they finish.
            const int folds = int(m_folds.size());
            const int64_t units = int64_t(members.size()) * folds;
            std::vector<double> score(static_cast<std::size_t>(units)), seconds(static_cast<std::size_t>(units));
            auto fit = [&](int64_t u) {
                const auto t0 = Clock::now();
                score[std::size_t(u)] = scoreFold(m_points[std::size_t(members[std::size_t(u / folds)])],
                                                  m_folds[std::size_t(u % folds)], kernel, cancelled);
                seconds[std::size_t(u)] = std::chrono::duration<double>(Clock::now() - t0).count();
            };
            auto collect = [&](int64_t u) {
                GridPointResult& res = results[std::size_t(members[std::size_t(u / folds)])];
                res.folds[std::size_t(u % folds)] = score[std::size_t(u)];
                res.seconds += seconds[std::size_t(u)];
                if (onFit)
                    onFit(++fitsDone, fitsTotal);
                if (--foldsLeft[std::size_t(res.index)] == 0) {
                    finishGridPoint(res);
                    ++done;
                    if (onPoint)
                        onPoint(res, done, int(m_points.size()));
                }
            };
            parallelForReporting(units, threadCount(m_options.threads), fit, collect, cancelled);
        }
    } catch (const Cancelled&) {
        // Stopped between or inside fits: what finished is returned, as documented.
    }
    std::vector<GridPointResult> finished;
    for (std::size_t i = 0; i < results.size(); ++i)
        if (foldsLeft[i] == 0)
            finished.push_back(results[i]);
    return finished;
}

}  // namespace deepsvm
