#include "features/LabelOverrides.h"

#include "features/FeatureStore.h"
#include "io/Csv.h"

#include <QByteArray>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace deepsvm {

LabelOverrides LabelOverrides::load(const std::string& path)
{
    LabelOverrides o;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return o;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        const std::vector<std::string> f = splitCsvLine(line);
        if (number == 1 && f.size() >= 2 && f[0] == "id" && f[1] == "label")
            continue;
        const std::string where = path + ": line " + std::to_string(number);
        if (f.size() != 2 || f[0].empty() || f[1].empty())
            throw std::runtime_error(where + ": expected two fields id,label (the label a class name or _excluded)");
        if (!o.m_labels.emplace(f[0], f[1]).second)
            throw std::runtime_error(where + ": image '" + f[0] + "' is listed twice; keep one of its rows");
    }
    return o;
}

namespace {

std::string csvText(const std::map<std::string, std::string>& labels)
{
    std::string text = "id,label\n";
    for (const auto& [id, label] : labels)
        text += csvField(id) + "," + csvField(label) + "\n";
    return text;
}

}  // namespace

void LabelOverrides::save(const std::string& path) const
{
    const std::string text = csvText(m_labels);
    writeFileAtomically(path, QByteArray(text.data(), qsizetype(text.size())));
}

const std::string* LabelOverrides::find(const std::string& id) const
{
    const auto it = m_labels.find(id);
    return it == m_labels.end() ? nullptr : &it->second;
}

std::string LabelOverrides::digest() const
{
    return sha256Hex(csvText(m_labels));
}

int LabelOverrides::classIndex(const std::string& label, const std::vector<std::string>& classNames,
                               const std::string& source) const
{
    if (label == kExcluded)
        return -1;
    for (std::size_t c = 0; c < classNames.size(); ++c)
        if (classNames[c] == label)
            return int(c);
    std::string known;
    for (const auto& n : classNames) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument(source + ": '" + label + "' is not a class of these features (" + known
                                + "); use one of them or " + kExcluded);
}

LabelOverrides::Applied LabelOverrides::applyTo(FeatureSet* set, const std::string& source) const
{
    Applied applied;
    if (m_labels.empty())
        return applied;
    if (set->ids.size() != std::size_t(set->rows))
        throw std::invalid_argument(source + ": the features have no image ids to apply the label override to; "
                                             "extract them again with this version");
    std::vector<int64_t> keep;
    keep.reserve(std::size_t(set->rows));
    for (int64_t r = 0; r < set->rows; ++r) {
        const std::string* label = find(set->ids[std::size_t(r)]);
        if (!label) {
            keep.push_back(r);
            continue;
        }
        const int c = classIndex(*label, set->classNames, source);
        if (c < 0) {
            ++applied.excluded;
            continue;
        }
        if (set->labels[std::size_t(r)] != c) {
            set->labels[std::size_t(r)] = c;
            ++applied.relabelled;
        }
        keep.push_back(r);
    }
    if (applied.excluded == 0)
        return applied;
    applied.kept = keep;
    const auto cols = std::size_t(set->cols);
    for (std::size_t out = 0; out < keep.size(); ++out) {
        const auto in = std::size_t(keep[out]);
        if (in != out) {
            std::copy_n(set->values.begin() + std::ptrdiff_t(in * cols), cols, set->values.begin() + std::ptrdiff_t(out * cols));
            set->labels[out] = set->labels[in];
            set->ids[out] = std::move(set->ids[in]);
        }
    }
    set->rows = int64_t(keep.size());
    set->values.resize(keep.size() * cols);
    set->labels.resize(keep.size());
    set->ids.resize(keep.size());
    return applied;
}

}  // namespace deepsvm
