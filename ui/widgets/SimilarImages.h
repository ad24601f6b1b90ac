#pragma once

#include <QImage>
#include <QString>

#include <string>
#include <vector>

class QAbstractItemView;
class QWidget;

namespace deepsvm {

class Session;

/// A training image near the one asked about: cosine similarity of the features standardised
/// per column (not whitened as for near-duplicates: here the directions that tell classes apart
/// should count most).
struct SimilarImage {
    std::string id;      ///< the training image's id (as the feature sidecar stores it)
    int label = -1;
    double similarity = 0;
};

/// The `k` training images most similar to image `id` (a training or a test image of the
/// session's current features), most similar first; the image itself is left out. Empty, with
/// *error saying why, when there are no features or the id is not among them.
std::vector<SimilarImage> similarTrainingImages(const Session& session, const std::string& id, int k, QString* error);

/// The same for an image that is not among the features (a newly classified one), given its
/// network features (as many as the training features have columns).
std::vector<SimilarImage> similarTrainingImagesTo(const Session& session, const std::vector<float>& features, int k,
                                                  QString* error);

/// Shows them beside the image, with their labels and similarities ("Similar images" on a
/// thumbnail of the Data page or the Evaluation page's gallery).
void showSimilarImages(QWidget* parent, Session* session, const std::string& id);
/// The same for a newly classified image: its thumbnail and its features.
void showSimilarImages(QWidget* parent, Session* session, const QImage& image, const std::vector<float>& features);

/// Gives a thumbnail view (its model answering ThumbnailModel::ImageIdRole) a context menu
/// with "Similar images".
void offerSimilarImages(QAbstractItemView* view, Session* session);

}  // namespace deepsvm
