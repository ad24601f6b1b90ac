#pragma once

#include "svm/SvmTask.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QJsonObject>

namespace deepsvm::cli {

QCommandLineOption makeOption(const char* name, const char* help, const char* valueName = nullptr, const char* def = nullptr);

/// The grid-search options `svm` and `run` share.
/// --labels-override FILE: labels_override.csv (id,label; the label a class name or _excluded).
QCommandLineOption labelsOverrideOption();

struct SvmCliOptions {
    QCommandLineOption kernel = makeOption("kernel", "Kernels: linear,poly,rbf,sigmoid (comma list).", "K", "poly");
    QCommandLineOption C = makeOption("C", "C values: a list 0.1,1,10 or a range log2:-5:15:2.", "LIST", "0.1,1,10,100");
    QCommandLineOption gamma = makeOption("gamma", "gamma values: a list, a log range, or scale / auto.", "LIST", "1,0.1,0.01,0.001");
    QCommandLineOption degree = makeOption("degree", "Polynomial degrees (poly only).", "LIST", "3");
    QCommandLineOption coef0 = makeOption("coef0", "coef0 values (poly, sigmoid).", "LIST", "0");
    QCommandLineOption folds = makeOption("folds", "Stratified K-fold cross-validation.", "K", "5");
    QCommandLineOption foldIndices = makeOption("fold-indices", "Predefined folds (STL-10's fold_indices.txt format).", "FILE");
    QCommandLineOption holdout = makeOption("holdout", "One stratified hold-out split of this fraction instead of K folds.", "F");
    QCommandLineOption metric = makeOption("metric", "accuracy, f1_macro or roc_auc_macro.", "M", "accuracy");
    QCommandLineOption noScale = makeOption("no-scale", "Do not standardise the features.");
    QCommandLineOption noProbability = makeOption("no-probability", "Final model without probability estimates.");
    QCommandLineOption seed = makeOption("seed", "Seed of the probability calibration and hold-out split.", "S", "0");
    QCommandLineOption threads = makeOption("threads", "Parallel fits (default: one per core).", "N", "0");
    QCommandLineOption kernelMemory = makeOption("kernel-memory", "MiB the exact SVM's kernel values may use.", "MB", "6144");
    QCommandLineOption solver = makeOption("solver", "auto (from the rows, kernels and memory), exact (libsvm's SVC), "
                                           "liblinear (LinearSVC, linear kernel) or nystroem:M (M landmarks + LinearSVC).",
                                           "S", "auto");
    QCommandLineOption kernelStorage = makeOption("kernel-storage", "auto, full (the n x n kernel), class-pairs (one "
                                                  "class pair's kernel at a time) or libsvm (its own kernels).", "S", "auto");
    QCommandLineOption noOof = makeOption("no-oof", "Skip the best point's out-of-fold predictions of the training rows "
                                                    "(report.json's oof, oof_predictions.csv).");

    void addTo(QCommandLineParser& p) const;
    /// Throws std::invalid_argument naming the option.
    void read(const QCommandLineParser& p, SvmOptions* o) const;
};

/// Runs an SvmTask, printing each grid point as it finishes; returns the exit code.
int runSvmTask(const SvmOptions& options, QJsonObject* report);
/// One finished grid point on stderr.
QString gridPointLine(const GridPointResult& point);
void printSvmSummary(const QJsonObject& report, const QString& outDir);

}  // namespace deepsvm::cli
