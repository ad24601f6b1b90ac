#include "svm/LinearModel.h"

#include "metrics/Metrics.h"
#include "svm/PairKernels.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace deepsvm {

namespace {

std::string linearFile(const std::string& dir) { return dir + "/model.linear.json"; }
std::string nystroemPrefix(const std::string& dir) { return dir + "/nystroem"; }

}  // namespace

Solver Solver::parse(const std::string& text)
{
    Solver s;
    if (text == "auto") return s;
    if (text == "exact") { s.kind = Kind::Exact; return s; }
    if (text == "liblinear") { s.kind = Kind::Liblinear; return s; }
    if (text.rfind("nystroem:", 0) == 0) {
        s.kind = Kind::Nystroem;
        try {
            std::size_t used = 0;
            s.landmarks = std::stoll(text.substr(9), &used);
            if (used != text.size() - 9) s.landmarks = 0;
        } catch (const std::exception&) {
            s.landmarks = 0;
        }
        if (s.landmarks < 1)
            throw std::invalid_argument("--solver nystroem:M takes a number of landmark rows, such as nystroem:2000");
        return s;
    }
    throw std::invalid_argument("unknown solver '" + text + "' (use auto, exact, liblinear or nystroem:M)");
}

std::string Solver::name() const
{
    switch (kind) {
    case Kind::Auto: return "auto";
    case Kind::Exact: return "exact";
    case Kind::Liblinear: return "liblinear";
    case Kind::Nystroem: return "nystroem:" + std::to_string(landmarks);
    }
    return "?";
}

std::string formatDuration(double seconds)
{
    if (seconds < 90) return "about " + std::to_string(std::max(1, int(std::lround(seconds)))) + " s";
    if (seconds < 5400) return "about " + std::to_string(int(std::lround(seconds / 60))) + " min";
    char text[32];
    std::snprintf(text, sizeof text, "about %.1f h", seconds / 3600.0);
    return text;
}

namespace {

// The cost model behind the estimates, fitted to `deepsvm svm` runs on the benchmark machine
// (2 cores; docs/benchmarks.md, "The SVM at 50,000 rows"). Fits are counted as the grid's
// points x folds plus the refit and out-of-fold fits (each with libsvm's probabilities: about
// 6x a plain fit's work), relative to the measured runs' units.
double exactSeconds(int64_t n, int64_t dims, double fitUnits, KernelStorage storage)
{
    const double products = double(n) * double(n) * double(dims);
    if (storage == KernelStorage::ClassPairs) {
        // 20,000 x 2048 took 237 s, 50,000 x 2048 1,450 s (exponent 1.98), 81 fit units each:
        // libsvm's solver, l^2 a fit when every row is a support vector, plus each pair's Gram
        // block in the grid and again in the refit (about 0.9 n^2 x dims products each, at
        // ~100 GFLOP/s), 30 s of the 237.
        const double rows = double(n) / 20000.0;
        return 207.0 * rows * rows * fitUnits / 81.0 + 2.0 * 0.9 * 2.0 * products / 1.0e11;
    }
    // The full kernel: 10,000 x 512 with the seed's grid took 80 s, 20,000 x 512 432 s
    // (exponent 2.4); 10,000 x 2048 144 s, so 3.1e-10 s per n^2 x dims product besides.
    const double rows = double(n) / 10000.0;
    return 80.0 * std::pow(rows, 2.4) * fitUnits / 116.0 + 3.1e-10 * products;
}

double linearSeconds(int64_t n, int64_t dims, int classes, double fitUnits)
{
    // LIBLINEAR: about 60 passes over rows x dims per class and fit at ~1 ns per value.
    return 1.0e-9 * 60.0 * double(n) * double(dims) * double(std::max(classes, 2)) * fitUnits;
}

}  // namespace

SolverChoice chooseSolver(const Solver& wanted, const std::vector<int>& labels, int classes, int64_t dims,
                          const std::vector<SvmParams>& grid, int folds, bool outOfFold, double kernelMemoryMb, int threads)
{
    const int64_t n = int64_t(labels.size());
    const double plainFits = double(grid.size()) * double(std::max(folds, 1));
    const double fitUnits = plainFits + 6.0 + (outOfFold ? 6.0 * folds : 0.0);
    bool allLinear = true;
    for (const SvmParams& p : grid) allLinear = allLinear && p.kernel == Kernel::Linear;
    SolverChoice c;
    c.solver = wanted;
    c.storage = chooseKernelStorage(KernelStorage::Auto, labels, classes, threads, kernelMemoryMb);
    // With class-pair kernels the out-of-fold predictions come from the grid's own fold models,
    // and so do the refit's sigmoids (one fit instead of libsvm's six).
    const bool reuse = c.storage == KernelStorage::ClassPairs && outOfFold;
    const double exact = exactSeconds(n, dims, reuse ? plainFits + 1.0 : fitUnits, c.storage);
    auto landmarksFor = [&] { return std::max<int64_t>(1, std::min<int64_t>(2000, std::max<int64_t>(n / 10, 100))); };
    auto estimate = [&](const Solver& s) {
        switch (s.kind) {
        case Solver::Kind::Liblinear: return linearSeconds(n, dims, classes, fitUnits);
        case Solver::Kind::Nystroem:
            return linearSeconds(n, s.landmarks, classes, fitUnits)
                + 2.0e-10 * double(n) * double(s.landmarks) * double(dims + s.landmarks) * double(folds + 1);
        case Solver::Kind::Exact:
        case Solver::Kind::Auto: break;
        }
        return exact;
    };
    if (wanted.kind == Solver::Kind::Auto) {
        // Exact when it fits in half an hour, or when the approximation would not be faster.
        Solver other;
        other.kind = allLinear ? Solver::Kind::Liblinear : Solver::Kind::Nystroem;
        if (!allLinear)
            other.landmarks = landmarksFor();
        const double otherSeconds = estimate(other);
        if (exact <= 1800 || exact <= otherSeconds) {
            c.solver.kind = Solver::Kind::Exact;
            c.reason = "exact: " + std::to_string(n) + " rows fit in " + formatDuration(exact).substr(6) + " (kernel storage "
                + kernelStorageName(c.storage) + ")";
            if (exact > 1800)
                c.reason += "; " + other.name() + " would take " + formatDuration(otherSeconds);
        } else if (allLinear) {
            c.solver = other;
            c.reason = "liblinear: the exact SVM would take " + formatDuration(exact) + " on " + std::to_string(n)
                + " rows; the linear kernel's LinearSVC is linear in the rows";
        } else {
            c.solver = other;
            c.reason = c.solver.name() + ": the exact SVM would take " + formatDuration(exact) + " on " + std::to_string(n)
                + " rows; Nystroem's " + std::to_string(c.solver.landmarks)
                + " landmarks approximate the kernel, then LinearSVC";
        }
    } else {
        c.reason = c.solver.name() + " as asked";
    }
    c.estimatedSeconds = estimate(c.solver);
    return c;
}

LinearModel LinearModel::fit(const std::vector<double>& x, int64_t n, int64_t dims, const std::vector<int>& labels,
                             const SvmParams& params, const Solver& solver, unsigned seed, bool probability,
                             const CancelCheck& cancelled)
{
    LinearModel m;
    std::vector<int64_t> all(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) all[std::size_t(i)] = i;
    LinearSvc::Options o;
    o.seed = seed;
    o.probability = probability;
    o.cancelled = cancelled;
    if (solver.kind == Solver::Kind::Nystroem) {
        m.m_nystroem = std::make_shared<const Nystroem>(
            Nystroem::fit(x, dims, Nystroem::chooseLandmarks(n, solver.landmarks, seed), params));
        const std::vector<double> mapped = m.m_nystroem->transform(x, n, cancelled);
        m.m_svc = LinearSvc::train(mapped, m.m_nystroem->components(), all, labels, params.C, o);
    } else {
        if (params.kernel != Kernel::Linear)
            throw std::invalid_argument("liblinear fits the linear kernel only, not " + kernelName(params.kernel)
                                        + "; use --kernel linear, or --solver nystroem:M for an approximate "
                                        + kernelName(params.kernel) + " kernel");
        m.m_svc = LinearSvc::train(x, dims, all, labels, params.C, o);
    }
    return m;
}

bool LinearModel::existsIn(const std::string& dir)
{
    return QFileInfo::exists(QString::fromStdString(linearFile(dir)));
}

LinearModel LinearModel::load(const std::string& dir)
{
    LinearModel m;
    m.m_svc = LinearSvc::load(linearFile(dir));
    if (QFileInfo::exists(QString::fromStdString(nystroemPrefix(dir) + ".json"))) {
        m.m_nystroem = std::make_shared<const Nystroem>(Nystroem::load(nystroemPrefix(dir)));
        if (m.m_nystroem->components() != m.m_svc.dims())
            throw std::runtime_error(linearFile(dir) + ": its " + std::to_string(m.m_svc.dims()) + " weights do not match "
                                     + nystroemPrefix(dir) + ".json's " + std::to_string(m.m_nystroem->components())
                                     + " components; the files come from different models");
    }
    return m;
}

void LinearModel::save(const std::string& dir) const
{
    m_svc.save(linearFile(dir));
    if (m_nystroem) {
        m_nystroem->save(nystroemPrefix(dir));
    } else {
        // An earlier Nystroem model's map in the folder would be read with this model.
        for (const char* suffix : {".json", "_landmarks.npy", "_normalization.npy"})
            QFile::remove(QString::fromStdString(nystroemPrefix(dir) + suffix));
    }
}

LinearModel::Scores LinearModel::scoreRows(const std::vector<double>& x, int64_t rows, int classes,
                                           const CancelCheck& cancelled) const
{
    const std::vector<double> d = m_nystroem ? m_svc.decisions(m_nystroem->transform(x, rows, cancelled), rows)
                                             : m_svc.decisions(x, rows);
    Scores s;
    s.predicted = m_svc.predict(d);
    const std::vector<int>& labels = m_svc.labels();
    const std::size_t K = labels.size();
    const std::vector<double> p = m_svc.probabilities(d);
    s.probabilities = !p.empty();
    s.perClass.assign(std::size_t(rows) * std::size_t(classes), p.empty() ? -1e300 : 0.0);
    for (int64_t r = 0; r < rows; ++r)
        for (std::size_t k = 0; k < K; ++k)
            s.perClass[std::size_t(r) * std::size_t(classes) + std::size_t(labels[k])] =
                p.empty() ? d[std::size_t(r) * K + k] : p[std::size_t(r) * K + k];
    return s;
}

Evaluation LinearModel::evaluate(const std::vector<double>& x, int64_t rows, const std::vector<int>& truth, int classes,
                                 const CancelCheck& cancelled) const
{
    Scores s = scoreRows(x, rows, classes, cancelled);
    Evaluation e;
    e.truth = truth;
    e.predicted = std::move(s.predicted);
    if (s.probabilities)
        e.probabilities = s.perClass;
    e.rocScores = std::move(s.perClass);
    e.confusion = confusionMatrix(e.truth, e.predicted, classes);
    e.roc = rocOneVsRest(e.truth, e.rocScores, classes);
    return e;
}

std::vector<GridPointResult> linearGridSearch(const std::vector<double>& x, int64_t rows, int64_t dims,
                                              const std::vector<int>& labels, int classes, const std::vector<Fold>& folds,
                                              const std::vector<SvmParams>& points, const Solver& solver, Metric metric,
                                              unsigned seed, const GridSearch::PointDone& onPoint,
                                              const CancelCheck& cancelled, const GridSearch::FitDone& onFit)
{
    using Clock = std::chrono::steady_clock;
    std::vector<GridPointResult> out;
    const int64_t total = int64_t(points.size() * folds.size());
    int64_t done = 0;
    try {
        for (std::size_t p = 0; p < points.size(); ++p) {
            GridPointResult r;
            r.index = int(p);
            r.params = points[p];
            for (const Fold& f : folds) {
                throwIfCancelled(cancelled);
                const auto t0 = Clock::now();
                SvmParams q = points[p];
                resolveGammaOn(q, x, dims, &f.train);
                std::vector<int> trainLabels, truth;
                for (int64_t i : f.train) trainLabels.push_back(labels[std::size_t(i)]);
                for (int64_t i : f.validation) truth.push_back(labels[std::size_t(i)]);
                const std::vector<double> train = gatherRows(x, dims, f.train);
                const LinearModel m = LinearModel::fit(train, int64_t(f.train.size()), dims, trainLabels, q, solver, seed, false,
                                                       cancelled);
                const Evaluation e = m.evaluate(gatherRows(x, dims, f.validation), int64_t(f.validation.size()), truth, classes,
                                                cancelled);
                double score = 0;
                switch (metric) {
                case Metric::Accuracy: score = accuracy(e.confusion); break;
                case Metric::MacroF1: score = macroF1(e.confusion); break;
                case Metric::MacroAuc: score = e.roc.aucMacro; break;
                }
                r.folds.push_back(score);
                r.seconds += std::chrono::duration<double>(Clock::now() - t0).count();
                if (onFit)
                    onFit(++done, total);
            }
            finishGridPoint(r);
            out.push_back(r);
            if (onPoint)
                onPoint(r, int(out.size()), int(points.size()));
        }
    } catch (const Cancelled&) {
    }
    return out;
}

}  // namespace deepsvm
