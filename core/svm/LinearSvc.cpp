#include "svm/LinearSvc.h"

#include "data/Splits.h"
#include "io/JsonFile.h"
#include "svm/DenseSvc.h"
#include "svm/DenseSvcInternal.h"
#include "svm/Gram.h"

#include <linear.h>

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace deepsvm {

namespace {

thread_local const CancelCheck* t_cancelled = nullptr;

/// LIBLINEAR prints "." every 10 passes of its dual solver through this hook: the place to
/// ask for a cancel (the exception unwinds through LIBLINEAR's C++ code; what it allocated
/// for that fit is lost, a few arrays of the row count).
void printHook(const char*)
{
    if (t_cancelled && *t_cancelled && (*t_cancelled)())
        throw Cancelled{};
}

struct ModelDeleter {
    void operator()(model* m) const { free_and_destroy_model(&m); }
};

QJsonArray toJson(const std::vector<double>& v)
{
    QJsonArray a;
    for (double d : v) a.append(d);
    return a;
}

std::vector<double> fromJson(const QJsonValue& v)
{
    std::vector<double> out;
    for (const QJsonValue& d : v.toArray()) out.push_back(d.toDouble());
    return out;
}

}  // namespace

LinearSvc LinearSvc::train(const std::vector<double>& x, int64_t dims, const std::vector<int64_t>& rows,
                           const std::vector<int>& labels, double C, const Options& o)
{
    if (rows.size() != labels.size() || rows.empty())
        throw std::invalid_argument("LinearSvc: rows and labels must be non-empty and of equal length");
    if (!(C > 0))
        throw std::invalid_argument("LinearSvc: C must be positive");
    LinearSvc m;
    m.m_dims = dims;
    m.m_C = C;
    m.m_labels = labels;
    std::sort(m.m_labels.begin(), m.m_labels.end());
    m.m_labels.erase(std::unique(m.m_labels.begin(), m.m_labels.end()), m.m_labels.end());
    if (m.m_labels.size() < 2)
        throw std::invalid_argument("a linear SVM needs rows of at least 2 classes; these have only one");
    const std::size_t K = m.m_labels.size();

    // LIBLINEAR's sparse rows: the non-zero features (1-based), then the constant 1 of the
    // intercept (index dims + 1), then the terminator.
    std::vector<std::size_t> start(rows.size());
    std::vector<feature_node> nodes;
    nodes.reserve(rows.size() * std::size_t(dims + 2));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        start[i] = nodes.size();
        const double* r = x.data() + rows[i] * dims;
        for (int64_t c = 0; c < dims; ++c)
            if (r[c] != 0)
                nodes.push_back({int(c + 1), r[c]});
        nodes.push_back({int(dims + 1), 1.0});
        nodes.push_back({-1, 0.0});
    }
    std::vector<feature_node*> xs(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) xs[i] = nodes.data() + start[i];
    std::vector<double> y(labels.begin(), labels.end());
    problem prob{};
    prob.l = int(rows.size());
    prob.n = int(dims + 1);
    prob.y = y.data();
    prob.x = xs.data();
    prob.bias = 1.0;
    parameter param{};
    param.solver_type = L2R_L2LOSS_SVC_DUAL;
    param.eps = o.tolerance;
    param.C = C;
    param.p = 0.1;
    if (const char* err = check_parameter(&prob, &param))
        throw std::invalid_argument(std::string("LIBLINEAR refuses the parameters: ") + err);

    std::unique_ptr<model, ModelDeleter> fitted;
    {
        const std::lock_guard<std::mutex> lock(DenseSvc::randMutex());
        set_print_string_function(&printHook);
        t_cancelled = &o.cancelled;
        std::srand(o.seed);
        try {
            fitted.reset(::train(&prob, &param));
        } catch (...) {
            t_cancelled = nullptr;
            throw;
        }
        t_cancelled = nullptr;
    }
    // LIBLINEAR orders classes by first appearance and keeps one weight vector per class
    // (one for two classes, for its first class): into ascending order, as LinearSVC.
    const int nrClass = fitted->nr_class, nrW = nrClass == 2 ? 1 : nrClass;
    auto position = [&](int label) {
        return std::size_t(std::lower_bound(m.m_labels.begin(), m.m_labels.end(), label) - m.m_labels.begin());
    };
    m.m_w.assign(K * std::size_t(dims), 0.0);
    m.m_b.assign(K, 0.0);
    auto weight = [&](int64_t feature, int k) { return fitted->w[feature * nrW + k]; };
    if (nrClass == 2) {
        // w scores LIBLINEAR's first class; LinearSVC's coef_ scores the second of the sorted.
        const double sign = position(fitted->label[0]) == 1 ? 1.0 : -1.0;
        for (int64_t c = 0; c < dims; ++c) {
            m.m_w[std::size_t(dims + c)] = sign * weight(c, 0);
            m.m_w[std::size_t(c)] = -sign * weight(c, 0);
        }
        m.m_b[1] = sign * weight(dims, 0) * prob.bias;
        m.m_b[0] = -m.m_b[1];
    } else {
        for (int k = 0; k < nrClass; ++k) {
            const std::size_t at = position(fitted->label[k]);
            for (int64_t c = 0; c < dims; ++c) m.m_w[at * std::size_t(dims) + std::size_t(c)] = weight(c, k);
            m.m_b[at] = weight(dims, k) * prob.bias;
        }
    }

    if (o.probability) {
        // Platt scaling on out-of-fold decision values of an inner stratified 5-fold split.
        std::vector<int> ranks(labels.size());
        for (std::size_t i = 0; i < labels.size(); ++i) ranks[i] = int(position(labels[i]));
        std::vector<double> dec(labels.size() * K, 0.0);
        Options inner = o;
        inner.probability = false;
        for (const Fold& f : stratifiedKFold(ranks, 5)) {
            std::vector<int64_t> trainRows, validationRows;
            std::vector<int> trainLabels;
            for (int64_t i : f.train) {
                trainRows.push_back(rows[std::size_t(i)]);
                trainLabels.push_back(labels[std::size_t(i)]);
            }
            for (int64_t i : f.validation) validationRows.push_back(rows[std::size_t(i)]);
            const LinearSvc part = train(x, dims, trainRows, trainLabels, C, inner);
            std::vector<double> vx;
            vx.reserve(validationRows.size() * std::size_t(dims));
            for (int64_t r : validationRows) vx.insert(vx.end(), x.begin() + r * dims, x.begin() + (r + 1) * dims);
            const std::vector<double> d = part.decisions(vx, int64_t(validationRows.size()));
            // A fold missing a class scores it -inf-like: its sigmoid then learns from the others.
            for (std::size_t v = 0; v < f.validation.size(); ++v)
                for (std::size_t k = 0; k < part.m_labels.size(); ++k)
                    dec[std::size_t(f.validation[v]) * K + position(part.m_labels[k])] = d[v * part.m_labels.size() + k];
        }
        m.m_probA.resize(K);
        m.m_probB.resize(K);
        for (std::size_t k = 0; k < K; ++k) {
            std::vector<double> fk(labels.size());
            std::vector<std::int8_t> yk(labels.size());
            for (std::size_t i = 0; i < labels.size(); ++i) {
                fk[i] = dec[i * K + k];
                yk[i] = std::size_t(ranks[i]) == k ? 1 : -1;
            }
            detail::sigmoidTrain(fk, yk, &m.m_probA[k], &m.m_probB[k]);
        }
    }
    return m;
}

std::vector<double> LinearSvc::decisions(const std::vector<double>& x, int64_t rows) const
{
    const std::size_t K = m_labels.size();
    std::vector<double> d = crossProducts(x, rows, m_w, int64_t(K), m_dims);
    for (int64_t r = 0; r < rows; ++r)
        for (std::size_t k = 0; k < K; ++k) d[std::size_t(r) * K + k] += m_b[k];
    return d;
}

std::vector<int> LinearSvc::predict(const std::vector<double>& d) const
{
    const std::size_t K = m_labels.size(), rows = d.size() / K;
    std::vector<int> out(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        std::size_t best = 0;
        for (std::size_t k = 1; k < K; ++k)
            if (d[r * K + k] > d[r * K + best])
                best = k;
        out[r] = m_labels[best];
    }
    return out;
}

std::vector<double> LinearSvc::probabilities(const std::vector<double>& d) const
{
    if (!hasProbability())
        return {};
    const std::size_t K = m_labels.size(), rows = d.size() / K;
    std::vector<double> p(d.size());
    for (std::size_t r = 0; r < rows; ++r) {
        double sum = 0;
        for (std::size_t k = 0; k < K; ++k) sum += p[r * K + k] = detail::sigmoidPredict(d[r * K + k], m_probA[k], m_probB[k]);
        for (std::size_t k = 0; k < K; ++k) p[r * K + k] = sum > 0 ? p[r * K + k] / sum : 1.0 / double(K);
    }
    return p;
}

void LinearSvc::save(const std::string& path) const
{
    QJsonArray labels, weights;
    for (int l : m_labels) labels.append(l);
    for (std::size_t k = 0; k < m_labels.size(); ++k)
        weights.append(toJson(std::vector<double>(m_w.begin() + std::ptrdiff_t(k * std::size_t(m_dims)),
                                                  m_w.begin() + std::ptrdiff_t((k + 1) * std::size_t(m_dims)))));
    QJsonObject o{{QStringLiteral("format"), QStringLiteral("deepsvm-linear-svc")},
                  {QStringLiteral("version"), 1},
                  {QStringLiteral("estimator"), QStringLiteral("LinearSVC(loss='squared_hinge', penalty='l2', dual=True, "
                                                               "multi_class='ovr', intercept_scaling=1)")},
                  {QStringLiteral("C"), m_C},
                  {QStringLiteral("dims"), double(m_dims)},
                  {QStringLiteral("labels"), labels},
                  {QStringLiteral("weights"), weights},
                  {QStringLiteral("intercepts"), toJson(m_b)}};
    if (hasProbability())
        o[QStringLiteral("platt")] = QJsonObject{{QStringLiteral("A"), toJson(m_probA)}, {QStringLiteral("B"), toJson(m_probB)}};
    writeJsonAtomically(path, o, QJsonDocument::Compact);
}

LinearSvc LinearSvc::load(const std::string& path)
{
    const QJsonObject o = readJsonObject(path, "write it again with deepsvm svm --solver liblinear");
    if (o.value(QStringLiteral("format")).toString() != QLatin1String("deepsvm-linear-svc"))
        throw std::runtime_error(path + ": not a DeepSVM linear SVM model (no \"format\": \"deepsvm-linear-svc\")");
    LinearSvc m;
    m.m_C = o.value(QStringLiteral("C")).toDouble(1);
    m.m_dims = int64_t(o.value(QStringLiteral("dims")).toDouble());
    for (const QJsonValue& l : o.value(QStringLiteral("labels")).toArray()) m.m_labels.push_back(l.toInt());
    for (const QJsonValue& w : o.value(QStringLiteral("weights")).toArray()) {
        const std::vector<double> row = fromJson(w);
        if (int64_t(row.size()) != m.m_dims)
            throw std::runtime_error(path + ": a weight row has " + std::to_string(row.size()) + " values, not "
                                     + std::to_string(m.m_dims));
        m.m_w.insert(m.m_w.end(), row.begin(), row.end());
    }
    m.m_b = fromJson(o.value(QStringLiteral("intercepts")));
    if (m.m_labels.size() < 2 || m.m_w.size() != m.m_labels.size() * std::size_t(m.m_dims) || m.m_b.size() != m.m_labels.size())
        throw std::runtime_error(path + ": the labels, weights and intercepts do not match in size");
    if (o.contains(QStringLiteral("platt"))) {
        const QJsonObject p = o.value(QStringLiteral("platt")).toObject();
        m.m_probA = fromJson(p.value(QStringLiteral("A")));
        m.m_probB = fromJson(p.value(QStringLiteral("B")));
        if (m.m_probA.size() != m.m_labels.size() || m.m_probB.size() != m.m_labels.size())
            throw std::runtime_error(path + ": the Platt coefficients do not match the classes");
    }
    return m;
}

}  // namespace deepsvm
