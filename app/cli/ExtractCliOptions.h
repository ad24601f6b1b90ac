#pragma once

#include "features/ExtractTask.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QJsonObject>

namespace deepsvm::cli {

/// The feature-extraction options `extract` and `run` share.
struct ExtractCliOptions {
    QCommandLineOption data;
    QCommandLineOption split;
    QCommandLineOption backbone;
    QCommandLineOption weights;
    QCommandLineOption layer;
    QCommandLineOption size;
    QCommandLineOption resize;
    QCommandLineOption precision;
    QCommandLineOption normalize;
    QCommandLineOption batch;
    QCommandLineOption seed;
    QCommandLineOption limit;
    QCommandLineOption noCache;
    QCommandLineOption labelsOverride;

    ExtractCliOptions();
    void addTo(QCommandLineParser& p) const;
    /// Throws std::invalid_argument naming the option.
    void read(const QCommandLineParser& p, ExtractOptions* o) const;
};

/// Runs an ExtractTask with progress on stderr; returns the exit code, the result in `result`.
int runExtractTask(const ExtractOptions& options, QJsonObject* result);
/// Prints an ExtractTask's result on stderr: rows, speed and skipped files per split.
void printExtraction(const QJsonObject& result);

}  // namespace deepsvm::cli
