#pragma once

#include "io/Cancel.h"

#include "svm/SvmParams.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct svm_model;
struct svm_node;
struct svm_problem;

namespace deepsvm {

class DenseSvc;

/// libsvm node storage for a set of rows; a trained model points into it, so models hold a
/// shared_ptr to the storage that trained them.
class SvmRows {
public:
    /// Dense scaled features, rows x dims (row-major): libsvm's own kernels.
    static std::shared_ptr<SvmRows> fromFeatures(const std::vector<double>& x, int64_t rows, int64_t dims);
    /// A precomputed kernel: `kernel` is rows x cols, row i against training serial 1..cols.
    static std::shared_ptr<SvmRows> fromKernel(const std::vector<double>& kernel, int64_t rows, int64_t cols);
    ~SvmRows();

    int64_t rows() const { return int64_t(m_rowStart.size()); }
    bool precomputed() const { return m_precomputed; }
    const svm_node* row(int64_t i) const;

private:
    SvmRows() = default;
    struct Storage;
    std::unique_ptr<Storage> m_storage;
    std::vector<std::size_t> m_rowStart;
    bool m_precomputed = false;
};

/// A trained C-SVC. Classes are libsvm labels 0..K-1 in ascending order, so decision values
/// come in scikit-learn's one-vs-one order (0v1, 0v2, ..., (K-2)v(K-1)).
class SvmModel {
public:
    struct Options {
        bool probability = false;
        unsigned seed = 0;  ///< for probability calibration (libsvm uses rand())
        double cacheMb = 200;
        double tolerance = 1e-3;
        /// Asked every 1,000 solver iterations (through libsvm's print hook); a yes throws Cancelled.
        CancelCheck cancelled;
    };

    /// Trains on `rows` (indices into `data`) with 0-based class `labels` (one per index).
    /// Throws std::invalid_argument with libsvm's own message for bad parameters.
    static SvmModel train(std::shared_ptr<const SvmRows> data, const std::vector<int64_t>& rows,
                          const std::vector<int>& labels, const SvmParams& params, const Options& options);
    /// The model `dense` was trained as, on the precomputed kernel `data` (kernel row r is
    /// data row r): a libsvm model like svm_train's, for predictions, probabilities and save.
    /// With `data` feature rows (SvmRows::fromFeatures of the rows DenseSvc trained on), the
    /// model uses the real kernel on them.
    static SvmModel fromDense(std::shared_ptr<const SvmRows> data, const DenseSvc& dense, const SvmParams& params);
    /// Loads a libsvm model file. Throws std::runtime_error naming the file.
    static SvmModel load(const std::string& path);

    SvmModel(SvmModel&&) noexcept;
    SvmModel& operator=(SvmModel&&) noexcept;
    ~SvmModel();

    int classCount() const;
    std::vector<int> labels() const;
    bool hasProbability() const;
    int supportVectorCount() const;
    /// 1-based positions within the training `rows` of the support vectors.
    std::vector<int> supportIndices() const;

    /// Predicted label; fills K(K-1)/2 one-vs-one decision values if given.
    int predict(const svm_node* x, std::vector<double>* decision = nullptr) const;
    /// Predicted label by probability, and K probabilities in label order.
    int predictProbability(const svm_node* x, std::vector<double>* probabilities) const;

    /// Many rows at once: predictions, one-vs-one decision values (K(K-1)/2 per row) and, if
    /// the model has them, probabilities (K per row, in labels() order) of `x` (rows x dims,
    /// scaled). In blocks of 256 rows: each block's kernel against the support vectors alone,
    /// with BLAS, then libsvm's own decision code reads it as a precomputed kernel, the
    /// block's rows on `threads` threads (0: one per core). Memory: 256 x support vectors.
    /// The support vectors' features are rows sv_indices - 1 of `trainX` (the training rows
    /// in the order the model was fitted on), or, with `trainX` empty, the model's own nodes
    /// (not for a model fitted on a precomputed kernel). The predictions are predict()'s; the
    /// decision values and probabilities equal its up to the rounding of the kernel's sums.
    struct Scores {
        std::vector<int> predicted;
        std::vector<double> decisions, probabilities;
    };
    Scores scoreRows(const std::vector<double>& x, int64_t rows, int64_t dims, const std::vector<double>& trainX,
                     int threads = 0, const CancelCheck& cancelled = {}) const;

    /// Saves in libsvm's own format. For a model trained on a precomputed kernel,
    /// `features` (the same rows as the training data, dense scaled) supplies the support
    /// vectors so the file uses the real kernel and svm-predict can read it.
    void save(const std::string& path, const SvmRows* features = nullptr,
              const std::vector<int64_t>* trainingRows = nullptr) const;

private:
    SvmModel() = default;
    struct Deleter {
        void operator()(svm_model* m) const;
    };
    std::shared_ptr<const SvmRows> m_data;
    std::unique_ptr<svm_model, Deleter> m_model;
    std::vector<svm_node*> m_nodePointers;  ///< the training rows as libsvm wants them
    std::unique_ptr<::svm_problem> m_problem;
    std::vector<double> m_y;
    SvmParams m_params;
};

/// Writes `model` in libsvm's model format, byte for byte what svm_save_model writes
/// (tst_svm compares them), with std::to_chars instead of printf: 6x faster for the tens of
/// megabytes a 2,048-feature model takes. False on any write error (errno says why).
bool writeLibsvmModel(const std::string& path, const svm_model& model);

/// Silences libsvm's progress printing (process-global; call once at start-up).
void silenceLibsvm();

}  // namespace deepsvm
