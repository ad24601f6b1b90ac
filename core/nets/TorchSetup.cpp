#include "nets/TorchSetup.h"

#include "nets/ResNet.h"

namespace deepsvm {

void setUpTorch(int threads)
{
    configureTorchThreads(threads);
}

}  // namespace deepsvm
