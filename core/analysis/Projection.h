#pragma once

// 2-D projections of feature matrices for the Features page scatter plot: PCA and Barnes-Hut t-SNE.
// Standard library only, so the engine can run them on any worker thread without Qt or LibTorch.
#include <cstdint>
#include <functional>
#include <vector>

namespace deepsvm {

/// Rows projected to 2-D: xy[2*i], xy[2*i+1] for row i.
/// values: rows x cols, row-major float32.
/// Equals sklearn's PCA(n_components=2).fit_transform (exact solver) up to rounding. The sign of each
/// component is fixed so that its largest-|value| loading is positive (the first such loading on a tie),
/// as sklearn >= 1.5 does (svd_flip with u_based_decision=False): each axis rises with the feature that
/// weighs most in it, and the plot does not flip between runs.
/// Throws std::invalid_argument for rows < 2, cols < 1, values.size() != rows*cols or a non-finite value.
std::vector<float> pca2d(const std::vector<float>& values, int64_t rows, int64_t cols);

/// Where t-SNE's points start.
enum class TsneInit {
    Pca,     ///< the first two principal components scaled to std 1e-4 (sklearn's default): keeps global layout
    Random,  ///< Gaussian with std 1e-4 drawn from TsneOptions::seed
};

struct TsneOptions {
    double perplexity = 30;  // lowered to (rows - 1) / 3 for tiny inputs, so every row has 3*perplexity neighbours
    int iterations = 750;    // total gradient steps (250 of them with early exaggeration 12; a third if fewer than 750)
    uint64_t seed = 1;       // drives the Random init; the Pca init does not depend on it
    int pcaDims = 50;        // reduce with PCA first when cols > pcaDims (as is customary); <= 0 never reduces
    TsneInit init = TsneInit::Pca;
    int threads = 0;  // 0: std::thread::hardware_concurrency(); results do not depend on the count
};

/// Thrown by tsne2d when its progress callback returns false.
struct ProjectionCancelled {};

/// Barnes-Hut t-SNE (theta 0.5) on sparse affinities over the exact 3*perplexity nearest neighbours, with
/// sklearn's optimiser (learning rate max(rows / 48, 50), momentum 0.5 then 0.8, gains). Same output for the
/// same input, options and seed, whatever the thread count. progress(done, total) is called on the calling
/// thread every 10 steps and at the end, and with done == 0 before and after the neighbour search; if it
/// returns false the function stops and throws deepsvm::ProjectionCancelled. Throws std::invalid_argument
/// as pca2d does, and for perplexity <= 0 or iterations < 0.
std::vector<float> tsne2d(const std::vector<float>& values, int64_t rows, int64_t cols, const TsneOptions& options,
                          const std::function<bool(int, int)>& progress = {});

}  // namespace deepsvm
