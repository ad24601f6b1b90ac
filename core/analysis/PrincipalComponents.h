#pragma once

// Principal components of a row-major float matrix, shared by pca2d and t-SNE's preprocessing.
#include <cstdint>
#include <vector>

namespace deepsvm::detail {

/// Scores (rows x k, k = min(components, cols)) on the leading principal components of the column-centred
/// data, each component's sign fixed so that its largest-|value| loading is positive. The components come
/// from Lanczos on Xc^T Xc: stops when each residual is below tol * (largest eigenvalue), or after maxSteps.
std::vector<float> principalScores(const float* x, int64_t rows, int64_t cols, int64_t components, double tol,
                                   int64_t maxSteps, int threads);

}  // namespace deepsvm::detail
