#include "svm/SvmTask.h"

#include "data/Stl10.h"
#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "metrics/Metrics.h"
#include "svm/DenseSvc.h"
#include "data/Splits.h"
#include "svm/Scaler.h"
#include "svm/SvmModel.h"
#include "svm/SvmReport.h"

#include <QDir>
#include <QJsonArray>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace deepsvm {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

FeatureSet loadChecked(const std::string& prefix, const char* role)
{
    FeatureSet set = FeatureStore::load(prefix);
    const std::string file = FeatureStore::featuresPath(prefix);
    if (set.rows == 0)
        throw std::invalid_argument(file + ": has no rows");
    for (std::size_t i = 0; i < set.values.size(); ++i)
        if (!std::isfinite(set.values[i]))
            throw std::invalid_argument(file + ": row " + std::to_string(i / std::size_t(set.cols)) + " has a NaN or infinite value; "
                                        "re-extract the features or drop the row");
    for (std::size_t i = 0; i < set.labels.size(); ++i)
        if (set.labels[i] < 0 || set.labels[i] > 100000)
            throw std::invalid_argument(FeatureStore::labelsPath(prefix) + ": row " + std::to_string(i) + " has label "
                                        + std::to_string(set.labels[i]) + "; " + role + " features must be labelled 0..K-1");
    return set;
}

/// Images whose scaled features are longer than this look unlike any training image:
/// 1.25 x the 99th percentile of the training rows' norms.
double outlierNorm(const std::vector<double>& x, int64_t rows, int64_t dims)
{
    std::vector<double> norms(static_cast<std::size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        double s = 0;
        for (int64_t c = 0; c < dims; ++c) s += x[std::size_t(r * dims + c)] * x[std::size_t(r * dims + c)];
        norms[std::size_t(r)] = std::sqrt(s);
    }
    std::sort(norms.begin(), norms.end());
    return 1.25 * norms[std::min(norms.size() - 1, std::size_t(0.99 * double(norms.size())))];
}

}  // namespace

std::string safeFileName(const std::string& name)
{
    std::string out;
    for (char c : name)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    return out.empty() ? "class" : out;
}

SvmTask::SvmTask(SvmOptions options, QObject* parent)
    : Task(QStringLiteral("SVM grid search"), parent), m_options(std::move(options))
{
    // Receivers read grid points typed; those that want JSON (scripts, old code) convert.
    static const bool registered = QMetaType::registerConverter<GridPointResult, QJsonObject>(&gridPointJson);
    Q_UNUSED(registered);
}

namespace {

/// The feature files of a run, checked, with the class names they use.
struct Inputs {
    FeatureSet train, test;
    bool haveTest = false;
    std::vector<std::string> classNames;
    std::vector<int> trainLabels;
};

Inputs loadInputs(const SvmOptions& o)
{
    Inputs in;
    in.train = loadChecked(o.trainPrefix, "training");
    in.haveTest = !o.testPrefix.empty();
    if (in.haveTest) {
        in.test = loadChecked(o.testPrefix, "test");
        if (in.test.cols != in.train.cols)
            throw std::invalid_argument(FeatureStore::featuresPath(o.testPrefix) + ": has " + std::to_string(in.test.cols)
                                        + " columns but the training features have " + std::to_string(in.train.cols)
                                        + "; extract both with the same backbone and layer");
    }
    // Class names: from the sidecars, else 0..K-1.
    int64_t maxLabel = 0;
    for (int64_t l : in.train.labels) maxLabel = std::max(maxLabel, l);
    for (int64_t l : in.test.labels) maxLabel = std::max(maxLabel, l);
    in.classNames = !in.train.classNames.empty() ? in.train.classNames : in.test.classNames;
    if (in.classNames.empty())
        for (int64_t k = 0; k <= maxLabel; ++k)
            in.classNames.push_back(std::to_string(k));
    if (maxLabel >= int64_t(in.classNames.size())) {
        const bool inTrain = std::find(in.train.labels.begin(), in.train.labels.end(), maxLabel) != in.train.labels.end();
        throw std::invalid_argument(FeatureStore::labelsPath(inTrain ? o.trainPrefix : o.testPrefix) + ": label "
                                    + std::to_string(maxLabel) + " but only " + std::to_string(in.classNames.size())
                                    + " class names");
    }
    in.trainLabels.assign(in.train.labels.begin(), in.train.labels.end());
    std::vector<bool> present(in.classNames.size(), false);
    for (int l : in.trainLabels) present[std::size_t(l)] = true;
    if (std::count(present.begin(), present.end(), true) < 2)
        throw std::invalid_argument(FeatureStore::labelsPath(o.trainPrefix)
                                    + ": the training rows hold only one class; an SVM needs at least two");
    return in;
}

std::vector<Fold> chooseFolds(const SvmOptions& o, const std::vector<int>& labels)
{
    const int64_t rows = int64_t(labels.size());
    if (!o.foldIndices.empty())
        return predefinedFolds(Stl10Dataset::readFoldIndices(o.foldIndices, rows), rows);
    if (o.holdOut > 0)
        return holdOut(labels, o.holdOut, o.seed);
    return stratifiedKFold(labels, o.folds);
}

QJsonArray stringArray(const std::vector<std::string>& items)
{
    QJsonArray a;
    for (const auto& c : items) a.append(QString::fromStdString(c));
    return a;
}

}  // namespace

SvmModel SvmTask::refit(const std::vector<double>& x, int64_t dims, const std::shared_ptr<const SvmRows>& features,
                        const std::vector<int64_t>& allRows, const std::vector<int>& labels, const SvmParams& best,
                        bool precomputed) const
{
    const SvmOptions& o = m_options;
    const int64_t rows = int64_t(allRows.size());
    if (!precomputed) {
        SvmModel::Options mo;
        mo.probability = o.probability;
        mo.seed = o.seed;
        mo.cancelled = cancelCheck();
        return SvmModel::train(features, allRows, labels, best, mo);
    }
    // With the kernel matrix in memory, DenseSvc fits the pairs (and the five calibration
    // folds of each) on all cores, to libsvm's bits; the saved file still uses the real
    // kernel (SvmModel::save swaps the support vectors back in).
    const std::vector<double> k = kernelMatrix(x, rows, x, rows, dims, best);
    const DenseSvc dense = o.probability
        ? DenseSvc::trainWithProbability(k.data(), rows, allRows, labels, best.C, o.seed, o.threads, cancelCheck())
        : DenseSvc::train(k.data(), rows, allRows, labels, best.C, cancelCheck());
    return SvmModel::fromDense(SvmRows::fromKernel(k, rows, rows), dense, best);
}

QVariant SvmTask::execute()
{
    const SvmOptions& o = m_options;
    const auto tStart = Clock::now();
    silenceLibsvm();
    if (o.outDir.empty())
        throw std::invalid_argument("no output folder given (--out DIR)");
    const Inputs in = loadInputs(o);
    const FeatureSet& train = in.train;
    const int classes = int(in.classNames.size());

    // Scale on the training rows only.
    checkpoint(0, 1, QStringLiteral("scaling"));
    Scaler scaler;
    if (o.scale) scaler.fit(train.values, train.rows, train.cols);
    else scaler.setIdentity(train.cols);
    const std::vector<double> x = scaler.transform(train.values, train.rows);
    const std::vector<Fold> folds = chooseFolds(o, in.trainLabels);

    const std::vector<SvmParams> grid = expandGrid(o.kernels, o.C, o.gamma, o.degree, o.coef0);
    GridSearchOptions gso;
    gso.metric = o.metric;
    gso.threads = o.threads;
    gso.kernelMemoryMb = o.kernelMemoryMb;
    if (!o.crossValidate && grid.size() != 1)
        throw std::invalid_argument("training without cross-validation needs exactly one grid point, not "
                                    + std::to_string(grid.size()));
    GridSearch search(x, train.rows, train.cols, in.trainLabels, classes, folds, grid, gso);
    const auto tGrid = Clock::now();
    const int total = int(grid.size());
    std::vector<GridPointResult> cv;
    if (o.crossValidate)
        cv = search.run(
            [&](const GridPointResult& r, int done, int) {
                Q_EMIT partialResult(QVariant::fromValue(r));
                Q_EMIT progress(done, total, QString::fromStdString(r.params.describe()));
            },
            cancelCheck());
    throwIfCancelled();
    const double gridSeconds = since(tGrid);
    const int best = o.crossValidate ? GridSearch::bestIndex(cv) : 0;
    if (best < 0)
        throw std::invalid_argument("no grid point has a defined " + metricName(o.metric)
                                    + " on every fold; use more rows per fold or another --metric");
    SvmParams bestParams = o.crossValidate ? cv[std::size_t(best)].params : grid.front();
    resolveGammaOn(bestParams, x, train.cols);

    // Refit on every training row, with probability estimates (seeded: libsvm uses rand()).
    checkpoint(total, total, QStringLiteral("refitting the best model"));
    const auto tRefit = Clock::now();
    const bool precomputed = search.usesPrecomputedKernels();
    const auto features = SvmRows::fromFeatures(x, train.rows, train.cols);
    std::vector<int64_t> allRows(std::size_t(train.rows));
    for (int64_t i = 0; i < train.rows; ++i) allRows[std::size_t(i)] = i;
    const SvmModel model = refit(x, train.cols, features, allRows, in.trainLabels, bestParams, precomputed);
    const double refitSeconds = since(tRefit);
    throwIfCancelled();

    QDir().mkpath(QString::fromStdString(o.outDir));
    ModelFiles files{o.outDir};
    model.save(files.model(), features.get(), &allRows);
    scaler.save(files.scaler());
    writeClassesJson(files.classes(), in.classNames);
    writeFeatureSettings(files.featureSettings(), train.sidecar, outlierNorm(x, train.rows, train.cols));

    QJsonObject report;
    report[QStringLiteral("best")] = paramsJson(bestParams);
    QJsonArray cvArray;
    for (const auto& r : cv) cvArray.append(gridPointJson(r));
    report[QStringLiteral("cv")] = cvArray;
    report[QStringLiteral("metric")] = QString::fromStdString(metricName(o.metric));
    report[QStringLiteral("folds")] = o.crossValidate ? int(folds.size()) : 0;
    report[QStringLiteral("cross_validated")] = o.crossValidate;
    report[QStringLiteral("precomputed_kernels")] = precomputed;
    report[QStringLiteral("class_names")] = stringArray(in.classNames);
    report[QStringLiteral("support_vectors")] = model.supportVectorCount();
    double testSeconds = 0;
    if (in.haveTest) {
        const auto tTest = Clock::now();
        const std::vector<double> testX = scaler.transform(in.test.values, in.test.rows);
        const Evaluation eval = evaluate(model, testX, in.test.rows, x, train.rows, train.cols, precomputed, bestParams,
                                         std::vector<int>(in.test.labels.begin(), in.test.labels.end()), classes);
        testSeconds = since(tTest);
        report[QStringLiteral("test")] = evaluationJson(eval, in.classNames);
        writePredictionsCsv(files.predictions(), eval, in.classNames);
        writeRocCsvs(o.outDir, eval, in.classNames);
    }
    report[QStringLiteral("timings")] = QJsonObject{{QStringLiteral("grid_search_seconds"), gridSeconds},
                                                   {QStringLiteral("refit_seconds"), refitSeconds},
                                                   {QStringLiteral("test_seconds"), testSeconds},
                                                   {QStringLiteral("total_seconds"), since(tStart)}};
    writeJson(files.report(), report);
    return report;
}

}  // namespace deepsvm
