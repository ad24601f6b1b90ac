#pragma once

#include "svm/SvmParams.h"

#include <cstdint>
#include <vector>

namespace deepsvm {

/// A · Bᵀ for row-major A (ra x dims) and B (rb x dims), in double through BLAS.
std::vector<double> crossProducts(const std::vector<double>& a, int64_t ra, const std::vector<double>& b, int64_t rb,
                                  int64_t dims);
/// Squared norms of the rows.
std::vector<double> rowNormsSquared(const std::vector<double>& x, int64_t rows, int64_t dims);

/// Turns dot products (ra x rb) into kernel values in place, with libsvm's formulas
/// (rbf through |a|² + |b|² - 2ab, as libsvm's training kernel does).
void applyKernel(std::vector<double>& dots, int64_t ra, int64_t rb, const std::vector<double>& normsA,
                 const std::vector<double>& normsB, const SvmParams& params);

}  // namespace deepsvm
