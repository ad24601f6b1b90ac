// libFuzzer target: a whole STL-10 binary folder made from the input (class names, label
// files, fold indices and image-file sizes), opened as the application opens it. Whatever it
// accepts must be consistent: every label within the class list, every image readable, every
// fold index a training row.
#include "data/Stl10.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

void writeFile(const std::string& path, const std::string& bytes)
{
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::string dir = [] {
        const std::string d = "/tmp/deepsvm-fuzz-stl10-" + std::to_string(getpid());
        mkdir(d.c_str(), 0700);
        return d;
    }();
    if (size < 4)
        return 0;
    // Header: image counts of train and test, extra bytes after the images, which files exist.
    const int nTrain = data[0] % 8, nTest = data[1] % 8, extra = data[2] % 4, present = data[3];
    // The rest: class_names.txt, train_y.bin, test_y.bin, fold_indices.txt, split at 0xFF bytes.
    std::vector<std::string> parts(4);
    std::size_t part = 0;
    for (std::size_t i = 4; i < size; ++i) {
        if (data[i] == 0xFF && part < 3)
            ++part;
        else
            parts[part] += char(data[i]);
    }
    const char* names[] = {"class_names.txt", "train_y.bin", "test_y.bin", "fold_indices.txt"};
    for (int i = 0; i < 4; ++i) {
        const std::string path = dir + "/" + names[i];
        if (present & (1 << i))
            writeFile(path, parts[std::size_t(i)]);
        else
            std::remove(path.c_str());
    }
    writeFile(dir + "/train_X.bin", std::string(std::size_t(nTrain) * deepsvm::kStl10ImageBytes + std::size_t(extra), '\x07'));
    writeFile(dir + "/test_X.bin", std::string(std::size_t(nTest) * deepsvm::kStl10ImageBytes, '\x09'));
    try {
        deepsvm::Stl10Dataset ds(dir);
        const int classes = int(ds.classNames().size());
        for (const std::string& name : ds.splits()) {
            const auto source = ds.split(name);
            for (std::int64_t i = 0; i < source->size(); ++i) {
                const int label = source->label(i);
                if (label < -1 || label >= classes)
                    __builtin_trap();  // an accepted label outside the class list
                const deepsvm::RgbImage image = source->load(i);
                if (image.width != deepsvm::kStl10Side || image.pixels.size() != std::size_t(deepsvm::kStl10ImageBytes))
                    __builtin_trap();
            }
        }
        const auto train = ds.split("train");
        for (const auto& fold : ds.folds())
            for (std::int64_t i : fold)
                if (i < 0 || i >= train->size())
                    __builtin_trap();  // an accepted fold index outside the training rows
    } catch (const std::exception&) {
    }
    return 0;
}
