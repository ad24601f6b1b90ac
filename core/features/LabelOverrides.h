#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace deepsvm {

struct FeatureSet;

/// labels_override.csv: label changes for a dataset whose files cannot be moved (STL-10's
/// binaries, a dataset given as a CSV list). Columns `id,label`: `id` an image id as the
/// feature files record it ("train/17" for STL-10, the path for a CSV dataset), `label` the
/// class name the image now has, or `_excluded` to leave it out. Extraction
/// (ExtractOptions::labelsOverride) and the SVM (SvmOptions::labelsOverride) honour it:
/// a relabelled row gets the new class, an excluded row is dropped.
class LabelOverrides {
public:
    static constexpr const char* kExcluded = "_excluded";

    /// Reads `path`; a missing file is no override. Throws std::runtime_error naming the file
    /// and line (a row without two fields, an empty id or label, an id given twice).
    static LabelOverrides load(const std::string& path);
    /// Writes the file atomically, rows sorted by id. Throws IoError naming the file.
    void save(const std::string& path) const;

    bool empty() const { return m_labels.empty(); }
    std::size_t size() const { return m_labels.size(); }
    const std::map<std::string, std::string>& entries() const { return m_labels; }
    /// The label `id` is overridden to (a class name or kExcluded), or nullptr.
    const std::string* find(const std::string& id) const;
    void set(const std::string& id, const std::string& label) { m_labels[id] = label; }
    void erase(const std::string& id) { m_labels.erase(id); }
    /// SHA-256 of the rows as saved, for cache keys and reports.
    std::string digest() const;

    /// What applying did to a feature set.
    struct Applied {
        int64_t relabelled = 0;  ///< rows whose label changed
        int64_t excluded = 0;    ///< rows dropped
        /// With rows dropped: the row each remaining row had in the feature file.
        std::vector<int64_t> kept;
        /// The feature-file row of remaining row `r`.
        int64_t fileRow(int64_t r) const { return kept.empty() ? r : kept[std::size_t(r)]; }
    };
    /// Relabels and drops the rows of `set` by id (its sidecar's ids and class names). Throws
    /// std::invalid_argument naming `source` if a label is not one of the set's classes, or if
    /// the set has overrides to apply but no ids to match them by.
    Applied applyTo(FeatureSet* set, const std::string& source) const;
    /// The class index an override names, -1 for kExcluded; throws as applyTo for an unknown one.
    int classIndex(const std::string& label, const std::vector<std::string>& classNames, const std::string& source) const;

private:
    std::map<std::string, std::string> m_labels;
};

}  // namespace deepsvm
