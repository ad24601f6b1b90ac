#include "nets/TorchSetup.h"

#include "nets/CpuMemoryCache.h"
#include "nets/ResNet.h"

namespace deepsvm {

void setUpTorch(int threads)
{
    configureTorchThreads(threads);
    installCpuMemoryCache(defaultCpuMemoryCacheCap());
}

}  // namespace deepsvm
