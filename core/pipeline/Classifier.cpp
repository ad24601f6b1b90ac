#include "pipeline/Classifier.h"

#include "nets/Weights.h"

#include "data/Dataset.h"
#include "data/Image.h"
#include "features/BatchReader.h"
#include "features/Preprocess.h"
#include "metrics/Metrics.h"
#include "nets/InferenceNet.h"
#include "pipeline/BundleNetwork.h"
#include "svm/LinearModel.h"
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

    /// The SVM's answers for `n` rows of raw features (n x dims), scored together.
    std::vector<Result> score(const float* raw, int64_t n, int64_t dims, int topK) const;
};

Classifier::Classifier(const std::string& dir) : d(std::make_unique<Impl>())
{
    d->bundle = ModelBundle::read(dir);
    d->bundle.requireFeatureKey(" (the model was trained on bare .npy files, so images cannot be turned into the same features)");
    const FeatureKey& key = d->bundle.features.key;
    d->net = buildInferenceNetwork(d->bundle);
    d->pre.size = key.size;
    d->pre.resize = key.resize;
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

std::vector<Classifier::Result> Classifier::Impl::score(const float* raw, int64_t n, int64_t dims, int topK) const
{
    if (dims != bundle.scaler.dims())
        throw std::runtime_error("the network gives " + std::to_string(dims) + " features but the scaler expects "
                                 + std::to_string(bundle.scaler.dims()));
    const std::vector<float> features(raw, raw + n * dims);
    const std::vector<double> x = bundle.scaler.transform(features, n);
    const int classes = int(bundle.classNames.size());
    // The batch in one go: the exact SVM's kernel against the support vectors with BLAS, as
    // the run's own test scoring computes it (SvmModel::scoreRows), or the linear model's
    // decision values (LinearModel::scoreRows).
    SvmModel::Scores scored;
    LinearModel::Scores linearScores;
    if (bundle.linear)
        linearScores = bundle.linear->scoreRows(x, n, classes);
    else
        scored = bundle.model->scoreRows(x, n, dims, {});
    const std::vector<int> labels = bundle.modelLabels();
    const std::size_t pairs = labels.size() * (labels.size() - 1) / 2;
    std::vector<Result> out(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        Result& r = out[std::size_t(i)];
        r.features.assign(raw + i * dims, raw + (i + 1) * dims);
        double norm = 0;
        for (int64_t c = 0; c < dims; ++c) norm += x[std::size_t(i * dims + c)] * x[std::size_t(i * dims + c)];
        r.distance = std::sqrt(norm);
        r.farFromTraining = bundle.features.outlierNorm > 0 && r.distance > bundle.features.outlierNorm;
        std::vector<double>& score = r.scores;
        score.assign(std::size_t(classes), 0.0);
        r.predicted = bundle.linear ? linearScores.predicted[std::size_t(i)] : scored.predicted[std::size_t(i)];
        if (bundle.linear) {
            score.assign(linearScores.perClass.begin() + i * classes, linearScores.perClass.begin() + (i + 1) * classes);
        } else if (!scored.probabilities.empty()) {
            for (std::size_t k = 0; k < labels.size(); ++k)
                score[std::size_t(labels[k])] = scored.probabilities[std::size_t(i) * labels.size() + k];
        } else {
            const std::vector<double> dec(scored.decisions.begin() + std::ptrdiff_t(std::size_t(i) * pairs),
                                          scored.decisions.begin() + std::ptrdiff_t(std::size_t(i + 1) * pairs));
            score = ovrScores(dec, 1, labels, classes);
        }
        std::vector<int> order(score.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
        for (int k = 0; k < std::min<int>(topK, int(order.size())); ++k) {
            const int c = order[std::size_t(k)];
            r.top.push_back({c, bundle.classNames[std::size_t(c)], score[std::size_t(c)]});
        }
    }
    return out;
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
    const bool logits = isLogitsLayer(d->bundle.features.key.layer);
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
            std::vector<Result> scored = d->score(f.data_ptr<float>(), int64_t(batch.rows.size()), dims, topK);
            for (std::size_t k = 0; k < batch.rows.size(); ++k) {
                Result& r = results[std::size_t(batch.rows[k])];
                scored[k].path = r.path;
                r = std::move(scored[k]);
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
