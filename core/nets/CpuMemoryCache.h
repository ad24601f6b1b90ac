#pragma once

#include <cstddef>
#include <cstdint>

namespace deepsvm {

/// What the CPU tensor memory cache holds and has done since the process started.
struct CpuMemoryCacheStats {
    std::size_t capBytes = 0;     ///< the most it keeps for reuse (0: not installed)
    std::size_t cachedBytes = 0;  ///< free blocks kept for reuse now
    std::size_t liveBytes = 0;    ///< large blocks handed out and not yet returned
    std::uint64_t reused = 0;     ///< large allocations served from the cache
    std::uint64_t released = 0;   ///< cached blocks given back to the system
};

/// Every LibTorch tensor on the CPU (and oneDNN's buffers, which LibTorch routes through the
/// same allocator) is served from a cache of freed blocks: a network run batch after batch
/// asks for the same activation sizes each time, and glibc gives blocks of that size back to
/// the operating system on free, so each batch used to fault every page in again (about
/// 100,000 faults/s at 224 px). Blocks of at least 256 KiB are kept once freed and handed out
/// again for a request of their size or up to an eighth smaller; the kept bytes never exceed
/// `capBytes` (the largest go first), so memory stays bounded by the peak of live
/// tensors plus the cap. Installed once per process by setUpTorch(); calling it again only
/// changes the cap. Thread-safe.
void installCpuMemoryCache(std::size_t capBytes);

/// Gives every cached block back to the system (after a long task, so an idle window does not
/// hold an extraction's activations).
void releaseCpuMemoryCache();

CpuMemoryCacheStats cpuMemoryCacheStats();

/// Releases the cache when a long task's scope ends, however it ends.
struct ReleaseCpuMemoryCacheOnExit {
    ReleaseCpuMemoryCacheOnExit() = default;
    ReleaseCpuMemoryCacheOnExit(const ReleaseCpuMemoryCacheOnExit&) = delete;
    ReleaseCpuMemoryCacheOnExit& operator=(const ReleaseCpuMemoryCacheOnExit&) = delete;
    ~ReleaseCpuMemoryCacheOnExit() { releaseCpuMemoryCache(); }
};

/// The cap setUpTorch() installs: DEEPSVM_CPU_CACHE_MB if set (0 turns caching off), else
/// 1 GiB or an eighth of physical memory, whichever is smaller.
std::size_t defaultCpuMemoryCacheCap();

}  // namespace deepsvm
