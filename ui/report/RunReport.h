#pragma once

#include <QString>

namespace deepsvm {

struct RunData;

/// A shareable report of a run: dataset, backbone and weights, settings, the grid table and
/// heat maps, best parameters, summary and per-class metrics, confusion matrix, ROC curves,
/// timings, version. Writes `htmlPath` (pictures in <name>_files/ next to it) and, when
/// `pdfPath` is not empty, the same document as PDF. Returns false and sets *error naming the file.
bool writeRunReport(const RunData& data, const QString& htmlPath, const QString& pdfPath, QString* error);

}  // namespace deepsvm
