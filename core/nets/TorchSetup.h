#pragma once

namespace deepsvm {

/// Once per process, before any LibTorch work: intra-op threads = cores (LibTorch's default
/// can be 1), and CPU tensors served from a bounded cache of freed blocks (CpuMemoryCache.h).
/// Declared without torch headers so the application and GUI can call it.
void setUpTorch(int threads = 0);

}  // namespace deepsvm
