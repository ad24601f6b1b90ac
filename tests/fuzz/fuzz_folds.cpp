// libFuzzer target: STL-10's fold_indices.txt parser (indices out of range, duplicated,
// garbage, huge numbers) through a file, as the application reads it.
#include "data/Stl10.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::string path = "/tmp/deepsvm-fuzz-folds-" + std::to_string(getpid()) + ".txt";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f)
        return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        const auto folds = deepsvm::Stl10Dataset::readFoldIndices(path, 5000);
        for (const auto& fold : folds)
            for (std::int64_t i : fold)
                if (i < 0 || i >= 5000)
                    __builtin_trap();  // accepted folds must only hold valid training indices
    } catch (const std::exception&) {
    }
    return 0;
}
