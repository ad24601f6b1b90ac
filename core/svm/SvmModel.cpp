#include "svm/SvmModel.h"

#include "features/Npy.h"
#include "svm/DenseSvc.h"
#include "svm/GridSearch.h"
#include "io/Parallel.h"

#include <cerrno>
#include <cstring>
#include <libsvm/svm.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <stdexcept>

namespace deepsvm {

namespace {

/// The cancel check of the svm_train running on this thread, if any.
thread_local const CancelCheck* t_cancelled = nullptr;

/// libsvm's solver prints "." every 1,000 iterations through this hook, which makes it the
/// one place a libsvm fit can be stopped from: a cancel throws through svm_train. What
/// svm_train had allocated for that fit (its kernel cache, at most Options::cacheMb) is not
/// freed; a cancelled fit is rare enough for that to be the price of stopping within 1 s.
extern "C" void quietPrint(const char*)
{
    if (t_cancelled && *t_cancelled && (*t_cancelled)())
        throw Cancelled{};
}

/// Sets the thread's cancel check for one svm_train call.
struct CancelScope {
    explicit CancelScope(const CancelCheck& check) { t_cancelled = &check; }
    ~CancelScope() { t_cancelled = nullptr; }
};

int libsvmKernel(Kernel k)
{
    switch (k) {
    case Kernel::Linear: return LINEAR;
    case Kernel::Poly: return POLY;
    case Kernel::Rbf: return RBF;
    case Kernel::Sigmoid: return SIGMOID;
    }
    return RBF;
}

/// Appends printf's "%.<precision>g" of `v` (the C locale's, as std::to_chars promises).
void appendNumber(std::string& out, double v, int precision)
{
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, precision);
    out.append(buf, r.ptr);
}

void appendNumber(std::string& out, int v)
{
    char buf[16];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

}  // namespace

bool writeLibsvmModel(const std::string& path, const svm_model& model)
{
    static const char* const svmTypes[] = {"c_svc", "nu_svc", "one_class", "epsilon_svr", "nu_svr"};
    static const char* const kernelTypes[] = {"linear", "polynomial", "rbf", "sigmoid", "precomputed"};
    const svm_parameter& param = model.param;
    if (param.svm_type < 0 || param.svm_type > 4 || param.kernel_type < 0 || param.kernel_type > 4)
        return false;
    std::string out;
    out.reserve(1 << 20);
    const int k = model.nr_class, l = model.l, pairs = k * (k - 1) / 2;
    auto line = [&](const char* name, const double* values, int n) {
        out += name;
        for (int i = 0; i < n; ++i) {
            out += ' ';
            appendNumber(out, values[i], 17);
        }
        out += '\n';
    };
    auto intLine = [&](const char* name, const int* values, int n) {
        out += name;
        for (int i = 0; i < n; ++i) {
            out += ' ';
            appendNumber(out, values[i]);
        }
        out += '\n';
    };
    out += "svm_type ";
    out += svmTypes[param.svm_type];
    out += "\nkernel_type ";
    out += kernelTypes[param.kernel_type];
    out += '\n';
    if (param.kernel_type == POLY)
        intLine("degree", &param.degree, 1);
    if (param.kernel_type == POLY || param.kernel_type == RBF || param.kernel_type == SIGMOID)
        line("gamma", &param.gamma, 1);
    if (param.kernel_type == POLY || param.kernel_type == SIGMOID)
        line("coef0", &param.coef0, 1);
    intLine("nr_class", &k, 1);
    intLine("total_sv", &l, 1);
    line("rho", model.rho, pairs);
    if (model.label) intLine("label", model.label, k);
    if (model.probA) line("probA", model.probA, pairs);
    if (model.probB) line("probB", model.probB, pairs);
    if (model.nSV) intLine("nr_sv", model.nSV, k);
    out += "SV\n";
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
        return false;
    bool ok = true;
    for (int i = 0; i < l && ok; ++i) {
        for (int j = 0; j < k - 1; ++j) {
            appendNumber(out, model.sv_coef[j][i], 17);
            out += ' ';
        }
        const svm_node* p = model.SV[i];
        if (param.kernel_type == PRECOMPUTED) {
            out += "0:";
            appendNumber(out, int(p->value));
            out += ' ';
        } else {
            for (; p->index != -1; ++p) {
                appendNumber(out, p->index);
                out += ':';
                appendNumber(out, p->value, 8);
                out += ' ';
            }
        }
        out += '\n';
        if (out.size() > (1u << 20) || i == l - 1) {
            ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
            out.clear();
        }
    }
    if (ok && !out.empty())
        ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
    ok = std::ferror(f) == 0 && ok;
    return std::fclose(f) == 0 && ok;
}

void silenceLibsvm()
{
    svm_set_print_string_function(&quietPrint);
}

struct SvmRows::Storage {
    std::vector<svm_node> nodes;
};

SvmRows::~SvmRows() = default;

std::shared_ptr<SvmRows> SvmRows::fromFeatures(const std::vector<double>& x, int64_t rows, int64_t dims)
{
    std::shared_ptr<SvmRows> r(new SvmRows);
    r->m_storage = std::make_unique<Storage>();
    auto& nodes = r->m_storage->nodes;
    std::size_t nonzero = 0;
    for (double v : x)
        nonzero += v != 0.0;
    nodes.reserve(nonzero + std::size_t(rows));
    r->m_rowStart.reserve(std::size_t(rows));
    for (int64_t i = 0; i < rows; ++i) {
        r->m_rowStart.push_back(nodes.size());
        for (int64_t c = 0; c < dims; ++c) {
            const double v = x[std::size_t(i * dims + c)];
            if (v != 0.0)  // libsvm's sparse format: zeros contribute nothing to any kernel
                nodes.push_back({int(c + 1), v});
        }
        nodes.push_back({-1, 0.0});
    }
    return r;
}

std::shared_ptr<SvmRows> SvmRows::fromKernel(const std::vector<double>& kernel, int64_t rows, int64_t cols)
{
    std::shared_ptr<SvmRows> r(new SvmRows);
    r->m_precomputed = true;
    r->m_storage = std::make_unique<Storage>();
    auto& nodes = r->m_storage->nodes;
    nodes.resize(std::size_t(rows * (cols + 2)));
    r->m_rowStart.reserve(std::size_t(rows));
    for (int64_t i = 0; i < rows; ++i) {
        svm_node* row = nodes.data() + i * (cols + 2);
        r->m_rowStart.push_back(std::size_t(i * (cols + 2)));
        row[0] = {0, double(i + 1)};  // serial number: this row's column in the kernel
        for (int64_t k = 0; k < cols; ++k)
            row[k + 1] = {int(k + 1), kernel[std::size_t(i * cols + k)]};
        row[cols + 1] = {-1, 0.0};
    }
    return r;
}

const svm_node* SvmRows::row(int64_t i) const
{
    return m_storage->nodes.data() + m_rowStart[std::size_t(i)];
}

void SvmModel::Deleter::operator()(svm_model* m) const
{
    svm_free_and_destroy_model(&m);
}

SvmModel::SvmModel(SvmModel&&) noexcept = default;
SvmModel& SvmModel::operator=(SvmModel&&) noexcept = default;
SvmModel::~SvmModel()
{
    m_model.reset();  // before the problem and nodes it points into
}

SvmModel SvmModel::train(std::shared_ptr<const SvmRows> data, const std::vector<int64_t>& rows,
                         const std::vector<int>& labels, const SvmParams& params, const Options& options)
{
    params.validate();
    if (rows.size() != labels.size())
        throw std::invalid_argument("training rows and labels differ in number");
    if (rows.empty())
        throw std::invalid_argument("no training rows");
    SvmModel m;
    m.m_data = std::move(data);
    m.m_params = params;
    // Stable by class: libsvm orders classes by first appearance, scikit-learn by value.
    // Grouped rows make both build the same one-vs-one subproblems in the same order.
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
    m.m_nodePointers.reserve(rows.size());
    m.m_y.reserve(rows.size());
    for (std::size_t k : order) {
        m.m_nodePointers.push_back(const_cast<svm_node*>(m.m_data->row(rows[k])));
        m.m_y.push_back(double(labels[k]));
    }
    m.m_problem = std::make_unique<svm_problem>();
    m.m_problem->l = int(rows.size());
    m.m_problem->y = m.m_y.data();
    m.m_problem->x = m.m_nodePointers.data();

    svm_parameter p{};
    p.svm_type = C_SVC;
    p.kernel_type = m.m_data->precomputed() ? PRECOMPUTED : libsvmKernel(params.kernel);
    p.degree = params.degree;
    p.gamma = params.gamma;
    p.coef0 = params.coef0;
    p.cache_size = options.cacheMb;
    p.eps = options.tolerance;
    p.C = params.C;
    p.shrinking = 1;
    p.probability = options.probability ? 1 : 0;
    if (const char* err = svm_check_parameter(m.m_problem.get(), &p))
        throw std::invalid_argument(std::string("libsvm refuses the parameters: ") + err);
    svm_model* raw = nullptr;
    silenceLibsvm();
    const CancelScope cancelScope(options.cancelled);
    if (options.probability) {
        std::lock_guard<std::mutex> lock(DenseSvc::randMutex());
        std::srand(options.seed);
        raw = svm_train(m.m_problem.get(), &p);
    } else {
        raw = svm_train(m.m_problem.get(), &p);
    }
    m.m_model.reset(raw);
    // sv_indices refer to the class-grouped order: map them back to positions in `rows`.
    for (int k = 0; k < raw->l; ++k)
        raw->sv_indices[k] = int(order[std::size_t(raw->sv_indices[k] - 1)] + 1);
    return m;
}

SvmModel SvmModel::fromDense(std::shared_ptr<const SvmRows> data, const DenseSvc& dense, const SvmParams& params)
{
    if (!data)
        throw std::logic_error("SvmModel::fromDense needs the rows it was trained on");
    params.validate();
    SvmModel m;
    m.m_data = std::move(data);
    m.m_params = params;
    // Allocated as svm_train allocates, so svm_free_and_destroy_model releases it.
    auto* raw = static_cast<svm_model*>(std::calloc(1, sizeof(svm_model)));
    if (!raw)
        throw std::bad_alloc();
    m.m_model.reset(raw);
    auto allocate = [](std::size_t n, std::size_t size) {
        void* p = std::calloc(std::max<std::size_t>(n, 1), size);
        if (!p)
            throw std::bad_alloc();
        return p;
    };
    const int k = int(dense.labels().size()), l = dense.supportVectorCount(), pairs = k * (k - 1) / 2;
    svm_parameter& p = raw->param;
    p.svm_type = C_SVC;
    // On the kernel rows it was trained on, or on feature rows with the real kernel (a
    // model fitted one class pair at a time): then it is the model svm_train would give.
    p.kernel_type = m.m_data->precomputed() ? PRECOMPUTED : libsvmKernel(params.kernel);
    p.degree = params.degree;
    p.gamma = params.gamma;
    p.coef0 = params.coef0;
    p.cache_size = 200;
    p.eps = 1e-3;
    p.C = params.C;
    p.shrinking = 1;
    p.probability = dense.probA().empty() ? 0 : 1;
    raw->nr_class = k;
    raw->l = l;
    raw->free_sv = 0;
    raw->label = static_cast<int*>(allocate(std::size_t(k), sizeof(int)));
    raw->nSV = static_cast<int*>(allocate(std::size_t(k), sizeof(int)));
    for (int c = 0; c < k; ++c) {
        raw->label[c] = dense.labels()[std::size_t(c)];
        raw->nSV[c] = dense.supportCounts()[std::size_t(c)];
    }
    raw->rho = static_cast<double*>(allocate(std::size_t(pairs), sizeof(double)));
    std::copy(dense.rho().begin(), dense.rho().end(), raw->rho);
    if (!dense.probA().empty()) {
        raw->probA = static_cast<double*>(allocate(std::size_t(pairs), sizeof(double)));
        raw->probB = static_cast<double*>(allocate(std::size_t(pairs), sizeof(double)));
        std::copy(dense.probA().begin(), dense.probA().end(), raw->probA);
        std::copy(dense.probB().begin(), dense.probB().end(), raw->probB);
    }
    raw->SV = static_cast<svm_node**>(allocate(std::size_t(l), sizeof(svm_node*)));
    raw->sv_indices = static_cast<int*>(allocate(std::size_t(l), sizeof(int)));
    for (int i = 0; i < l; ++i) {
        raw->SV[i] = const_cast<svm_node*>(m.m_data->row(dense.supportRows()[std::size_t(i)]));
        raw->sv_indices[i] = int(dense.supportPositions()[std::size_t(i)] + 1);
    }
    raw->sv_coef = static_cast<double**>(allocate(std::size_t(std::max(k - 1, 0)), sizeof(double*)));
    for (int c = 0; c + 1 < k; ++c) {
        raw->sv_coef[c] = static_cast<double*>(allocate(std::size_t(l), sizeof(double)));
        std::copy(dense.coefficients()[std::size_t(c)].begin(), dense.coefficients()[std::size_t(c)].end(), raw->sv_coef[c]);
    }
    return m;
}

SvmModel SvmModel::load(const std::string& path)
{
    svm_model* raw = svm_load_model(path.c_str());
    if (!raw)
        throw std::runtime_error(path + ": not a readable libsvm model file");
    SvmModel m;
    m.m_model.reset(raw);
    return m;
}

int SvmModel::classCount() const { return svm_get_nr_class(m_model.get()); }

std::vector<int> SvmModel::labels() const
{
    std::vector<int> out(static_cast<std::size_t>(classCount()));
    svm_get_labels(m_model.get(), out.data());
    return out;
}

bool SvmModel::hasProbability() const { return svm_check_probability_model(m_model.get()) != 0; }

int SvmModel::supportVectorCount() const { return svm_get_nr_sv(m_model.get()); }

std::vector<int> SvmModel::supportIndices() const
{
    std::vector<int> out(static_cast<std::size_t>(supportVectorCount()));
    svm_get_sv_indices(m_model.get(), out.data());
    return out;
}

int SvmModel::predict(const svm_node* x, std::vector<double>* decision) const
{
    const int k = classCount();
    std::vector<double> local;
    std::vector<double>& d = decision ? *decision : local;
    d.assign(std::size_t(k * (k - 1) / 2), 0.0);
    return int(svm_predict_values(m_model.get(), x, d.data()));
}

int SvmModel::predictProbability(const svm_node* x, std::vector<double>* probabilities) const
{
    if (!hasProbability())
        throw std::logic_error("the model was trained without probability estimates");
    probabilities->assign(std::size_t(classCount()), 0.0);
    return int(svm_predict_probability(m_model.get(), x, probabilities->data()));
}

SvmModel::Scores SvmModel::scoreRows(const std::vector<double>& x, int64_t rows, int64_t dims, const std::vector<double>& trainX,
                                     int threads, const CancelCheck& cancelled) const
{
    const svm_model& m = *m_model;
    const int64_t l = m.l;
    // The support vectors' features, l x dims.
    std::vector<double> sv(std::size_t(l * dims), 0.0);
    if (!trainX.empty()) {
        if (!m.sv_indices)
            throw std::logic_error("scoreRows: the model does not know its support vectors' training rows");
        for (int64_t k = 0; k < l; ++k) {
            const int64_t row = m.sv_indices[k] - 1;
            if (row < 0 || (row + 1) * dims > int64_t(trainX.size()))
                throw std::invalid_argument("scoreRows: a support vector lies outside the training rows given");
            std::copy_n(trainX.begin() + row * dims, dims, sv.begin() + k * dims);
        }
    } else {
        if (m.param.kernel_type == PRECOMPUTED)
            throw std::logic_error("scoreRows: a precomputed-kernel model needs its training rows");
        for (int64_t k = 0; k < l; ++k)
            for (const svm_node* n = m.SV[k]; n->index != -1; ++n)
                if (n->index >= 1 && n->index <= dims)
                    sv[std::size_t(k * dims + n->index - 1)] = n->value;
    }
    // The kernel: the model file's for a libsvm model, the training parameters for one
    // fitted on a precomputed kernel.
    SvmParams kernelParams = m_params;
    if (m.param.kernel_type != PRECOMPUTED) {
        const Kernel kinds[] = {Kernel::Linear, Kernel::Poly, Kernel::Rbf, Kernel::Sigmoid};
        for (Kernel k : kinds)
            if (libsvmKernel(k) == m.param.kernel_type)
                kernelParams.kernel = k;
        kernelParams.gamma = m.param.gamma;
        kernelParams.gammaMode.clear();
        kernelParams.degree = m.param.degree;
        kernelParams.coef0 = m.param.coef0;
    }
    // The same model reading a precomputed kernel in which support vector k is serial k + 1.
    svm_model copy = m;
    copy.param.kernel_type = PRECOMPUTED;
    std::vector<svm_node> serials(static_cast<std::size_t>(2 * l));
    std::vector<svm_node*> svPointers(static_cast<std::size_t>(l));
    for (int64_t k = 0; k < l; ++k) {
        serials[std::size_t(2 * k)] = {0, double(k + 1)};
        serials[std::size_t(2 * k + 1)] = {-1, 0.0};
        svPointers[std::size_t(k)] = &serials[std::size_t(2 * k)];
    }
    copy.SV = svPointers.data();
    const int classes = classCount(), pairs = classes * (classes - 1) / 2;
    const bool probability = hasProbability();
    Scores out;
    out.predicted.assign(std::size_t(rows), 0);
    out.decisions.assign(std::size_t(rows * pairs), 0.0);
    if (probability)
        out.probabilities.assign(std::size_t(rows * classes), 0.0);
    constexpr int64_t kBlock = 256;
    for (int64_t start = 0; start < rows; start += kBlock) {
        throwIfCancelled(cancelled);
        const int64_t n = std::min(kBlock, rows - start);
        const std::vector<double> part(x.begin() + start * dims, x.begin() + (start + n) * dims);
        const std::shared_ptr<SvmRows> kernel = SvmRows::fromKernel(kernelMatrix(part, n, sv, l, dims, kernelParams), n, l);
        parallelFor(n, threadCount(threads), [&](int64_t i) {
            const int64_t r = start + i;
            out.predicted[std::size_t(r)] = int(svm_predict_values(&copy, kernel->row(i), out.decisions.data() + r * pairs));
            if (probability)
                svm_predict_probability(&copy, kernel->row(i), out.probabilities.data() + r * classes);
        });
    }
    return out;
}

void SvmModel::save(const std::string& path, const SvmRows* features, const std::vector<int64_t>* trainingRows) const
{
    svm_model copy = *m_model;
    std::vector<svm_node*> sv;
    if (m_data && m_data->precomputed()) {
        if (!features || !trainingRows)
            throw std::logic_error("a precomputed-kernel model needs the training features to be saved");
        // The same model with its real kernel: support vectors become feature rows.
        copy.param.kernel_type = libsvmKernel(m_params.kernel);
        for (int k = 0; k < copy.l; ++k)
            sv.push_back(const_cast<svm_node*>(features->row((*trainingRows)[std::size_t(m_model->sv_indices[k] - 1)])));
        copy.SV = sv.data();
    }
    writeAtomically(path, [&](const std::string& tmp) {
        errno = 0;
        if (!writeLibsvmModel(tmp, copy)) {
            const int why = errno;
            throw IoError(path + ": cannot write the model (" + (why ? std::strerror(why) : "write error")
                          + "; is the folder writable and the disk not full?)");
        }
    });
}

}  // namespace deepsvm
