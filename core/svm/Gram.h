#pragma once

#include "svm/SvmParams.h"

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// OpenBLAS 0.3.21 (Debian 12) does not know recent Xeons and falls back to its generic
/// "Prescott" kernels, about 7x slower for the Gram matrix (0.15 s instead of 0.02 s at
/// 1,000 x 2,048 here). When that happened and OPENBLAS_CORETYPE is not set, this picks the
/// kernels the CPU's features allow (SkylakeX for AVX-512, Haswell for AVX2+FMA) through
/// OpenBLAS's own initialisation. Call it first thing in main, before any BLAS call; it does
/// nothing with another BLAS. Returns the core name in use ("" when unknown).
std::string selectBlasKernels();

/// A · Bᵀ for row-major A (ra x dims) and B (rb x dims), in double through BLAS.
std::vector<double> crossProducts(const std::vector<double>& a, int64_t ra, const std::vector<double>& b, int64_t rb,
                                  int64_t dims);
/// The same into `out` (row stride `ldOut`): rows of A against rows of B, A and B row-major
/// with `dims` columns.
void crossProductsInto(const double* a, int64_t ra, const double* b, int64_t rb, int64_t dims, double* out, int64_t ldOut);
/// A · B for row-major A (ra x inner) and B (inner x cb) into `out` (ra x cb), through BLAS.
void multiplyInto(const double* a, int64_t ra, int64_t inner, const double* b, int64_t cb, double* out);
/// Squared norms of the rows.
std::vector<double> rowNormsSquared(const std::vector<double>& x, int64_t rows, int64_t dims);

/// Turns dot products (ra x rb) into kernel values in place, with libsvm's formulas
/// (rbf through |a|² + |b|² - 2ab, as libsvm's training kernel does).
void applyKernel(std::vector<double>& dots, int64_t ra, int64_t rb, const std::vector<double>& normsA,
                 const std::vector<double>& normsB, const SvmParams& params);
/// The same on `ra` rows at `k` (row stride rb) with their norms `normsA` (ra) and
/// `normsB` (rb), on the calling thread: the same operations, so the same bits.
void applyKernelRows(double* k, int64_t ra, int64_t rb, const double* normsA, const double* normsB,
                     const SvmParams& params);

}  // namespace deepsvm
