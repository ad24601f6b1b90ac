// The Features page's scatter of projected features (PCA, t-SNE) and its hover preview.
#include "pages/FeaturesPage.h"

#include "Session.h"
#include "analysis/Projection.h"
#include "charts/ChartWidgets.h"
#include "data/Dataset.h"
#include "features/ExtractTask.h"
#include "features/FeatureStore.h"
#include "io/Digest.h"
#include "models/ImageDecode.h"
#include "models/ImageLookup.h"
#include "models/ThumbnailModel.h"
#include "pipeline/FeatureCache.h"
#include "project/Fetch.h"
#include "tasks/FunctionTask.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <numeric>

namespace deepsvm {

Task* FeaturesPage::startProjection(const QString& method)
{
    const bool test = m_projectionSet->currentData().toString() == QStringLiteral("test");
    const QString prefix = test ? m_session->testPrefix() : m_session->trainPrefix();
    if (prefix.isEmpty()) {
        m_status->setText(tr("Extract the %1 features first.").arg(test ? tr("test") : tr("training")));
        return nullptr;
    }
    const QStringList names = m_session->classNames();
    const bool tsne = method == QStringLiteral("tsne");
    m_projectionMethod->setCurrentIndex(std::max(0, m_projectionMethod->findData(method)));
    auto task = std::make_unique<FunctionTask>(tsne ? tr("t-SNE projection") : tr("PCA projection"), [prefix, tsne](FunctionTask& t) {
        t.step(0, 1, QStringLiteral("loading features"));
        FeatureSet set = FeatureStore::load(prefix.toStdString());
        std::vector<int64_t> rows(std::size_t(set.rows));
        std::iota(rows.begin(), rows.end(), 0);
        // A scatter of more than 10,000 points is unreadable and slow to draw: both methods
        // show every k-th row beyond that (PCA still fits on those rows only).
        if (set.rows > 10000) {
            std::vector<int64_t> kept;
            const double stride = double(set.rows) / 10000.0;
            for (int i = 0; i < 10000; ++i) kept.push_back(int64_t(i * stride));
            rows = kept;
            std::vector<float> values;
            values.reserve(rows.size() * std::size_t(set.cols));
            for (int64_t r : rows)
                values.insert(values.end(), set.values.begin() + r * set.cols, set.values.begin() + (r + 1) * set.cols);
            set.values.swap(values);
        }
        const int64_t n = int64_t(rows.size());
        std::vector<float> xy;
        if (tsne) {
            TsneOptions options;
            xy = tsne2d(set.values, n, set.cols, options, [&t](int done, int total) {
                t.step(done, total, QStringLiteral("t-SNE"));
                return true;
            });
        } else {
            xy = pca2d(set.values, n, set.cols);
        }
        QVariantList xs, labels, rowList;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            xs << xy[2 * i] << xy[2 * i + 1];
            labels << qlonglong(set.labels[std::size_t(rows[i])]);
            rowList << qlonglong(rows[i]);
        }
        return QVariant(QVariantMap{{QStringLiteral("xy"), xs}, {QStringLiteral("labels"), labels}, {QStringLiteral("rows"), rowList}});
    });
    connect(task.get(), &Task::finished, this, [this, prefix, names, tsne](const QVariant& v) {
        const QVariantMap m = v.toMap();
        std::vector<float> xy;
        for (const auto& x : m.value(QStringLiteral("xy")).toList()) xy.push_back(x.toFloat());
        std::vector<int> labels;
        for (const auto& l : m.value(QStringLiteral("labels")).toList()) labels.push_back(l.toInt());
        const std::vector<std::string> allIds = readFeatureIds(prefix);
        m_projectedIds.clear();
        for (const auto& r : m.value(QStringLiteral("rows")).toList()) {
            const auto i = std::size_t(r.toLongLong());
            m_projectedIds.push_back(i < allIds.size() ? allIds[i] : std::string());
        }
        m_projectedPrefix = prefix;
        m_scatter->setPoints(xy, labels, names,
                             tr("%1 of %2 (%3 points)").arg(tsne ? tr("t-SNE") : tr("PCA"), QFileInfo(prefix).fileName()).arg(labels.size()));
        Q_EMIT projectionFinished(true);
    });
    connect(task.get(), &Task::failed, this, [this](const QString& message) {
        m_status->setText(tr("Projection failed: %1").arg(message));
        Q_EMIT projectionFinished(false);
    });
    connect(task.get(), &Task::cancelled, this, [this] { Q_EMIT projectionFinished(false); });
    return m_session->start(std::move(task));
}

void FeaturesPage::showHover(int row, const QPoint& globalPos)
{
    if (row < 0 || std::size_t(row) >= m_projectedIds.size() || !m_lookup)
        return;
    const std::string id = m_projectedIds[std::size_t(row)];
    const auto slash = id.find('/');
    // STL-10 ids are "split/index"; image-folder ids are paths relative to a split folder.
    std::string split = m_projectedPrefix.endsWith(QStringLiteral(".test")) ? "test" : "train";
    if (slash != std::string::npos && m_session->dataset() && m_session->dataset()->kind() == "stl10")
        split = id.substr(0, slash);
    ImageLookup::Found found = m_lookup->find(split, id);
    if (found.index < 0) {
        const auto splits = m_session->dataset()->splits();
        for (const auto& s : splits)
            if ((found = m_lookup->find(s, id)).index >= 0)
                break;
    }
    if (found.index < 0)
        return;
    // Decode off the GUI thread (an image file can be large); show it if still hovered.
    const auto source = found.source;
    const qint64 index = found.index;
    m_hoverRow = row;
    decodeImageAsync(
        this,
        [source, index] {
            return toQImage(source->load(index)).scaled(128, 128, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        },
        [this, row, globalPos](const QImage& image, const QString& error) {
            if (!error.isEmpty() || m_hoverRow != row)
                return;
            m_hoverPopup->setPixmap(QPixmap::fromImage(image));
            m_hoverPopup->adjustSize();
            m_hoverPopup->move(globalPos + QPoint(16, 16));
            m_hoverPopup->show();
        });
}

}  // namespace deepsvm
