#pragma once

#include "io/Cancel.h"
#include "svm/DenseSvc.h"
#include "svm/SvmParams.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace deepsvm {

class SvmModel;
class SvmRows;

/// Where the exact SVM's kernel values live while it trains.
///  - Full: the n x n kernel in memory (n^2 x 40 bytes with libsvm's nodes): up to about
///    13,000 rows in the default 6 GiB budget; bit for bit libsvm's fits.
///  - ClassPairs: one-vs-one needs each pair of classes only, so each pair's Gram block
///    (its rows of both classes, from the features with BLAS) is built, turned into every
///    kernel setting's values and solved for every C and fold, then dropped. Memory
///    (classPairBytes), for the largest pair's m rows: in the grid its Gram block (double),
///    one setting's values (float) and each thread's solver matrix (float), m^2 x (12 + 4t)
///    bytes on t threads; in the refit each thread's pair kernel and matrix, t x 12 x m^2.
///    About (2n/K)^2 x 24 bytes on 2 threads: 2.4 GB at 50,000 rows of 10 classes.
///    Validation rows are scored in blocks against the support vectors.
///  - Libsvm: libsvm's own kernels and cache (when even a pair's block is too big).
/// Auto picks the first that fits the budget.
enum class KernelStorage { Auto, Full, ClassPairs, Libsvm };
KernelStorage parseKernelStorage(const std::string& name);  ///< auto | full | class-pairs | libsvm
std::string kernelStorageName(KernelStorage storage);

/// Bytes the full kernel needs for `rows` training rows.
double fullKernelBytes(int64_t rows);
/// Bytes the class-pair kernels need at most for these labels (0..classes-1) on `threads` solvers.
double classPairBytes(const std::vector<int>& labels, int classes, int threads);
/// Auto resolved for `labels` within `budgetMb` MiB; any other choice is returned as it is.
KernelStorage chooseKernelStorage(KernelStorage wanted, const std::vector<int>& labels, int classes, int threads,
                                  double budgetMb);

/// The rows (ascending) whose label is `a` or `b`.
std::vector<int64_t> rowsOfClasses(const std::vector<int>& labels, int a, int b);
/// Rows `rows` of x (dims columns), in that order.
std::vector<double> gatherRows(const std::vector<double>& x, int64_t dims, const std::vector<int64_t>& rows);
/// X · Xᵀ of `rows` x `dims` rows with BLAS: the upper triangle 512 rows at a time (asking
/// `cancelled` between the blocks), the lower one mirrored from it, so exactly symmetric.
std::vector<double> gramOfRows(const std::vector<double>& rows, int64_t m, int64_t dims, const CancelCheck& cancelled = {});
/// The same into `gram` (resized to m x m; its capacity is kept, so a buffer reused from
/// pair to pair is not faulted in again).
void gramOfRows(const std::vector<double>& rows, int64_t m, int64_t dims, std::vector<double>& gram,
                const CancelCheck& cancelled = {});
/// The kernel `params` of classes `a` and `b` among `labels` (one per row of x), as
/// DenseSvc::trainPairs reads it.
DenseSvc::PairKernel pairKernel(const std::vector<double>& x, int64_t dims, const std::vector<int>& labels, int a, int b,
                                const SvmParams& params, const CancelCheck& cancelled = {});

struct FitOptions {
    KernelStorage storage = KernelStorage::Full;  ///< not Auto
    bool probability = false;
    unsigned seed = 0;
    /// With probability and ClassPairs: each class pair's sigmoid (pair order), given, for
    /// example from the grid search's out-of-fold decision values (pairSigmoids), instead
    /// of libsvm's inner 5-fold calibration (five more fits per pair). Empty: libsvm's.
    std::vector<double> probA, probB;
    int threads = 0;
    CancelCheck cancelled;
};
/// The C-SVC `params` (gamma resolved) on every row of `x` (n x dims, scaled) with `labels`:
/// DenseSvc on the full kernel, DenseSvc one class pair at a time, or libsvm with its own
/// kernels. The model's support vectors are rows of `features` (made from x when null) for
/// ClassPairs and Libsvm; a Full model reads a precomputed kernel (SvmModel::save writes the
/// real one). Its sv_indices are rows of x.
SvmModel fitModel(const std::vector<double>& x, int64_t n, int64_t dims, const std::vector<int>& labels,
                  const SvmParams& params, const FitOptions& options,
                  std::shared_ptr<const SvmRows> features = nullptr);

}  // namespace deepsvm
