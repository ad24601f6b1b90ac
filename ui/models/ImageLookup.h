#pragma once

#include <QStringList>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace deepsvm {

class Dataset;
class ImageSource;

/// Finds a feature row's image again from the id the extractor stored ("test/17" for STL-10,
/// a relative path for image folders).
class ImageLookup {
public:
    explicit ImageLookup(std::shared_ptr<const Dataset> dataset) : m_dataset(std::move(dataset)) {}
    struct Found {
        std::shared_ptr<const ImageSource> source;
        qint64 index = -1;
    };
    /// The image with `id` in `split`; index -1 if it is not there.
    Found find(const std::string& split, const std::string& id);

private:
    std::shared_ptr<const Dataset> m_dataset;
    std::unordered_map<std::string, std::unordered_map<std::string, qint64>> m_bySplit;
};

/// The "ids" array of PREFIX.json (empty if the sidecar has none).
std::vector<std::string> readFeatureIds(const QString& prefix);

}  // namespace deepsvm
