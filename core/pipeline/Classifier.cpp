#include "pipeline/Classifier.h"

#include "data/Dataset.h"
#include "data/Image.h"
#include "features/BatchReader.h"
#include "features/Preprocess.h"
#include "metrics/Metrics.h"
#include "nets/InferenceNet.h"
#include "pipeline/BundleNetwork.h"
#include "svm/SvmModel.h"
#include "svm/SvmReport.h"
#include "svm/SvmTask.h"
#include "io/AtomicFile.h"
#include "io/Csv.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace deepsvm {

struct Classifier::Impl {
    ModelBundle bundle;
    std::unique_ptr<InferenceNet> net;
    PreprocessOptions pre;

    /// The SVM's answer for one row of raw features.
    Result score(const float* raw, int64_t dims, int topK) const;
};

Classifier::Classifier(const std::string& dir) : d(std::make_unique<Impl>())
{
    d->bundle = ModelBundle::read(dir);
    d->bundle.requireFeatureKey(" (the model was trained on bare .npy files, so images cannot be turned into the same features)");
    const FeatureKey& key = d->bundle.features.key;
    ResNet resnet = buildNetwork(d->bundle);
    resnet->eval();
    d->net = std::make_unique<InferenceNet>(resnet, parsePrecision(key.precision));
    d->pre.size = key.size;
    d->pre.normalization = parseNormalization(key.normalization);
}

Classifier::~Classifier() = default;

const std::vector<std::string>& Classifier::classNames() const { return d->bundle.classNames; }

namespace {

/// Image files named by path, for the batch reader: no labels, the path as id.
class PathSource final : public ImageSource {
public:
    explicit PathSource(const std::vector<std::string>& paths) : m_paths(paths) {}
    std::int64_t size() const override { return std::int64_t(m_paths.size()); }
    int label(std::int64_t) const override { return -1; }
    std::string id(std::int64_t i) const override { return m_paths[std::size_t(i)]; }
    RgbImage load(std::int64_t i) const override { return loadImageFile(m_paths[std::size_t(i)]); }
    std::string identity() const override { return {}; }

private:
    const std::vector<std::string>& m_paths;
};

}  // namespace

Classifier::Result Classifier::Impl::score(const float* raw, int64_t dims, int topK) const
{
    if (dims != bundle.scaler.dims())
        throw std::runtime_error("the network gives " + std::to_string(dims) + " features but the scaler expects "
                                 + std::to_string(bundle.scaler.dims()));
    Result r;
    r.features.assign(raw, raw + dims);
    const std::vector<double> x = bundle.scaler.transform(r.features, 1);
    double norm = 0;
    for (double v : x) norm += v * v;
    r.distance = std::sqrt(norm);
    r.farFromTraining = bundle.features.outlierNorm > 0 && r.distance > bundle.features.outlierNorm;
    const auto rows = SvmRows::fromFeatures(x, 1, int64_t(x.size()));
    const std::vector<int> labels = bundle.model->labels();
    std::vector<double>& score = r.scores;
    score.assign(bundle.classNames.size(), 0.0);
    std::vector<double> dec;
    r.predicted = bundle.model->predict(rows->row(0), &dec);
    if (bundle.model->hasProbability()) {
        std::vector<double> p;
        bundle.model->predictProbability(rows->row(0), &p);
        for (std::size_t k = 0; k < labels.size(); ++k) score[std::size_t(labels[k])] = p[k];
    } else {
        score = ovrScores(dec, 1, labels, int(bundle.classNames.size()));
    }
    std::vector<int> order(score.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
    for (int i = 0; i < std::min<int>(topK, int(order.size())); ++i) {
        const int k = order[std::size_t(i)];
        r.top.push_back({k, bundle.classNames[std::size_t(k)], score[std::size_t(k)]});
    }
    return r;
}

Classifier::Result Classifier::classify(const std::string& path, int topK) const
{
    return classifyMany({path}, topK, 1).front();
}

std::vector<Classifier::Result> Classifier::classifyMany(const std::vector<std::string>& paths, int topK, int batchSize,
                                                         const Progress& progress, const CancelCheck& cancelled) const
{
    std::vector<Result> results(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i)
        results[i].path = paths[i];
    const bool logits = d->bundle.features.key.layer == "fc";
    auto source = std::make_shared<PathSource>(paths);
    BatchReader reader(source, source->size(), std::max(batchSize, 1), d->pre);
    Batch batch;
    int64_t done = 0;
    while (reader.next(&batch)) {
        throwIfCancelled(cancelled);
        for (std::size_t k = 0; k < batch.skippedRows.size(); ++k)
            results[std::size_t(batch.skippedRows[k])].error = batch.skipped[k];
        if (!batch.images.empty()) {
            const InferenceNet::Output out = d->net->forward(torch::stack(batch.images));
            const torch::Tensor f = (logits ? out.logits : out.pooled).contiguous();
            const int64_t dims = f.size(1);
            for (std::size_t k = 0; k < batch.rows.size(); ++k) {
                Result& r = results[std::size_t(batch.rows[k])];
                const std::string path = r.path;
                r = d->score(f.data_ptr<float>() + int64_t(k) * dims, dims, topK);
                r.path = path;
            }
        }
        done += int64_t(batch.rows.size() + batch.skippedRows.size());
        if (progress)
            progress(done, int64_t(paths.size()));
    }
    return results;
}

void writeClassificationCsv(const std::string& file, const std::vector<Classifier::Result>& results,
                            const std::vector<std::string>& classNames)
{
    std::string csv = "path,predicted";
    for (const auto& c : classNames) csv += ",p_" + safeFileName(c);
    csv += ",far_from_training\n";
    for (const auto& r : results) {
        if (!r.error.empty())
            continue;
        csv += csvField(r.path) + "," + csvField(classNames[std::size_t(r.predicted)]);
        for (double s : r.scores) csv += "," + csvNumber(s);
        csv += r.farFromTraining ? ",1\n" : ",0\n";
    }
    writeFileAtomically(file, QByteArray::fromStdString(csv));
}

}  // namespace deepsvm
