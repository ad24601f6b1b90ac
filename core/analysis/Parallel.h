#pragma once

// Shared by the analysis code: parallel loops whose results do not depend on the thread count, and a
// seeded generator that gives the same numbers with every standard library.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace deepsvm::detail {

/// Rows per fixed chunk; partial sums are combined in chunk order, never in thread order.
constexpr int64_t kChunkRows = 256;

inline int64_t chunkCount(int64_t rows, int64_t chunk = kChunkRows) { return (rows + chunk - 1) / chunk; }

/// `requested` threads, or hardware_concurrency() when it is 0 or less.
inline int threadCount(int requested)
{
    return requested > 0 ? requested : int(std::max(1u, std::thread::hardware_concurrency()));
}

/// Runs body(index) for every index in [0, count), handing indices out to up to `threads` threads. The first
/// exception a body throws stops the hand-out and is rethrown here, on the calling thread.
template <typename Body>
void parallelFor(int64_t count, int threads, const Body& body)
{
    std::atomic<int64_t> next{0};
    std::exception_ptr error;
    std::mutex errorMutex;
    auto work = [&] {
        try {
            for (int64_t i = next++; i < count; i = next++) body(i);
        } catch (...) {
            const std::lock_guard<std::mutex> lock(errorMutex);
            if (!error) error = std::current_exception();
            next = count;
        }
    };
    std::vector<std::thread> pool;
    for (int64_t t = 1; t < std::min<int64_t>(threads, count); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (error)
        std::rethrow_exception(error);
}

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
