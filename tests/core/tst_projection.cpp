// 2-D projections: PCA against scikit-learn, t-SNE on generated clusters, on data the test generates.
#include "TestSupport.h"

#include "analysis/Projection.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

using namespace deepsvm;

namespace {

struct Matrix {
    std::vector<float> values;
    int64_t rows = 0, cols = 0;
    std::vector<int> labels;
};

/// Rows mixed from four latent factors of clearly different variance, plus noise and column offsets, so the
/// top two components are well defined and centring matters.
Matrix latentFactors(int64_t rows, int64_t cols, unsigned seed, double offset)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal;
    const double scales[4] = {6, 3, 1.5, 0.7};
    std::vector<double> mixing(std::size_t(4 * cols)), offsets(static_cast<std::size_t>(cols));
    for (double& m : mixing) m = normal(rng);
    for (double& o : offsets) o = offset * (1.0 + normal(rng));
    Matrix m{{}, rows, cols, {}};
    for (int64_t i = 0; i < rows; ++i) {
        double z[4];
        for (int l = 0; l < 4; ++l) z[l] = scales[l] * normal(rng);
        for (int64_t j = 0; j < cols; ++j) {
            double v = offsets[j] + 0.1 * normal(rng);
            for (int l = 0; l < 4; ++l) v += z[l] * mixing[l * cols + j];
            m.values.push_back(float(v));
        }
    }
    return m;
}

/// `perCluster` points around each of `count` Gaussian centres in `dims` dimensions, classes interleaved.
Matrix clusters(int perCluster, int count, int dims, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal;
    std::vector<double> centres(std::size_t(count * dims));
    for (double& c : centres) c = 3.0 * normal(rng);  // centres ~34 apart, points ~11 from each other
    Matrix m{{}, int64_t(perCluster) * count, dims, {}};
    for (int i = 0; i < perCluster * count; ++i) {
        const int k = i % count;
        for (int d = 0; d < dims; ++d) m.values.push_back(float(centres[std::size_t(k * dims + d)] + normal(rng)));
        m.labels.push_back(k);
    }
    return m;
}

/// Share of points whose nearest other point in the embedding has the same label.
double nearestNeighbourPurity(const std::vector<float>& xy, const std::vector<int>& labels)
{
    const std::size_t n = labels.size();
    int same = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double best = std::numeric_limits<double>::infinity();
        std::size_t nearest = i;
        for (std::size_t j = 0; j < n; ++j) {
            const double dx = xy[2 * i] - xy[2 * j], dy = xy[2 * i + 1] - xy[2 * j + 1];
            if (j != i && dx * dx + dy * dy < best) {
                best = dx * dx + dy * dy;
                nearest = j;
            }
        }
        same += labels[nearest] == labels[i] ? 1 : 0;
    }
    return double(same) / double(n);
}

bool allFinite(const std::vector<float>& v)
{
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

void writeRaw(const QString& path, const std::vector<float>& values)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(reinterpret_cast<const char*>(values.data()), qint64(values.size() * sizeof(float)));
}

QJsonDocument reference(const QStringList& args)
{
    const auto r = test::runProcess(test::referencePython(),
                                    QStringList{test::sourceDir() + QStringLiteral("/tests/python/projection_reference.py")} + args);
    if (r.exitCode != 0)
        qWarning("projection_reference.py failed: %s", r.err.constData());
    return QJsonDocument::fromJson(r.out);
}

/// Pearson correlation of column `c` of the scores with column `j` of the data.
double correlation(const std::vector<float>& xy, int c, const Matrix& m, int64_t j)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    const double n = double(m.rows);
    for (int64_t i = 0; i < m.rows; ++i) {
        const double a = xy[std::size_t(2 * i + c)], b = m.values[std::size_t(i * m.cols + j)];
        sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
    }
    return (sab - sa * sb / n) / std::sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
}

const char* const kNoSklearn = "/usr/bin/python3 with scikit-learn is not installed: run packaging/install-deps.sh --tests";

}  // namespace

class TestProjection : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pcaMatchesScikitLearn_data();
    void pcaMatchesScikitLearn();
    void pcaSignFollowsLargestLoading();
    void pcaIgnoresColumnOffsets();
    void tsneSeparatesClusters_data();
    void tsneSeparatesClusters();
    void tsneIsDeterministic();
    void tsneAsTrustworthyAsScikitLearn();
    void tsneReportsProgressAndCancels();
    void tinyInputs_data();
    void tinyInputs();
    void invalidInputThrows_data();
    void invalidInputThrows();

private:
    QTemporaryDir m_tmp;
    bool m_sklearn = false;
    Matrix m_clusters;
};

void TestProjection::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_sklearn = test::runProcess(test::referencePython(), {QStringLiteral("-c"), QStringLiteral("import sklearn")}, 120000)
                    .exitCode == 0;
    m_clusters = clusters(60, 5, 64, 7);
}

void TestProjection::pcaMatchesScikitLearn_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<double>("offset");
    QTest::newRow("tall 200 x 10") << 200 << 10 << 0.0;
    QTest::newRow("offsets of 1000") << 300 << 20 << 1000.0;
    QTest::newRow("wide 60 x 300 (rank-deficient)") << 60 << 300 << 1.0;
    QTest::newRow("features 600 x 700") << 600 << 700 << 2.0;
    QTest::newRow("two columns") << 50 << 2 << 0.0;
}

void TestProjection::pcaMatchesScikitLearn()
{
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(double, offset);
    const Matrix m = latentFactors(rows, cols, 11, offset);
    const std::vector<float> ours = pca2d(m.values, rows, cols);
    QCOMPARE(ours.size(), std::size_t(2 * rows));
    QVERIFY(allFinite(ours));
    if (!m_sklearn)
        QSKIP(kNoSklearn);
    const QString path = m_tmp.filePath(QStringLiteral("pca.f32"));
    writeRaw(path, m.values);
    const QJsonArray ref = reference({QStringLiteral("pca"), path, QString::number(rows), QString::number(cols)}).array();
    QCOMPARE(ref.size(), rows);
    for (int c = 0; c < 2; ++c) {
        double agreement = 0, scale = 0, worst = 0;
        for (int i = 0; i < rows; ++i) {
            agreement += ref[i].toArray()[c].toDouble() * ours[std::size_t(2 * i + c)];
            scale = std::max(scale, std::abs(ref[i].toArray()[c].toDouble()));
        }
        const double sign = agreement < 0 ? -1.0 : 1.0;
        for (int i = 0; i < rows; ++i)
            worst = std::max(worst, std::abs(sign * ours[std::size_t(2 * i + c)] - ref[i].toArray()[c].toDouble()));
        QVERIFY2(worst <= 1e-3 * scale, qPrintable(QStringLiteral("component %1: max difference %2 of max |score| %3")
                                                       .arg(c)
                                                       .arg(worst)
                                                       .arg(scale)));
    }
}

void TestProjection::pcaSignFollowsLargestLoading()
{
    // Column 3 carries most of the variance and column 1 most of the rest, so they hold each component's
    // largest loading: the scores must rise with them whichever way the columns point.
    for (const float direction : {1.0f, -1.0f}) {
        std::mt19937 rng(5);
        std::normal_distribution<double> normal;
        Matrix m{{}, 200, 5, {}};
        for (int i = 0; i < 200; ++i)
            for (int j = 0; j < 5; ++j)
                m.values.push_back(float(normal(rng) * (j == 3 ? 10.0 * direction : j == 1 ? -3.0 * direction : 0.3)));
        const std::vector<float> xy = pca2d(m.values, m.rows, m.cols);
        QVERIFY2(correlation(xy, 0, m, 3) > 0.99, qPrintable(QString::number(correlation(xy, 0, m, 3))));
        QVERIFY2(correlation(xy, 1, m, 1) > 0.99, qPrintable(QString::number(correlation(xy, 1, m, 1))));
    }
}

void TestProjection::pcaIgnoresColumnOffsets()
{
    const Matrix m = latentFactors(150, 40, 3, 0.0);
    Matrix shifted = m;
    for (std::size_t e = 0; e < shifted.values.size(); ++e) shifted.values[e] += float(50 + e % 40);
    const std::vector<float> a = pca2d(m.values, m.rows, m.cols), b = pca2d(shifted.values, m.rows, m.cols);
    float scale = 0, worst = 0;
    for (std::size_t e = 0; e < a.size(); ++e) {
        scale = std::max(scale, std::abs(a[e]));
        worst = std::max(worst, std::abs(a[e] - b[e]));
    }
    QVERIFY2(worst <= 1e-3f * scale, qPrintable(QStringLiteral("%1 of %2").arg(worst).arg(scale)));
}

void TestProjection::tsneSeparatesClusters_data()
{
    QTest::addColumn<int>("init");
    QTest::addColumn<int>("pcaDims");
    QTest::newRow("PCA init, 64 -> 50 dims") << int(TsneInit::Pca) << 50;
    QTest::newRow("random init") << int(TsneInit::Random) << 50;
    QTest::newRow("no reduction") << int(TsneInit::Pca) << 0;
    QTest::newRow("reduced to 10 dims") << int(TsneInit::Pca) << 10;
}

void TestProjection::tsneSeparatesClusters()
{
    QFETCH(int, init);
    QFETCH(int, pcaDims);
    TsneOptions options;
    options.init = TsneInit(init);
    options.pcaDims = pcaDims;
    const std::vector<float> xy = tsne2d(m_clusters.values, m_clusters.rows, m_clusters.cols, options);
    QCOMPARE(xy.size(), std::size_t(2 * m_clusters.rows));
    QVERIFY(allFinite(xy));
    const double purity = nearestNeighbourPurity(xy, m_clusters.labels);
    QVERIFY2(purity > 0.95, qPrintable(QString::number(purity)));
}

void TestProjection::tsneIsDeterministic()
{
    const Matrix& m = m_clusters;
    TsneOptions options;
    options.iterations = 300;
    options.threads = 1;
    const std::vector<float> single = tsne2d(m.values, m.rows, m.cols, options);
    options.threads = 2;
    QCOMPARE(tsne2d(m.values, m.rows, m.cols, options), single);  // the thread count does not matter
    options.threads = 0;
    QCOMPARE(tsne2d(m.values, m.rows, m.cols, options), single);

    options.init = TsneInit::Random;
    options.seed = 5;
    const std::vector<float> seeded = tsne2d(m.values, m.rows, m.cols, options);
    QCOMPARE(tsne2d(m.values, m.rows, m.cols, options), seeded);
    options.seed = 6;
    QVERIFY(tsne2d(m.values, m.rows, m.cols, options) != seeded);
}

void TestProjection::tsneAsTrustworthyAsScikitLearn()
{
    if (!m_sklearn)
        QSKIP(kNoSklearn);
    const Matrix& m = m_clusters;
    const QString values = m_tmp.filePath(QStringLiteral("clusters.f32"));
    const QString ours = m_tmp.filePath(QStringLiteral("tsne.f32"));
    writeRaw(values, m.values);
    writeRaw(ours, tsne2d(m.values, m.rows, m.cols, TsneOptions{}));
    const QJsonObject ref = reference({QStringLiteral("tsne"), values, QString::number(m.rows), QString::number(m.cols),
                                       ours, QStringLiteral("30")})
                                .object();
    QVERIFY(ref.contains(QStringLiteral("sklearn")));
    const double mine = ref[QStringLiteral("ours")].toDouble(), theirs = ref[QStringLiteral("sklearn")].toDouble();
    QVERIFY2(mine >= theirs - 0.01, qPrintable(QStringLiteral("trustworthiness %1, sklearn's %2").arg(mine).arg(theirs)));
}

void TestProjection::tsneReportsProgressAndCancels()
{
    const Matrix& m = m_clusters;
    TsneOptions options;
    options.iterations = 100;
    std::vector<std::pair<int, int>> calls;
    tsne2d(m.values, m.rows, m.cols, options, [&](int done, int total) {
        calls.emplace_back(done, total);
        return true;
    });
    QVERIFY(calls.size() >= 10);
    QCOMPARE(calls.back(), std::make_pair(100, 100));
    for (std::size_t i = 1; i < calls.size(); ++i) {
        QCOMPARE(calls[i].second, 100);
        QVERIFY(calls[i].first >= calls[i - 1].first);
    }

    int last = -1;
    const auto stopAtHalf = [&](int done, int) {
        last = done;
        return done < 50;
    };
    QVERIFY_THROWS_EXCEPTION(ProjectionCancelled, tsne2d(m.values, m.rows, m.cols, options, stopAtHalf));
    QCOMPARE(last, 50);
    const auto stopAtOnce = [&](int done, int) {
        last = done;
        return false;
    };
    QVERIFY_THROWS_EXCEPTION(ProjectionCancelled, tsne2d(m.values, m.rows, m.cols, options, stopAtOnce));
    QCOMPARE(last, 0);
}

void TestProjection::tinyInputs_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::newRow("2 x 1") << 2 << 1;
    QTest::newRow("3 x 2") << 3 << 2;
    QTest::newRow("12 x 3") << 12 << 3;
    QTest::newRow("20 x 100 (fewer rows than PCA dims)") << 20 << 100;
}

void TestProjection::tinyInputs()
{
    QFETCH(int, rows);
    QFETCH(int, cols);
    const Matrix m = latentFactors(rows, cols, 2, 1.0);
    const std::vector<float> pca = pca2d(m.values, rows, cols);
    QCOMPARE(pca.size(), std::size_t(2 * rows));
    QVERIFY(allFinite(pca));
    const std::vector<float> tsne = tsne2d(m.values, rows, cols, TsneOptions{});
    QCOMPARE(tsne.size(), std::size_t(2 * rows));
    QVERIFY(allFinite(tsne));
    // Identical rows: nothing to project, but still an answer.
    const std::vector<float> same(std::size_t(rows * cols), 4.0f);
    QVERIFY(allFinite(pca2d(same, rows, cols)));
    QVERIFY(allFinite(tsne2d(same, rows, cols, TsneOptions{})));
}

void TestProjection::invalidInputThrows_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<int>("count");
    QTest::addColumn<float>("poison");
    QTest::addColumn<double>("perplexity");
    QTest::addColumn<int>("iterations");
    QTest::addColumn<bool>("pcaThrows");
    const float none = 0.0f, nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    QTest::newRow("one row") << 1 << 3 << 3 << none << 30.0 << 10 << true;
    QTest::newRow("no rows") << 0 << 3 << 0 << none << 30.0 << 10 << true;
    QTest::newRow("negative rows") << -4 << 3 << 0 << none << 30.0 << 10 << true;
    QTest::newRow("no columns") << 4 << 0 << 0 << none << 30.0 << 10 << true;
    QTest::newRow("too few values") << 4 << 3 << 11 << none << 30.0 << 10 << true;
    QTest::newRow("too many values") << 4 << 3 << 13 << none << 30.0 << 10 << true;
    QTest::newRow("NaN") << 4 << 3 << 12 << nan << 30.0 << 10 << true;
    QTest::newRow("infinity") << 4 << 3 << 12 << -inf << 30.0 << 10 << true;
    QTest::newRow("zero perplexity") << 4 << 3 << 12 << none << 0.0 << 10 << false;
    QTest::newRow("NaN perplexity") << 4 << 3 << 12 << none << double(nan) << 10 << false;
    QTest::newRow("negative iterations") << 4 << 3 << 12 << none << 30.0 << -1 << false;
}

void TestProjection::invalidInputThrows()
{
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(int, count);
    QFETCH(float, poison);
    QFETCH(double, perplexity);
    QFETCH(int, iterations);
    QFETCH(bool, pcaThrows);
    std::vector<float> values(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) values[std::size_t(i)] = float(i % 5) + 0.1f * float(i);
    if (poison != 0.0f || std::isnan(poison))
        values[std::size_t(count / 2)] = poison;
    TsneOptions options;
    options.perplexity = perplexity;
    options.iterations = iterations;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, tsne2d(values, rows, cols, options));
    if (pcaThrows)
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pca2d(values, rows, cols));
    else
        QCOMPARE(pca2d(values, rows, cols).size(), std::size_t(2 * rows));
}

QTEST_GUILESS_MAIN(TestProjection)
#include "tst_projection.moc"
