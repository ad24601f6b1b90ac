#pragma once

#include "io/Cancel.h"
#include "svm/SvmParams.h"

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// scikit-learn's Nystroem(kernel, gamma, degree, coef0, n_components=M): an approximate
/// feature map for a kernel, from M landmark rows. With K_LL the landmarks' kernel and
/// K_LL = Q diag(l) Qᵀ, the map is x -> K(x, L) · N with N = Σ sign(l_i) q_i q_iᵀ /
/// sqrt(max(|l_i|, 1e-12)): what scikit-learn's U / sqrt(S) · V of the SVD is. A linear SVM on
/// the mapped rows approximates the kernel SVM (the more landmarks, the closer) in time linear
/// in the rows. Kernels with libsvm's formulas (the same as scikit-learn's for these).
class Nystroem {
public:
    /// M rows out of `rows`, as scikit-learn picks them: the first M of a seeded shuffle
    /// (std::mt19937 here, not numpy's generator: tests hand scikit-learn our landmarks).
    static std::vector<int64_t> chooseLandmarks(int64_t rows, int64_t m, unsigned seed);
    /// The map from rows `landmarks` of x (n x dims) and `kernel` (gamma resolved).
    static Nystroem fit(const std::vector<double>& x, int64_t dims, const std::vector<int64_t>& landmarks,
                        const SvmParams& kernel);
    /// Rows x components(), 1,024 rows at a time (BLAS); asks `cancelled` between blocks.
    std::vector<double> transform(const std::vector<double>& x, int64_t rows, const CancelCheck& cancelled = {}) const;

    int64_t components() const { return m_m; }
    int64_t dims() const { return m_dims; }
    const SvmParams& kernel() const { return m_kernel; }

    /// PREFIX.json (kernel, sizes), PREFIX_landmarks.npy and PREFIX_normalization.npy (float64).
    void save(const std::string& prefix) const;
    static Nystroem load(const std::string& prefix);

private:
    SvmParams m_kernel;
    int64_t m_m = 0, m_dims = 0;
    std::vector<double> m_landmarks;      ///< M x dims
    std::vector<double> m_normalization;  ///< M x M, symmetric
};

}  // namespace deepsvm
