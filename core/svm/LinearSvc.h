#pragma once

#include "io/Cancel.h"

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// scikit-learn's LinearSVC with its defaults, through LIBLINEAR (Debian's liblinear 2.3):
/// squared hinge loss, L2 penalty, one-vs-rest, solved in the dual by coordinate descent
/// (LIBLINEAR's solver 1, tolerance 1e-4, at most 1,000 passes), the intercept learnt as the
/// weight of a constant feature 1 (so it is regularised too: intercept_scaling = 1). This is
/// not SVC(kernel='linear'): another loss, one-vs-rest instead of one-vs-one; its scores
/// differ a little and it fits any number of rows in time linear in rows x features.
///
/// Probability estimates (for ROC curves and ranking) by Platt scaling: each class's
/// one-vs-rest decision values from an inner 5-fold cross-validation of the training rows are
/// fitted with libsvm's sigmoid (P(k | f) = 1 / (1 + exp(A_k f + B_k))); a row's K values are
/// then divided by their sum.
///
/// LIBLINEAR shuffles with the C library's rand(): fits hold DenseSvc::randMutex() and seed it,
/// so results do not depend on threads, and they run one at a time.
class LinearSvc {
public:
    struct Options {
        double tolerance = 1e-4;
        unsigned seed = 0;
        bool probability = false;  ///< Platt scaling on 5-fold decision values (6 fits instead of 1)
        CancelCheck cancelled;     ///< asked every 10 passes; a yes throws Cancelled
    };
    /// Fits rows `rows` of `x` (n x dims, row-major) with class `labels` (0-based, one per row).
    static LinearSvc train(const std::vector<double>& x, int64_t dims, const std::vector<int64_t>& rows,
                           const std::vector<int>& labels, double C, const Options& options);
    /// Reads what save() wrote. Throws std::runtime_error naming the file.
    static LinearSvc load(const std::string& path);
    void save(const std::string& path) const;

    /// Classes present in training, ascending.
    const std::vector<int>& labels() const { return m_labels; }
    int64_t dims() const { return m_dims; }
    double C() const { return m_C; }
    bool hasProbability() const { return !m_probA.empty(); }

    /// One-vs-rest decision values of `rows` rows of x (rows x labels().size(), BLAS). With two
    /// classes, LinearSVC's single value f is the second class's and -f the first's.
    std::vector<double> decisions(const std::vector<double>& x, int64_t rows) const;
    /// Predicted labels: the largest decision value (the first on ties), as LinearSVC.predict.
    std::vector<int> predict(const std::vector<double>& decisions) const;
    /// Platt probabilities (rows x labels().size(), rows summing to 1); empty without.
    std::vector<double> probabilities(const std::vector<double>& decisions) const;

    /// Weights (labels().size() x dims) and intercepts, as LinearSVC's coef_ / intercept_
    /// (for two classes, the second class's row).
    const std::vector<double>& weights() const { return m_w; }
    const std::vector<double>& intercepts() const { return m_b; }

private:
    std::vector<int> m_labels;
    int64_t m_dims = 0;
    double m_C = 1;
    std::vector<double> m_w, m_b;          ///< K x dims, K
    std::vector<double> m_probA, m_probB;  ///< K each, with probability estimates
};

}  // namespace deepsvm
