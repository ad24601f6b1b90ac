#include "nets/CpuMemoryCache.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace deepsvm {

namespace {

constexpr std::size_t kSmallestCached = 256 * 1024;  // below this glibc's arenas already reuse memory

class CachingCpuAllocator final : public c10::Allocator {
public:
    c10::DataPtr allocate(std::size_t n) const override
    {
        void* p = n >= kSmallestCached ? instance().takeLarge(n) : c10::alloc_cpu(n);
        return {p, p, &CachingCpuAllocator::deleteBlock, c10::Device(c10::DeviceType::CPU)};
    }
    c10::DeleterFnPtr raw_deleter() const override { return &CachingCpuAllocator::deleteBlock; }

    static CachingCpuAllocator& instance()
    {
        static auto* a = new CachingCpuAllocator;  // never destroyed: tensors may be freed during exit
        return *a;
    }

    void setCap(std::size_t cap)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stats.capBytes = cap;
        evictDownTo(cap);
    }

    void releaseAll()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        evictDownTo(0);
    }

    CpuMemoryCacheStats stats()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_stats;
    }

private:
    static void deleteBlock(void* p)
    {
        if (p)
            instance().give(p);
    }

    void* takeLarge(std::size_t n)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            // The smallest kept block that fits, if it wastes at most an eighth of itself.
            auto it = m_free.lower_bound(n);
            if (it != m_free.end() && it->first - n <= it->first / 8) {
                void* p = it->second;
                const std::size_t size = it->first;
                m_live.emplace(p, size);  // first: if it throws, the block is still in m_free
                m_free.erase(it);
                m_stats.cachedBytes -= size;
                m_stats.liveBytes += size;
                ++m_stats.reused;
                return p;
            }
        }
        void* p = nullptr;
        try {
            p = c10::alloc_cpu(n);
        } catch (const c10::Error&) {
            releaseAll();  // the system is short of memory: what is kept goes back first
            p = c10::alloc_cpu(n);
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        try {
            m_live.emplace(p, n);
        } catch (...) {
            c10::free_cpu(p);
            throw;
        }
        m_stats.liveBytes += n;
        return p;
    }

    void give(void* p)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        const auto it = m_live.find(p);
        if (it == m_live.end()) {
            lock.unlock();
            c10::free_cpu(p);  // small, or allocated before the cache was installed
            return;
        }
        const std::size_t size = it->second;
        m_live.erase(it);
        m_stats.liveBytes -= size;
        if (size > m_stats.capBytes) {
            lock.unlock();
            c10::free_cpu(p);
            return;
        }
        evictDownTo(m_stats.capBytes - size);
        try {
            m_free.emplace_hint(m_free.lower_bound(size), size, p);  // first of its size: the warmest is reused first
        } catch (...) {  // a deleter must not throw: without room to note the block, it is freed
            c10::free_cpu(p);
            return;
        }
        m_stats.cachedBytes += size;
    }

    /// Frees kept blocks, largest first, until at most `limit` bytes are kept.
    void evictDownTo(std::size_t limit)
    {
        while (!m_free.empty() && m_stats.cachedBytes > limit) {
            auto last = std::prev(m_free.end());
            m_stats.cachedBytes -= last->first;
            ++m_stats.released;
            c10::free_cpu(last->second);
            m_free.erase(last);
        }
    }

    std::mutex m_mutex;
    std::unordered_map<void*, std::size_t> m_live;  // large blocks handed out, by address
    std::multimap<std::size_t, void*> m_free;       // large blocks kept, by size
    CpuMemoryCacheStats m_stats;
};

}  // namespace

void installCpuMemoryCache(std::size_t capBytes)
{
    static std::once_flag installed;
    CachingCpuAllocator& a = CachingCpuAllocator::instance();
    a.setCap(capBytes);
    if (capBytes > 0)
        std::call_once(installed, [&a] { c10::SetCPUAllocator(&a, /*priority=*/10); });
}

void releaseCpuMemoryCache()
{
    CachingCpuAllocator::instance().releaseAll();
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

CpuMemoryCacheStats cpuMemoryCacheStats()
{
    return CachingCpuAllocator::instance().stats();
}

std::size_t defaultCpuMemoryCacheCap()
{
    if (const char* mb = std::getenv("DEEPSVM_CPU_CACHE_MB"))
        return std::size_t(std::clamp(std::strtol(mb, nullptr, 10), 0L, 1L << 30)) << 20;
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    const std::size_t physical = pages > 0 && pageSize > 0 ? std::size_t(pages) * std::size_t(pageSize) : 0;
    return std::min<std::size_t>(std::size_t(1) << 30, physical / 8);
}

}  // namespace deepsvm
