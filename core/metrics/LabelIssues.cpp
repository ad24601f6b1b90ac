#include "metrics/LabelIssues.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace deepsvm {

namespace {

int argmax(const double* p, int classes)
{
    return int(std::max_element(p, p + classes) - p);
}

void check(const std::vector<double>& probabilities, const std::vector<int>& given, int classes)
{
    if (classes < 2 || probabilities.size() != given.size() * std::size_t(classes))
        throw std::invalid_argument("label issues need one probability per class for each of the "
                                    + std::to_string(given.size()) + " rows");
    for (int g : given)
        if (g < 0 || g >= classes)
            throw std::invalid_argument("label " + std::to_string(g) + " is outside 0.." + std::to_string(classes - 1));
}

}  // namespace

LabelIssues findLabelIssues(const std::vector<double>& probabilities, const std::vector<int>& given, int classes)
{
    check(probabilities, given, classes);
    const std::size_t n = given.size(), k = std::size_t(classes);
    LabelIssues out;
    out.rows = int64_t(n);
    out.thresholds.assign(k, 0.0);
    std::vector<int64_t> count(k, 0);
    for (std::size_t i = 0; i < n; ++i) {
        out.thresholds[std::size_t(given[i])] += probabilities[i * k + std::size_t(given[i])];
        ++count[std::size_t(given[i])];
    }
    for (std::size_t j = 0; j < k; ++j)
        out.thresholds[j] = count[j] > 0 ? out.thresholds[j] / double(count[j]) : 1.0;
    out.pairs.assign(k, std::vector<int64_t>(k, 0));

    for (std::size_t i = 0; i < n; ++i) {
        const double* p = probabilities.data() + i * k;
        const int g = given[i];
        int confident = -1;
        for (std::size_t j = 0; j < k; ++j)
            if (p[j] >= out.thresholds[j] && (confident < 0 || p[j] > p[std::size_t(confident)]))
                confident = int(j);
        if (confident < 0 || confident == g || p[std::size_t(g)] >= out.thresholds[std::size_t(g)])
            continue;
        double other = 0;
        for (std::size_t j = 0; j < k; ++j)
            if (int(j) != g) other = std::max(other, p[j]);
        out.issues.push_back({int64_t(i), g, confident, p[std::size_t(g)], p[std::size_t(g)] - other});
        ++out.pairs[std::size_t(g)][std::size_t(confident)];
    }
    std::stable_sort(out.issues.begin(), out.issues.end(),
                     [](const LabelIssue& a, const LabelIssue& b) { return a.margin < b.margin; });
    return out;
}

std::vector<int64_t> predictionDiffersFromLabel(const std::vector<double>& probabilities, const std::vector<int>& given,
                                                int classes)
{
    check(probabilities, given, classes);
    std::vector<int64_t> rows;
    for (std::size_t i = 0; i < given.size(); ++i)
        if (argmax(probabilities.data() + i * std::size_t(classes), classes) != given[i])
            rows.push_back(int64_t(i));
    return rows;
}

}  // namespace deepsvm
