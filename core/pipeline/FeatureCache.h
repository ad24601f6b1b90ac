#pragma once

#include "features/ExtractTask.h"

#include <QString>

namespace deepsvm {

/// The cache prefix for extracting `o` from `datasetDir` into `folder`:
/// FOLDER/<dataset>-<backbone>-<layer>-<size>-<precision>[-random][-first<N>]-<hash>, plus
/// .<split> when one split is extracted (so the same split is found again whichever others were
/// extracted with it). <hash> is 8 hex digits of the SHA-256 of the absolute dataset path, weights
/// file and normalisation, so two settings never share one name. Native separators.
QString featureCachePrefix(const QString& folder, const QString& datasetDir, const ExtractOptions& o);

}  // namespace deepsvm
