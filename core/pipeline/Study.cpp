#include "pipeline/Study.h"

#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "data/Dataset.h"
#include "data/Splits.h"
#include "data/Stl10.h"

#include "io/JsonFile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include <vector>

namespace deepsvm {

namespace {

/// Writes the rows `rows` of `set` as a feature file set under `prefix`.
void writeSubset(const FeatureSet& set, const std::vector<int64_t>& rows, const std::string& prefix, const char* split)
{
    std::vector<float> values;
    std::vector<int64_t> labels;
    QJsonArray ids;
    for (int64_t r : rows) {
        values.insert(values.end(), set.values.begin() + r * set.cols, set.values.begin() + (r + 1) * set.cols);
        labels.push_back(set.labels[std::size_t(r)]);
        if (std::size_t(r) < set.ids.size())
            ids.append(QString::fromStdString(set.ids[std::size_t(r)]));
    }
    writeNpy(FeatureStore::featuresPath(prefix), values.data(), int64_t(rows.size()), set.cols);
    writeNpy(FeatureStore::labelsPath(prefix), labels.data(), int64_t(labels.size()));
    QJsonObject side = set.sidecar;
    side[QStringLiteral("ids")] = ids;
    side[QStringLiteral("rows")] = double(rows.size());
    side[QStringLiteral("derived_split")] = QString::fromLatin1(split);
    side.remove(QStringLiteral("key"));  // a derived file is not a cache entry
    side[QStringLiteral("source_key")] = set.sidecar[QStringLiteral("key")];
    FeatureStore::writeSidecar(prefix, side);
}

}  // namespace

StudySplits studySplits(const std::string& prefix, bool hasTest, double testFraction, uint64_t seed)
{
    StudySplits s;
    s.trainPrefix = prefix + ".train";
    s.testPrefix = prefix + ".test";
    if (hasTest)
        return s;
    const FeatureSet all = FeatureStore::load(prefix);
    const std::vector<int> labels(all.labels.begin(), all.labels.end());
    const Fold split = holdOut(labels, testFraction, seed).front();
    writeSubset(all, split.train, s.trainPrefix, "train");
    writeSubset(all, split.validation, s.testPrefix, "test");
    s.heldOut = true;
    s.trainRows = split.train.size();
    s.testRows = split.validation.size();
    return s;
}

StudySplits cachedHoldOut(const std::string& prefix, double testFraction, uint64_t seed)
{
    char tag[64];
    std::snprintf(tag, sizeof tag, ".holdout-%g-s%llu", testFraction, static_cast<unsigned long long>(seed));
    const std::string base = prefix + tag;
    StudySplits s;
    s.trainPrefix = base + ".train";
    s.testPrefix = base + ".test";
    s.heldOut = true;
    // A split made from the same cache entry is reused from its sidecars alone: reopening an
    // experiment or going back to a share reads no feature file.
    const QJsonValue key = readJsonObject(FeatureStore::sidecarPath(prefix)).value(QStringLiteral("key"));
    bool fresh = !key.isUndefined();
    std::size_t rows[2] = {0, 0};
    for (int i = 0; i < 2 && fresh; ++i) {
        const std::string& p = i == 0 ? s.trainPrefix : s.testPrefix;
        const auto side = readJsonObjectIfExists(FeatureStore::sidecarPath(p));
        fresh = side && side->value(QStringLiteral("source_key")) == key && side->value(QStringLiteral("rows")).toDouble() > 0
                && QFileInfo::exists(QString::fromStdString(FeatureStore::featuresPath(p)))
                && QFileInfo::exists(QString::fromStdString(FeatureStore::labelsPath(p)));
        if (fresh)
            rows[i] = std::size_t(side->value(QStringLiteral("rows")).toDouble());
    }
    if (fresh) {
        s.trainRows = rows[0];
        s.testRows = rows[1];
        return s;
    }
    const FeatureSet all = FeatureStore::load(prefix);
    const std::vector<int> labels(all.labels.begin(), all.labels.end());
    const Fold split = holdOut(labels, testFraction, seed).front();
    writeSubset(all, split.train, s.trainPrefix, "train");
    writeSubset(all, split.validation, s.testPrefix, "test");
    s.trainRows = split.train.size();
    s.testRows = split.validation.size();
    return s;
}

StudyTask::StudyTask(StudyOptions options, QObject* parent)
    : Task(QStringLiteral("Study"), parent), m_options(std::move(options))
{
}

QVariant StudyTask::execute()
{
    StudyOptions o = m_options;
    const QString outDir = QString::fromStdString(o.svm.outDir);
    if (!QDir().mkpath(outDir + QStringLiteral("/features")))
        throw std::runtime_error(o.svm.outDir + ": cannot create the report folder (check the path and its permissions)");
    const auto dataset = openDataset(o.extract.data);
    const auto splits = dataset->splits();
    const bool hasTest = std::find(splits.begin(), splits.end(), "test") != splits.end();
    o.extract.splits = hasTest ? std::vector<std::string>{"train", "test"} : std::vector<std::string>{splits.front()};
    o.extract.outPrefix = (outDir + QStringLiteral("/features/features")).toStdString();
    if (o.stl10Folds && (dataset->kind() != "stl10" || dataset->folds().empty()))
        throw std::invalid_argument("--stl10-folds needs an STL-10 folder with fold_indices.txt");

    // A labels override goes to the SVM, not the extraction: the cached features stay those
    // of the images as they are, and STL-10's fold file still counts the rows it knows.
    if (o.svm.labelsOverride.empty())
        o.svm.labelsOverride = std::exchange(o.extract.labelsOverride, std::string());

    StudyResult result;
    ExtractTask extract(o.extract);
    result.extraction = runWithin(extract).toJsonObject();
    throwIfCancelled();
    result.splits = studySplits(o.extract.outPrefix, hasTest, o.testFraction, o.svm.seed);
    Q_EMIT partialResult(QVariant::fromValue(StudyExtracted{result.extraction, result.splits}));

    o.svm.trainPrefix = result.splits.trainPrefix;
    o.svm.testPrefix = result.splits.testPrefix;
    if (o.stl10Folds)
        o.svm.foldIndices = stl10FoldFile(dataset->root());
    SvmTask svm(o.svm);
    result.report = runWithin(svm).toJsonObject();
    return QVariant::fromValue(result);
}

}  // namespace deepsvm
