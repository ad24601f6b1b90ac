// libFuzzer target: the restricted .pth reader (zip + pickle VM) on arbitrary bytes. It must
// throw PthError / std::exception or succeed; never crash, hang, or run anything.
#include "nets/PthFile.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try {
        (void)deepsvm::readPthFromMemory(std::string(reinterpret_cast<const char*>(data), size), "fuzz.pth");
    } catch (const std::exception&) {
    }
    return 0;
}
