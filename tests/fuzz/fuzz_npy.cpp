// libFuzzer target: the .npy header parser on arbitrary bytes.
#include "features/Npy.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try {
        (void)deepsvm::parseNpyHeader(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    } catch (const std::exception&) {
    }
    return 0;
}
