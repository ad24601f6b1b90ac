#pragma once

// Shared by the analysis code: fixed chunks, so results do not depend on the thread count, and a
// seeded generator that gives the same numbers with every standard library.
#include "io/Parallel.h"

#include <cmath>
#include <cstdint>

namespace deepsvm::detail {

/// Rows per fixed chunk; partial sums are combined in chunk order, never in thread order.
constexpr int64_t kChunkRows = 256;

inline int64_t chunkCount(int64_t rows, int64_t chunk = kChunkRows) { return (rows + chunk - 1) / chunk; }

using deepsvm::parallelFor;  // the core's one pool (io/Parallel.h)
using deepsvm::threadCount;

/// splitmix64 and Box-Muller written out: std::normal_distribution differs between standard libraries.
struct Random {
    uint64_t state;
    uint64_t next()
    {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    double normal()
    {
        const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
        return radius * std::cos(6.283185307179586 * uniform());
    }
};

}  // namespace deepsvm::detail
