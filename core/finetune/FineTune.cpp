#include "finetune/FineTune.h"

#include "data/Dataset.h"
#include "features/FeatureStore.h"
#include "features/Npy.h"
#include "features/Preprocess.h"
#include "io/AtomicFile.h"
#include "io/JsonFile.h"
#include "nets/CpuMemoryCache.h"
#include "nets/ResNet.h"
#include "nets/TorchSetup.h"
#include "nets/Weights.h"
#include "data/Splits.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>

namespace deepsvm {

namespace {

using Clock = std::chrono::steady_clock;

QString q(const std::string& s) { return QString::fromStdString(s); }

bool within(const std::string& name, const std::string& module)
{
    return name == module || (name.size() > module.size() && name.compare(0, module.size(), module) == 0 && name[module.size()] == '.');
}

/// The modules that train: the user's selection plus the new head.
std::vector<std::string> trainedRoots(const FineTuneOptions& o)
{
    std::vector<std::string> roots = o.layers;
    if (std::find(roots.begin(), roots.end(), "fc") == roots.end())
        roots.push_back("fc");
    return roots;
}

bool isTrained(const std::string& name, const std::vector<std::string>& roots)
{
    return std::any_of(roots.begin(), roots.end(), [&](const std::string& r) { return within(name, r); });
}

/// Random crop with padding and a horizontal flip on a preprocessed 3 x S x S image. The
/// padding has the value a black pixel gets after normalisation, as torchvision's
/// RandomCrop(padding=...) on the image before ToTensor/Normalize gives.
torch::Tensor augment(const torch::Tensor& image, const torch::Tensor& black, std::mt19937_64& rng)
{
    const int64_t size = image.size(1);
    const int64_t pad = std::max<int64_t>(1, size / 24);  // 4 px at STL-10's 96 px
    torch::Tensor padded = black.view({3, 1, 1}).expand({3, size + 2 * pad, size + 2 * pad}).clone();
    padded.narrow(1, pad, size).narrow(2, pad, size).copy_(image);
    std::uniform_int_distribution<int64_t> offset(0, 2 * pad);
    torch::Tensor crop = padded.narrow(1, offset(rng), size).narrow(2, offset(rng), size);
    if (std::bernoulli_distribution(0.5)(rng))
        crop = crop.flip({2});
    return crop.contiguous();
}

struct Data {
    std::shared_ptr<const ImageSource> source;
    std::vector<int> labels;
    std::vector<int64_t> train, validation;
    std::vector<std::string> classNames;
};

Data loadData(const FineTuneOptions& o)
{
    Data d;
    const auto dataset = openDataset(o.data);
    const auto splits = dataset->splits();
    const std::string split = std::find(splits.begin(), splits.end(), "train") != splits.end() ? "train" : splits.front();
    d.source = dataset->split(split);
    d.classNames = dataset->classNames();
    int64_t n = d.source->size();
    if (o.limit > 0)
        n = std::min(n, o.limit);
    for (int64_t i = 0; i < n; ++i) {
        const int l = d.source->label(i);
        if (l < 0)
            throw std::invalid_argument(o.data + ": the " + split + " split has unlabeled images; fine-tuning needs labels");
        d.labels.push_back(l);
    }
    if (o.validationFold >= 0) {
        const auto folds = predefinedFolds(dataset->folds(), n);
        if (o.validationFold >= int(folds.size()))
            throw std::invalid_argument(o.data + ": has " + std::to_string(folds.size()) + " predefined folds, not fold "
                                        + std::to_string(o.validationFold));
        d.train = folds[std::size_t(o.validationFold)].train;
        d.validation = folds[std::size_t(o.validationFold)].validation;
    } else if (o.validationFraction > 0) {
        const Fold f = holdOut(d.labels, o.validationFraction, o.seed).front();
        d.train = f.train;
        d.validation = f.validation;
    } else {
        for (int64_t i = 0; i < n; ++i) d.train.push_back(i);
    }
    if (d.train.empty())
        throw std::invalid_argument(o.data + ": no training images left after the validation split");
    return d;
}

double scheduledLr(const FineTuneOptions& o, int epoch)
{
    if (o.schedule == "step")
        return o.lr * std::pow(o.stepGamma, (epoch - 1) / std::max(1, o.stepEpochs));
    if (o.schedule == "cosine")
        return o.lr * 0.5 * (1.0 + std::cos(M_PI * double(epoch - 1) / double(std::max(1, o.epochs))));
    return o.lr;
}

/// torch::save through the atomic writer: a crash never leaves half a checkpoint.
template <typename T>
void saveAtomically(const T& object, const QString& path)
{
    writeAtomically(path.toStdString(), [&](const std::string& tmp) {
        try {
            torch::save(object, tmp);
        } catch (const std::exception& e) {
            throw std::runtime_error(path.toStdString() + ": cannot write the checkpoint (" + e.what() + ")");
        }
    });
}

/// Removes checkpoint-epoch* files other than `keep`, and temporaries of killed runs.
void removeStaleCheckpoints(const QString& dir, const QStringList& keep)
{
    const QStringList stale = QDir(dir).entryList({QStringLiteral("checkpoint-epoch*")}, QDir::Files);
    for (const QString& name : stale)
        if (!keep.contains(name))
            QFile::remove(dir + QLatin1Char('/') + name);
}

}  // namespace

std::vector<std::string> presetLayers(const std::string& preset, const std::string& backbone)
{
    const ResNetSpec spec = resnetSpec(backbone);
    const std::string lastBlock = "layer4." + std::to_string(spec.blocks.back() - 1);
    if (preset == "head") return {};
    if (preset == "layer") return {lastBlock + (spec.bottleneck ? ".conv3" : ".conv2")};
    if (preset == "block") return {lastBlock};
    if (preset == "layer4") return {"layer4"};
    if (preset == "all") return {"conv1", "bn1", "layer1", "layer2", "layer3", "layer4"};
    throw std::invalid_argument("unknown preset \"" + preset + "\"; use head, layer, block, layer4 or all");
}

std::vector<std::pair<std::string, int64_t>> moduleTree(const std::string& backbone)
{
    ResNet net(resnetSpec(backbone), 1000);
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& m : net->named_modules("", false)) {
        int64_t count = 0;
        for (const auto& p : m.value()->parameters(true)) count += p.numel();
        out.emplace_back(m.key(), count);
    }
    return out;
}

QJsonObject fineTuneOptionsJson(const FineTuneOptions& o)
{
    QJsonArray layers;
    for (const auto& l : o.layers) layers.append(q(l));
    return QJsonObject{{QStringLiteral("data"), q(o.data)}, {QStringLiteral("backbone"), q(o.backbone)},
                       {QStringLiteral("weights"), q(o.weights)}, {QStringLiteral("weights_seed"), double(o.weightsSeed)},
                       {QStringLiteral("layers"), layers}, {QStringLiteral("optimizer"), q(o.optimizer)},
                       {QStringLiteral("lr"), o.lr}, {QStringLiteral("momentum"), o.momentum},
                       {QStringLiteral("weight_decay"), o.weightDecay}, {QStringLiteral("schedule"), q(o.schedule)},
                       {QStringLiteral("step_epochs"), o.stepEpochs}, {QStringLiteral("step_gamma"), o.stepGamma},
                       {QStringLiteral("epochs"), o.epochs}, {QStringLiteral("batch_size"), o.batchSize},
                       {QStringLiteral("size"), o.size}, {QStringLiteral("normalization"), q(o.normalization)},
                       {QStringLiteral("augment"), o.augment}, {QStringLiteral("precision"), q(o.precision)}, {QStringLiteral("validation_fraction"), o.validationFraction},
                       {QStringLiteral("validation_fold"), o.validationFold}, {QStringLiteral("patience"), o.patience},
                       {QStringLiteral("limit"), double(o.limit)}, {QStringLiteral("seed"), double(o.seed)}};
}

FineTuneTask::FineTuneTask(FineTuneOptions options, QObject* parent)
    : Task(QStringLiteral("Fine-tuning"), parent), m_options(std::move(options)) {}

namespace {

void validateOptions(const FineTuneOptions& o)
{
    if (o.outDir.empty())
        throw std::invalid_argument("no output folder given (--out DIR)");
    if (o.epochs < 1 || o.batchSize < 1 || !(o.lr > 0))
        throw std::invalid_argument("epochs and batch size must be >= 1 and the learning rate > 0");
    if (o.optimizer != "sgd" && o.optimizer != "adam")
        throw std::invalid_argument("optimizer \"" + o.optimizer + "\": use sgd or adam");
    if (o.precision != "fp32" && o.precision != "bf16")
        throw std::invalid_argument("precision \"" + o.precision + "\": use fp32 or bf16");
    if (o.schedule != "constant" && o.schedule != "step" && o.schedule != "cosine")
        throw std::invalid_argument("schedule \"" + o.schedule + "\": use constant, step or cosine");
}

/// bf16 autocast for one forward pass. Autocast is thread-local state and the task runs on a
/// pooled thread: the guard turns it off again however the pass ends.
class Bf16Autocast {
public:
    explicit Bf16Autocast(bool on) : m_on(on)
    {
        if (!m_on)
            return;
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        at::autocast::set_cpu_enabled(true);
    }
    ~Bf16Autocast()
    {
        if (!m_on)
            return;
        at::autocast::set_cpu_enabled(false);
        at::autocast::clear_cache();
    }
    Bf16Autocast(const Bf16Autocast&) = delete;
    Bf16Autocast& operator=(const Bf16Autocast&) = delete;

private:
    bool m_on;
};

struct EpochStats {
    double lossSum = 0;
    int64_t correct = 0, seen = 0;
};

/// The state of one fine-tuning run: data, network with its trained parts, optimiser, and
/// the checkpoint files in the output folder. A checkpoint is checkpoint.json plus the two
/// epoch-stamped files it names; the epoch's files are complete before the JSON that points
/// at them is replaced, so a kill at any moment leaves the JSON naming one complete epoch.
class Tuning {
public:
    explicit Tuning(const FineTuneOptions& o) : o(o), data(loadData(o)), out(q(o.outDir)) {}

    void buildNetwork();
    /// Continues from the checkpoint when its settings (other than the epoch count and
    /// patience) match; returns the first epoch to run.
    int resume();
    void prepareBatches();
    /// One epoch of training steps; `step(done)` runs after each batch (progress, cancel).
    EpochStats trainEpoch(int epoch, const std::function<void(int64_t batch, const EpochStats&)>& step);
    /// Loss and accuracy on the validation rows with every module in eval mode (NaN if none).
    std::pair<double, double> validate(const CancelCheck& cancelled);
    void saveCheckpoint(int epoch);
    QJsonObject writeResults(int resumedFrom, bool stoppedEarly, int bestEpoch);

    const FineTuneOptions& o;
    const Data data;
    const QString out;
    QJsonArray epochs;

private:
    QString checkpointJson() const { return out + QStringLiteral("/checkpoint.json"); }
    static QString weightsName(int epoch) { return QStringLiteral("checkpoint-epoch%1.pth").arg(epoch); }
    static QString optimizerName(int epoch) { return QStringLiteral("checkpoint-epoch%1-optimizer.pt").arg(epoch); }
    QJsonObject identity() const;
    /// Frozen parts stay in eval mode, so their BatchNorm statistics do not move.
    void trainingModes();
    std::pair<torch::Tensor, torch::Tensor> loadBatch(const std::vector<int64_t>& rows, std::size_t from, std::size_t to,
                                                      bool train, std::mt19937_64& rng) const;

    WeightsInfo m_info;
    ResNet m_net{nullptr};
    std::vector<std::string> m_roots;
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
    int64_t m_trainable = 0, m_frozen = 0;
    PreprocessOptions m_pre;
    torch::Tensor m_black;
};

void Tuning::buildNetwork()
{
    m_net = makeResNet(o.backbone, o.weights, &m_info, o.weightsSeed);
    // The new head for this dataset's classes, initialised as torchvision's nn.Linear, seeded.
    torch::manual_seed(o.seed);
    m_net->fc = torch::nn::Linear(m_net->fc->options.in_features(), int64_t(data.classNames.size()));
    m_net->replace_module("fc", m_net->fc);
    std::vector<std::string> known;
    for (const auto& m : m_net->named_modules("", false)) known.push_back(m.key());
    for (const auto& l : o.layers)
        if (std::find(known.begin(), known.end(), l) == known.end())
            throw std::invalid_argument("no module \"" + l + "\" in " + o.backbone + "; e.g. layer4, layer4.0, layer4.0.conv1, "
                                        "layer4.0.downsample, fc (deepsvm finetune --list-modules)");
    m_roots = trainedRoots(o);
    std::vector<torch::Tensor> trainable;
    for (auto& p : m_net->named_parameters(true)) {
        const bool on = isTrained(p.key(), m_roots);
        p.value().set_requires_grad(on);
        (on ? m_trainable : m_frozen) += p.value().numel();
        if (on)
            trainable.push_back(p.value());
    }
    if (o.optimizer == "adam")
        m_optimizer = std::make_unique<torch::optim::Adam>(trainable, torch::optim::AdamOptions(o.lr).weight_decay(o.weightDecay));
    else
        m_optimizer = std::make_unique<torch::optim::SGD>(
            trainable, torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weightDecay));
}

QJsonObject Tuning::identity() const
{
    QJsonObject id = fineTuneOptionsJson(o);
    id.remove(QStringLiteral("epochs"));
    id.remove(QStringLiteral("patience"));
    return id;
}

int Tuning::resume()
{
    QDir().mkpath(out);
    sweepStaleTemporaries(o.outDir);  // what a killed run was writing
    if (!o.resume || !QFileInfo::exists(checkpointJson()))
        return 1;
    QJsonObject saved;
    try {
        saved = readJsonObject(checkpointJson().toStdString());
    } catch (const IoError&) {
        return 1;  // unreadable: start afresh (it is replaced after the first epoch)
    }
    // A file name from the JSON is used only if it is a plain name inside `out`.
    auto inside = [&](const QString& key) {
        const QString name = saved.value(key).toString();
        return name.isEmpty() || name.contains(QLatin1Char('/')) || name.startsWith(QLatin1Char('.'))
            ? QString()
            : out + QLatin1Char('/') + name;
    };
    const QString weightsFile = inside(QStringLiteral("weights")), optimizerFile = inside(QStringLiteral("optimizer"));
    if (saved.value(QStringLiteral("identity")).toObject() != identity() || weightsFile.isEmpty() || optimizerFile.isEmpty())
        return 1;
    loadInto(m_net, readWeightsFile(weightsFile.toStdString()), weightsFile.toStdString());
    torch::load(*m_optimizer, optimizerFile.toStdString());
    epochs = saved.value(QStringLiteral("epochs")).toArray();
    return saved.value(QStringLiteral("epoch")).toInt() + 1;
}

void Tuning::prepareBatches()
{
    m_pre.size = o.size;
    m_pre.normalization = parseNormalization(o.normalization);
    RgbImage blackImage;
    blackImage.width = blackImage.height = 4;
    blackImage.pixels.assign(4 * 4 * 3, 0);
    m_black = preprocess(blackImage, m_pre).select(1, 0).select(1, 0).clone();
}

std::pair<torch::Tensor, torch::Tensor> Tuning::loadBatch(const std::vector<int64_t>& rows, std::size_t from, std::size_t to,
                                                          bool train, std::mt19937_64& rng) const
{
    std::vector<torch::Tensor> xs;
    std::vector<int64_t> ys;
    for (std::size_t i = from; i < to; ++i) {
        torch::Tensor x = preprocess(data.source->load(rows[i]), m_pre);
        xs.push_back(train && o.augment ? augment(x, m_black, rng) : x);
        ys.push_back(data.labels[std::size_t(rows[i])]);
    }
    return {torch::stack(xs), torch::tensor(ys, torch::kLong)};
}

void Tuning::trainingModes()
{
    m_net->eval();
    for (const auto& m : m_net->named_modules("", false))
        if (std::find(m_roots.begin(), m_roots.end(), m.key()) != m_roots.end())
            m.value()->train();
}

EpochStats Tuning::trainEpoch(int epoch, const std::function<void(int64_t, const EpochStats&)>& step)
{
    const double lr = scheduledLr(o, epoch);
    for (auto& group : m_optimizer->param_groups())
        group.options().set_lr(lr);
    // Per-epoch seeds: a resumed run sees exactly the batches an uninterrupted one would.
    std::mt19937_64 rng(o.seed * 1000003ULL + uint64_t(epoch));
    std::vector<int64_t> order = data.train;
    std::shuffle(order.begin(), order.end(), rng);
    trainingModes();
    EpochStats stats;
    for (std::size_t from = 0; from < order.size(); from += std::size_t(o.batchSize)) {
        const std::size_t to = std::min(order.size(), from + std::size_t(o.batchSize));
        auto [x, y] = loadBatch(order, from, to, true, rng);
        torch::AutoGradMode enable(true);
        m_optimizer->zero_grad();
        torch::Tensor logits;
        {
            const Bf16Autocast autocast(o.precision == "bf16");
            logits = m_net->forward(x).to(torch::kFloat);
        }
        const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
        loss.backward();
        m_optimizer->step();
        stats.lossSum += loss.item<double>() * double(y.size(0));
        stats.correct += logits.argmax(1).eq(y).sum().item<int64_t>();
        stats.seen += y.size(0);
        step(int64_t(from / std::size_t(o.batchSize)) + 1, stats);
    }
    return stats;
}

std::pair<double, double> Tuning::validate(const CancelCheck& cancelled)
{
    m_net->eval();
    if (data.validation.empty())
        return {std::nan(""), std::nan("")};
    double loss = 0;
    int64_t correct = 0;
    std::mt19937_64 unused(0);
    for (std::size_t from = 0; from < data.validation.size(); from += std::size_t(o.batchSize)) {
        const std::size_t to = std::min(data.validation.size(), from + std::size_t(o.batchSize));
        auto [x, y] = loadBatch(data.validation, from, to, false, unused);
        const torch::Tensor logits = m_net->forward(x);
        loss += torch::nn::functional::cross_entropy(logits, y).item<double>() * double(y.size(0));
        correct += logits.argmax(1).eq(y).sum().item<int64_t>();
        throwIfCancelled(cancelled);
    }
    return {loss / double(data.validation.size()), double(correct) / double(data.validation.size())};
}

void Tuning::saveCheckpoint(int epoch)
{
    // This epoch's weights and optimizer first, the JSON that names them last, then the
    // previous epoch's files (no longer named by anything).
    writeWeightsFile((out + QLatin1Char('/') + weightsName(epoch)).toStdString(), stateDict(m_net));  // atomic
    saveAtomically(*m_optimizer, out + QLatin1Char('/') + optimizerName(epoch));
    writeJsonAtomically(checkpointJson().toStdString(), QJsonObject{{QStringLiteral("identity"), identity()},
                                                                    {QStringLiteral("epoch"), epoch},
                                                                    {QStringLiteral("weights"), weightsName(epoch)},
                                                                    {QStringLiteral("optimizer"), optimizerName(epoch)},
                                                                    {QStringLiteral("epochs"), epochs}});
    removeStaleCheckpoints(out, {weightsName(epoch), optimizerName(epoch)});
}

QString metricsCsv(const QJsonArray& epochs)
{
    QString csv = QStringLiteral("epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n");
    auto optional = [](const QJsonObject& m, const QString& key) {
        return m.contains(key) ? QString::number(m.value(key).toDouble(), 'g', 10) : QString();
    };
    for (const auto& e : epochs) {
        const QJsonObject m = e.toObject();
        csv += QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                   .arg(m.value(QStringLiteral("epoch")).toInt())
                   .arg(m.value(QStringLiteral("train_loss")).toDouble(), 0, 'g', 10)
                   .arg(m.value(QStringLiteral("train_accuracy")).toDouble(), 0, 'g', 10)
                   .arg(optional(m, QStringLiteral("val_loss")), optional(m, QStringLiteral("val_accuracy")))
                   .arg(m.value(QStringLiteral("lr")).toDouble(), 0, 'g', 10)
                   .arg(m.value(QStringLiteral("seconds")).toDouble(), 0, 'f', 3);
    }
    return csv;
}

QJsonObject Tuning::writeResults(int resumedFrom, bool stoppedEarly, int bestEpoch)
{
    // The tuned network as a plain torchvision state dict (new head included).
    const QString weightsPath = out + QStringLiteral("/weights.pth");
    writeWeightsFile(weightsPath.toStdString(), stateDict(m_net));  // atomic (ZipWriter)
    writeFileAtomically((out + QStringLiteral("/metrics.csv")).toStdString(), metricsCsv(epochs).toUtf8());
    QJsonArray classNames;
    for (const auto& c : data.classNames) classNames.append(q(c));
    const QJsonObject result{{QStringLiteral("options"), fineTuneOptionsJson(o)},
                             {QStringLiteral("epochs"), epochs},
                             {QStringLiteral("weights"), weightsPath},
                             {QStringLiteral("class_names"), classNames},
                             {QStringLiteral("trainable_parameters"), double(m_trainable)},
                             {QStringLiteral("frozen_parameters"), double(m_frozen)},
                             {QStringLiteral("resumed_from"), resumedFrom},
                             {QStringLiteral("stopped_early"), stoppedEarly},
                             {QStringLiteral("best_epoch"), bestEpoch},
                             {QStringLiteral("base_weights"), q(m_info.source)},
                             {QStringLiteral("base_weights_sha256"), q(m_info.sha256)}};
    writeJsonAtomically((out + QStringLiteral("/metrics.json")).toStdString(), result);
    return result;
}

/// Early stopping on the validation loss, primed with the epochs a resumed run already has.
struct Patience {
    explicit Patience(const QJsonArray& epochs)
    {
        for (const auto& e : epochs)
            improved(e.toObject().value(QStringLiteral("val_loss")).toDouble(std::numeric_limits<double>::infinity()),
                     e.toObject().value(QStringLiteral("epoch")).toInt());
    }
    /// Returns whether `loss` is the best so far; counts the epochs since the best.
    bool improved(double loss, int epoch)
    {
        if (loss < best) {
            best = loss;
            bestEpoch = epoch;
            since = 0;
            return true;
        }
        ++since;
        return false;
    }
    double best = std::numeric_limits<double>::infinity();
    int bestEpoch = 0, since = 0;
};

}  // namespace

QVariant FineTuneTask::execute()
{
    const FineTuneOptions& o = m_options;
    validateOptions(o);
    setUpTorch();
    const ReleaseCpuMemoryCacheOnExit releaseActivations;
    torch::NoGradGuard noGradOutside;  // re-enabled around the training steps only
    checkpoint(0, 1, QStringLiteral("loading the data and the network"));
    Tuning run(o);
    run.buildNetwork();
    const int start = run.resume();
    run.prepareBatches();
    const int64_t stepsPerEpoch = (int64_t(run.data.train.size()) + o.batchSize - 1) / o.batchSize;
    const int64_t totalSteps = stepsPerEpoch * o.epochs;
    Patience patience(run.epochs);
    bool stoppedEarly = false;
    for (int epoch = start; epoch <= o.epochs && !stoppedEarly; ++epoch) {
        const auto t0 = Clock::now();
        const EpochStats stats = run.trainEpoch(epoch, [&](int64_t batch, const EpochStats& s) {
            checkpoint((epoch - 1) * stepsPerEpoch + batch, totalSteps,
                       QStringLiteral("epoch %1/%2 · loss %3").arg(epoch).arg(o.epochs).arg(s.lossSum / double(s.seen), 0, 'f', 4));
        });
        const auto [valLoss, valAcc] = run.validate(cancelCheck());
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        QJsonObject metrics{{QStringLiteral("epoch"), epoch},
                            {QStringLiteral("train_loss"), stats.lossSum / double(stats.seen)},
                            {QStringLiteral("train_accuracy"), double(stats.correct) / double(stats.seen)},
                            {QStringLiteral("lr"), scheduledLr(o, epoch)},
                            {QStringLiteral("seconds"), seconds},
                            {QStringLiteral("images_per_second"), double(stats.seen) / seconds}};
        if (!run.data.validation.empty()) {
            metrics[QStringLiteral("val_loss")] = valLoss;
            metrics[QStringLiteral("val_accuracy")] = valAcc;
        }
        run.epochs.append(metrics);
        run.saveCheckpoint(epoch);
        Q_EMIT partialResult(metrics);
        if (!run.data.validation.empty() && !patience.improved(valLoss, epoch))
            stoppedEarly = o.patience > 0 && patience.since >= o.patience;
    }
    return run.writeResults(start - 1, stoppedEarly, patience.bestEpoch);
}

}  // namespace deepsvm
