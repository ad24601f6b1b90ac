#pragma once

#include "features/ExtractTask.h"
#include "svm/SvmTask.h"

#include <QJsonObject>
#include <QMetaType>

#include <cstddef>
#include <cstdint>
#include <string>

namespace deepsvm {

/// The training and test feature files of a study (`deepsvm run`) after extraction under PREFIX.
struct StudySplits {
    std::string trainPrefix;  ///< PREFIX.train
    std::string testPrefix;   ///< PREFIX.test
    bool heldOut = false;     ///< the test rows were held out of the only split
    std::size_t trainRows = 0, testRows = 0;  ///< with heldOut: how the rows were divided
};

/// The splits of a study whose features were extracted under `prefix`. With a test split, its
/// files. Without one (the dataset's only split is PREFIX itself), a stratified, seeded hold-out
/// of `testFraction` of its rows becomes PREFIX.test and the rest PREFIX.train; their sidecars
/// name the origin's key as source_key, not key, so they are never taken for cache entries.
/// Throws NpyError / std::runtime_error naming the file.
StudySplits studySplits(const std::string& prefix, bool hasTest, double testFraction, uint64_t seed);

/// The window's hold-out of a dataset without a test split: as studySplits, but the two
/// derived sets are named after the share and the seed (PREFIX.holdout-0.2-s0.train / .test)
/// and kept beside the cache entry, so reopening the experiment finds the same split again.
/// They are rebuilt when missing or when PREFIX's cache key changed since they were made.
StudySplits cachedHoldOut(const std::string& prefix, double testFraction, uint64_t seed);

/// The whole study from images, as `deepsvm run` does it: extract (or reuse) every split's
/// features under OUT/features, hold out a test share if the dataset has no test split, then
/// scale -> grid search -> refit -> evaluate -> OUT (report.json, predictions.csv, model files).
struct StudyOptions {
    ExtractOptions extract;   ///< data, network and preprocessing; splits and outPrefix are set by the study
    SvmOptions svm;           ///< the grid; outDir is the report folder; the prefixes are set by the study
    double testFraction = 0.2;///< the stratified hold-out share for a dataset without a test split
    bool stl10Folds = false;  ///< cross-validate on STL-10's fold_indices.txt
};

/// Reported (as partialResult) once the features are ready, before the grid search starts.
struct StudyExtracted {
    QJsonObject extraction;   ///< ExtractTask's result
    StudySplits splits;
};

/// A study's result: what extraction did, how the rows were split, and report.json's object.
struct StudyResult {
    QJsonObject extraction;
    StudySplits splits;
    QJsonObject report;
};

/// Runs a study as one task. Progress is the extraction's (images) then the grid search's;
/// partial results are one StudyExtracted, then each GridPointResult; the result is a StudyResult.
class StudyTask final : public Task {
    Q_OBJECT
public:
    explicit StudyTask(StudyOptions options, QObject* parent = nullptr);

protected:
    QVariant execute() override;

private:
    StudyOptions m_options;
};

}  // namespace deepsvm

Q_DECLARE_METATYPE(deepsvm::StudyExtracted)
Q_DECLARE_METATYPE(deepsvm::StudyResult)
