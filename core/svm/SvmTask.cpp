#include "svm/SvmTask.h"

#include "data/Stl10.h"
#include "features/FeatureStore.h"
#include "features/LabelOverrides.h"
#include "features/Npy.h"
#include "metrics/Metrics.h"
#include "svm/DenseSvc.h"
#include "svm/OutOfFold.h"
#include "svm/Similarity.h"
#include "data/Splits.h"
#include "svm/Scaler.h"
#include "svm/SvmModel.h"
#include "svm/SvmReport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>

#include <algorithm>
#include <chrono>
#include <optional>
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
    /// With a labels override: what it did to each set (and so each row's row in its feature
    /// file, which predefined folds and the written predictions count in).
    LabelOverrides::Applied trainOverride, testOverride;
    int64_t trainExtractedRows = 0;
    std::string overrideDigest;
};

/// Applies the labels override of `o` (if any) to the loaded sets.
void applyOverride(const SvmOptions& o, Inputs& in)
{
    if (o.labelsOverride.empty())
        return;
    const LabelOverrides overrides = LabelOverrides::load(o.labelsOverride);
    in.overrideDigest = overrides.digest();
    in.trainExtractedRows = in.train.rows;
    in.trainOverride = overrides.applyTo(&in.train, o.labelsOverride);
    if (in.haveTest)
        in.testOverride = overrides.applyTo(&in.test, o.labelsOverride);
    if (in.train.rows == 0 || (in.haveTest && in.test.rows == 0))
        throw std::invalid_argument(o.labelsOverride + ": excludes every " + (in.train.rows == 0 ? "training" : "test")
                                    + " image; keep some of them");
}

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
    applyOverride(o, in);
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

std::vector<Fold> chooseFolds(const SvmOptions& o, const Inputs& in)
{
    const std::vector<int>& labels = in.trainLabels;
    const int64_t rows = int64_t(labels.size());
    const std::vector<int64_t>& kept = in.trainOverride.kept;
    if (!o.foldIndices.empty() && !kept.empty()) {
        // The fold file counts the rows as extracted; excluded rows leave their folds.
        std::vector<int64_t> now(std::size_t(in.trainExtractedRows), -1);
        for (std::size_t r = 0; r < kept.size(); ++r) now[std::size_t(kept[r])] = int64_t(r);
        std::vector<std::vector<int64_t>> folds = Stl10Dataset::readFoldIndices(o.foldIndices, int64_t(now.size()));
        for (auto& fold : folds) {
            std::vector<int64_t> kept;
            for (int64_t r : fold)
                if (now[std::size_t(r)] >= 0) kept.push_back(now[std::size_t(r)]);
            fold = std::move(kept);
        }
        return predefinedFolds(folds, rows);
    }
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

/// What the stages of one SvmTask share: the scaled training rows and the grid's outcome.
struct SvmTask::Run {
    Inputs in;
    Scaler scaler;
    std::vector<double> x;  ///< scaled training rows
    std::vector<Fold> folds;
    int classes = 0;
    std::vector<GridPointResult> cv;
    SvmParams best;
    KernelStorage storage = KernelStorage::Full;
    SolverChoice choice;
    /// The best point's validation scores from the grid search itself (class-pair storage).
    ValidationScores gridOof;
    /// The refit takes its sigmoids from gridOof (else from libsvm's inner calibration).
    bool refitCalibratedOnGrid(bool probability) const
    {
        return probability && storage == KernelStorage::ClassPairs && !gridOof.empty();
    }
    int gridPoints = 0;
    /// Progress counts fits: points x folds, the refit, the out-of-fold folds, the test scoring.
    int64_t cvFits = 0, totalFits = 1;
};

FitOptions SvmTask::fitOptions(const Run& run) const
{
    FitOptions fo;
    fo.storage = run.storage;
    fo.probability = m_options.probability;
    fo.seed = m_options.seed;
    fo.threads = m_options.threads;
    fo.cancelled = cancelCheck();
    return fo;
}

void SvmTask::searchGrid(Run& run)
{
    const SvmOptions& o = m_options;
    const FeatureSet& train = run.in.train;
    const std::vector<SvmParams> grid = expandGrid(o.kernels, o.C, o.gamma, o.degree, o.coef0);
    if (!o.crossValidate && grid.size() != 1)
        throw std::invalid_argument("training without cross-validation needs exactly one grid point, not "
                                    + std::to_string(grid.size()));
    // Which solver (auto: from the rows, the kernels and the memory budget), said before the
    // work starts with the time it should take.
    run.choice = chooseSolver(o.solver, run.in.trainLabels, run.classes, train.cols, grid,
                              o.crossValidate ? int(run.folds.size()) : 0, o.crossValidate && o.outOfFold,
                              o.kernelMemoryMb, o.threads);
    if (run.choice.solver.kind == Solver::Kind::Liblinear)
        for (const SvmParams& p : grid)
            if (p.kernel != Kernel::Linear)
                throw std::invalid_argument("--solver liblinear fits the linear kernel only, not " + kernelName(p.kernel)
                                            + "; use --kernel linear, or --solver nystroem:M to approximate it");
    GridSearchOptions gso;
    gso.metric = o.metric;
    gso.threads = o.threads;
    gso.kernelMemoryMb = o.kernelMemoryMb;
    gso.storage = o.kernelStorage;
    gso.keepValidation = o.crossValidate && o.outOfFold;
    GridSearch search(run.x, train.rows, train.cols, run.in.trainLabels, run.classes, run.folds, grid, gso);
    run.storage = search.kernelStorage();
    Q_EMIT solverChosen(QString::fromStdString("solver: " + run.choice.reason + "; estimate "
                                               + formatDuration(run.choice.estimatedSeconds)));
    run.gridPoints = int(grid.size());
    run.cvFits = o.crossValidate ? int64_t(grid.size() * run.folds.size()) : 0;
    run.totalFits = run.cvFits + 1 + (o.crossValidate && o.outOfFold ? int64_t(run.folds.size()) : 0)
        + (run.in.haveTest ? 1 : 0);
    const std::string rows = std::to_string(train.rows) + " rows";
    checkpoint(0, run.totalFits, QString::fromStdString(rows + ": " + std::to_string(grid.size()) + " grid points x "
                                                        + std::to_string(run.folds.size()) + " folds, "
                                                        + run.choice.solver.name()));
    int pointsDone = 0;
    std::string last = "first fits";
    const GridSearch::PointDone onPoint = [&](const GridPointResult& r, int done, int) {
        Q_EMIT partialResult(QVariant::fromValue(r));
        pointsDone = done;
        last = r.params.describe();
    };
    const GridSearch::FitDone onFit = [&](int64_t done, int64_t) {
        Q_EMIT progress(done, run.totalFits,
                        QString::fromStdString(rows + ", " + std::to_string(pointsDone) + " of "
                                               + std::to_string(run.gridPoints) + " grid points done (last: " + last + ")"));
    };
    if (o.crossValidate)
        run.cv = run.choice.solver.linear()
            ? linearGridSearch(run.x, train.rows, train.cols, run.in.trainLabels, run.classes, run.folds, grid,
                               run.choice.solver, o.metric, o.seed, onPoint, cancelCheck(), onFit)
            : search.run(onPoint, cancelCheck(), onFit);
    throwIfCancelled();
    const int best = o.crossValidate ? GridSearch::bestIndex(run.cv) : 0;
    if (best < 0)
        throw std::invalid_argument("no grid point has a defined " + metricName(o.metric)
                                    + " on every fold; use more rows per fold or another --metric");
    run.best = o.crossValidate ? run.cv[std::size_t(best)].params : grid.front();
    if (o.crossValidate && !run.choice.solver.linear())
        run.gridOof = search.takeValidation(run.cv[std::size_t(best)].index);
    resolveGammaOn(run.best, run.x, train.cols);
}

QJsonObject SvmTask::reportOf(const Run& run, int supportVectors) const
{
    const SvmOptions& o = m_options;
    QJsonObject report;
    report[QStringLiteral("best")] = paramsJson(run.best);
    QJsonArray cvArray;
    for (const auto& r : run.cv) cvArray.append(gridPointJson(r));
    report[QStringLiteral("cv")] = cvArray;
    report[QStringLiteral("metric")] = QString::fromStdString(metricName(o.metric));
    report[QStringLiteral("folds")] = o.crossValidate ? int(run.folds.size()) : 0;
    report[QStringLiteral("cross_validated")] = o.crossValidate;
    const bool linear = run.choice.solver.linear();
    QJsonObject solver{{QStringLiteral("name"), QString::fromStdString(run.choice.solver.name())},
                       {QStringLiteral("asked"), QString::fromStdString(o.solver.name())},
                       {QStringLiteral("reason"), QString::fromStdString(run.choice.reason)},
                       {QStringLiteral("estimated_seconds"), run.choice.estimatedSeconds}};
    if (linear) {
        solver[QStringLiteral("estimator")] = QString::fromStdString(
            std::string(run.choice.solver.kind == Solver::Kind::Nystroem
                            ? "Nystroem(n_components=" + std::to_string(run.choice.solver.landmarks) + ") + "
                            : "")
            + "LinearSVC(loss='squared_hinge', penalty='l2', multi_class='ovr'): not SVC(kernel='linear')");
        solver[QStringLiteral("probability")] =
            QStringLiteral("Platt scaling of each class's one-vs-rest decision values from an inner 5-fold "
                           "cross-validation, normalised to sum to 1");
    } else {
        solver[QStringLiteral("estimator")] = QStringLiteral("SVC (libsvm's C-SVC, one-vs-one)");
        if (o.probability)
            solver[QStringLiteral("probability")] = run.refitCalibratedOnGrid(o.probability)
                ? QStringLiteral("sigmoids per class pair fitted on the grid search's out-of-fold decision values at "
                                 "the best point (one fit per pair), coupled as libsvm couples them")
                : QStringLiteral("libsvm's: sigmoids per class pair from an inner 5-fold cross-validation");
    }
    report[QStringLiteral("solver")] = solver;
    report[QStringLiteral("precomputed_kernels")] = !linear && run.storage == KernelStorage::Full;
    if (!linear)
        report[QStringLiteral("kernel_storage")] = QString::fromStdString(kernelStorageName(run.storage));
    report[QStringLiteral("class_names")] = stringArray(run.in.classNames);
    if (supportVectors >= 0)
        report[QStringLiteral("support_vectors")] = supportVectors;
    if (!o.labelsOverride.empty())
        report[QStringLiteral("labels_override")] = QJsonObject{
            {QStringLiteral("file"), QString::fromStdString(o.labelsOverride)},
            {QStringLiteral("sha256"), QString::fromStdString(run.in.overrideDigest)},
            {QStringLiteral("relabelled"), double(run.in.trainOverride.relabelled + run.in.testOverride.relabelled)},
            {QStringLiteral("excluded"), double(run.in.trainOverride.excluded + run.in.testOverride.excluded)}};
    return report;
}

QJsonObject SvmTask::outOfFold(const Run& run, const ModelFiles& files)
{
    const SvmOptions& o = m_options;
    checkpoint(run.cvFits + 1, run.totalFits, QStringLiteral("out-of-fold predictions of the best point"));
    OutOfFoldOptions oo;
    static_cast<FitOptions&>(oo) = fitOptions(run);
    const FeatureSet& train = run.in.train;
    const int64_t dims = train.cols;
    const int classes = run.classes;
    Evaluation oof = run.choice.solver.linear()
        ? outOfFoldPredictions(
              run.x, train.rows, dims, run.in.trainLabels, classes, run.folds,
              [&](const std::vector<double>& x, int64_t nt, const std::vector<int>& labels, const std::vector<double>& v,
                  int64_t nv, const std::vector<int>& truth) {
                  return LinearModel::fit(x, nt, dims, labels, run.best, run.choice.solver, o.seed, o.probability, oo.cancelled)
                      .evaluate(v, nv, truth, classes, oo.cancelled);
              },
              oo.cancelled)
        : !run.gridOof.empty()
        ? outOfFoldFromValidation(run.in.trainLabels, classes, run.folds, run.gridOof, o.probability, o.threads,
                                  oo.cancelled)
        : outOfFoldPredictions(run.x, train.rows, dims, run.in.trainLabels, classes, run.folds, run.best, oo);
    for (int64_t& r : oof.rows) r = run.in.trainOverride.fileRow(r);  // rows in the feature file
    writePredictionsCsv(files.oofPredictions(), oof, run.in.classNames);
    QJsonObject json = evaluationJson(oof, run.in.classNames);
    json[QStringLiteral("fits")] = run.gridOof.empty()
        ? QStringLiteral("each fold's model refitted at the best point")
        : QStringLiteral("the grid search's fold models at the best point");
    if (o.probability)
        json[QStringLiteral("probability")] = run.choice.solver.linear()
            ? QStringLiteral("each fold model's Platt scaling on its inner 5-fold one-vs-rest decision values")
            : run.gridOof.empty()
            ? QStringLiteral("libsvm's: each fold model's sigmoids from its inner 5-fold cross-validation")
            : QStringLiteral("sigmoids per class pair fitted on the other folds' out-of-fold decision values, "
                             "coupled as libsvm couples them");
    return json;
}

QJsonObject SvmTask::testOn(const Run& run, const TestScorer& score, const ModelFiles& files)
{
    const FeatureSet& test = run.in.test;
    checkpoint(run.totalFits - 1, run.totalFits, QStringLiteral("scoring %1 test rows").arg(test.rows));
    const std::vector<double> testX = run.scaler.transform(test.values, test.rows);
    Evaluation eval = score(testX, test.rows, std::vector<int>(test.labels.begin(), test.labels.end()));
    eval.rows = run.in.testOverride.kept;  // rows in the feature file when some were left out
    writePredictionsCsv(files.predictions(), eval, run.in.classNames);
    writeRocCsvs(m_options.outDir, eval, run.in.classNames);
    return evaluationJson(eval, run.in.classNames);
}

QJsonObject SvmTask::leakage(const Run& run) const
{
    const FeatureSet& train = run.in.train;
    const FeatureSet& test = run.in.test;
    if (train.rows + test.rows < 3)
        return QJsonObject{{QStringLiteral("count"), 0}, {QStringLiteral("pairs"), QJsonArray()}};
    // One space over both sets (training rows first); every test row against every training row.
    const SimilaritySpace space(stackRows(train.values, test.values), train.rows + test.rows, train.cols);
    NearDuplicateOptions nd;
    nd.cancelled = cancelCheck();
    const std::vector<SimilarPair> pairs = nearDuplicates(space, train.rows, nd);
    auto id = [](const FeatureSet& set, int64_t row) {
        return std::size_t(row) < set.ids.size() ? QString::fromStdString(set.ids[std::size_t(row)]) : QString::number(row);
    };
    QJsonArray listed;
    for (std::size_t i = 0; i < std::min<std::size_t>(pairs.size(), 200); ++i)
        listed.append(QJsonObject{{QStringLiteral("test_index"), double(run.in.testOverride.fileRow(pairs[i].a))},
                                  {QStringLiteral("test_id"), id(test, pairs[i].a)},
                                  {QStringLiteral("train_index"), double(run.in.trainOverride.fileRow(pairs[i].b))},
                                  {QStringLiteral("train_id"), id(train, pairs[i].b)},
                                  {QStringLiteral("similarity"), pairs[i].similarity}});
    return QJsonObject{{QStringLiteral("count"), double(pairs.size())},
                       {QStringLiteral("threshold"), nd.threshold},
                       {QStringLiteral("pairs"), listed}};
}

QVariant SvmTask::execute()
{
    const SvmOptions& o = m_options;
    const auto tStart = Clock::now();
    silenceLibsvm();
    if (o.outDir.empty())
        throw std::invalid_argument("no output folder given (--out DIR)");
    Run run;
    run.in = loadInputs(o);
    const FeatureSet& train = run.in.train;
    run.classes = int(run.in.classNames.size());

    // Scale on the training rows only.
    throwIfCancelled();
    if (o.scale) run.scaler.fit(train.values, train.rows, train.cols);
    else run.scaler.setIdentity(train.cols);
    run.x = run.scaler.transform(train.values, train.rows);
    run.folds = chooseFolds(o, run.in);
    const auto tGrid = Clock::now();
    searchGrid(run);
    const double gridSeconds = since(tGrid);

    // Refit on every training row, with probability estimates (seeded: libsvm uses rand()).
    checkpoint(run.cvFits, run.totalFits,
               QStringLiteral("refitting the best model on %1 rows (%2)").arg(train.rows).arg(QString::fromStdString(run.best.describe())));
    const auto tRefit = Clock::now();
    std::shared_ptr<const SvmRows> features;
    QDir().mkpath(QString::fromStdString(o.outDir));
    const ModelFiles files{o.outDir};
    // The exact SVM (SvmModel) or a linear one (LinearModel), and how each scores test rows.
    std::optional<SvmModel> exact;
    std::optional<LinearModel> linear;
    if (run.choice.solver.linear()) {
        linear = LinearModel::fit(run.x, train.rows, train.cols, run.in.trainLabels, run.best, run.choice.solver, o.seed,
                                  o.probability, cancelCheck());
    } else {
        features = SvmRows::fromFeatures(run.x, train.rows, train.cols);
        FitOptions fo = fitOptions(run);
        if (run.refitCalibratedOnGrid(fo.probability)) {
            // The sigmoids from the grid search's out-of-fold decision values at this point:
            // one fit per class pair instead of libsvm's six.
            PairSigmoids s = pairSigmoids(run.in.trainLabels, run.classes, run.folds, run.gridOof);
            fo.probA = std::move(s.A);
            fo.probB = std::move(s.B);
        }
        exact = fitModel(run.x, train.rows, train.cols, run.in.trainLabels, run.best, fo, features);
    }
    const double refitSeconds = since(tRefit);
    throwIfCancelled();

    std::vector<int64_t> allRows(std::size_t(train.rows));
    for (int64_t i = 0; i < train.rows; ++i) allRows[std::size_t(i)] = i;
    // A folder holds one kind of model: the other kind's file from an earlier run would be read instead.
    QFile::remove(QString::fromStdString(linear ? files.model() : o.outDir + "/model.linear.json"));
    if (linear) {
        linear->save(o.outDir);
    } else {
        exact->save(files.model(), features.get(), &allRows);
    }
    run.scaler.save(files.scaler());
    writeClassesJson(files.classes(), run.in.classNames);
    writeFeatureSettings(files.featureSettings(), train.sidecar, outlierNorm(run.x, train.rows, train.cols));

    QJsonObject report = reportOf(run, exact ? exact->supportVectorCount() : -1);
    const auto tOof = Clock::now();
    if (o.crossValidate && o.outOfFold)
        report[QStringLiteral("oof")] = outOfFold(run, files);
    const double oofSeconds = since(tOof);
    const auto tTest = Clock::now();
    if (run.in.haveTest) {
        report[QStringLiteral("test")] = testOn(
            run,
            [&](const std::vector<double>& x, int64_t rows, const std::vector<int>& truth) {
                return linear ? linear->evaluate(x, rows, truth, run.classes, cancelCheck())
                              : evaluate(*exact, x, rows, run.x, train.cols, truth, run.classes);
            },
            files);
        report[QStringLiteral("near_duplicates")] = leakage(run);
    }
    report[QStringLiteral("timings")] = QJsonObject{{QStringLiteral("grid_search_seconds"), gridSeconds},
                                                   {QStringLiteral("refit_seconds"), refitSeconds},
                                                   {QStringLiteral("oof_seconds"), oofSeconds},
                                                   {QStringLiteral("test_seconds"), since(tTest)},
                                                   {QStringLiteral("total_seconds"), since(tStart)}};
    writeJson(files.report(), report);
    Q_EMIT progress(run.totalFits, run.totalFits, QStringLiteral("done"));
    return report;
}

}  // namespace deepsvm
