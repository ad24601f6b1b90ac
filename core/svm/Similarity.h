#pragma once

#include "io/Cancel.h"

#include <cstdint>
#include <vector>

namespace deepsvm {

/// Rows of features in a space where a dot product is a similarity of images: centred and
/// whitened along the set's leading principal axes (each of the top `components` axes scaled to
/// unit variance, so no single direction dominates), then each row scaled to unit length. The
/// dot product of two rows is then their cosine similarity.
///
/// Why whitened and not only standardised per column: with untrained weights (and, less so,
/// with trained ones) a network's features of every photo share a few dominant directions
/// (colour, brightness); per-column standardising keeps them, and two distinct photos of
/// similar colour reach a cosine of 0.99, above a JPEG re-encode of one photo (0.82).
/// Measured on ../shared/data/cifar10-sample in docs/near-duplicates.md.
class SimilaritySpace {
public:
    /// `values`: rows x dims, row-major. `components` 0 chooses rows / 5, between 8 and 64 (more
    /// axes than that whiten sampling noise on small sets; fewer keep colour dominant on large
    /// ones); any count is capped at rows - 1 and dims.
    SimilaritySpace(const std::vector<float>& values, int64_t rows, int64_t dims, int components = 0);

    /// Only standardised per column (StandardScaler), then unit length: the dominant
    /// directions stay, which is what "images like this one" wants (near-duplicates want the
    /// whitened space, where only a near-copy is close).
    static SimilaritySpace standardised(const std::vector<float>& values, int64_t rows, int64_t dims);

    int64_t rows() const { return m_rows; }
    int64_t dims() const { return m_dims; }  ///< the embedded dimension (components)
    const std::vector<double>& embedded() const { return m_unit; }
    double similarity(int64_t a, int64_t b) const;

    struct Neighbour {
        int64_t row = 0;
        double similarity = 0;
    };
    /// The k rows most similar to row `row`, most similar first; the row itself left out.
    std::vector<Neighbour> nearest(int64_t row, int k) const;

private:
    SimilaritySpace() = default;
    void normaliseRows();
    int64_t m_rows = 0, m_dims = 0;
    std::vector<double> m_unit;  ///< rows x dims
};

struct SimilarPair {
    int64_t a = 0, b = 0;  ///< within one set: a < b; across two: a query row, b a reference row
    double similarity = 0;
};

/// The default threshold of `deepsvm near-duplicates` and the run's leakage check, chosen on
/// real photos with untrained weights (docs/near-duplicates.md): every JPEG re-encode and 90%
/// resize of a photo stays above it, every pair of distinct photos below.
constexpr double kNearDuplicateThreshold = 0.88;

struct NearDuplicateOptions {
    double threshold = kNearDuplicateThreshold;  ///< pairs at least this similar
    int64_t top = 0;                             ///< at most this many pairs, the most similar (0: all)
    CancelCheck cancelled;
};

/// Pairs of rows that nearly coincide, most similar first. With `referenceRows` < 0, within all
/// rows of `space` (a < b). Otherwise the space holds the reference rows first and the query
/// rows after them: every query (a, counted from the first query row) against every reference
/// row (b) - test rows against training rows, for leakage. Blocks of 1,024 x 1,024 through BLAS:
/// memory stays at a few blocks plus the pairs kept.
std::vector<SimilarPair> nearDuplicates(const SimilaritySpace& space, int64_t referenceRows,
                                        const NearDuplicateOptions& options);

/// The rows of `a` then the rows of `b` (both `dims` wide) in one matrix, for a SimilaritySpace
/// over two sets.
std::vector<float> stackRows(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace deepsvm
