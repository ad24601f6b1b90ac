#include "widgets/SimilarImages.h"

#include "Session.h"
#include "data/Dataset.h"
#include "features/FeatureStore.h"
#include "models/ImageLookup.h"
#include "models/ThumbnailModel.h"
#include "svm/Similarity.h"

#include <QApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QIcon>
#include <QPixmap>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QVBoxLayout>

#include <algorithm>
#include <map>
#include <memory>

namespace deepsvm {

namespace {

/// The training (then test) features and their similarity space, kept while the files stay the same.
struct SpaceCache {
    QString key;
    FeatureSet train, test;
    std::unique_ptr<SimilaritySpace> space;
};

SpaceCache& cacheFor(const Session& session)
{
    static SpaceCache cache;
    QString key;
    for (const QString& p : {session.trainPrefix(), session.testPrefix()})
        if (!p.isEmpty()) {
            const QFileInfo f(QString::fromStdString(FeatureStore::featuresPath(p.toStdString())));
            key += p + QLatin1Char('@') + QString::number(f.lastModified().toMSecsSinceEpoch()) + QLatin1Char(';');
        }
    if (key != cache.key) {
        cache = SpaceCache();
        cache.train = FeatureStore::load(session.trainPrefix().toStdString());
        if (!session.testPrefix().isEmpty())
            cache.test = FeatureStore::load(session.testPrefix().toStdString());
        const bool both = cache.test.rows > 0 && cache.test.cols == cache.train.cols;
        cache.space = std::make_unique<SimilaritySpace>(SimilaritySpace::standardised(
            both ? stackRows(cache.train.values, cache.test.values) : cache.train.values,
            cache.train.rows + (both ? cache.test.rows : 0), cache.train.cols));
        cache.key = key;
    }
    return cache;
}

int64_t rowOf(const std::vector<std::string>& ids, const std::string& id)
{
    const auto it = std::find(ids.begin(), ids.end(), id);
    return it == ids.end() ? -1 : int64_t(it - ids.begin());
}

}  // namespace

std::vector<SimilarImage> similarTrainingImages(const Session& session, const std::string& id, int k, QString* error)
{
    if (session.trainPrefix().isEmpty()) {
        *error = QObject::tr("Extract features first: similar images are found in feature space.");
        return {};
    }
    try {
        SpaceCache& c = cacheFor(session);
        int64_t row = rowOf(c.train.ids, id);
        if (row < 0 && c.space->rows() > c.train.rows && (row = rowOf(c.test.ids, id)) >= 0)
            row += c.train.rows;
        if (row < 0) {
            *error = QObject::tr("%1 is not among the extracted features.").arg(QString::fromStdString(id));
            return {};
        }
        std::vector<SimilarImage> out;
        for (const auto& n : c.space->nearest(row, int(c.space->rows())))
            if (n.row < c.train.rows && int(out.size()) < k)
                out.push_back({c.train.ids[std::size_t(n.row)], int(c.train.labels[std::size_t(n.row)]), n.similarity});
        return out;
    } catch (const std::exception& e) {
        *error = QString::fromUtf8(e.what());
        return {};
    }
}

std::vector<SimilarImage> similarTrainingImagesTo(const Session& session, const std::vector<float>& features, int k,
                                                  QString* error)
{
    if (session.trainPrefix().isEmpty()) {
        *error = QObject::tr("Extract features first: similar images are found in feature space.");
        return {};
    }
    try {
        const FeatureSet& train = cacheFor(session).train;  // read once per feature file, not per click
        if (int64_t(features.size()) != train.cols) {
            *error = QObject::tr("The model gives %1 features but the open dataset's training features have %2; extract "
                                 "them with the model's network to compare.").arg(features.size()).arg(train.cols);
            return {};
        }
        const SimilaritySpace space = SimilaritySpace::standardised(stackRows(train.values, features), train.rows + 1, train.cols);
        std::vector<SimilarImage> out;
        for (const auto& n : space.nearest(train.rows, k))
            out.push_back({std::size_t(n.row) < train.ids.size() ? train.ids[std::size_t(n.row)] : std::to_string(n.row),
                           int(train.labels[std::size_t(n.row)]), n.similarity});
        return out;
    } catch (const std::exception& e) {
        *error = QString::fromUtf8(e.what());
        return {};
    }
}

namespace {

void showSimilarDialog(QWidget* parent, Session* session, const QString& title, const QIcon& queryIcon,
                       const std::string& queryId, const std::vector<SimilarImage>& similar, const QString& error);

}  // namespace

void showSimilarImages(QWidget* parent, Session* session, const QImage& image, const std::vector<float>& features)
{
    QApplication::setOverrideCursor(Qt::WaitCursor);
    QString error;
    const std::vector<SimilarImage> similar = similarTrainingImagesTo(*session, features, 12, &error);
    QApplication::restoreOverrideCursor();
    showSimilarDialog(parent, session, QObject::tr("Training images similar to the classified image"),
                      QPixmap::fromImage(image), std::string(), similar, error);
}

void showSimilarImages(QWidget* parent, Session* session, const std::string& id)
{
    QApplication::setOverrideCursor(Qt::WaitCursor);
    QString error;
    const std::vector<SimilarImage> similar = similarTrainingImages(*session, id, 12, &error);
    QApplication::restoreOverrideCursor();
    showSimilarDialog(parent, session, QObject::tr("Images similar to %1").arg(QString::fromStdString(id)), QIcon(), id,
                      similar, error);
}

namespace {

void showSimilarDialog(QWidget* parent, Session* session, const QString& title, const QIcon& queryIcon,
                       const std::string& id, const std::vector<SimilarImage>& similar, const QString& error)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto* list = new QListWidget(&dialog);
    list->setObjectName(QStringLiteral("similarImages"));
    list->setViewMode(QListView::IconMode);
    list->setIconSize(QSize(96, 96));
    list->setGridSize(QSize(140, 136));
    list->setResizeMode(QListView::Adjust);
    list->setMovement(QListView::Static);
    ImageLookup lookup(session->dataset());
    const QStringList names = session->classNames();
    auto add = [&](const std::string& imageId, const QString& caption) {
        auto* item = new QListWidgetItem(caption, list);
        item->setToolTip(QString::fromStdString(imageId));
        if (!queryIcon.isNull() && imageId.empty()) {
            item->setIcon(queryIcon);
            return;
        }
        ImageLookup::Found hit;
        for (const std::string& split : session->dataset() ? session->dataset()->splits() : std::vector<std::string>{})
            if ((hit = lookup.find(split, imageId)).index >= 0)
                break;
        if (hit.index >= 0) {
            try {
                item->setIcon(QPixmap::fromImage(toQImage(hit.source->load(hit.index)).scaled(96, 96, Qt::KeepAspectRatio,
                                                                                             Qt::SmoothTransformation)));
            } catch (const std::exception&) {
            }
        }
    };
    add(id, QObject::tr("this image"));
    for (const SimilarImage& s : similar)
        add(s.id, QStringLiteral("%1 · %2").arg(names.value(s.label, QStringLiteral("?"))).arg(s.similarity, 0, 'f', 3));
    auto* note = new QLabel(error.isEmpty() ? QObject::tr("The training images nearest to it (cosine similarity of "
                                                          "standardised features).")
                                            : error, &dialog);
    note->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(note);
    layout->addWidget(list, 1);
    layout->addWidget(buttons);
    dialog.resize(640, 480);
    dialog.exec();
}

}  // namespace

void offerSimilarImages(QAbstractItemView* view, Session* session)
{
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(view, &QWidget::customContextMenuRequested, view, [view, session](const QPoint& at) {
        const QModelIndex index = view->indexAt(at);
        const QString id = index.data(ThumbnailModel::ImageIdRole).toString();
        if (id.isEmpty())
            return;
        QMenu menu(view);
        menu.addAction(QObject::tr("Similar images"), view, [view, session, id] { showSimilarImages(view, session, id.toStdString()); });
        menu.exec(view->viewport()->mapToGlobal(at));
    });
}

}  // namespace deepsvm
