#include "pipeline/BackboneBoard.h"

#include "data/Dataset.h"
#include "io/AtomicFile.h"
#include "io/JsonFile.h"
#include "nets/Backbones.h"
#include "features/FeatureStore.h"
#include "pipeline/FeatureCache.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <limits>

namespace deepsvm {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QJsonValue numberOrNull(double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(); }

/// The labelled split the board cross-validates on: "train", else the dataset's first (a
/// folder of class folders has one).
std::string trainingSplit(const std::string& data)
{
    const auto splits = openDataset(data)->splits();
    if (std::find(splits.begin(), splits.end(), std::string("train")) != splits.end())
        return "train";
    if (splits.empty())
        throw std::runtime_error(data + ": the dataset has no split to compare backbones on");
    return splits.front();
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
QString csvField(const QString& s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString t = s;
    t.replace(QStringLiteral("\""), QStringLiteral("\"\""));
    return QLatin1Char('"') + t + QLatin1Char('"');
}

QString csvNumber(double v, int precision = 6)
{
    return std::isfinite(v) ? QString::number(v, 'g', precision) : QString();
}

}  // namespace

SvmOptions BoardOptions::defaultBoardSvm()
{
    SvmOptions s;
    s.kernels = {Kernel::Linear, Kernel::Rbf};
    s.C = {0.1, 1, 10};
    s.gamma = {"scale"};
    s.folds = 5;
    s.metric = Metric::Accuracy;
    s.probability = false;
    s.outOfFold = false;
    return s;
}

QJsonObject BoardRow::toJson() const
{
    QJsonArray folds;
    for (double f : cvFolds) folds.append(f);
    return QJsonObject{{QStringLiteral("backbone"), q(candidate.backbone)},
                       {QStringLiteral("layer"), q(candidate.layer)},
                       {QStringLiteral("weights"), q(candidate.weights)},
                       {QStringLiteral("weights_tag"), q(weightsTag)},
                       {QStringLiteral("imagenet_top1"), numberOrNull(imagenetTop1)},
                       {QStringLiteral("size"), size},
                       {QStringLiteral("resize"), resize},
                       {QStringLiteral("rows"), double(rows)},
                       {QStringLiteral("feature_dim"), double(featureDim)},
                       {QStringLiteral("extract_seconds"), extractSeconds},
                       {QStringLiteral("images_per_second"), imagesPerSecond},
                       {QStringLiteral("extraction_reused"), reused},
                       {QStringLiteral("cv_accuracy"), cvMean},
                       {QStringLiteral("cv_std"), cvStd},
                       {QStringLiteral("cv_folds"), folds},
                       {QStringLiteral("best"), best},
                       {QStringLiteral("svm_seconds"), svmSeconds},
                       {QStringLiteral("features"), q(featuresPrefix)},
                       {QStringLiteral("report"), q(reportDir)}};
}

int bestBoardRow(const std::vector<BoardRow>& rows)
{
    int best = -1;
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (best < 0 || rows[i].cvMean > rows[std::size_t(best)].cvMean)
            best = int(i);
    return best;
}

QJsonObject BoardResult::toJson(const BoardOptions& options) const
{
    QJsonArray rowArray, kernels, cs, gammas;
    for (const BoardRow& r : rows) rowArray.append(r.toJson());
    for (Kernel k : options.svm.kernels) kernels.append(q(kernelName(k)));
    for (double c : options.svm.C) cs.append(c);
    for (const std::string& g : options.svm.gamma) gammas.append(q(g));
    return QJsonObject{
        {QStringLiteral("format"), QStringLiteral("deepsvm-backbone-board")},
        {QStringLiteral("version"), 1},
        {QStringLiteral("data"), q(options.extract.data)},
        {QStringLiteral("precision"), q(options.extract.precision)},
        {QStringLiteral("limit"), double(options.extract.limit)},
        {QStringLiteral("grid"), QJsonObject{{QStringLiteral("kernel"), kernels},
                                             {QStringLiteral("C"), cs},
                                             {QStringLiteral("gamma"), gammas},
                                             {QStringLiteral("folds"), options.svm.folds},
                                             {QStringLiteral("metric"), q(metricName(options.svm.metric))},
                                             {QStringLiteral("scale"), options.svm.scale}}},
        {QStringLiteral("rows"), rowArray},
        {QStringLiteral("best"), best},
    };
}

void writeBoard(const std::string& dir, const BoardResult& result, const BoardOptions& options)
{
    QDir().mkpath(q(dir));
    QString csv = QStringLiteral("backbone,layer,weights,weights_tag,imagenet_top1,size,resize,rows,feature_dim,"
                                 "images_per_second,extraction_reused,cv_accuracy,cv_std,best_kernel,best_C,best_gamma,"
                                 "svm_seconds,features\n");
    for (const BoardRow& r : result.rows) {
        const QJsonObject& b = r.best;
        const QString gamma = b.value(QStringLiteral("kernel")).toString() == QStringLiteral("linear")
                                  ? QString()
                                  : csvNumber(b.value(QStringLiteral("gamma")).toDouble(), 9);
        const QStringList fields{csvField(q(r.candidate.backbone)),
                                 csvField(q(r.candidate.layer)),
                                 csvField(q(r.candidate.weights)),
                                 csvField(q(r.weightsTag)),
                                 csvNumber(r.imagenetTop1),
                                 QString::number(r.size),
                                 QString::number(r.resize),
                                 QString::number(r.rows),
                                 QString::number(r.featureDim),
                                 csvNumber(r.imagesPerSecond, 4),
                                 r.reused ? QStringLiteral("1") : QStringLiteral("0"),
                                 csvNumber(r.cvMean),
                                 csvNumber(r.cvStd),
                                 b.value(QStringLiteral("kernel")).toString(),
                                 csvNumber(b.value(QStringLiteral("C")).toDouble(), 9),
                                 gamma,
                                 csvNumber(r.svmSeconds, 4),
                                 csvField(q(r.featuresPrefix))};
        csv += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    writeFileAtomically(dir + "/board.csv", csv.toUtf8());
    writeJsonAtomically(dir + "/board.json", result.toJson(options));
}

BoardTask::BoardTask(BoardOptions options, QObject* parent)
    : Task(QStringLiteral("Compare backbones"), parent), m_options(std::move(options))
{
}

QVariant BoardTask::execute()
{
    const BoardOptions& o = m_options;
    if (o.candidates.empty())
        throw std::invalid_argument("no backbone to compare: name at least one");
    for (const BoardCandidate& c : o.candidates)
        canonicalLayer(c.backbone, c.layer);  // unknown backbones and layers fail before any work
    const std::string split = trainingSplit(o.extract.data);
    const qint64 perCandidate = 1000, extractShare = 600;
    const qint64 total = perCandidate * qint64(o.candidates.size());
    QDir().mkpath(q(o.cacheDir));
    BoardResult board;
    for (std::size_t i = 0; i < o.candidates.size(); ++i) {
        const BoardCandidate& c = o.candidates[i];
        const qint64 base = perCandidate * qint64(i);
        const QString who = QStringLiteral("[%1/%2] %3 %4").arg(i + 1).arg(o.candidates.size()).arg(q(c.backbone), q(c.layer));
        BoardRow row;
        row.candidate = c;
        row.imagenetTop1 = std::numeric_limits<double>::quiet_NaN();
        if (c.weights != "random")
            if (const PublishedWeights* w = publishedWeightsForFile(c.backbone, QFileInfo(q(c.weights)).fileName().toStdString())) {
                row.weightsTag = w->tag;
                row.imagenetTop1 = w->top1;
            }

        ExtractOptions e = o.extract;
        e.backbone = c.backbone;
        e.layer = canonicalLayer(c.backbone, c.layer);
        e.weights = c.weights;
        e.splits = {split};
        if (e.size <= 0)
            e.size = defaultCrop(c.backbone);
        if (e.resize <= 0)
            e.resize = defaultResize(c.backbone, e.size);
        e.outPrefix = featureCachePrefix(q(o.cacheDir), q(o.extract.data), e).toStdString();
        row.size = e.size;
        row.resize = e.resize;
        checkpoint(base, total, who + QStringLiteral(": extracting"));
        ExtractTask extract(e);
        const QJsonObject extracted = runWithin(extract, [&](qint64 done, qint64 all, const QString& message) {
            Q_EMIT progress(base + (all > 0 ? extractShare * done / all : 0), total, who + QStringLiteral(": ") + message);
        }).toJsonObject();
        const QJsonObject s = extracted.value(QStringLiteral("splits")).toArray().first().toObject();
        row.featuresPrefix = s.value(QStringLiteral("prefix")).toString().toStdString();
        row.reused = s.value(QStringLiteral("reused")).toBool();
        // The speed and shape as the extraction that wrote the files recorded them.
        const QJsonObject sidecar = readJsonObject(FeatureStore::sidecarPath(row.featuresPrefix));
        row.rows = int64_t(sidecar.value(QStringLiteral("rows")).toDouble());
        row.featureDim = int64_t(sidecar.value(QStringLiteral("cols")).toDouble());
        const QJsonObject timings = sidecar.value(QStringLiteral("timings")).toObject();
        row.extractSeconds = timings.value(QStringLiteral("seconds")).toDouble();
        row.imagesPerSecond = timings.value(QStringLiteral("images_per_second")).toDouble();

        SvmOptions svm = o.svm;
        svm.trainPrefix = row.featuresPrefix;
        svm.testPrefix.clear();
        row.reportDir = o.outDir + "/" + c.backbone + "-" + c.layer;
        svm.outDir = row.reportDir;
        checkpoint(base + extractShare, total, who + QStringLiteral(": cross-validating the SVM"));
        SvmTask fit(svm);
        const QJsonObject report = runWithin(fit, [&](qint64 done, qint64 all, const QString& message) {
            Q_EMIT progress(base + extractShare + (all > 0 ? (perCandidate - extractShare) * done / all : 0), total,
                            who + QStringLiteral(": ") + message);
        }).toJsonObject();
        row.best = report.value(QStringLiteral("best")).toObject();
        row.svmSeconds = report.value(QStringLiteral("timings")).toObject().value(QStringLiteral("grid_search_seconds")).toDouble();
        // The best point's folds: the cv entry with the highest mean, as the SVM chose it.
        double bestMean = -1;
        for (const QJsonValue& v : report.value(QStringLiteral("cv")).toArray()) {
            const QJsonObject p = v.toObject();
            if (p.value(QStringLiteral("mean")).toDouble() > bestMean) {
                bestMean = p.value(QStringLiteral("mean")).toDouble();
                row.cvMean = bestMean;
                row.cvStd = p.value(QStringLiteral("std")).toDouble();
                row.cvFolds.clear();
                for (const QJsonValue& f : p.value(QStringLiteral("folds")).toArray()) row.cvFolds.push_back(f.toDouble());
            }
        }
        board.rows.push_back(row);
        board.best = bestBoardRow(board.rows);
        writeBoard(o.outDir, board, o);
        Q_EMIT partialResult(QVariant::fromValue(row));
        checkpoint(base + perCandidate, total, who + QStringLiteral(": CV accuracy %1").arg(row.cvMean, 0, 'f', 4));
    }
    return QVariant::fromValue(board);
}

}  // namespace deepsvm
