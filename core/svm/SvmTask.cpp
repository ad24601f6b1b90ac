#include "svm/SvmTask.h"

#include "data/Stl10.h"
#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "metrics/Metrics.h"
#include "svm/DenseSvc.h"
#include "svm/Folds.h"
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
    : Task(QStringLiteral("SVM grid search"), parent), m_options(std::move(options)) {}

QVariant SvmTask::execute()
{
    const SvmOptions& o = m_options;
    const auto tStart = Clock::now();
    silenceLibsvm();
    if (o.outDir.empty())
        throw std::invalid_argument("no output folder given (--out DIR)");

    const FeatureSet train = loadChecked(o.trainPrefix, "training");
    FeatureSet test;
    const bool haveTest = !o.testPrefix.empty();
    if (haveTest) {
        test = loadChecked(o.testPrefix, "test");
        if (test.cols != train.cols)
            throw std::invalid_argument(FeatureStore::featuresPath(o.testPrefix) + ": has " + std::to_string(test.cols)
                                        + " columns but the training features have " + std::to_string(train.cols)
                                        + "; extract both with the same backbone and layer");
    }
    // Class names: from the sidecars, else 0..K-1.
    int64_t maxLabel = 0;
    for (int64_t l : train.labels) maxLabel = std::max(maxLabel, l);
    for (int64_t l : test.labels) maxLabel = std::max(maxLabel, l);
    std::vector<std::string> classNames = !train.classNames.empty() ? train.classNames : test.classNames;
    if (classNames.empty())
        for (int64_t k = 0; k <= maxLabel; ++k)
            classNames.push_back(std::to_string(k));
    if (maxLabel >= int64_t(classNames.size())) {
        const bool inTrain = std::find(train.labels.begin(), train.labels.end(), maxLabel) != train.labels.end();
        throw std::invalid_argument(FeatureStore::labelsPath(inTrain ? o.trainPrefix : o.testPrefix) + ": label "
                                    + std::to_string(maxLabel) + " but only " + std::to_string(classNames.size())
                                    + " class names");
    }
    const int classes = int(classNames.size());
    std::vector<int> trainLabels(train.labels.begin(), train.labels.end());
    {
        std::vector<bool> present(std::size_t(classes), false);
        for (int l : trainLabels) present[std::size_t(l)] = true;
        if (std::count(present.begin(), present.end(), true) < 2)
            throw std::invalid_argument(FeatureStore::labelsPath(o.trainPrefix)
                                        + ": the training rows hold only one class; an SVM needs at least two");
    }

    // Scale on the training rows only.
    checkpoint(0, 1, QStringLiteral("scaling"));
    Scaler scaler;
    if (o.scale) scaler.fit(train.values, train.rows, train.cols);
    else scaler.setIdentity(train.cols);
    std::vector<double> x = scaler.transform(train.values, train.rows);

    std::vector<Fold> folds;
    if (!o.foldIndices.empty())
        folds = predefinedFolds(Stl10Dataset::readFoldIndices(o.foldIndices, train.rows), train.rows);
    else if (o.holdOut > 0)
        folds = holdOut(trainLabels, o.holdOut, o.seed);
    else
        folds = stratifiedKFold(trainLabels, o.folds);

    const std::vector<SvmParams> grid = expandGrid(o.kernels, o.C, o.gamma, o.degree, o.coef0);
    GridSearchOptions gso;
    gso.metric = o.metric;
    gso.threads = o.threads;
    gso.kernelMemoryMb = o.kernelMemoryMb;
    if (!o.crossValidate && grid.size() != 1)
        throw std::invalid_argument("training without cross-validation needs exactly one grid point, not "
                                    + std::to_string(grid.size()));
    GridSearch search(x, train.rows, train.cols, trainLabels, classes, folds, grid, gso);
    const auto tGrid = Clock::now();
    const int total = int(grid.size());
    std::vector<GridPointResult> cv;
    if (o.crossValidate)
        cv = search.run(
            [&](const GridPointResult& r, int done, int) {
                QJsonObject point = gridPointJson(r);
                Q_EMIT partialResult(point);
                Q_EMIT progress(done, total, QString::fromStdString(r.params.describe()));
            },
            [this] { return isCancelRequested(); });
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
    const auto features = SvmRows::fromFeatures(x, train.rows, train.cols);
    std::vector<int64_t> allRows(std::size_t(train.rows));
    for (int64_t i = 0; i < train.rows; ++i) allRows[std::size_t(i)] = i;
    SvmModel::Options mo;
    mo.probability = o.probability;
    mo.seed = o.seed;
    // With the kernel matrix in memory, DenseSvc fits the pairs (and the five calibration
    // folds of each) on all cores, to libsvm's bits; the saved file still uses the real
    // kernel (SvmModel::save swaps the support vectors back in).
    const bool precomputed = search.usesPrecomputedKernels();
    const SvmModel model = [&] {
        if (!precomputed)
            return SvmModel::train(features, allRows, trainLabels, bestParams, mo);
        const std::vector<double> k = kernelMatrix(x, train.rows, x, train.rows, train.cols, bestParams);
        const DenseSvc dense = o.probability
            ? DenseSvc::trainWithProbability(k.data(), train.rows, allRows, trainLabels, bestParams.C, o.seed, o.threads)
            : DenseSvc::train(k.data(), train.rows, allRows, trainLabels, bestParams.C);
        return SvmModel::fromDense(SvmRows::fromKernel(k, train.rows, train.rows), dense, bestParams);
    }();
    const double refitSeconds = since(tRefit);

    QDir().mkpath(QString::fromStdString(o.outDir));
    ModelFiles files{o.outDir};
    model.save(files.model(), features.get(), &allRows);
    scaler.save(files.scaler());
    writeClassesJson(files.classes(), classNames);
    writeFeatureSettings(files.featureSettings(), train.sidecar, outlierNorm(x, train.rows, train.cols));

    QJsonObject report;
    report[QStringLiteral("best")] = paramsJson(bestParams);
    QJsonArray cvArray;
    for (const auto& r : cv) cvArray.append(gridPointJson(r));
    report[QStringLiteral("cv")] = cvArray;
    report[QStringLiteral("metric")] = QString::fromStdString(metricName(o.metric));
    report[QStringLiteral("folds")] = o.crossValidate ? int(folds.size()) : 0;
    report[QStringLiteral("cross_validated")] = o.crossValidate;
    report[QStringLiteral("precomputed_kernels")] = search.usesPrecomputedKernels();
    report[QStringLiteral("class_names")] = [&] { QJsonArray a; for (const auto& c : classNames) a.append(QString::fromStdString(c)); return a; }();
    report[QStringLiteral("support_vectors")] = model.supportVectorCount();
    double testSeconds = 0;
    if (haveTest) {
        const auto tTest = Clock::now();
        const std::vector<double> testX = scaler.transform(test.values, test.rows);
        const Evaluation eval = evaluate(model, testX, test.rows, x, train.rows, train.cols, precomputed, bestParams,
                                         std::vector<int>(test.labels.begin(), test.labels.end()), classes);
        testSeconds = since(tTest);
        report[QStringLiteral("test")] = evaluationJson(eval, classNames);
        writePredictionsCsv(files.predictions(), eval, classNames);
        writeRocCsvs(o.outDir, eval, classNames);
    }
    report[QStringLiteral("timings")] = QJsonObject{{QStringLiteral("grid_search_seconds"), gridSeconds},
                                                   {QStringLiteral("refit_seconds"), refitSeconds},
                                                   {QStringLiteral("test_seconds"), testSeconds},
                                                   {QStringLiteral("total_seconds"), since(tStart)}};
    writeJson(files.report(), report);
    return report;
}

}  // namespace deepsvm
