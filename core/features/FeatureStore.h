#pragma once

#include "io/AtomicFile.h"  // writeFileAtomically, for the files beside a feature set
#include "io/Digest.h"      // sha256Hex, for dataset identities

#include <QJsonObject>

#include <cstdint>
#include <string>
#include <vector>

namespace deepsvm {

/// What makes two feature sets the same: reuse the cache only when every field matches.
struct FeatureKey {
    std::string datasetRoot;
    std::string datasetHash;  ///< SHA-256 of the split's file names, sizes and mtimes
    std::string split;
    std::string backbone;
    std::string weightsSha256;
    std::string layer;
    int size = 224;
    int resize = 0;  ///< the shorter side before the crop; 0: size (recorded only when it differs)
    std::string precision;
    std::string normalization;
    int preprocessVersion = 0;

    QJsonObject toJson() const;
    static FeatureKey fromJson(const QJsonObject& o);
    bool operator==(const FeatureKey& o) const;
};

/// Features in memory: rows x cols float32 (row-major), labels, and where rows came from.
struct FeatureSet {
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<float> values;
    std::vector<int64_t> labels;          ///< -1 for unlabeled rows
    std::vector<std::string> classNames;  ///< empty for a bare .npy pair
    std::vector<std::string> ids;         ///< image ids in row order (may be empty)
    QJsonObject sidecar;                  ///< the whole sidecar, if any
};

/// PREFIX.features.npy (float32 N x D), PREFIX.labels.npy (int64 N), PREFIX.json (sidecar).
namespace FeatureStore {
std::string featuresPath(const std::string& prefix);
std::string labelsPath(const std::string& prefix);
std::string sidecarPath(const std::string& prefix);
/// True if all three files exist and the sidecar's key equals `key`.
bool isCached(const std::string& prefix, const FeatureKey& key);
/// Loads PREFIX; the sidecar is optional. Throws NpyError / std::runtime_error naming the file.
FeatureSet load(const std::string& prefix);
/// Writes the sidecar atomically.
void writeSidecar(const std::string& prefix, const QJsonObject& sidecar);
}  // namespace FeatureStore

}  // namespace deepsvm
