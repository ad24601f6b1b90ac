#pragma once

// Private to core/svm: what DenseSvc.cpp (the one-vs-one problem and the public API),
// DenseSvcSolver.cpp (libsvm's Solver) and DenseSvcProbability.cpp (the probability
// estimates) share. Not part of DenseSvc.h.

#include "io/Cancel.h"

#include <cstdint>
#include <vector>

namespace deepsvm::detail {

/// One binary C-SVC (svm_train_one): rows `sub` with classes `y` (+1/-1), in this order.
/// Returns alpha times y, as svm_train stores it, and rho.
struct Binary {
    std::vector<double> alpha;
    double rho = 0;
    int64_t iterations = 0;
};

/// Builds the subproblem's Q and QD as SVC_Q computes them and runs libsvm's Solver on it
/// (DenseSvcSolver.cpp).
Binary solveBinary(const double* kernel, int64_t n, const std::vector<int64_t>& sub, const std::vector<std::int8_t>& y,
                   double C, double eps, bool shrinking, const CancelCheck& cancelled);

/// libsvm's Solver on a Q built by the caller: `q` l x l (l = y.size()) with
/// Q[i][j] = (float)(y_i y_j K), `qd` the kernel's diagonal. Q is permuted in place while it
/// solves (its contents are garbage after); its buffer is handed back in `q` for reuse.
Binary solvePrepared(std::vector<float>& q, std::vector<double> qd, const std::vector<std::int8_t>& y, double C, double eps,
                     bool shrinking, const CancelCheck& cancelled);

/// svm_binary_svc_probability: 5-fold decision values on the binary problem (`sub`, `y`) with
/// libsvm's shuffle `perm`, then the sigmoid fitted to them (DenseSvcProbability.cpp).
void binaryProbability(const double* kernel, int64_t n, const std::vector<int64_t>& sub, const std::vector<std::int8_t>& y,
                       const std::vector<int>& perm, double C, double eps, bool shrinking, const CancelCheck& cancelled,
                       double* A, double* B, int64_t* iterations);

/// libsvm's sigmoid_train: Platt's sigmoid P(+1 | f) = 1 / (1 + exp(A f + B)) fitted to
/// decision values `dec` with classes `labels` (+1/-1) by Newton's method with backtracking
/// (Lin, Lin and Weng's version), the same operations in the same order.
void sigmoidTrain(const std::vector<double>& dec, const std::vector<std::int8_t>& labels, double* A, double* B);

/// libsvm's sigmoid_predict: 1 / (1 + exp(f A + B)) without overflow.
double sigmoidPredict(double f, double A, double B);

/// Class probabilities from pairwise ones (Wu, Lin and Weng 2004, their second method, as
/// libsvm's svm_predict_probability couples them): `pairwise[i * k + j]` is P(class i | i or j)
/// for i != j; writes k probabilities summing to 1 into `p`.
void coupleProbabilities(int k, const std::vector<double>& pairwise, double* p);

}  // namespace deepsvm::detail
