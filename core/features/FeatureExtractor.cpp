#include "features/FeatureExtractor.h"

#include "data/Dataset.h"
#include "features/BatchReader.h"
#include "features/FeatureStore.h"
#include "features/LabelOverrides.h"
#include "features/Npy.h"
#include "features/Preprocess.h"
#include "nets/CpuMemoryCache.h"
#include "nets/InferenceNet.h"
#include "nets/Weights.h"

#include <QDateTime>
#include <QJsonArray>

#include <chrono>
#include <cstdio>

namespace deepsvm {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

/// What the consumer collected from a split's batches (the features went to the writer).
struct Consumed {
    std::vector<int64_t> labels;
    std::vector<std::string> ids, skipped;
    int64_t processed = 0;
    double seconds = 0;
};

/// A split seen through a labels override: relabelled images carry their new class, excluded
/// ones are left out. Its identity names the overrides that apply to it, so the cache keeps
/// the features of the split with and without them apart.
class OverriddenSource final : public ImageSource {
public:
    OverriddenSource(std::shared_ptr<const ImageSource> inner, const LabelOverrides& overrides,
                     const std::vector<std::string>& classNames, const std::string& file)
        : m_inner(std::move(inner))
    {
        std::string applied;
        for (int64_t i = 0; i < m_inner->size(); ++i) {
            const std::string id = m_inner->id(i);
            const std::string* label = overrides.find(id);
            if (label)
                applied += id + "=" + *label + "\n";
            const int c = label ? overrides.classIndex(*label, classNames, file) : m_inner->label(i);
            if (label && c < 0)
                continue;
            m_rows.push_back(i);
            m_labels.push_back(c);
        }
        m_identity = m_inner->identity() + (applied.empty() ? "" : ";labels_override=" + sha256Hex(applied));
    }
    std::int64_t size() const override { return std::int64_t(m_rows.size()); }
    int label(std::int64_t index) const override { return m_labels[std::size_t(index)]; }
    std::string id(std::int64_t index) const override { return m_inner->id(m_rows[std::size_t(index)]); }
    RgbImage load(std::int64_t index) const override { return m_inner->load(m_rows[std::size_t(index)]); }
    std::string identity() const override { return m_identity; }
    std::vector<std::string> skipped() const override { return m_inner->skipped(); }

private:
    std::shared_ptr<const ImageSource> m_inner;
    std::vector<std::int64_t> m_rows;
    std::vector<int> m_labels;
    std::string m_identity;
};

/// A dataset whose splits are seen through a labels override (ExtractOptions::labelsOverride).
class OverriddenDataset final : public Dataset {
public:
    OverriddenDataset(std::unique_ptr<Dataset> inner, std::string file)
        : m_inner(std::move(inner)), m_file(std::move(file)), m_overrides(LabelOverrides::load(m_file))
    {
    }
    std::string kind() const override { return m_inner->kind(); }
    std::string root() const override { return m_inner->root(); }
    const std::vector<std::string>& classNames() const override { return m_inner->classNames(); }
    std::vector<std::string> splits() const override { return m_inner->splits(); }
    std::shared_ptr<const ImageSource> split(const std::string& name) const override
    {
        return std::make_shared<OverriddenSource>(m_inner->split(name), m_overrides, m_inner->classNames(), m_file);
    }

private:
    std::unique_ptr<Dataset> m_inner;
    std::string m_file;
    LabelOverrides m_overrides;
};

}  // namespace

struct FeatureExtractor::Impl {
    ExtractOptions opt;
    std::unique_ptr<Dataset> dataset;
    PreprocessOptions pre;
    Precision precision = Precision::Float32;
    WeightsInfo weights;
    std::unique_ptr<InferenceNet> net;
    std::string weightsSha;

    void validate();
    std::vector<std::string> chosenSplits() const;
    FeatureKey keyFor(const std::string& split, const ImageSource& source) const;
    QJsonObject extractSplit(const std::string& split, const std::string& prefix, const FeatureKey& key,
                             int64_t doneBefore, int64_t total, const Progress& progress);
    Consumed consumeBatches(BatchReader& reader, NpyRowWriter& writer, const std::string& split, int64_t n,
                            int64_t doneBefore, int64_t total, const Progress& progress);
    QJsonObject sidecarFor(const FeatureKey& key, int64_t rows, int64_t dim, const std::vector<std::string>& ids,
                           const QJsonArray& skippedArray, double seconds, double rate) const;
};

FeatureExtractor::FeatureExtractor(const ExtractOptions& options) : d(std::make_unique<Impl>())
{
    d->opt = options;
}

FeatureExtractor::~FeatureExtractor() = default;

void FeatureExtractor::Impl::validate()
{
    if (opt.outPrefix.empty())
        throw std::invalid_argument("no output prefix given (--out PREFIX)");
    opt.layer = canonicalLayer(opt.backbone, opt.layer);  // also checks the backbone
    if (opt.size < 32 || opt.size > 1024)
        throw std::invalid_argument("--size " + std::to_string(opt.size) + " is outside 32..1024");
    if (opt.batchSize < 1 || opt.batchSize > 4096)
        throw std::invalid_argument("--batch-size " + std::to_string(opt.batchSize) + " is outside 1..4096");
    precision = parsePrecision(opt.precision);
    if (opt.resize == 0)
        opt.resize = defaultResize(opt.backbone, opt.size);
    if (opt.resize < opt.size || opt.resize > 2048)
        throw std::invalid_argument("--resize " + std::to_string(opt.resize) + " must lie between the crop (--size "
                                    + std::to_string(opt.size) + ") and 2048");
    pre.size = opt.size;
    pre.resize = opt.resize;
    pre.normalization = parseNormalization(opt.normalization);
}

std::vector<std::string> FeatureExtractor::Impl::chosenSplits() const
{
    const std::vector<std::string> available = dataset->splits();
    if (opt.splits.empty()) {
        std::vector<std::string> labelled;
        for (const auto& s : available)
            if (s != "unlabeled")
                labelled.push_back(s);
        return labelled;
    }
    if (opt.splits.size() == 1 && opt.splits.front() == "all")
        return available;
    for (const auto& s : opt.splits)
        dataset->split(s);  // throws naming the available splits
    return opt.splits;
}

FeatureKey FeatureExtractor::Impl::keyFor(const std::string& split, const ImageSource& source) const
{
    FeatureKey k;
    k.datasetRoot = dataset->root();
    k.datasetHash = sha256Hex(source.identity() + (opt.limit >= 0 ? ";limit=" + std::to_string(opt.limit) : ""));
    k.split = split;
    k.backbone = opt.backbone;
    k.weightsSha256 = weightsSha;
    k.layer = opt.layer;
    k.size = opt.size;
    k.resize = opt.resize;
    k.precision = opt.precision;
    k.normalization = opt.normalization;
    k.preprocessVersion = kPreprocessVersion;
    return k;
}

QJsonObject FeatureExtractor::run(const Progress& progress)
{
    const ReleaseCpuMemoryCacheOnExit releaseActivations;
    d->validate();
    d->dataset = openDataset(d->opt.data);
    if (!d->opt.labelsOverride.empty())
        d->dataset = std::make_unique<OverriddenDataset>(std::move(d->dataset), d->opt.labelsOverride);
    const std::vector<std::string> splits = d->chosenSplits();
    d->weightsSha = d->opt.weights == "random" ? "random-seed-" + std::to_string(d->opt.seed)
                                               : sha256OfFile(d->opt.weights);
    int64_t total = 0;
    for (const auto& s : splits) {
        const int64_t n = d->dataset->split(s)->size();
        total += d->opt.limit >= 0 ? std::min(n, d->opt.limit) : n;
    }
    QJsonArray results;
    int64_t done = 0;
    for (const auto& s : splits) {
        auto source = d->dataset->split(s);
        const int64_t n = d->opt.limit >= 0 ? std::min(source->size(), d->opt.limit) : source->size();
        const std::string prefix = splitPrefix(d->opt, s, splits.size());
        const FeatureKey key = d->keyFor(s, *source);
        if (d->opt.reuseCache && FeatureStore::isCached(prefix, key)) {
            done += n;
            QJsonObject r{{QStringLiteral("split"), q(s)}, {QStringLiteral("prefix"), q(prefix)},
                          {QStringLiteral("reused"), true}, {QStringLiteral("rows"), double(n)}};
            results.append(r);
            if (progress)
                progress(done, total, s + ": reused cached features " + prefix);
            continue;
        }
        if (!d->net) {
            d->net = makeInferenceNet(d->opt.backbone, d->opt.weights, &d->weights, d->opt.seed, d->precision);
        }
        results.append(d->extractSplit(s, prefix, key, done, total, progress));
        done += n;
    }
    return QJsonObject{{QStringLiteral("splits"), results}};
}

QJsonObject FeatureExtractor::Impl::extractSplit(const std::string& split, const std::string& prefix,
                                                  const FeatureKey& key, int64_t doneBefore, int64_t total,
                                                  const Progress& progress)
{
    auto source = dataset->split(split);
    const int64_t n = opt.limit >= 0 ? std::min(source->size(), opt.limit) : source->size();
    const int64_t batchSize = opt.batchSize;
    const int64_t dim = isLogitsLayer(opt.layer) ? weights.numClasses : penultimateDim(opt.backbone);

    BatchReader reader(source, n, batchSize, pre);
    NpyRowWriter writer(FeatureStore::featuresPath(prefix), dim);
    Consumed c = consumeBatches(reader, writer, split, n, doneBefore, total, progress);
    const double seconds = c.seconds;
    if (writer.rows() == 0)
        throw std::runtime_error(source->identity().substr(0, 200) + ": no image of split '" + split
                                 + "' could be read (" + std::to_string(c.skipped.size()) + " skipped)");

    const std::string tmpFeatures = writer.finish();
    // From here the old files are replaced: the old sidecar must not vouch for the new
    // .npy files, and a crash before the new sidecar lands leaves no cache entry at all.
    std::remove(FeatureStore::sidecarPath(prefix).c_str());
    commitFile(tmpFeatures, FeatureStore::featuresPath(prefix));
    writeNpy(FeatureStore::labelsPath(prefix), c.labels.data(), int64_t(c.labels.size()));

    const std::vector<std::string> refused = source->skipped();
    c.skipped.insert(c.skipped.begin(), refused.begin(), refused.end());
    QJsonArray skippedArray;
    for (const auto& s : c.skipped) skippedArray.append(q(s));
    const double rate = seconds > 0 ? double(c.processed) / seconds : 0.0;
    FeatureStore::writeSidecar(prefix, sidecarFor(key, writer.rows(), dim, c.ids, skippedArray, seconds, rate));
    return QJsonObject{{QStringLiteral("split"), q(split)},       {QStringLiteral("prefix"), q(prefix)},
                       {QStringLiteral("reused"), false},         {QStringLiteral("rows"), double(writer.rows())},
                       {QStringLiteral("cols"), double(dim)},     {QStringLiteral("seconds"), seconds},
                       {QStringLiteral("images_per_second"), rate}, {QStringLiteral("skipped"), skippedArray}};
}

/// The consumer: runs the network on each batch the producer queues, appends the chosen
/// layer's rows to `writer` and reports progress after every batch.
Consumed FeatureExtractor::Impl::consumeBatches(BatchReader& reader, NpyRowWriter& writer, const std::string& split,
                                                int64_t n, int64_t doneBefore, int64_t total, const Progress& progress)
{
    Consumed c;
    c.labels.reserve(std::size_t(n));
    c.ids.reserve(std::size_t(n));
    const auto t0 = std::chrono::steady_clock::now();
    int64_t processed = 0;
    Batch batch;
    while (reader.next(&batch)) {
        processed += int64_t(batch.images.size() + batch.skipped.size());
        c.skipped.insert(c.skipped.end(), batch.skipped.begin(), batch.skipped.end());
        if (!batch.images.empty()) {
            const InferenceNet::Output out = net->forward(torch::stack(batch.images));
            const torch::Tensor f = (isLogitsLayer(opt.layer) ? out.logits : out.pooled).contiguous();
            writer.append(f.data_ptr<float>(), f.size(0));
            c.labels.insert(c.labels.end(), batch.labels.begin(), batch.labels.end());
            c.ids.insert(c.ids.end(), batch.ids.begin(), batch.ids.end());
        }
        if (progress) {
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            char msg[160];
            std::snprintf(msg, sizeof msg, "%s: %lld/%lld images, %.1f img/s", split.c_str(),
                          static_cast<long long>(processed), static_cast<long long>(n),
                          secs > 0 ? double(processed) / secs : 0.0);
            progress(doneBefore + processed, total, msg);
        }
    }
    c.processed = processed;
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return c;
}

/// The split's sidecar: its cache key, provenance, shape, row ids, skipped images and timings.
QJsonObject FeatureExtractor::Impl::sidecarFor(const FeatureKey& key, int64_t rows, int64_t dim,
                                               const std::vector<std::string>& ids, const QJsonArray& skippedArray,
                                               double seconds, double rate) const
{
    QJsonArray classNames, idArray;
    for (const auto& c : dataset->classNames()) classNames.append(q(c));
    for (const auto& i : ids) idArray.append(q(i));
    QJsonObject timings{{QStringLiteral("seconds"), seconds}, {QStringLiteral("images_per_second"), rate}};
    return QJsonObject{
        {QStringLiteral("format"), QStringLiteral("deepsvm-features")},
        {QStringLiteral("version"), 1},
        {QStringLiteral("key"), key.toJson()},
        {QStringLiteral("dataset_kind"), q(dataset->kind())},
        {QStringLiteral("weights_file"), q(weights.source)},
        {QStringLiteral("pretrained"), weights.pretrained()},
        {QStringLiteral("rows"), double(rows)},
        {QStringLiteral("cols"), double(dim)},
        {QStringLiteral("class_names"), classNames},
        {QStringLiteral("ids"), idArray},
        {QStringLiteral("skipped"), skippedArray},
        {QStringLiteral("timings"), timings},
        {QStringLiteral("created"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {QStringLiteral("threads"), at::get_num_threads()},
    };
}

}  // namespace deepsvm
