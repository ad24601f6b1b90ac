// Stl10Dataset::readFoldIndices on its own: the headless `deepsvm svm` reads fold files
// without linking the image code (OpenCV) the rest of Stl10.cpp needs.
#include "data/Stl10.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace deepsvm {

std::vector<std::vector<std::int64_t>> Stl10Dataset::readFoldIndices(const std::string& path, std::int64_t trainSize)
{
    std::ifstream in(path);
    if (!in)
        throw DatasetError(path + ": cannot open the fold index file");
    std::vector<std::vector<std::int64_t>> folds;
    std::string line;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        std::istringstream words(line);
        std::vector<std::int64_t> fold;
        std::vector<bool> seen(std::size_t(trainSize), false);
        std::string word;
        while (words >> word) {
            std::size_t used = 0;
            long long v = -1;
            try {
                v = std::stoll(word, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != word.size())
                throw DatasetError(path + ": line " + std::to_string(folds.size() + 1) + ": '" + word
                                   + "' is not an index");
            if (v < 0 || v >= trainSize)
                throw DatasetError(path + ": line " + std::to_string(folds.size() + 1) + ": index "
                                   + std::to_string(v) + " is outside the training set (0.."
                                   + std::to_string(trainSize - 1) + ")");
            if (seen[std::size_t(v)])
                throw DatasetError(path + ": line " + std::to_string(folds.size() + 1) + ": index "
                                   + std::to_string(v) + " appears twice");
            seen[std::size_t(v)] = true;
            fold.push_back(v);
        }
        if (fold.empty() || std::int64_t(fold.size()) >= trainSize)
            throw DatasetError(path + ": line " + std::to_string(folds.size() + 1)
                               + " must leave some training rows for validation");
        folds.push_back(std::move(fold));
    }
    if (folds.empty())
        throw DatasetError(path + ": holds no folds");
    return folds;
}

}  // namespace deepsvm
