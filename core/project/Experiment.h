#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace deepsvm {

/// The experiment file's format version this build writes and the newest it reads.
constexpr int kExperimentVersion = 1;

/// An experiment file (settings and run records) as read from disk, checked but not applied.
struct Experiment {
    int version = kExperimentVersion;
    QString workspace;  // empty: keep the current one
    bool hasWorkspace = false;
    QString dataset;
    QJsonObject features;
    QString trainPrefix, testPrefix;
    QJsonObject svm;
    /// The hold-out of a dataset without a test split: {"test_fraction": 0.2, "seed": 0}.
    QJsonObject split;
    QJsonArray runs;  // every element an object with a string "id"
    QString currentRun;
};

/// Parses and checks an experiment file's bytes. On failure returns nothing and sets *error
/// to one sentence saying what is wrong (without the file name, which the caller adds):
/// not JSON, not an experiment, written by a newer version, or a field of the wrong type.
std::optional<Experiment> parseExperiment(const QByteArray& bytes, QString* error);

/// The JSON object an Experiment is written as (parseExperiment reads it back unchanged).
QJsonObject experimentJson(const Experiment& e);

}  // namespace deepsvm
