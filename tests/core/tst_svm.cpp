// SVM, grid search and metrics against scikit-learn on generated features.
#include "TestSupport.h"

#include "features/Npy.h"
#include "metrics/Metrics.h"
#include "data/Splits.h"
#include "svm/DenseSvc.h"
#include "svm/DenseSvcInternal.h"
#include "svm/GridSearch.h"
#include "svm/Gram.h"
#include "svm/LinearModel.h"
#include "svm/LinearSvc.h"
#include "svm/Nystroem.h"
#include "svm/Scaler.h"
#include "svm/SvmModel.h"
#include "svm/OutOfFold.h"
#include "svm/SvmTask.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <numeric>
#include <QTest>

#include <libsvm/svm.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

using namespace deepsvm;

namespace {

struct Blobs {
    std::vector<float> x;
    std::vector<int64_t> y;
    int64_t rows = 0, dims = 0;
};

/// K Gaussian blobs that overlap a little, so C and gamma matter.
Blobs makeBlobs(int perClass, int classes, int dims, unsigned seed, double spread = 1.3)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::mt19937 centreRng(99);  // the same centres for train and test
    std::vector<double> centres(std::size_t(classes * dims));
    for (double& c : centres) c = normal(centreRng) * spread;
    Blobs b;
    b.dims = dims;
    for (int i = 0; i < perClass * classes; ++i) {
        const int k = (i * 7 + i / classes) % classes;  // interleaved, not grouped
        for (int d = 0; d < dims; ++d)
            b.x.push_back(float(centres[std::size_t(k * dims + d)] + normal(rng) * (1.0 + 0.1 * d) + 5.0 * (d % 3)));
        b.y.push_back(k);
    }
    b.rows = int64_t(b.y.size());
    return b;
}

void save(const Blobs& b, const QString& prefix)
{
    writeNpy((prefix + QStringLiteral(".features.npy")).toStdString(), b.x.data(), b.rows, b.dims);
    writeNpy((prefix + QStringLiteral(".labels.npy")).toStdString(), b.y.data(), b.rows);
}

QJsonDocument reference(const QStringList& args)
{
    const auto r = test::runProcess(test::referencePython(),
                                    QStringList{test::sourceDir() + QStringLiteral("/tests/python/sklearn_reference.py")} + args);
    if (r.exitCode != 0)
        qWarning("sklearn_reference.py failed: %s", r.err.constData());
    return QJsonDocument::fromJson(r.out);
}

QByteArray fileBytes(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

std::vector<int> intLabels(const Blobs& b) { return std::vector<int>(b.y.begin(), b.y.end()); }

/// The probA and probB lines of a libsvm model file (empty when it has none).
std::pair<std::vector<double>, std::vector<double>> savedSigmoids(const QString& file)
{
    std::pair<std::vector<double>, std::vector<double>> ab;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return ab;
    for (const QByteArray& line : f.readAll().split('\n')) {
        const QList<QByteArray> parts = line.trimmed().split(' ');
        for (auto [name, into] : {std::pair<const char*, std::vector<double>*>{"probA", &ab.first}, {"probB", &ab.second}})
            if (parts.value(0) == name)
                for (int i = 1; i < parts.size(); ++i) into->push_back(parts[i].toDouble());
    }
    return ab;
}

/// Folds as the reference script reads them: [{train: [...], validation: [...]}, ...].
QJsonDocument foldsJson(const std::vector<Fold>& folds)
{
    QJsonArray foldArray;
    for (const Fold& f : folds) {
        QJsonArray t, v;
        for (int64_t i : f.train) t.append(double(i));
        for (int64_t i : f.validation) v.append(double(i));
        foldArray.append(QJsonObject{{QStringLiteral("train"), t}, {QStringLiteral("validation"), v}});
    }
    return QJsonDocument(foldArray);
}

bool writeJsonFile(const QString& path, const QJsonDocument& doc)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(doc.toJson()) > 0;
}

/// Standardised blobs (16 dimensions) and their full kernel matrix, for the solver checks.
struct KernelProblem {
    KernelProblem(int perClass, int classes, unsigned seed, const QString& kernel, double C, const QString& gamma)
        : blobs(makeBlobs(perClass, classes, 16, seed)), labels(intLabels(blobs))
    {
        Scaler scaler;
        scaler.fit(blobs.x, blobs.rows, blobs.dims);
        x = scaler.transform(blobs.x, blobs.rows);
        params.kernel = parseKernel(kernel.toStdString());
        params.C = C;
        params.gamma = gamma.toDouble();
        this->kernel = kernelMatrix(x, blobs.rows, x, blobs.rows, blobs.dims, params);
    }
    Blobs blobs;
    std::vector<int> labels;
    std::vector<double> x;
    SvmParams params;
    std::vector<double> kernel;
};

}  // namespace

class TestSvm : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void foldsMatchStratifiedKFold();
    void scalerMatchesStandardScaler();
    void svcMatchesScikitLearn_data();
    void svcMatchesScikitLearn();
    void gridSearchMatchesGridSearchCV_data();
    void gridSearchMatchesGridSearchCV();
    void metricsMatchScikitLearn();
    void svmPredictReadsOurModel();
    void blasUsesTheCpusKernels();
    void modelFileIsSvmSaveModelByteForByte_data();
    void modelFileIsSvmSaveModelByteForByte();
    void taskWritesReportFolder();
    void outOfFoldMatchesCrossValPredict_data();
    void outOfFoldMatchesCrossValPredict();
    void holdOutKeepsEveryClassInTraining();
    void valueLists_data();
    void valueLists();
    void badInput_data();
    void badInput();
    void denseSolverIsLibsvmBitForBit_data();
    void denseSolverIsLibsvmBitForBit();
    void denseProbabilityIsLibsvmBitForBit_data();
    void denseProbabilityIsLibsvmBitForBit();
    void cancelledWhilePointsFinish_data();
    void cancelledWhilePointsFinish();
    void scoreRowsAreRowByRowPredictions_data();
    void scoreRowsAreRowByRowPredictions();
    void classPairKernelsGiveTheFullKernelsResults();
    void outOfFoldFromTheGridNeedsNoRefit();
    void refitCalibratedOnTheGrid();
    void autoPicksTheSolverForTheSize();
    void couplingIsLibsvms();
    void linearSvcMatchesLinearSVC_data();
    void linearSvcMatchesLinearSVC();
    void nystroemMatchesScikitLearn();

private:
    QTemporaryDir m_tmp;
    QString m_train, m_test;
    Blobs m_trainBlobs, m_testBlobs;
    bool m_reference = false;
};

void TestSvm::initTestCase()
{
    silenceLibsvm();
    m_reference = test::referenceAvailable();
    m_trainBlobs = makeBlobs(60, 4, 12, 1);
    m_testBlobs = makeBlobs(30, 4, 12, 2);
    m_train = m_tmp.path() + QStringLiteral("/train");
    m_test = m_tmp.path() + QStringLiteral("/test");
    save(m_trainBlobs, m_train);
    save(m_testBlobs, m_test);
}

void TestSvm::foldsMatchStratifiedKFold()
{
    // Unbalanced classes in a scrambled order exercise the allocation rule.
    std::vector<int64_t> labels;
    for (int i = 0; i < 53; ++i) labels.push_back((i * i + 3 * i) % 5 == 0 ? 2 : (i % 3));
    const QString path = m_tmp.path() + QStringLiteral("/fold_labels.npy");
    writeNpy(path.toStdString(), labels.data(), int64_t(labels.size()));
    const auto folds = stratifiedKFold(std::vector<int>(labels.begin(), labels.end()), 5);
    QCOMPARE(folds.size(), std::size_t(5));
    if (!m_reference)
        QSKIP("/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests");
    const QJsonArray ref = reference({QStringLiteral("folds"), path, QStringLiteral("5")}).array();
    QCOMPARE(ref.size(), 5);
    for (int f = 0; f < 5; ++f) {
        std::vector<int64_t> expected;
        for (const auto& v : ref[f].toArray()) expected.push_back(v.toInteger());
        QCOMPARE(folds[std::size_t(f)].validation, expected);
    }
}

void TestSvm::scalerMatchesStandardScaler()
{
    // A constant column keeps scale 1, as scikit-learn does.
    std::vector<float> x = {1, 5, 2, 5, 4, 5, 10, 5};
    Scaler s;
    s.fit(x, 4, 2);
    QCOMPARE(s.mean()[0], 4.25);
    QCOMPARE(s.scale()[0], std::sqrt(((1 - 4.25) * (1 - 4.25) + (2 - 4.25) * (2 - 4.25) + (4 - 4.25) * (4 - 4.25)
                                      + (10 - 4.25) * (10 - 4.25)) / 4.0));
    QCOMPARE(s.scale()[1], 1.0);
    const auto t = s.transform(x, 4);
    QCOMPARE(t[1], 0.0);
    const QString path = m_tmp.path() + QStringLiteral("/scaler.json");
    s.save(path.toStdString());
    const Scaler back = Scaler::load(path.toStdString());
    QCOMPARE(back.mean(), s.mean());
    QCOMPARE(back.scale(), s.scale());
}

void TestSvm::svcMatchesScikitLearn_data()
{
    QTest::addColumn<QString>("kernel");
    QTest::addColumn<double>("C");
    QTest::addColumn<QString>("gamma");
    QTest::addColumn<int>("degree");
    QTest::addColumn<double>("coef0");
    QTest::addColumn<bool>("precomputed");
    QTest::newRow("poly (the seed's kernel)") << QStringLiteral("poly") << 10.0 << QStringLiteral("0.01") << 3 << 0.0 << true;
    QTest::newRow("poly native kernel") << QStringLiteral("poly") << 10.0 << QStringLiteral("0.01") << 3 << 0.0 << false;
    QTest::newRow("poly degree 2 coef0 1") << QStringLiteral("poly") << 1.0 << QStringLiteral("0.1") << 2 << 1.0 << true;
    QTest::newRow("rbf") << QStringLiteral("rbf") << 1.0 << QStringLiteral("0.05") << 3 << 0.0 << true;
    QTest::newRow("rbf gamma scale") << QStringLiteral("rbf") << 3.0 << QStringLiteral("scale") << 3 << 0.0 << false;
    QTest::newRow("linear") << QStringLiteral("linear") << 0.1 << QStringLiteral("1") << 3 << 0.0 << true;
    QTest::newRow("sigmoid") << QStringLiteral("sigmoid") << 1.0 << QStringLiteral("0.01") << 3 << 0.5 << true;
}

void TestSvm::svcMatchesScikitLearn()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests");
    QFETCH(QString, kernel);
    QFETCH(double, C);
    QFETCH(QString, gamma);
    QFETCH(int, degree);
    QFETCH(double, coef0);
    QFETCH(bool, precomputed);
    Scaler scaler;
    scaler.fit(m_trainBlobs.x, m_trainBlobs.rows, m_trainBlobs.dims);
    const auto xtr = scaler.transform(m_trainBlobs.x, m_trainBlobs.rows);
    const auto xte = scaler.transform(m_testBlobs.x, m_testBlobs.rows);
    SvmParams p;
    p.kernel = parseKernel(kernel.toStdString());
    p.C = C;
    p.degree = degree;
    p.coef0 = coef0;
    if (gamma == QLatin1String("scale")) {
        double sum = 0, sq = 0;
        for (double v : xtr) { sum += v; sq += v * v; }
        const double n = double(xtr.size()), mean = sum / n;
        p.gamma = resolveGamma("scale", 0, int(m_trainBlobs.dims), sq / n - mean * mean);
    } else {
        p.gamma = gamma.toDouble();
    }
    std::vector<int64_t> all(std::size_t(m_trainBlobs.rows));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = int64_t(i);
    const auto trainRows = precomputed
        ? precomputedKernelRows(xtr, m_trainBlobs.rows, xtr, m_trainBlobs.rows, m_trainBlobs.dims, p)
        : std::shared_ptr<const SvmRows>(SvmRows::fromFeatures(xtr, m_trainBlobs.rows, m_trainBlobs.dims));
    const SvmModel model = SvmModel::train(trainRows, all, intLabels(m_trainBlobs), p, {});
    const auto testRows = precomputed
        ? precomputedKernelRows(xte, m_testBlobs.rows, xtr, m_trainBlobs.rows, m_trainBlobs.dims, p)
        : std::shared_ptr<const SvmRows>(SvmRows::fromFeatures(xte, m_testBlobs.rows, m_testBlobs.dims));

    const QJsonObject ref = reference({QStringLiteral("svc"), m_train, m_test, kernel, QString::number(C, 'g', 17), gamma,
                                       QString::number(degree), QString::number(coef0, 'g', 17)}).object();
    const QJsonArray refPred = ref[QStringLiteral("predicted")].toArray();
    const QJsonArray refDec = ref[QStringLiteral("decision")].toArray();
    QCOMPARE(refPred.size(), int(m_testBlobs.rows));
    QCOMPARE(model.supportVectorCount(), ref[QStringLiteral("n_support")].toInt());
    const QJsonArray refOvr = ref[QStringLiteral("decision_ovr")].toArray();
    int agree = 0;
    double worst = 0, worstOvr = 0;
    std::vector<double> d;
    for (int64_t i = 0; i < m_testBlobs.rows; ++i) {
        agree += model.predict(testRows->row(i), &d) == refPred[int(i)].toInt();
        const QJsonArray rd = refDec[int(i)].toArray();
        QCOMPARE(int(d.size()), rd.size());
        for (int k = 0; k < rd.size(); ++k)
            worst = std::max(worst, std::abs(d[std::size_t(k)] - rd[k].toDouble()));
        // decision_function_shape='ovr', the scores ROC curves use without probabilities.
        const std::vector<double> ovr = ovrFromOvo(d, 1, 4);
        for (int k = 0; k < 4; ++k)
            worstOvr = std::max(worstOvr, std::abs(ovr[std::size_t(k)] - refOvr[int(i)].toArray()[k].toDouble()));
    }
    QVERIFY2(worstOvr < 1e-6, qPrintable(QString::number(worstOvr)));
    qInfo("%s: %d/%lld predictions agree, worst decision-value difference %.2e", qPrintable(kernel), agree,
          static_cast<long long>(m_testBlobs.rows), worst);
    QVERIFY(double(agree) >= 0.999 * double(m_testBlobs.rows));
    QVERIFY2(worst < 1e-6, qPrintable(QString::number(worst)));
}

void TestSvm::gridSearchMatchesGridSearchCV_data()
{
    QTest::addColumn<QString>("metric");
    QTest::addColumn<bool>("precomputed");
    QTest::newRow("accuracy, precomputed kernels") << QStringLiteral("accuracy") << true;
    QTest::newRow("accuracy, libsvm kernels") << QStringLiteral("accuracy") << false;
    QTest::newRow("f1_macro") << QStringLiteral("f1_macro") << true;
    QTest::newRow("roc_auc_macro") << QStringLiteral("roc_auc_macro") << true;
}

void TestSvm::gridSearchMatchesGridSearchCV()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests");
    QFETCH(QString, metric);
    QFETCH(bool, precomputed);
    Scaler scaler;
    scaler.fit(m_trainBlobs.x, m_trainBlobs.rows, m_trainBlobs.dims);
    const auto labels = intLabels(m_trainBlobs);
    const auto folds = stratifiedKFold(labels, 5);
    const std::vector<double> Cs{0.1, 1, 10, 100};
    const std::vector<std::string> gammas{"1", "0.1", "0.01", "0.001"};
    auto grid = expandGrid({Kernel::Poly}, Cs, gammas, {3}, {0});
    const auto rbf = expandGrid({Kernel::Rbf}, {1, 10}, {"0.1", "scale"}, {3}, {0});
    grid.insert(grid.end(), rbf.begin(), rbf.end());
    GridSearchOptions o;
    o.metric = parseMetric(metric.toStdString());
    o.kernelMemoryMb = precomputed ? 1024 : 0;
    GridSearch search(scaler.transform(m_trainBlobs.x, m_trainBlobs.rows), m_trainBlobs.rows, m_trainBlobs.dims, labels, 4,
                      folds, grid, o);
    QCOMPARE(search.usesPrecomputedKernels(), precomputed);
    int streamed = 0;
    const auto results = search.run([&](const GridPointResult&, int done, int total) {
        ++streamed;
        QCOMPARE(total, int(grid.size()));
        QVERIFY(done <= total);
    });
    QCOMPARE(streamed, int(grid.size()));
    QCOMPARE(results.size(), grid.size());

    const QString foldsPath = m_tmp.path() + QStringLiteral("/folds.json");
    const QString specPath = m_tmp.path() + QStringLiteral("/spec.json");
    QVERIFY(writeJsonFile(foldsPath, foldsJson(folds)));
    // One scikit-learn grid per kernel, each in ParameterGrid order (C slowest, gamma fastest).
    const QJsonObject poly{{QStringLiteral("kernel"), QJsonArray{QStringLiteral("poly")}},
                           {QStringLiteral("C"), QJsonArray{0.1, 1, 10, 100}},
                           {QStringLiteral("gamma"), QJsonArray{1, 0.1, 0.01, 0.001}}};
    const QJsonObject rbfGrid{{QStringLiteral("kernel"), QJsonArray{QStringLiteral("rbf")}},
                              {QStringLiteral("C"), QJsonArray{1, 10}},
                              {QStringLiteral("gamma"), QJsonArray{0.1, QStringLiteral("scale")}}};
    QVERIFY(writeJsonFile(specPath, QJsonDocument(QJsonObject{{QStringLiteral("grid"), QJsonArray{poly, rbfGrid}},
                                                              {QStringLiteral("scoring"), metric}})));
    const QJsonObject ref = reference({QStringLiteral("grid"), m_train, foldsPath, specPath}).object();
    const QJsonArray points = ref[QStringLiteral("points")].toArray();
    QCOMPARE(points.size(), int(results.size()));
    const double oneSample = 1.0 / double(folds.front().validation.size());
    for (int i = 0; i < points.size(); ++i) {
        const QJsonObject rp = points[i].toObject();
        const QJsonObject params = rp[QStringLiteral("params")].toObject();
        const GridPointResult& mine = results[std::size_t(i)];
        QCOMPARE(QString::fromStdString(kernelName(mine.params.kernel)), params[QStringLiteral("kernel")].toString());
        QCOMPARE(mine.params.C, params[QStringLiteral("C")].toDouble());
        const double diff = std::abs(mine.mean - rp[QStringLiteral("mean")].toDouble());
        QVERIFY2(diff < 1e-9 || diff <= oneSample / double(folds.size()) + 1e-12,
                 qPrintable(QStringLiteral("%1: ours %2, scikit-learn %3").arg(QString::fromStdString(mine.params.describe()))
                                .arg(mine.mean).arg(rp[QStringLiteral("mean")].toDouble())));
        if (diff < 1e-9)
            QVERIFY(std::abs(mine.std - rp[QStringLiteral("std")].toDouble()) < 1e-9);
    }
    const SvmParams best = results[std::size_t(GridSearch::bestIndex(results))].params;
    const QJsonObject refBest = ref[QStringLiteral("best")].toObject();
    QCOMPARE(QString::fromStdString(kernelName(best.kernel)), refBest[QStringLiteral("kernel")].toString());
    QCOMPARE(best.C, refBest[QStringLiteral("C")].toDouble());
    if (best.gammaMode.empty())
        QCOMPARE(best.gamma, refBest[QStringLiteral("gamma")].toDouble());
    else
        QCOMPARE(QString::fromStdString(best.gammaMode), refBest[QStringLiteral("gamma")].toString());
}

void TestSvm::metricsMatchScikitLearn()
{
    if (!m_reference)
        QSKIP("/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests");
    // Scores with many ties (rounded to 0.1) and a class that is never predicted.
    const int n = 120, k = 4;
    std::mt19937 rng(5);
    std::vector<int64_t> truth(n), pred(n);
    std::vector<float> scores(std::size_t(n * k));
    for (int i = 0; i < n; ++i) {
        truth[std::size_t(i)] = int64_t(rng() % k);
        for (int c = 0; c < k; ++c)
            scores[std::size_t(i * k + c)] = float(std::round((rng() % 100) / 10.0 + (c == truth[std::size_t(i)] ? 3 : 0)) / 10.0);
        pred[std::size_t(i)] = rng() % 5 == 0 ? (truth[std::size_t(i)] + 1) % 3 : truth[std::size_t(i)] % 3;
    }
    const QString t = m_tmp.path() + QStringLiteral("/m_truth.npy"), s = m_tmp.path() + QStringLiteral("/m_scores.npy"),
                  p = m_tmp.path() + QStringLiteral("/m_pred.npy");
    writeNpy(t.toStdString(), truth.data(), n);
    writeNpy(s.toStdString(), scores.data(), n, k);
    writeNpy(p.toStdString(), pred.data(), n);
    const QJsonObject ref = reference({QStringLiteral("metrics"), t, s, p}).object();
    const std::vector<int> ti(truth.begin(), truth.end()), pi(pred.begin(), pred.end());
    const std::vector<double> sd(scores.begin(), scores.end());
    const RocSet roc = rocOneVsRest(ti, sd, k);
    auto compareCurve = [](const std::vector<RocPoint>& mine, const QJsonObject& r) {
        const QJsonArray fpr = r[QStringLiteral("fpr")].toArray(), tpr = r[QStringLiteral("tpr")].toArray(),
                         thr = r[QStringLiteral("thresholds")].toArray();
        QCOMPARE(int(mine.size()), fpr.size());
        for (int i = 0; i < fpr.size(); ++i) {
            QVERIFY(std::abs(mine[std::size_t(i)].fpr - fpr[i].toDouble()) < 1e-12);
            QVERIFY(std::abs(mine[std::size_t(i)].tpr - tpr[i].toDouble()) < 1e-12);
            QVERIFY(std::abs(mine[std::size_t(i)].threshold - thr[i].toDouble()) < 1e-6);
        }
    };
    for (int c = 0; c < k; ++c) {
        compareCurve(roc.perClass[std::size_t(c)], ref[QStringLiteral("curves")].toArray()[c].toObject());
        QVERIFY(std::abs(roc.auc[std::size_t(c)] - ref[QStringLiteral("auc")].toArray()[c].toDouble()) < 1e-12);
    }
    compareCurve(roc.micro, ref[QStringLiteral("micro")].toObject());
    QVERIFY(std::abs(roc.aucMicro - ref[QStringLiteral("auc_micro")].toDouble()) < 1e-12);
    QVERIFY(std::abs(roc.aucMacro - ref[QStringLiteral("auc_macro")].toDouble()) < 1e-12);
    const ConfusionMatrix cm = confusionMatrix(ti, pi, k);
    const QJsonArray refCm = ref[QStringLiteral("confusion")].toArray();
    for (int a = 0; a < k; ++a)
        for (int b = 0; b < k; ++b)
            QCOMPARE(double(cm.at(a, b)), refCm[a].toArray()[b].toDouble());
    QVERIFY(std::abs(accuracy(cm) - ref[QStringLiteral("accuracy")].toDouble()) < 1e-12);
    QVERIFY(std::abs(macroF1(cm) - ref[QStringLiteral("f1_macro")].toDouble()) < 1e-12);
    const auto report = classReport(cm);
    for (int c = 0; c < k; ++c) {
        const QJsonArray r = ref[QStringLiteral("per_class")].toArray()[c].toArray();
        QVERIFY(std::abs(report[std::size_t(c)].precision - r[0].toDouble()) < 1e-12);
        QVERIFY(std::abs(report[std::size_t(c)].recall - r[1].toDouble()) < 1e-12);
        QVERIFY(std::abs(report[std::size_t(c)].f1 - r[2].toDouble()) < 1e-12);
        QCOMPARE(double(report[std::size_t(c)].support), r[3].toDouble());
    }
}

void TestSvm::svmPredictReadsOurModel()
{
    if (QStandardPaths::findExecutable(QStringLiteral("svm-predict")).isEmpty())
        QSKIP("svm-predict (Debian's libsvm-tools) is not installed: run packaging/install-deps.sh --tests");
    SvmOptions o;
    o.trainPrefix = m_train.toStdString();
    o.testPrefix = m_test.toStdString();
    o.outDir = (m_tmp.path() + QStringLiteral("/svmpredict")).toStdString();
    o.C = {1, 10};
    o.gamma = {"0.1", "0.01"};
    SvmTask task(o);
    QSignalSpy finished(&task, &Task::finished);
    task.run();
    QCOMPARE(finished.size(), 1);
    // The scaled test rows in libsvm's text format, with the true labels.
    const Scaler scaler = Scaler::load(o.outDir + "/scaler.json");
    const auto xte = scaler.transform(m_testBlobs.x, m_testBlobs.rows);
    QFile data(m_tmp.path() + QStringLiteral("/test.libsvm"));
    QVERIFY(data.open(QIODevice::WriteOnly));
    for (int64_t i = 0; i < m_testBlobs.rows; ++i) {
        QByteArray line = QByteArray::number(m_testBlobs.y[std::size_t(i)]);
        for (int64_t d = 0; d < m_testBlobs.dims; ++d)
            line += ' ' + QByteArray::number(d + 1) + ':' + QByteArray::number(xte[std::size_t(i * m_testBlobs.dims + d)], 'g', 17);
        data.write(line + '\n');
    }
    data.close();
    const QString out = m_tmp.path() + QStringLiteral("/svm-predict.out");
    const auto r = test::runProcess(QStringLiteral("svm-predict"),
                                    {data.fileName(), QString::fromStdString(o.outDir + "/model.libsvm"), out});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile predicted(out);
    QVERIFY(predicted.open(QIODevice::ReadOnly));
    const QList<QByteArray> theirs = predicted.readAll().trimmed().split('\n');
    QFile csv(QString::fromStdString(o.outDir + "/predictions.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QList<QByteArray> ours = csv.readAll().trimmed().split('\n');
    ours.removeFirst();
    QCOMPARE(theirs.size(), ours.size());
    for (int i = 0; i < ours.size(); ++i)
        QCOMPARE(theirs[i].toInt(), ours[i].split(',')[2].toInt());
}

void TestSvm::blasUsesTheCpusKernels()
{
    const std::string core = selectBlasKernels();
    if (core.empty())
        QSKIP("the BLAS in use is not OpenBLAS");
    qInfo("OpenBLAS kernels: %s", core.c_str());
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        QVERIFY2(core != "Prescott", "OpenBLAS runs its generic kernels on a CPU with AVX2");
    // And the Gram matrix still agrees with a plain loop.
    const Blobs b = makeBlobs(20, 3, 40, 5);
    const std::vector<double> x(b.x.begin(), b.x.end());
    const std::vector<double> g = crossProducts(x, b.rows, x, b.rows, b.dims);
    for (int64_t i = 0; i < b.rows; i += 7)
        for (int64_t j = 0; j < b.rows; j += 5) {
            double s = 0;
            for (int64_t d = 0; d < b.dims; ++d) s += x[std::size_t(i * b.dims + d)] * x[std::size_t(j * b.dims + d)];
            QVERIFY(std::abs(g[std::size_t(i * b.rows + j)] - s) <= 1e-9 * std::max(1.0, std::abs(s)));
        }
}

void TestSvm::modelFileIsSvmSaveModelByteForByte_data()
{
    QTest::addColumn<QString>("kernel");
    QTest::addColumn<bool>("precomputed");
    QTest::addColumn<bool>("probability");
    QTest::newRow("poly, precomputed, probabilities") << QStringLiteral("poly") << true << true;
    QTest::newRow("poly, native") << QStringLiteral("poly") << false << false;
    QTest::newRow("rbf, probabilities") << QStringLiteral("rbf") << false << true;
    QTest::newRow("linear, precomputed") << QStringLiteral("linear") << true << false;
    QTest::newRow("sigmoid") << QStringLiteral("sigmoid") << false << false;
}

void TestSvm::modelFileIsSvmSaveModelByteForByte()
{
    // Our writer's file, read by libsvm and written again by svm_save_model, must come back
    // identical: the same lines, the same %.17g and %.8g digits.
    QFETCH(QString, kernel);
    QFETCH(bool, precomputed);
    QFETCH(bool, probability);
    Scaler scaler;
    scaler.fit(m_trainBlobs.x, m_trainBlobs.rows, m_trainBlobs.dims);
    auto xtr = scaler.transform(m_trainBlobs.x, m_trainBlobs.rows);
    xtr[3] = 0.0;              // a zero, which the sparse format leaves out
    xtr[5] = 1.25e-7;          // exponent notation at %.8g
    xtr[7] = -12345.678901;     // more digits than %.8g keeps
    SvmParams p;
    p.kernel = parseKernel(kernel.toStdString());
    p.C = 0.01;  // small: (nearly) every row a support vector, the first one included
    p.gamma = 0.0123;
    p.coef0 = kernel == QLatin1String("sigmoid") ? 0.1 : 0.0;
    std::vector<int64_t> all(std::size_t(m_trainBlobs.rows));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = int64_t(i);
    const auto features = SvmRows::fromFeatures(xtr, m_trainBlobs.rows, m_trainBlobs.dims);
    const auto rows = precomputed
        ? precomputedKernelRows(xtr, m_trainBlobs.rows, xtr, m_trainBlobs.rows, m_trainBlobs.dims, p)
        : std::shared_ptr<const SvmRows>(features);
    SvmModel::Options mo;
    mo.probability = probability;
    const SvmModel model = SvmModel::train(rows, all, intLabels(m_trainBlobs), p, mo);
    const std::string ours = (m_tmp.path() + QStringLiteral("/ours.model")).toStdString();
    const std::string theirs = (m_tmp.path() + QStringLiteral("/theirs.model")).toStdString();
    model.save(ours, features.get(), &all);
    svm_model* loaded = svm_load_model(ours.c_str());
    QVERIFY(loaded);
    QCOMPARE(svm_save_model(theirs.c_str(), loaded), 0);
    svm_free_and_destroy_model(&loaded);
    const QByteArray a = fileBytes(ours), b = fileBytes(theirs);
    QVERIFY(a.size() > 1000);
    QCOMPARE(a.contains("probA "), probability);
    // The first row: its zero left out, %.8g's exponent form and rounding.
    QVERIFY(QString::fromLatin1(a).contains(QRegularExpression(QStringLiteral(" 3:[^ ]+ 5:[^ ]+ 6:1.25e-07 7:[^ ]+ 8:-12345.679 "))));
    if (a != b) {
        const QList<QByteArray> la = a.split('\n'), lb = b.split('\n');
        for (int i = 0; i < std::min(la.size(), lb.size()); ++i)
            QVERIFY2(la[i] == lb[i], qPrintable(QStringLiteral("line %1: %2\nvs %3").arg(i + 1).arg(
                                                   QString::fromLatin1(la[i].left(200)), QString::fromLatin1(lb[i].left(200)))));
        QCOMPARE(la.size(), lb.size());
    }
}

void TestSvm::taskWritesReportFolder()
{
    SvmOptions o;
    o.trainPrefix = m_train.toStdString();
    o.testPrefix = m_test.toStdString();
    o.outDir = (m_tmp.path() + QStringLiteral("/report")).toStdString();
    SvmTask task(o);
    QSignalSpy partial(&task, &Task::partialResult);
    QSignalSpy finished(&task, &Task::finished);
    // An ordinary (auto) connection, as the GUI and CLI make: points must arrive from the
    // task's own thread, not from the worker threads that scored them.
    int delivered = 0;
    connect(&task, &Task::partialResult, this, [&] { ++delivered; });
    task.run();
    QCOMPARE(finished.size(), 1);
    QCOMPARE(partial.size(), 16);  // the seed's 4 x 4 poly grid, one signal per point
    QCOMPARE(delivered, 16);
    const QJsonObject r = finished.front().front().toJsonObject();
    for (const char* key : {"best", "cv", "test", "timings"})
        QVERIFY2(r.contains(QLatin1String(key)), key);
    for (const char* key : {"kernel", "C", "gamma", "degree", "coef0"})
        QVERIFY2(r[QStringLiteral("best")].toObject().contains(QLatin1String(key)), key);
    const QJsonObject t = r[QStringLiteral("test")].toObject();
    for (const char* key : {"accuracy", "confusion", "roc_auc", "roc_auc_macro", "roc_auc_micro", "per_class"})
        QVERIFY2(t.contains(QLatin1String(key)), key);
    QVERIFY(t[QStringLiteral("accuracy")].toDouble() > 0.5);  // the blobs are separable enough
    QCOMPARE(r[QStringLiteral("cv")].toArray().size(), 16);
    for (const char* f : {"report.json", "predictions.csv", "roc_0.csv", "roc_3.csv", "model.libsvm", "scaler.json",
                          "classes.json", "features.json"})
        QVERIFY2(QFile::exists(QString::fromStdString(o.outDir) + QLatin1Char('/') + QLatin1String(f)), f);
    QFile csv(QString::fromStdString(o.outDir + "/predictions.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
    QCOMPARE(lines.front(), QByteArray("index,true,predicted,p_0,p_1,p_2,p_3"));
    QCOMPARE(lines.size(), int(m_testBlobs.rows) + 1);
    double sum = 0;
    for (const QByteArray& v : lines[1].split(',').mid(3)) sum += v.toDouble();
    QVERIFY(std::abs(sum - 1.0) < 1e-9);

    // The best point's out-of-fold predictions of every training row, shaped like predictions.csv.
    const QJsonObject oof = r[QStringLiteral("oof")].toObject();
    for (const char* key : {"accuracy", "confusion", "roc_auc_macro"})
        QVERIFY2(oof.contains(QLatin1String(key)), key);
    QCOMPARE(oof[QStringLiteral("rows")].toInt(), int(m_trainBlobs.rows));
    QFile oofCsv(QString::fromStdString(o.outDir + "/oof_predictions.csv"));
    QVERIFY(oofCsv.open(QIODevice::ReadOnly));
    const QList<QByteArray> oofLines = oofCsv.readAll().trimmed().split('\n');
    QCOMPARE(oofLines.front(), lines.front());
    QCOMPARE(oofLines.size(), int(m_trainBlobs.rows) + 1);
    int agree = 0;
    for (int i = 1; i < oofLines.size(); ++i) {
        const QList<QByteArray> cells = oofLines[i].split(',');
        QCOMPARE(cells[0].toInt(), i - 1);
        QCOMPARE(cells[1].toLongLong(), m_trainBlobs.y[std::size_t(i - 1)]);
        agree += cells[1] == cells[2];
    }
    QCOMPARE(double(agree) / m_trainBlobs.rows, oof[QStringLiteral("accuracy")].toDouble());
}

void TestSvm::outOfFoldMatchesCrossValPredict_data()
{
    QTest::addColumn<QString>("kernel");
    QTest::addColumn<double>("C");
    QTest::addColumn<QString>("gamma");
    QTest::addColumn<double>("tolerance");
    // Poly kernels are the same dot products on both paths; rbf goes through the norms with
    // BLAS on one and exp(-gamma |x - y|^2) directly in libsvm on the other, a few ulps apart,
    // which the calibration's sigmoid fit carries to about 1e-5.
    QTest::newRow("rbf") << QStringLiteral("rbf") << 10.0 << QStringLiteral("0.05") << 1e-4;
    QTest::newRow("poly") << QStringLiteral("poly") << 1.0 << QStringLiteral("0.1") << 1e-6;
}

void TestSvm::outOfFoldMatchesCrossValPredict()
{
    QFETCH(QString, kernel);
    QFETCH(double, C);
    QFETCH(QString, gamma);
    QFETCH(double, tolerance);
    Scaler scaler;
    scaler.fit(m_trainBlobs.x, m_trainBlobs.rows, m_trainBlobs.dims);
    const std::vector<double> x = scaler.transform(m_trainBlobs.x, m_trainBlobs.rows);
    const auto labels = intLabels(m_trainBlobs);
    const auto folds = stratifiedKFold(labels, 5);
    SvmParams params;
    params.kernel = parseKernel(kernel.toStdString());
    params.C = C;
    params.gamma = gamma.toDouble();
    OutOfFoldOptions o;
    o.seed = 7;
    const Evaluation dense = outOfFoldPredictions(x, m_trainBlobs.rows, m_trainBlobs.dims, labels, 4, folds, params, o);
    o.storage = KernelStorage::Libsvm;  // libsvm's own kernels and solver
    const Evaluation libsvm = outOfFoldPredictions(x, m_trainBlobs.rows, m_trainBlobs.dims, labels, 4, folds, params, o);
    // Every training row once, in row order, each predicted by the fold that held it out.
    QCOMPARE(dense.rows.size(), std::size_t(m_trainBlobs.rows));
    for (std::size_t i = 0; i < dense.rows.size(); ++i)
        QCOMPARE(dense.rows[i], int64_t(i));
    QCOMPARE(dense.truth, labels);
    QCOMPARE(dense.predicted, libsvm.predicted);
    QCOMPARE(dense.probabilities.size(), std::size_t(m_trainBlobs.rows * 4));
    double worst = 0;
    for (std::size_t i = 0; i < dense.probabilities.size(); ++i)
        worst = std::max(worst, std::abs(dense.probabilities[i] - libsvm.probabilities[i]));
    QVERIFY2(worst < tolerance, qPrintable(QString::number(worst)));  // the same seeded calibration as libsvm
    QCOMPARE(dense.confusion.total(), m_trainBlobs.rows);

    if (!m_reference)
        QSKIP("/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests");
    const QString foldsPath = m_tmp.path() + QStringLiteral("/oof-folds.json");
    QVERIFY(writeJsonFile(foldsPath, foldsJson(folds)));
    const QJsonObject ref = reference({QStringLiteral("oof"), m_train, foldsPath, kernel, QString::number(C), gamma,
                                       QStringLiteral("3"), QStringLiteral("0")}).object();
    const QJsonArray predicted = ref[QStringLiteral("predicted")].toArray();
    QCOMPARE(predicted.size(), int(m_trainBlobs.rows));
    for (int i = 0; i < predicted.size(); ++i)
        QCOMPARE(dense.predicted[std::size_t(i)], predicted[i].toInt());
    // scikit-learn's copy of libsvm draws its calibration folds from its own generator, so its
    // probabilities differ from libsvm's in the calibration only: close, not equal.
    const QJsonArray proba = ref[QStringLiteral("proba")].toArray();
    double meanGap = 0;
    for (int i = 0; i < proba.size(); ++i)
        for (int k = 0; k < 4; ++k)
            meanGap += std::abs(proba[i].toArray()[k].toDouble() - dense.probabilities[std::size_t(i * 4 + k)]);
    meanGap /= double(proba.size() * 4);
    QVERIFY2(meanGap < 0.05, qPrintable(QString::number(meanGap)));
}

void TestSvm::holdOutKeepsEveryClassInTraining()
{
    // Class 2 has one row, class 1 two: a 0.5 hold-out must not take them out of training.
    const std::vector<int> labels{0, 0, 0, 0, 1, 1, 2, 0};
    const Fold f = holdOut(labels, 0.5, 3).front();
    std::vector<int> trainClasses;
    for (int64_t i : f.train) trainClasses.push_back(labels[std::size_t(i)]);
    for (int c : {0, 1, 2})
        QVERIFY2(std::count(trainClasses.begin(), trainClasses.end(), c) >= 1, qPrintable(QString::number(c)));
    QCOMPARE(f.validation.size() + f.train.size(), labels.size());
    QCOMPARE(f.validation.size(), std::size_t(4));  // three of class 0's five (2.5 rounds up) + one of class 1
}

void TestSvm::valueLists_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("list") << QStringLiteral("0.1,1,10") << QStringLiteral("0.1 1 10");
    QTest::newRow("log2") << QStringLiteral("log2:-1:3:2") << QStringLiteral("0.5 2 8");
    QTest::newRow("log10") << QStringLiteral("log10:-3:0") << QStringLiteral("0.001 0.01 0.1 1");
    QTest::newRow("descending") << QStringLiteral("log2:3:1:-1") << QStringLiteral("8 4 2");
    QTest::newRow("not a number") << QStringLiteral("1,x") << QStringLiteral("error");
    QTest::newRow("wrong direction") << QStringLiteral("log2:3:1:1") << QStringLiteral("error");
}

void TestSvm::valueLists()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    try {
        QStringList got;
        for (double v : parseValueList(text.toStdString(), "--C"))
            got << QString::number(v);
        QCOMPARE(got.join(QLatin1Char(' ')), expected);
    } catch (const std::invalid_argument& e) {
        QCOMPARE(expected, QStringLiteral("error"));
        QVERIFY2(QString::fromUtf8(e.what()).startsWith(QStringLiteral("--C")), e.what());
    }
}

void TestSvm::badInput_data()
{
    QTest::addColumn<QString>("what");
    QTest::addColumn<QString>("error");
    QTest::newRow("dimension mismatch") << QStringLiteral("dims") << QStringLiteral("columns but the training features have");
    QTest::newRow("NaN feature") << QStringLiteral("nan") << QStringLiteral("NaN or infinite");
    QTest::newRow("one class") << QStringLiteral("oneclass") << QStringLiteral("only one class");
    QTest::newRow("label file wrong length") << QStringLiteral("labels") << QStringLiteral("labels but");
    QTest::newRow("C <= 0") << QStringLiteral("C") << QStringLiteral("C must be a positive number");
    QTest::newRow("negative gamma") << QStringLiteral("gamma") << QStringLiteral("gamma must be a positive number");
    QTest::newRow("fold index out of range") << QStringLiteral("foldrange") << QStringLiteral("outside the training set");
    QTest::newRow("too many folds (empty)") << QStringLiteral("folds") << QStringLiteral("folds of");
}

void TestSvm::badInput()
{
    QFETCH(QString, what);
    QFETCH(QString, error);
    const QString dir = m_tmp.path() + QStringLiteral("/bad_") + what;
    QDir().mkpath(dir);
    Blobs train = makeBlobs(5, 3, 4, 7), test = makeBlobs(3, 3, 4, 8);
    SvmOptions o;
    o.trainPrefix = (dir + QStringLiteral("/train")).toStdString();
    o.testPrefix = (dir + QStringLiteral("/test")).toStdString();
    o.outDir = (dir + QStringLiteral("/out")).toStdString();
    o.folds = 3;
    if (what == QLatin1String("dims")) test = makeBlobs(3, 3, 5, 8);
    if (what == QLatin1String("nan")) train.x[7] = std::nanf("");
    if (what == QLatin1String("oneclass")) std::fill(train.y.begin(), train.y.end(), 1);
    if (what == QLatin1String("C")) o.C = {1, 0};
    if (what == QLatin1String("gamma")) o.gamma = {"-0.1"};
    if (what == QLatin1String("folds")) o.folds = 16;
    save(train, dir + QStringLiteral("/train"));
    save(test, dir + QStringLiteral("/test"));
    if (what == QLatin1String("labels")) {
        const std::vector<int64_t> shorter(train.y.begin(), train.y.end() - 1);
        writeNpy(o.trainPrefix + ".labels.npy", shorter.data(), int64_t(shorter.size()));
    }
    if (what == QLatin1String("foldrange")) {
        QFile f(dir + QStringLiteral("/fold_indices.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("0 1 2\n3 4 99\n");
        f.close();
        o.foldIndices = f.fileName().toStdString();
    }
    SvmTask task(o);
    QSignalSpy failed(&task, &Task::failed);
    task.run();
    QCOMPARE(failed.size(), 1);
    QVERIFY2(failed.front().front().toString().contains(error), qPrintable(failed.front().front().toString()));
}

void TestSvm::denseSolverIsLibsvmBitForBit_data()
{
    QTest::addColumn<QString>("kernel");
    QTest::addColumn<double>("C");
    QTest::addColumn<QString>("gamma");
    QTest::addColumn<int>("classes");
    QTest::addColumn<bool>("portable");
    // The seed's poly grid corners (huge kernel values at gamma 1), rbf, linear; 2 to 6 classes.
    for (bool portable : {false, true}) {
        const char* path = portable ? "portable" : "vector";
        for (double C : {0.1, 100.0})
            for (const char* gamma : {"1", "0.001"})
                QTest::addRow("%s poly C=%g gamma=%s", path, C, gamma) << "poly" << C << gamma << 4 << portable;
        QTest::addRow("%s rbf C=10", path) << "rbf" << 10.0 << "0.05" << 6 << portable;
        QTest::addRow("%s linear C=1", path) << "linear" << 1.0 << "1" << 2 << portable;
        QTest::addRow("%s sigmoid C=1", path) << "sigmoid" << 1.0 << "0.01" << 3 << portable;
    }
}

void TestSvm::denseSolverIsLibsvmBitForBit()
{
    // The grid search's dense solver against libsvm itself (the same precomputed kernel, the
    // same training rows): every support vector, decision value and prediction identical, to
    // the last bit, on both its AVX-512 and its portable loops.
    QFETCH(QString, kernel);
    QFETCH(double, C);
    QFETCH(QString, gamma);
    QFETCH(int, classes);
    QFETCH(bool, portable);
    const KernelProblem kp(70, classes, 11, kernel, C, gamma);
    const Blobs& b = kp.blobs;
    const auto& labels = kp.labels;
    const SvmParams& params = kp.params;
    const std::vector<double>& k = kp.kernel;
    const auto folds = stratifiedKFold(labels, 3);
    DenseSvc::forcePortable(portable);
    int64_t checked = 0;
    for (const Fold& fold : folds) {
        std::vector<int> trainLabels;
        for (int64_t r : fold.train)
            trainLabels.push_back(labels[std::size_t(r)]);
        const SvmModel reference = SvmModel::train(SvmRows::fromKernel(k, b.rows, b.rows), fold.train, trainLabels, params, {});
        const DenseSvc dense = DenseSvc::train(k.data(), b.rows, fold.train, trainLabels, C);
        QCOMPARE(dense.labels(), reference.labels());
        QCOMPARE(dense.supportVectorCount(), reference.supportVectorCount());
        const auto rowsOfLibsvm = SvmRows::fromKernel(k, b.rows, b.rows);
        for (int64_t r = 0; r < b.rows; ++r) {
            std::vector<double> dRef, dOurs;
            const int expected = reference.predict(rowsOfLibsvm->row(r), &dRef);
            QCOMPARE(dense.predict(k.data(), b.rows, r, &dOurs), expected);
            QCOMPARE(dOurs.size(), dRef.size());
            for (std::size_t p = 0; p < dRef.size(); ++p)
                QVERIFY2(std::memcmp(&dOurs[p], &dRef[p], sizeof(double)) == 0,
                         qPrintable(QStringLiteral("row %1 pair %2: %3 vs libsvm %4").arg(r).arg(p).arg(dOurs[p], 0, 'g', 17).arg(dRef[p], 0, 'g', 17)));
            ++checked;
        }
        QVERIFY(dense.stats().iterations > 0);
    }
    DenseSvc::forcePortable(false);
    QCOMPARE(checked, 3 * b.rows);
}

void TestSvm::denseProbabilityIsLibsvmBitForBit_data()
{
    QTest::addColumn<QString>("kernel");
    QTest::addColumn<double>("C");
    QTest::addColumn<QString>("gamma");
    QTest::addColumn<int>("classes");
    QTest::addColumn<int>("perClass");
    QTest::addColumn<unsigned>("seed");
    QTest::addColumn<int>("threads");
    QTest::newRow("poly C=0.1 gamma=1, 4 classes") << "poly" << 0.1 << "1" << 4 << 40 << 0u << 2;
    QTest::newRow("poly C=100 gamma=0.001, seed 7") << "poly" << 100.0 << "0.001" << 4 << 40 << 7u << 2;
    QTest::newRow("rbf, 6 classes, one thread") << "rbf" << 10.0 << "0.05" << 6 << 25 << 3u << 1;
    QTest::newRow("linear, 2 classes") << "linear" << 1.0 << "1" << 2 << 50 << 0u << 3;
    QTest::newRow("small classes") << "rbf" << 1.0 << "0.1" << 3 << 3 << 5u << 2;
    // One row per class: the probability folds train on one class only (decision values
    // +-1) or hold out nothing.
    QTest::newRow("one row per class") << "rbf" << 1.0 << "0.1" << 3 << 1 << 5u << 2;
}

void TestSvm::denseProbabilityIsLibsvmBitForBit()
{
    // The refit: DenseSvc with probability estimates against libsvm's svm_train with
    // probability=1 after the same srand(seed): the saved model files (rho, probA, probB,
    // every coefficient at %.17g) and every probability identical to the last bit.
    QFETCH(QString, kernel);
    QFETCH(double, C);
    QFETCH(QString, gamma);
    QFETCH(int, classes);
    QFETCH(int, perClass);
    QFETCH(unsigned, seed);
    QFETCH(int, threads);
    const KernelProblem kp(perClass, classes, 13, kernel, C, gamma);
    const Blobs& b = kp.blobs;
    const auto& labels = kp.labels;
    const auto& x = kp.x;
    const SvmParams& params = kp.params;
    const std::vector<double>& k = kp.kernel;
    std::vector<int64_t> all(std::size_t(b.rows));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = int64_t(i);
    const auto kernelRows = SvmRows::fromKernel(k, b.rows, b.rows);
    SvmModel::Options mo;
    mo.probability = true;
    mo.seed = seed;
    const SvmModel reference = SvmModel::train(kernelRows, all, labels, params, mo);
    const DenseSvc dense = DenseSvc::trainWithProbability(k.data(), b.rows, all, labels, C, seed, threads);
    QCOMPARE(int(dense.probA().size()), classes * (classes - 1) / 2);
    const SvmModel ours = SvmModel::fromDense(kernelRows, dense, params);
    QVERIFY(ours.hasProbability());
    QCOMPARE(ours.supportIndices(), reference.supportIndices());
    const auto features = SvmRows::fromFeatures(x, b.rows, b.dims);
    const std::string refPath = (m_tmp.path() + QStringLiteral("/prob-ref.model")).toStdString();
    const std::string ourPath = (m_tmp.path() + QStringLiteral("/prob-ours.model")).toStdString();
    reference.save(refPath, features.get(), &all);
    ours.save(ourPath, features.get(), &all);
    const QByteArray ra = fileBytes(refPath), oa = fileBytes(ourPath);
    QVERIFY(ra.contains("probA "));
    if (ra != oa) {
        const QList<QByteArray> lr = ra.split('\n'), lo = oa.split('\n');
        for (int i = 0; i < std::min(lr.size(), lo.size()); ++i)
            QVERIFY2(lr[i] == lo[i], qPrintable(QStringLiteral("line %1: %2\nlibsvm: %3").arg(i + 1).arg(
                                                   QString::fromLatin1(lo[i].left(300)), QString::fromLatin1(lr[i].left(300)))));
        QFAIL("the model files differ in length");
    }
    for (int64_t r = 0; r < b.rows; ++r) {
        std::vector<double> pr, po;
        QCOMPARE(ours.predictProbability(kernelRows->row(r), &po), reference.predictProbability(kernelRows->row(r), &pr));
        QVERIFY(std::memcmp(po.data(), pr.data(), po.size() * sizeof(double)) == 0);
    }
}

void TestSvm::cancelledWhilePointsFinish_data()
{
    QTest::addColumn<bool>("precomputed");
    QTest::newRow("precomputed kernels") << true;
    QTest::newRow("libsvm kernels") << false;
}

void TestSvm::cancelledWhilePointsFinish()
{
    // Cancel at many moments (from the point callback, and from another thread at random
    // times) while the workers are mid-fit: what comes back is exactly the points reported,
    // each complete and equal to an uninterrupted run's, and the next run is whole and equal.
    QFETCH(bool, precomputed);
    Scaler scaler;
    scaler.fit(m_trainBlobs.x, m_trainBlobs.rows, m_trainBlobs.dims);
    const auto x = scaler.transform(m_trainBlobs.x, m_trainBlobs.rows);
    const auto labels = intLabels(m_trainBlobs);
    const auto folds = stratifiedKFold(labels, 5);
    auto grid = expandGrid({Kernel::Poly, Kernel::Rbf}, {0.1, 1, 10, 100}, {"1", "0.1", "0.01", "0.001"}, {3}, {0});
    GridSearchOptions o;
    o.threads = 4;  // more workers than cores: fits overlap the cancel
    o.kernelMemoryMb = precomputed ? 1024 : 0;
    auto search = [&] { return GridSearch(x, m_trainBlobs.rows, m_trainBlobs.dims, labels, 4, folds, grid, o); };
    const auto full = search().run();
    QCOMPARE(full.size(), grid.size());

    std::mt19937 rng(42);
    int partial = 0;
    for (int round = 0; round < 24; ++round) {
        std::atomic_bool cancel{false};
        std::vector<int> reported;
        const int cancelAfter = int(rng() % grid.size());
        std::thread canceller;
        if (round % 2 == 1)  // from another thread, at a random moment
            canceller = std::thread([&cancel, us = int(rng() % 20000)] {
                std::this_thread::sleep_for(std::chrono::microseconds(us));
                cancel = true;
            });
        const auto results = search().run(
            [&](const GridPointResult& r, int done, int) {
                reported.push_back(r.index);
                if (round % 2 == 0 && done > cancelAfter)
                    cancel = true;
            },
            [&] { return cancel.load(); });
        if (canceller.joinable())
            canceller.join();
        QCOMPARE(int(results.size()), int(reported.size()));
        partial += results.size() < grid.size() ? 1 : 0;
        for (std::size_t i = 0; i < results.size(); ++i) {
            const GridPointResult& r = results[i];
            QVERIFY(std::find(reported.begin(), reported.end(), r.index) != reported.end());
            QCOMPARE(r.folds.size(), folds.size());
            QCOMPARE(r.folds, full[std::size_t(r.index)].folds);
            QCOMPARE(r.mean, full[std::size_t(r.index)].mean);
        }
    }
    QVERIFY2(partial >= 12, "most rounds must really be cut short");
    const auto again = search().run();
    QCOMPARE(again.size(), full.size());
    for (std::size_t i = 0; i < again.size(); ++i)
        QCOMPARE(again[i].folds, full[i].folds);
}


void TestSvm::scoreRowsAreRowByRowPredictions_data()
{
    QTest::addColumn<QString>("kernel");
    QTest::addColumn<bool>("probability");
    QTest::newRow("rbf") << QStringLiteral("rbf") << false;
    QTest::newRow("rbf, probability") << QStringLiteral("rbf") << true;
    QTest::newRow("poly") << QStringLiteral("poly") << false;
    QTest::newRow("linear, probability") << QStringLiteral("linear") << true;
    QTest::newRow("sigmoid") << QStringLiteral("sigmoid") << false;
}

void TestSvm::scoreRowsAreRowByRowPredictions()
{
    // Block scoring (kernel blocks against the support vectors, rows on threads) against
    // libsvm's one-row predict: the same predictions, decision values and probabilities up
    // to the rounding of the kernel's sums. 600 test rows: more than two 256-row blocks.
    // Each row's prediction is libsvm's vote (svm_predict), with or without probabilities.
    QFETCH(QString, kernel);
    QFETCH(bool, probability);
    const Blobs train = makeBlobs(40, 4, 12, 5), test = makeBlobs(150, 4, 12, 6);
    Scaler scaler;
    scaler.fit(train.x, train.rows, train.dims);
    const auto xtr = scaler.transform(train.x, train.rows);
    const auto xte = scaler.transform(test.x, test.rows);
    SvmParams p;
    p.kernel = parseKernel(kernel.toStdString());
    p.C = 3;
    p.gamma = 0.05;
    p.degree = 3;
    p.coef0 = kernel == QLatin1String("sigmoid") ? -1.0 : 0.5;
    // The fit sees the training rows in a shuffled order: trainX must follow it.
    std::vector<int64_t> rows(std::size_t(train.rows));
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = int64_t((i * 37) % rows.size());
    std::vector<int> labels;
    std::vector<double> fitted;
    for (int64_t r : rows) {
        labels.push_back(int(train.y[std::size_t(r)]));
        fitted.insert(fitted.end(), xtr.begin() + r * train.dims, xtr.begin() + (r + 1) * train.dims);
    }
    SvmModel::Options o;
    o.probability = probability;
    const SvmModel model = SvmModel::train(SvmRows::fromFeatures(xtr, train.rows, train.dims), rows, labels, p, o);
    const auto testRows = SvmRows::fromFeatures(xte, test.rows, test.dims);
    for (const bool ownNodes : {false, true}) {
        const SvmModel::Scores s = model.scoreRows(xte, test.rows, test.dims, ownNodes ? std::vector<double>{} : fitted, 2);
        QCOMPARE(int64_t(s.predicted.size()), test.rows);
        QCOMPARE(s.decisions.size(), std::size_t(test.rows) * 6);
        QCOMPARE(s.probabilities.size(), probability ? std::size_t(test.rows) * 4 : std::size_t(0));
        double worstDecision = 0, worstProbability = 0;
        int differ = 0;
        std::vector<double> d, pr;
        for (int64_t i = 0; i < test.rows; ++i) {
            // predict()'s vote, as svm_predict gives it, also for a model with probabilities.
            differ += model.predict(testRows->row(i), &d) != s.predicted[std::size_t(i)];
            if (probability)
                model.predictProbability(testRows->row(i), &pr);
            for (std::size_t k = 0; k < d.size(); ++k)
                worstDecision = std::max(worstDecision, std::abs(d[k] - s.decisions[std::size_t(i) * 6 + k]));
            for (std::size_t k = 0; k < pr.size(); ++k)
                worstProbability = std::max(worstProbability, std::abs(pr[k] - s.probabilities[std::size_t(i) * 4 + k]));
        }
        qInfo("%s%s (%s): %d predictions differ, worst decision difference %.2e, probability %.2e", qPrintable(kernel),
              probability ? " with probabilities" : "", ownNodes ? "model nodes" : "training rows", differ, worstDecision,
              worstProbability);
        QCOMPARE(differ, 0);
        QVERIFY2(worstDecision < 1e-9, qPrintable(QString::number(worstDecision)));
        QVERIFY2(worstProbability < 1e-9, qPrintable(QString::number(worstProbability)));
    }
}

void TestSvm::classPairKernelsGiveTheFullKernelsResults()
{
    // The grid search, the refit (with and without probabilities) and the out-of-fold
    // predictions one class pair's kernel at a time against the same on the full n x n
    // kernel: the same fold scores, best point, support vectors and predictions; decision
    // values and probabilities equal to rounding (BLAS sums a pair's dot products over other
    // blocks of rows than the full Gram matrix's).
    const Blobs train = makeBlobs(50, 5, 12, 11), test = makeBlobs(40, 5, 12, 12);
    Scaler scaler;
    scaler.fit(train.x, train.rows, train.dims);
    const auto x = scaler.transform(train.x, train.rows);
    const auto xt = scaler.transform(test.x, test.rows);
    const auto labels = intLabels(train);
    const auto folds = stratifiedKFold(labels, 5);
    auto grid = expandGrid({Kernel::Poly, Kernel::Rbf}, {0.1, 1, 10, 100}, {"1", "0.1", "0.01", "scale"}, {3}, {0});
    const auto linear = expandGrid({Kernel::Linear, Kernel::Sigmoid}, {0.1, 1}, {"0.01"}, {3}, {0.5});
    grid.insert(grid.end(), linear.begin(), linear.end());
    std::vector<GridPointResult> byStorage[2];
    const KernelStorage storages[2] = {KernelStorage::Full, KernelStorage::ClassPairs};
    for (int s = 0; s < 2; ++s) {
        GridSearchOptions o;
        o.storage = storages[s];
        o.metric = Metric::MacroAuc;  // reads the decision values too
        GridSearch search(x, train.rows, train.dims, labels, 5, folds, grid, o);
        QCOMPARE(search.kernelStorage(), storages[s]);
        int64_t lastFit = 0;
        int points = 0;
        byStorage[s] = search.run([&](const GridPointResult&, int, int) { ++points; }, {},
                                  [&](int64_t done, int64_t total) {
                                      QVERIFY(done > lastFit && done <= total);
                                      QCOMPARE(total, int64_t(grid.size() * folds.size()));
                                      lastFit = done;
                                  });
        QCOMPARE(points, int(grid.size()));
        QCOMPARE(lastFit, int64_t(grid.size() * folds.size()));
    }
    QCOMPARE(byStorage[1].size(), grid.size());
    double worstScore = 0;
    for (std::size_t i = 0; i < grid.size(); ++i)
        for (std::size_t f = 0; f < folds.size(); ++f)
            worstScore = std::max(worstScore, std::abs(byStorage[0][i].folds[f] - byStorage[1][i].folds[f]));
    qInfo("%zu points x %zu folds: worst fold-score difference %.2e", grid.size(), folds.size(), worstScore);
    QVERIFY2(worstScore < 1e-12, qPrintable(QString::number(worstScore)));
    const int best = GridSearch::bestIndex(byStorage[0]);
    QCOMPARE(GridSearch::bestIndex(byStorage[1]), best);

    for (const bool probability : {false, true}) {
        SvmParams params = byStorage[0][std::size_t(best)].params;
        resolveGammaOn(params, x, train.dims);
        FitOptions fo;
        fo.probability = probability;
        fo.seed = 3;
        fo.storage = KernelStorage::Full;
        const SvmModel full = fitModel(x, train.rows, train.dims, labels, params, fo);
        fo.storage = KernelStorage::ClassPairs;
        const SvmModel pairs = fitModel(x, train.rows, train.dims, labels, params, fo);
        QCOMPARE(pairs.supportIndices(), full.supportIndices());
        const SvmModel::Scores a = full.scoreRows(xt, test.rows, test.dims, x);
        const SvmModel::Scores b = pairs.scoreRows(xt, test.rows, test.dims, {});
        QCOMPARE(b.predicted, a.predicted);
        double worst = 0;
        for (std::size_t i = 0; i < a.decisions.size(); ++i) worst = std::max(worst, std::abs(a.decisions[i] - b.decisions[i]));
        for (std::size_t i = 0; i < a.probabilities.size(); ++i)
            worst = std::max(worst, std::abs(a.probabilities[i] - b.probabilities[i]));
        QCOMPARE(b.probabilities.size(), a.probabilities.size());
        qInfo("refit%s: %d support vectors, worst decision/probability difference %.2e",
              probability ? " with probabilities" : "", pairs.supportVectorCount(), worst);
        QVERIFY2(worst < 1e-9, qPrintable(QString::number(worst)));
    }

    OutOfFoldOptions oo;
    oo.seed = 5;
    oo.storage = KernelStorage::Full;
    SvmParams params = byStorage[0][std::size_t(best)].params;
    resolveGammaOn(params, x, train.dims);
    const Evaluation full = outOfFoldPredictions(x, train.rows, train.dims, labels, 5, folds, params, oo);
    oo.storage = KernelStorage::ClassPairs;
    const Evaluation pairs = outOfFoldPredictions(x, train.rows, train.dims, labels, 5, folds, params, oo);
    QCOMPARE(pairs.predicted, full.predicted);
    double worst = 0;
    for (std::size_t i = 0; i < full.probabilities.size(); ++i)
        worst = std::max(worst, std::abs(full.probabilities[i] - pairs.probabilities[i]));
    QVERIFY2(worst < 1e-9, qPrintable(QString::number(worst)));
}

void TestSvm::outOfFoldFromTheGridNeedsNoRefit()
{
    // The grid search with class-pair kernels keeps each point's validation scores; the best
    // point's are the out-of-fold predictions that refitting every fold gives (the same
    // predictions, decision values to the solver's tolerance), and their cross-fitted probabilities rank the
    // rows about as well as libsvm's inner-calibrated ones.
    const Blobs train = makeBlobs(60, 4, 10, 21);
    Scaler scaler;
    scaler.fit(train.x, train.rows, train.dims);
    const auto x = scaler.transform(train.x, train.rows);
    const auto labels = intLabels(train);
    const auto folds = stratifiedKFold(labels, 5);
    const auto grid = expandGrid({Kernel::Poly, Kernel::Rbf}, {0.1, 1, 10}, {"1", "0.1", "0.01"}, {3}, {0});
    GridSearchOptions o;
    o.storage = KernelStorage::ClassPairs;
    o.keepValidation = true;
    GridSearch search(x, train.rows, train.dims, labels, 4, folds, grid, o);
    const std::vector<GridPointResult> results = search.run();
    const int best = GridSearch::bestIndex(results);
    QVERIFY(best >= 0);
    const ValidationScores kept = search.takeValidation(results[std::size_t(best)].index);
    QCOMPARE(int64_t(kept.predicted.size()), train.rows);
    QVERIFY(search.takeValidation(-1).empty());

    OutOfFoldOptions oo;
    oo.storage = KernelStorage::ClassPairs;
    oo.probability = false;
    const SvmParams params = results[std::size_t(best)].params;
    const Evaluation refit = outOfFoldPredictions(x, train.rows, train.dims, labels, 4, folds, params, oo);
    const Evaluation reused = outOfFoldFromValidation(labels, 4, folds, kept, false);
    QCOMPARE(reused.rows, refit.rows);
    QCOMPARE(reused.predicted, refit.predicted);
    QCOMPARE(reused.decisions.size(), refit.decisions.size());
    double worst = 0;
    for (std::size_t i = 0; i < refit.decisions.size(); ++i)
        worst = std::max(worst, std::abs(refit.decisions[i] - reused.decisions[i]));
    qInfo("%s: %zu rows, the same predictions, worst decision difference %.2e", params.describe().c_str(),
          refit.rows.size(), worst);
    // The grid's pair kernels take their dot products over all of the pair's rows, a fold's
    // refit over its training rows only: BLAS rounds them differently, and libsvm's solver,
    // which stops at a KKT gap of 1e-3, may stop at another iterate. So the decision values
    // agree to that tolerance, not to the last bit.
    QVERIFY2(worst < 2e-3, qPrintable(QString::number(worst)));
    // The fold accuracy the grid reported is the out-of-fold accuracy's mean over folds.
    QCOMPARE(reused.confusion.total(), int64_t(train.rows));

    oo.probability = true;
    const Evaluation libsvm = outOfFoldPredictions(x, train.rows, train.dims, labels, 4, folds, params, oo);
    const Evaluation calibrated = outOfFoldFromValidation(labels, 4, folds, kept, true);
    QCOMPARE(calibrated.probabilities.size(), std::size_t(train.rows * 4));
    int argmaxAgrees = 0;
    for (int64_t r = 0; r < train.rows; ++r) {
        double sum = 0;
        int argmax = 0;
        for (int c = 0; c < 4; ++c) {
            const double p = calibrated.probabilities[std::size_t(r * 4 + c)];
            QVERIFY(p >= 0 && p <= 1);
            sum += p;
            if (p > calibrated.probabilities[std::size_t(r * 4 + argmax)]) argmax = c;
        }
        QVERIFY2(std::abs(sum - 1) < 1e-9, qPrintable(QString::number(sum)));
        argmaxAgrees += argmax == calibrated.predicted[std::size_t(r)];
    }
    qInfo("probabilities: macro AUC %.4f cross-fitted vs %.4f libsvm's; argmax = vote on %d of %lld rows",
          calibrated.roc.aucMacro, libsvm.roc.aucMacro, argmaxAgrees, static_cast<long long>(train.rows));
    QVERIFY(calibrated.roc.aucMacro > 0.5);
    QVERIFY2(std::abs(calibrated.roc.aucMacro - libsvm.roc.aucMacro) < 0.03, "the calibrations rank rows differently");
    QVERIFY(argmaxAgrees >= train.rows * 9 / 10);

    // A fold whose training rows miss a class (its only row is validated there) makes the
    // folds' decision values incomparable: nothing is kept, and the later folds still run.
    std::vector<int> rare = labels;
    rare[0] = 4;
    std::vector<Fold> uneven = folds;
    for (Fold& f : uneven) {
        f.train.erase(std::remove(f.train.begin(), f.train.end(), int64_t(0)), f.train.end());
        f.validation.erase(std::remove(f.validation.begin(), f.validation.end(), int64_t(0)), f.validation.end());
    }
    uneven[0].validation.push_back(0);
    GridSearch partial(x, train.rows, train.dims, rare, 5, uneven, grid, o);
    QCOMPARE(partial.run().size(), grid.size());
    QVERIFY(partial.takeValidation(0).empty());
}

void TestSvm::refitCalibratedOnTheGrid()
{
    // The refit on all rows takes its pairs' sigmoids from the grid search's out-of-fold
    // decision values (one fit per pair) instead of libsvm's inner 5-fold calibration (six):
    // the same support vectors and decision values as the fit without probabilities, the
    // given sigmoids in the model, and test probabilities ranking about as libsvm's do.
    const Blobs train = makeBlobs(60, 4, 10, 41), test = makeBlobs(40, 4, 10, 42);
    Scaler scaler;
    scaler.fit(train.x, train.rows, train.dims);
    const auto x = scaler.transform(train.x, train.rows), xt = scaler.transform(test.x, test.rows);
    const auto labels = intLabels(train), truth = intLabels(test);
    const auto folds = stratifiedKFold(labels, 5);
    GridSearchOptions o;
    o.storage = KernelStorage::ClassPairs;
    o.keepValidation = true;
    GridSearch search(x, train.rows, train.dims, labels, 4, folds,
                      expandGrid({Kernel::Rbf}, {0.1, 1, 10}, {"0.1", "0.01"}, {3}, {0}), o);
    const std::vector<GridPointResult> results = search.run();
    const int best = GridSearch::bestIndex(results);
    QVERIFY(best >= 0);
    const SvmParams params = results[std::size_t(best)].params;
    const PairSigmoids sig = pairSigmoids(labels, 4, folds, search.takeValidation(results[std::size_t(best)].index));
    QCOMPARE(sig.A.size(), std::size_t(6));
    for (double a : sig.A) QVERIFY2(a < 0, "a pair's sigmoid does not rise with its decision value");

    FitOptions plain;
    plain.storage = KernelStorage::ClassPairs;
    FitOptions given = plain;
    given.probability = true;
    given.probA = sig.A;
    given.probB = sig.B;
    FitOptions inner = plain;
    inner.probability = true;
    const SvmModel a = fitModel(x, train.rows, train.dims, labels, params, given);
    const SvmModel b = fitModel(x, train.rows, train.dims, labels, params, plain);
    const SvmModel c = fitModel(x, train.rows, train.dims, labels, params, inner);
    QVERIFY(a.hasProbability());
    QCOMPARE(a.supportIndices(), b.supportIndices());
    const SvmModel::Scores sa = a.scoreRows(xt, test.rows, test.dims, x), sb = b.scoreRows(xt, test.rows, test.dims, x);
    QCOMPARE(sa.decisions, sb.decisions);
    const QString file = m_tmp.filePath(QStringLiteral("given-sigmoids.model"));
    a.save(file.toStdString(), SvmRows::fromFeatures(x, train.rows, train.dims).get());
    const SvmModel back = SvmModel::load(file.toStdString());
    const Evaluation ea = evaluate(a, xt, test.rows, x, test.dims, truth, 4);
    const Evaluation ec = evaluate(c, xt, test.rows, x, test.dims, truth, 4);
    const SvmModel::Scores sBack = back.scoreRows(xt, test.rows, test.dims, {});
    QCOMPARE(sBack.probabilities.size(), sa.probabilities.size());
    QVERIFY(!sa.probabilities.empty());
    double worst = 0;
    for (std::size_t i = 0; i < sa.probabilities.size(); ++i)
        worst = std::max(worst, std::abs(sBack.probabilities[i] - sa.probabilities[i]));
    // The file's own kernel sums round differently from the BLAS blocks: agreement to 1e-6.
    qInfo("saved and reloaded: probabilities within %.2e", worst);
    QVERIFY2(worst < 1e-6, "the saved model's probabilities differ");
    const auto [savedA, savedB] = savedSigmoids(file);
    QCOMPARE(savedA, sig.A);
    QCOMPARE(savedB, sig.B);
    qInfo("%s: test macro AUC %.4f with the grid's sigmoids, %.4f with libsvm's inner calibration",
          params.describe().c_str(), ea.roc.aucMacro, ec.roc.aucMacro);
    QVERIFY(ea.roc.aucMacro > 0.5);
    QVERIFY2(std::abs(ea.roc.aucMacro - ec.roc.aucMacro) < 0.03, "the calibrations rank rows differently");

    // Flat sigmoids (A = B = 0: every pairwise probability one half) give every class 1/4:
    // the model uses the sigmoids it is given.
    given.probA.assign(6, 0.0);
    given.probB.assign(6, 0.0);
    const Evaluation flat = evaluate(fitModel(x, train.rows, train.dims, labels, params, given), xt, test.rows, x,
                                     test.dims, truth, 4);
    for (double p : flat.probabilities) QVERIFY2(std::abs(p - 0.25) < 1e-9, qPrintable(QString::number(p)));
    given.probA.assign(5, -1.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fitModel(x, train.rows, train.dims, labels, params, given));

    // `deepsvm svm` with class-pair kernels refits this way and says so; the full kernel keeps libsvm's.
    for (const KernelStorage storage : {KernelStorage::ClassPairs, KernelStorage::Full}) {
        SvmOptions so;
        so.trainPrefix = m_train.toStdString();
        so.testPrefix = m_test.toStdString();
        so.outDir = (m_tmp.path() + QStringLiteral("/calibrated-") + QString::fromStdString(kernelStorageName(storage)))
                        .toStdString();
        so.C = {1, 10};
        so.gamma = {"0.1", "0.01"};
        so.kernelStorage = storage;
        SvmTask task(so);
        QSignalSpy finished(&task, &Task::finished);
        task.run();
        QCOMPARE(finished.size(), 1);
        QFile rf(QString::fromStdString(so.outDir + "/report.json"));
        QVERIFY(rf.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(rf.readAll()).object();
        const QString how = report[QStringLiteral("solver")].toObject()[QStringLiteral("probability")].toString();
        QVERIFY2(how.contains(storage == KernelStorage::ClassPairs ? QStringLiteral("grid search's out-of-fold")
                                                                   : QStringLiteral("inner 5-fold")),
                 qPrintable(how));
        const QJsonObject tested = report[QStringLiteral("test")].toObject();
        QCOMPARE(tested[QStringLiteral("roc_scores")].toString(), QStringLiteral("probability"));
        QVERIFY(tested[QStringLiteral("roc_auc_macro")].toDouble() > 0.5);
    }
}

void TestSvm::autoPicksTheSolverForTheSize()
{
    // --solver auto on the seed's grid, 5 folds with out-of-fold predictions, 10 balanced
    // classes in the default 6 GiB: the full kernel while it fits, then class-pair kernels,
    // then (when the exact SVM's estimate passes 30 minutes and the approximation's is
    // shorter) Nystroem for kernels and LIBLINEAR for the linear kernel.
    const auto seedGrid = expandGrid({Kernel::Poly}, {0.1, 1, 10, 100}, {"1", "0.1", "0.01", "0.001"}, {3}, {0});
    const auto linearGrid = expandGrid({Kernel::Linear}, {0.1, 1, 10, 100}, {"1"}, {3}, {0});
    auto labelsOf = [](int64_t rows) {
        std::vector<int> l(static_cast<std::size_t>(rows));
        for (int64_t i = 0; i < rows; ++i) l[std::size_t(i)] = int(i % 10);
        return l;
    };
    auto pick = [&](int64_t rows, const std::vector<SvmParams>& grid, const char* wanted = "auto") {
        return chooseSolver(Solver::parse(wanted), labelsOf(rows), 10, 2048, grid, 5, true, 6144, 2);
    };
    const SolverChoice small = pick(5000, seedGrid);
    QCOMPARE(small.solver.kind, Solver::Kind::Exact);
    QCOMPARE(small.storage, KernelStorage::Full);
    const SolverChoice mid = pick(20000, seedGrid), large = pick(50000, seedGrid);
    for (const SolverChoice* c : {&mid, &large}) {
        QCOMPARE(c->solver.kind, Solver::Kind::Exact);
        QCOMPARE(c->storage, KernelStorage::ClassPairs);
        QVERIFY2(c->reason.find("class-pairs") != std::string::npos, c->reason.c_str());
    }
    QVERIFY(small.estimatedSeconds < mid.estimatedSeconds && mid.estimatedSeconds < large.estimatedSeconds);
    // Four times the rows cost more than four times the time (the solver is quadratic here).
    QVERIFY(pick(80000, seedGrid).estimatedSeconds > 4 * mid.estimatedSeconds);
    const SolverChoice huge = pick(100000, seedGrid);
    qInfo("estimates: 5,000 rows %.0f s, 20,000 %.0f s, 50,000 %.0f s; 100,000: %s, %.0f s", small.estimatedSeconds,
          mid.estimatedSeconds, large.estimatedSeconds, huge.reason.c_str(), huge.estimatedSeconds);
    QCOMPARE(huge.solver.kind, Solver::Kind::Nystroem);
    QCOMPARE(huge.solver.landmarks, int64_t(2000));
    QVERIFY2(huge.estimatedSeconds < pick(100000, seedGrid, "exact").estimatedSeconds, huge.reason.c_str());
    QCOMPARE(pick(100000, linearGrid).solver.kind, Solver::Kind::Liblinear);
    QCOMPARE(pick(5000, linearGrid).solver.kind, Solver::Kind::Exact);
    const SolverChoice asked = pick(5000, seedGrid, "nystroem:300");
    QCOMPARE(asked.solver.kind, Solver::Kind::Nystroem);
    QCOMPARE(asked.reason, std::string("nystroem:300 as asked"));
}

void TestSvm::couplingIsLibsvms()
{
    // detail::coupleProbabilities on libsvm's own pairwise sigmoids (probA/probB from its model
    // file) gives svm_predict_probability's class probabilities.
    const Blobs train = makeBlobs(30, 4, 6, 31), test = makeBlobs(10, 4, 6, 32);
    Scaler scaler;
    scaler.fit(train.x, train.rows, train.dims);
    const auto x = scaler.transform(train.x, train.rows), xt = scaler.transform(test.x, test.rows);
    SvmParams params;
    params.kernel = Kernel::Rbf;
    params.C = 1;
    params.gamma = 0.1;
    FitOptions fo;
    fo.storage = KernelStorage::Libsvm;
    fo.probability = true;
    const SvmModel model = fitModel(x, train.rows, train.dims, intLabels(train), params, fo);
    const QString file = m_tmp.filePath(QStringLiteral("coupling.model"));
    model.save(file.toStdString());
    const auto [A, B] = savedSigmoids(file);
    QCOMPARE(A.size(), std::size_t(6));
    QCOMPARE(B.size(), std::size_t(6));
    QCOMPARE(model.labels(), (std::vector<int>{0, 1, 2, 3}));
    const SvmModel::Scores s = model.scoreRows(xt, test.rows, test.dims, {});
    double worst = 0;
    for (int64_t r = 0; r < test.rows; ++r) {
        std::vector<double> pairwise(16, 0.0), p(4);
        int q = 0;
        for (int a = 0; a < 4; ++a)
            for (int b = a + 1; b < 4; ++b, ++q) {
                const double v = std::min(std::max(detail::sigmoidPredict(s.decisions[std::size_t(r * 6 + q)], A[std::size_t(q)],
                                                                          B[std::size_t(q)]), 1e-7), 1 - 1e-7);
                pairwise[std::size_t(a * 4 + b)] = v;
                pairwise[std::size_t(b * 4 + a)] = 1 - v;
            }
        detail::coupleProbabilities(4, pairwise, p.data());
        for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(p[std::size_t(c)] - s.probabilities[std::size_t(r * 4 + c)]));
    }
    qInfo("coupled probabilities vs libsvm's: worst difference %.2e", worst);
    // The model file prints probA/probB to 17 significant digits: equal to rounding.
    QVERIFY2(worst < 1e-12, qPrintable(QString::number(worst)));
}

void TestSvm::linearSvcMatchesLinearSVC_data()
{
    QTest::addColumn<int>("classes");
    QTest::addColumn<double>("C");
    QTest::newRow("4 classes, C=1") << 4 << 1.0;
    QTest::newRow("4 classes, C=0.01") << 4 << 0.01;
    QTest::newRow("2 classes, C=0.1") << 2 << 0.1;
}

void TestSvm::linearSvcMatchesLinearSVC()
{
    // LIBLINEAR's dual solver (as scikit-learn's LinearSVC) on overlapping blobs, against
    // LinearSVC itself: the same predictions on at least 99.5% of the test rows (both stop at
    // a tolerance, and shuffle with different generators), decision values close.
    if (!m_reference)
        QSKIP("/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests");
    QFETCH(int, classes);
    QFETCH(double, C);
    const Blobs train = makeBlobs(150, classes, 12, 21, 0.8), test = makeBlobs(150, classes, 12, 22, 0.8);
    const QString trainPrefix = m_tmp.path() + QStringLiteral("/lin-train"), testPrefix = m_tmp.path() + QStringLiteral("/lin-test");
    save(train, trainPrefix);
    save(test, testPrefix);
    Scaler scaler;
    scaler.fit(train.x, train.rows, train.dims);
    const auto x = scaler.transform(train.x, train.rows);
    const auto xt = scaler.transform(test.x, test.rows);
    std::vector<int64_t> all(std::size_t(train.rows));
    std::iota(all.begin(), all.end(), int64_t(0));
    LinearSvc::Options o;
    o.probability = true;
    const LinearSvc model = LinearSvc::train(x, train.dims, all, intLabels(train), C, o);
    const std::vector<double> d = model.decisions(xt, test.rows);
    const std::vector<int> predicted = model.predict(d);
    const QJsonObject ref = reference({QStringLiteral("linearsvc"), trainPrefix, testPrefix, QString::number(C, 'g', 17)}).object();
    const QJsonArray refPred = ref[QStringLiteral("predicted")].toArray();
    const QJsonArray refDec = ref[QStringLiteral("decision")].toArray();
    QCOMPARE(refPred.size(), int(test.rows));
    int agree = 0, truthAgree = 0;
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < test.rows; ++i) {
        agree += predicted[std::size_t(i)] == refPred[int(i)].toInt();
        truthAgree += predicted[std::size_t(i)] == int(test.y[std::size_t(i)]);
        for (int k = 0; k < classes; ++k) {
            // Binary: scikit-learn's one value is the second class's.
            const double theirs = classes == 2 ? (k == 1 ? refDec[int(i)].toDouble() : -refDec[int(i)].toDouble())
                                               : refDec[int(i)].toArray()[k].toDouble();
            worst = std::max(worst, std::abs(d[std::size_t(i * classes + k)] - theirs));
            scale = std::max(scale, std::abs(theirs));
        }
    }
    qInfo("%d classes, C=%g: %d/%lld predictions agree with LinearSVC (accuracy %.3f), worst decision difference %.2e of %.2f",
          classes, C, agree, static_cast<long long>(test.rows), double(truthAgree) / double(test.rows), worst, scale);
    QVERIFY(double(agree) >= 0.995 * double(test.rows));
    QVERIFY2(worst < 0.02 * scale, qPrintable(QString::number(worst)));
    // Platt: rows sum to 1, and the most probable class is mostly the predicted one.
    const std::vector<double> p = model.probabilities(d);
    QCOMPARE(p.size(), d.size());
    int sameTop = 0;
    for (int64_t i = 0; i < test.rows; ++i) {
        double sum = 0;
        int top = 0;
        for (int k = 0; k < classes; ++k) {
            sum += p[std::size_t(i * classes + k)];
            if (p[std::size_t(i * classes + k)] > p[std::size_t(i * classes + top)]) top = k;
        }
        QVERIFY(std::abs(sum - 1.0) < 1e-12);
        sameTop += top == predicted[std::size_t(i)];
    }
    QVERIFY2(double(sameTop) >= 0.95 * double(test.rows), qPrintable(QString::number(sameTop)));
    // The file gives back the same model.
    const std::string file = (m_tmp.path() + QStringLiteral("/linear.json")).toStdString();
    model.save(file);
    const LinearSvc loaded = LinearSvc::load(file);
    QCOMPARE(loaded.decisions(xt, test.rows), d);
    QCOMPARE(loaded.probabilities(d), p);
}

void TestSvm::nystroemMatchesScikitLearn()
{
    // Our Nystroem map on the same landmark rows as scikit-learn's Nystroem: the same
    // approximate kernel (mapped rows' dot products, which do not depend on the landmarks'
    // order), then LinearSVC on the mapped rows: the same predictions on >= 99.5% of rows.
    if (!m_reference)
        QSKIP("/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests");
    const Blobs train = makeBlobs(100, 4, 12, 31), test = makeBlobs(100, 4, 12, 32);
    const QString trainPrefix = m_tmp.path() + QStringLiteral("/ny-train"), testPrefix = m_tmp.path() + QStringLiteral("/ny-test");
    save(train, trainPrefix);
    save(test, testPrefix);
    Scaler scaler;
    scaler.fit(train.x, train.rows, train.dims);
    const auto x = scaler.transform(train.x, train.rows);
    const auto xt = scaler.transform(test.x, test.rows);
    const std::vector<int64_t> landmarks = Nystroem::chooseLandmarks(train.rows, 80, 4);
    QCOMPARE(landmarks.size(), std::size_t(80));
    const QString landmarkFile = m_tmp.path() + QStringLiteral("/landmarks.npy");
    writeNpy(landmarkFile.toStdString(), landmarks.data(), int64_t(landmarks.size()));
    SvmParams k;
    k.kernel = Kernel::Rbf;
    k.gamma = 0.05;
    const Nystroem map = Nystroem::fit(x, train.dims, landmarks, k);
    const std::vector<double> ftr = map.transform(x, train.rows), fte = map.transform(xt, test.rows);
    const int64_t m = map.components();
    std::vector<int64_t> all(std::size_t(train.rows));
    std::iota(all.begin(), all.end(), int64_t(0));
    const LinearSvc model = LinearSvc::train(ftr, m, all, intLabels(train), 1.0, {});
    const std::vector<int> predicted = model.predict(model.decisions(fte, test.rows));
    const QJsonObject ref = reference({QStringLiteral("nystroem"), trainPrefix, testPrefix, landmarkFile, QStringLiteral("rbf"),
                                       QStringLiteral("0.05"), QStringLiteral("3"), QStringLiteral("0"), QStringLiteral("1")})
                                .object();
    const QJsonArray approx = ref[QStringLiteral("approx_kernel")].toArray();
    QCOMPARE(approx.size(), 20);
    double worst = 0;
    for (int i = 0; i < 20; ++i)
        for (int j = 0; j < 50; ++j) {
            double dot = 0;
            for (int64_t c = 0; c < m; ++c) dot += fte[std::size_t(i * m + c)] * ftr[std::size_t(j * m + c)];
            worst = std::max(worst, std::abs(dot - approx[i].toArray()[j].toDouble()));
        }
    const QJsonArray refPred = ref[QStringLiteral("predicted")].toArray();
    int agree = 0;
    for (int64_t i = 0; i < test.rows; ++i) agree += predicted[std::size_t(i)] == refPred[int(i)].toInt();
    qInfo("Nystroem, 80 landmarks: worst approximate-kernel difference %.2e, %d/%lld predictions agree", worst, agree,
          static_cast<long long>(test.rows));
    QVERIFY2(worst < 1e-8, qPrintable(QString::number(worst)));
    QVERIFY(double(agree) >= 0.995 * double(test.rows));
    // Saved and loaded, the same map.
    const std::string prefix = (m_tmp.path() + QStringLiteral("/nystroem")).toStdString();
    map.save(prefix);
    QCOMPARE(Nystroem::load(prefix).transform(xt, test.rows), fte);
}

QTEST_GUILESS_MAIN(TestSvm)
#include "tst_svm.moc"
