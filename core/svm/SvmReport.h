#pragma once

#include "metrics/Metrics.h"
#include "svm/GridSearch.h"

#include <QJsonObject>

#include <string>
#include <vector>

namespace deepsvm {

class SvmModel;

/// The names of the files in a model/report folder.
struct ModelFiles {
    std::string dir;
    std::string model() const { return dir + "/model.libsvm"; }
    std::string scaler() const { return dir + "/scaler.json"; }
    std::string classes() const { return dir + "/classes.json"; }
    std::string featureSettings() const { return dir + "/features.json"; }
    std::string report() const { return dir + "/report.json"; }
    std::string predictions() const { return dir + "/predictions.csv"; }
    std::string oofPredictions() const { return dir + "/oof_predictions.csv"; }
};

/// A model's predictions on labelled rows and the metrics that follow.
struct Evaluation {
    std::vector<int64_t> rows;          ///< each prediction's row in its feature file (empty: 0, 1, ...)
    std::vector<int> truth, predicted;
    std::vector<double> probabilities;  ///< rows x K in class order (empty without probability)
    std::vector<double> decisions;      ///< rows x K(K-1)/2, one-vs-one
    std::vector<double> rocScores;      ///< rows x K: probabilities, else ovr decision scores
    ConfusionMatrix confusion;
    RocSet roc;
};

/// Predicts `test` (scaled, rows x dims) with a model fitted on `train` (trainRows x dims, in
/// the order it was fitted on): SvmModel::scoreRows, in blocks against the support vectors,
/// on all cores.
Evaluation evaluate(const SvmModel& model, const std::vector<double>& test, int64_t testRows,
                    const std::vector<double>& train, int64_t dims, const std::vector<int>& truth, int classes);

QJsonObject paramsJson(const SvmParams& p);
QJsonObject gridPointJson(const GridPointResult& r);
QJsonObject evaluationJson(const Evaluation& e, const std::vector<std::string>& classNames);

/// Writes atomically (temporary name, then rename). Throw std::runtime_error naming the file.
void writeJson(const std::string& path, const QJsonObject& object);
void writeClassesJson(const std::string& path, const std::vector<std::string>& classNames);
void writeFeatureSettings(const std::string& path, const QJsonObject& trainSidecar, double outlierNorm);
void writePredictionsCsv(const std::string& path, const Evaluation& e, const std::vector<std::string>& classNames);
void writeRocCsvs(const std::string& dir, const Evaluation& e, const std::vector<std::string>& classNames);
std::vector<std::string> readClassesJson(const std::string& path);
/// Reads predictions.csv (or oof_predictions.csv) back: truth, predicted, the per-class
/// probabilities (rows x K; left empty when the file has no probability columns) and, if
/// asked, each line's row in its feature file (the index column). Returns false if the file is
/// missing or malformed.
bool readPredictionsCsv(const std::string& path, int classes, std::vector<int>* truth, std::vector<int>* predicted,
                        std::vector<double>* probabilities, std::vector<int64_t>* rows = nullptr);

}  // namespace deepsvm
