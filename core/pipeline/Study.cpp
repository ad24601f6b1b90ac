#include "pipeline/Study.h"

#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "data/Splits.h"

#include <QJsonArray>

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

}  // namespace deepsvm
