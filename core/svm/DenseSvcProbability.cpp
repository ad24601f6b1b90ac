#include "svm/DenseSvcInternal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

// Probability estimates for DenseSvc: libsvm's 5-fold decision values and Platt's sigmoid.
//
// Exactness note: this file is compiled with -ffp-contract=off (CMakeLists), so no multiply
// and add are fused; every expression below evaluates the same IEEE operations in the same
// order as libsvm's sigmoid_train and svm_binary_svc_probability.

namespace deepsvm {

namespace detail {

void sigmoidTrain(const std::vector<double>& dec, const std::vector<std::int8_t>& labels, double* outA, double* outB)
{
    const int l = int(dec.size());
    double prior1 = 0, prior0 = 0;
    for (int i = 0; i < l; ++i)
        if (labels[std::size_t(i)] > 0) prior1 += 1;
        else prior0 += 1;
    const int maxIter = 100;
    const double minStep = 1e-10, sigma = 1e-12, eps = 1e-5;
    const double hiTarget = (prior1 + 1.0) / (prior1 + 2.0), loTarget = 1 / (prior0 + 2.0);
    std::vector<double> t(static_cast<std::size_t>(l));
    double A = 0.0, B = std::log((prior0 + 1.0) / (prior1 + 1.0)), fval = 0.0;
    for (int i = 0; i < l; ++i) {
        t[std::size_t(i)] = labels[std::size_t(i)] > 0 ? hiTarget : loTarget;
        const double fApB = dec[std::size_t(i)] * A + B;
        if (fApB >= 0)
            fval += t[std::size_t(i)] * fApB + std::log(1 + std::exp(-fApB));
        else
            fval += (t[std::size_t(i)] - 1) * fApB + std::log(1 + std::exp(fApB));
    }
    for (int iter = 0; iter < maxIter; ++iter) {
        double h11 = sigma, h22 = sigma, h21 = 0.0, g1 = 0.0, g2 = 0.0;
        for (int i = 0; i < l; ++i) {
            const double fApB = dec[std::size_t(i)] * A + B;
            double p, q;
            if (fApB >= 0) {
                p = std::exp(-fApB) / (1.0 + std::exp(-fApB));
                q = 1.0 / (1.0 + std::exp(-fApB));
            } else {
                p = 1.0 / (1.0 + std::exp(fApB));
                q = std::exp(fApB) / (1.0 + std::exp(fApB));
            }
            const double d2 = p * q;
            h11 += dec[std::size_t(i)] * dec[std::size_t(i)] * d2;
            h22 += d2;
            h21 += dec[std::size_t(i)] * d2;
            const double d1 = t[std::size_t(i)] - p;
            g1 += dec[std::size_t(i)] * d1;
            g2 += d1;
        }
        if (std::fabs(g1) < eps && std::fabs(g2) < eps)
            break;
        const double det = h11 * h22 - h21 * h21;
        const double dA = -(h22 * g1 - h21 * g2) / det;
        const double dB = -(-h21 * g1 + h11 * g2) / det;
        const double gd = g1 * dA + g2 * dB;
        double stepsize = 1;
        while (stepsize >= minStep) {
            const double newA = A + stepsize * dA, newB = B + stepsize * dB;
            double newf = 0.0;
            for (int i = 0; i < l; ++i) {
                const double fApB = dec[std::size_t(i)] * newA + newB;
                if (fApB >= 0)
                    newf += t[std::size_t(i)] * fApB + std::log(1 + std::exp(-fApB));
                else
                    newf += (t[std::size_t(i)] - 1) * fApB + std::log(1 + std::exp(fApB));
            }
            if (newf < fval + 0.0001 * stepsize * gd) {
                A = newA;
                B = newB;
                fval = newf;
                break;
            }
            stepsize = stepsize / 2.0;
        }
        if (stepsize < minStep)
            break;  // libsvm: "Line search fails"
    }
    *outA = A;
    *outB = B;
}

double sigmoidPredict(double f, double A, double B)
{
    const double fApB = f * A + B;
    return fApB >= 0 ? std::exp(-fApB) / (1.0 + std::exp(-fApB)) : 1.0 / (1.0 + std::exp(fApB));
}

void coupleProbabilities(int k, const std::vector<double>& r, double* p)
{
    // Minimise sum_t sum_{j != t} (r_jt p_t - r_tj p_j)^2 subject to sum p = 1: Q p = (p' Q p) 1
    // at the optimum, reached by updating one p_t at a time and renormalising.
    const std::size_t K = std::size_t(k);
    std::vector<double> Q(K * K, 0.0), Qp(K, 0.0);
    for (std::size_t t = 0; t < K; ++t) {
        p[t] = 1.0 / k;
        for (std::size_t j = 0; j < K; ++j)
            if (j != t) {
                Q[t * K + t] += r[j * K + t] * r[j * K + t];
                Q[t * K + j] = -r[j * K + t] * r[t * K + j];
            }
    }
    const int maxIter = std::max(100, k);
    const double eps = 0.005 / k;
    for (int iter = 0; iter < maxIter; ++iter) {
        double pQp = 0;
        for (std::size_t t = 0; t < K; ++t) {
            Qp[t] = 0;
            for (std::size_t j = 0; j < K; ++j) Qp[t] += Q[t * K + j] * p[j];
            pQp += p[t] * Qp[t];
        }
        double worst = 0;
        for (std::size_t t = 0; t < K; ++t) worst = std::max(worst, std::fabs(Qp[t] - pQp));
        if (worst < eps)
            break;
        for (std::size_t t = 0; t < K; ++t) {
            const double diff = (-Qp[t] + pQp) / Q[t * K + t];
            p[t] += diff;
            pQp = (pQp + diff * (diff * Q[t * K + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
            for (std::size_t j = 0; j < K; ++j) {
                Qp[j] = (Qp[j] + diff * Q[t * K + j]) / (1 + diff);
                p[j] /= (1 + diff);
            }
        }
    }
}

/// svm_binary_svc_probability: 5-fold decision values on the binary problem (`sub`, `y`) with
/// libsvm's shuffle `perm`, then the sigmoid fitted to them.
void binaryProbability(const double* kernel, int64_t n, const std::vector<int64_t>& sub, const std::vector<std::int8_t>& y,
                       const std::vector<int>& perm, double C, double eps, bool shrinking, const CancelCheck& cancelled,
                       double* A, double* B, int64_t* iterations)
{
    const int l = int(sub.size()), folds = 5;
    std::vector<double> dec(static_cast<std::size_t>(l), 0.0);
    for (int f = 0; f < folds; ++f) {
        const int begin = f * l / folds, end = (f + 1) * l / folds;
        // The fold's training rows in perm order, then grouped as svm_group_classes groups
        // them: +1 first (libsvm puts a +1/-1 problem's +1 class first), stable.
        std::vector<int> positives, negatives;
        auto take = [&](int j) { (y[std::size_t(perm[std::size_t(j)])] > 0 ? positives : negatives).push_back(perm[std::size_t(j)]); };
        for (int j = 0; j < begin; ++j) take(j);
        for (int j = end; j < l; ++j) take(j);
        if (positives.empty() || negatives.empty()) {
            const double value = positives.empty() && negatives.empty() ? 0.0 : positives.empty() ? -1.0 : 1.0;
            for (int j = begin; j < end; ++j)
                dec[std::size_t(perm[std::size_t(j)])] = value;
            continue;
        }
        std::vector<int64_t> rows;
        std::vector<std::int8_t> ys;
        for (int k : positives) { rows.push_back(sub[std::size_t(k)]); ys.push_back(+1); }
        for (int k : negatives) { rows.push_back(sub[std::size_t(k)]); ys.push_back(-1); }
        const Binary b = solveBinary(kernel, n, rows, ys, C, eps, shrinking, cancelled);
        *iterations += b.iterations;
        // svm_predict_values of the two-class model: its support vectors in order, minus rho
        // (times label[0] = +1, which changes nothing).
        for (int j = begin; j < end; ++j) {
            const double* krow = kernel + sub[std::size_t(perm[std::size_t(j)])] * n;
            double sum = 0;
            for (std::size_t k = 0; k < rows.size(); ++k)
                if (b.alpha[k] != 0)
                    sum += b.alpha[k] * krow[rows[k]];
            sum -= b.rho;
            dec[std::size_t(perm[std::size_t(j)])] = sum;
        }
    }
    sigmoidTrain(dec, y, A, B);
}

}  // namespace detail

}  // namespace deepsvm
