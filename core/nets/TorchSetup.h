#pragma once

namespace deepsvm {

/// Once per process, before any LibTorch work: intra-op threads = cores (LibTorch's default
/// can be 1). Declared without torch headers so the application and GUI can call it.
void setUpTorch(int threads = 0);

}  // namespace deepsvm
