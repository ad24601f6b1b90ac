#pragma once

// The one pool the core uses: indices handed out to threads started for the loop, the first
// exception (or a cancel) stopping the hand-out, every thread joined before the call returns.
#include "io/Cancel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace deepsvm {

/// `requested` threads, or one per core when it is 0 or less.
inline int threadCount(int requested)
{
    return requested > 0 ? requested : int(std::max(1u, std::thread::hardware_concurrency()));
}

namespace detail {

/// Shared by the loops below: the next index, the first error, the stop flag.
struct LoopState {
    std::atomic<int64_t> next{0};
    std::atomic_bool stop{false};
    std::exception_ptr error;
    std::mutex mutex;

    void fail(std::exception_ptr e)
    {
        const std::lock_guard<std::mutex> lock(mutex);
        if (!error)
            error = e;
        stop = true;
    }
    /// The next index to work on, or -1 when the loop is over (done, failed or cancelled).
    int64_t take(int64_t count, const CancelCheck& cancelled)
    {
        if (stop)
            return -1;
        if (cancelled && cancelled()) {
            fail(std::make_exception_ptr(Cancelled{}));
            return -1;
        }
        const int64_t i = next++;
        return i < count ? i : -1;
    }
};

}  // namespace detail

/// Runs body(i) for every i in [0, count) on up to `threads` threads (the caller is one of
/// them). `cancelled` is asked before each index; once it says yes no index is started and
/// Cancelled is thrown here after the running bodies end. The first exception a body throws
/// stops the hand-out the same way and is rethrown here, on the calling thread.
template <typename Body>
void parallelFor(int64_t count, int threads, const Body& body, const CancelCheck& cancelled = {})
{
    detail::LoopState state;
    auto work = [&] {
        try {
            for (int64_t i = state.take(count, cancelled); i >= 0; i = state.take(count, cancelled)) body(i);
        } catch (...) {
            state.fail(std::current_exception());
        }
    };
    std::vector<std::thread> pool;
    for (int64_t t = 1; t < std::min<int64_t>(threads, count); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (state.error)
        std::rethrow_exception(state.error);
}

/// As parallelFor on `threads` worker threads, and onDone(i) runs on the calling thread as
/// each index finishes (in finishing order), so what it reports comes from the caller's
/// thread. An exception from onDone stops the loop too and is rethrown.
template <typename Body, typename Done>
void parallelForReporting(int64_t count, int threads, const Body& body, const Done& onDone,
                          const CancelCheck& cancelled = {})
{
    detail::LoopState state;
    std::condition_variable wake;
    std::deque<int64_t> finished;
    int running = int(std::min<int64_t>(std::max(threads, 1), count));
    auto work = [&] {
        try {
            for (int64_t i = state.take(count, cancelled); i >= 0; i = state.take(count, cancelled)) {
                body(i);
                const std::lock_guard<std::mutex> lock(state.mutex);
                finished.push_back(i);
                wake.notify_all();
            }
        } catch (...) {
            state.fail(std::current_exception());
        }
        const std::lock_guard<std::mutex> lock(state.mutex);
        --running;
        wake.notify_all();
    };
    std::vector<std::thread> pool;
    for (int t = 0, n = running; t < n; ++t) pool.emplace_back(work);
    try {
        std::unique_lock<std::mutex> lock(state.mutex);
        for (;;) {
            wake.wait(lock, [&] { return !finished.empty() || running == 0; });
            while (!finished.empty()) {
                const int64_t i = finished.front();
                finished.pop_front();
                lock.unlock();
                onDone(i);
                lock.lock();
            }
            if (running == 0)
                break;
        }
    } catch (...) {
        state.fail(std::current_exception());
    }
    for (auto& t : pool) t.join();
    if (state.error)
        std::rethrow_exception(state.error);
}

}  // namespace deepsvm
