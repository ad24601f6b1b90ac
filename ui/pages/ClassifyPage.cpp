#include "pages/ClassifyPage.h"

#include "Session.h"
#include "widgets/SimilarImages.h"
#include "render/HeatOverlay.h"
#include "data/Image.h"
#include "data/ImageFolder.h"
#include "finetune/GradCam.h"
#include "models/ThumbnailModel.h"
#include "pipeline/Classifier.h"
#include "tasks/FunctionTask.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QMimeData>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QStandardPaths>
#include <QStyle>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace deepsvm {

ClassifyPage::ClassifyPage(Session* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_cache(std::make_shared<Cache>())
{
    m_model = new QLabel(this);
    m_model->setWordWrap(true);
    auto* openModel = new QPushButton(tr("Use another model..."), this);
    auto* open = new QPushButton(tr("Open images..."), this);
    open->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I));
    auto* clear = new QPushButton(tr("Clear"), this);
    m_dropZone = new QLabel(tr("Drop image files or folders anywhere on this window,\npaste them (Ctrl+V), or use Open images."), this);
    m_dropZone->setAlignment(Qt::AlignCenter);
    m_dropZone->setMinimumHeight(70);
    m_dropZone->setStyleSheet(QStringLiteral("QLabel { border: 2px dashed palette(mid); border-radius: 8px; padding: 8px; }"));
    m_results = new QListWidget(this);
    m_results->setSelectionMode(QAbstractItemView::NoSelection);
    m_results->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_model, 1);
    bar->addWidget(openModel);
    bar->addWidget(open);
    bar->addWidget(clear);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_dropZone);
    layout->addWidget(m_results, 1);

    connect(openModel, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder (as deepsvm svm writes it)"), modelDir());
        if (!dir.isEmpty())
            setModelDir(dir);
    });
    connect(open, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(
            this, tr("Images to classify"), QStandardPaths::writableLocation(QStandardPaths::PicturesLocation),
            tr("Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff *.ppm *.pgm);;All files (*)"));
        if (!files.isEmpty())
            classifyPaths(files);
    });
    connect(clear, &QPushButton::clicked, this, [this] {
        m_results->clear();
        m_classified = m_rejected = 0;
    });
    auto* pasteShortcut = new QShortcut(QKeySequence::Paste, this);
    connect(pasteShortcut, &QShortcut::activated, this, &ClassifyPage::paste);
    connect(m_session, &Session::currentRunChanged, this, [this] { setModelDir(m_modelDir); });
    setModelDir(QString());
}

QString ClassifyPage::modelDir() const
{
    return m_modelDir.isEmpty() ? m_session->currentRun().value(QStringLiteral("dir")).toString() : m_modelDir;
}

void ClassifyPage::setModelDir(const QString& dir)
{
    m_modelDir = dir;
    const QString d = modelDir();
    m_model->setText(d.isEmpty() ? tr("<b>No model yet.</b> Train one on the SVM page, or use a model folder.")
                                 : tr("Model: <b>%1</b>").arg(QDir::toNativeSeparators(d).toHtmlEscaped()));
}

void ClassifyPage::paste()
{
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    if (!mime)
        return;
    if (mime->hasUrls()) {
        QStringList paths;
        for (const QUrl& u : mime->urls())
            if (u.isLocalFile())
                paths << u.toLocalFile();
        classifyPaths(paths);
    } else if (mime->hasImage()) {
        // A pasted picture: save it so the same file-based path classifies it.
        const QImage image = qvariant_cast<QImage>(mime->imageData());
        const QString dir = m_session->workspace() + QStringLiteral("/pasted");
        QDir().mkpath(dir);
        const QString path = dir + QStringLiteral("/pasted-%1.png").arg(QDateTime::currentMSecsSinceEpoch());
        if (image.save(path))
            classifyPaths({path});
    }
}

void ClassifyPage::addRejected(const QString& path, const QString& reason)
{
    auto* item = new QListWidgetItem(m_results);
    item->setIcon(style()->standardIcon(QStyle::SP_MessageBoxWarning));
    item->setText(tr("%1 — not classified: %2").arg(QFileInfo(path).fileName(), reason));
    item->setToolTip(QDir::toNativeSeparators(path));
    item->setData(Qt::UserRole, QStringLiteral("rejected"));
    ++m_rejected;
    m_results->scrollToItem(item);
}

namespace {

constexpr int kDropLimit = 5000;

/// The images a drop names: files as given, folders walked (symlink-safe, sorted; files that
/// are not images skipped quietly). A named file that is not an image, and what is over the
/// limit, go to `reject`.
QStringList collectImages(FunctionTask& t, const QStringList& paths,
                          const std::function<void(const QString&, const QString&)>& reject)
{
    QStringList images;
    int overLimit = 0;
    auto accept = [&](const QString& f) {
        if (images.size() < kDropLimit)
            images << f;
        else
            ++overLimit;
    };
    for (const QString& p : paths) {
        t.step(0, 1, QStringLiteral("looking at the files"));
        if (QFileInfo(p).isDir()) {
            std::vector<std::string> passedOver;
            for (const std::string& f : listImageFiles(QDir::toNativeSeparators(p).toStdString(), &passedOver))
                if (checkImageFile(f).empty())
                    accept(QString::fromStdString(f));
            continue;
        }
        const std::string why = checkImageFile(QDir::toNativeSeparators(p).toStdString());
        if (!why.empty())
            reject(p, QString::fromStdString(why));
        else
            accept(p);
    }
    if (overLimit > 0)
        reject(QStringLiteral("%1 more images").arg(overLimit),
               QStringLiteral("at most %1 images are classified per drop; drop the rest separately").arg(kDropLimit));
    return images;
}

/// Classifies `images` through the network in batches (as `deepsvm classify`), streaming
/// each image's result with its thumbnail.
void classifyInBatches(FunctionTask& t, const Classifier& classifier, const QStringList& images)
{
    constexpr int kBatch = 32;
    for (qsizetype start = 0; start < images.size(); start += kBatch) {
        t.step(start, images.size(), QFileInfo(images[start]).fileName());
        std::vector<std::string> batch;
        for (qsizetype i = start; i < std::min<qsizetype>(images.size(), start + kBatch); ++i)
            batch.push_back(QDir::toNativeSeparators(images[i]).toStdString());
        const std::vector<Classifier::Result> results = classifier.classifyMany(batch, 5, kBatch);
        for (std::size_t k = 0; k < results.size(); ++k) {
            ClassifiedImage c;
            c.result = results[k];
            c.path = images[start + qsizetype(k)];
            if (c.result.error.empty()) {
                try {
                    c.thumbnail = toQImage(loadImageFile(batch[k])).scaled(96, 96, Qt::KeepAspectRatio, Qt::SmoothTransformation);
                } catch (const std::exception&) {
                }
            }
            t.emitPartial(QVariant::fromValue(c));
        }
    }
    t.step(images.size(), images.size());
}

}  // namespace

Task* ClassifyPage::classifyPaths(const QStringList& paths)
{
    if (paths.isEmpty())
        return nullptr;
    const QString dir = modelDir();
    std::shared_ptr<Cache> cache = m_cache;
    // Walking folders and reading headers happens in the task too: a dropped folder can hold
    // 100,000 files.
    auto task = std::make_unique<FunctionTask>(tr("Classifying dropped files"), [cache, dir, paths](FunctionTask& t) {
        auto reject = [&t](const QString& path, const QString& why) {
            ClassifiedImage refused;
            refused.path = path;
            refused.result.error = why.toStdString();
            t.emitPartial(QVariant::fromValue(refused));
        };
        const QStringList images = collectImages(t, paths, reject);
        if (images.isEmpty())
            return QVariant(0);
        if (dir.isEmpty()) {
            for (const QString& p : images)
                reject(p, QStringLiteral("no model yet; train one on the SVM page first"));
            return QVariant(0);
        }
        std::shared_ptr<Classifier> classifier;
        {
            std::lock_guard<std::mutex> lock(cache->mutex);
            if (!cache->classifier || cache->dir != dir) {
                t.step(0, images.size(), QStringLiteral("loading the model"));
                cache->classifier = std::make_shared<Classifier>(QDir::toNativeSeparators(dir).toStdString());
                cache->dir = dir;
            }
            classifier = cache->classifier;
        }
        classifyInBatches(t, *classifier, images);
        return QVariant(int(images.size()));
    });
    connect(task.get(), &Task::partialResult, this, [this](const QVariant& v) { addResult(v.value<ClassifiedImage>()); });
    connect(task.get(), &Task::finished, this, [this](const QVariant&) { Q_EMIT classificationFinished(); });
    connect(task.get(), &Task::failed, this, [this](const QString& message) {
        addRejected(tr("the model"), message);
        Q_EMIT classificationFinished();
    });
    connect(task.get(), &Task::cancelled, this, &ClassifyPage::classificationFinished);
    return m_session->start(std::move(task));
}

void ClassifyPage::addResult(const ClassifiedImage& c)
{
    const QString& path = c.path;
    const Classifier::Result& r = c.result;
    if (!r.error.empty()) {
        addRejected(path, QString::fromStdString(r.error));
        return;
    }
    auto* row = new QWidget(m_results);
    auto* layout = new QHBoxLayout(row);
    auto* thumb = new QLabel(row);
    thumb->setFixedSize(100, 100);
    thumb->setAlignment(Qt::AlignCenter);
    const QPixmap original = QPixmap::fromImage(c.thumbnail);
    thumb->setPixmap(original);
    auto* thumbColumn = new QVBoxLayout;
    thumbColumn->addWidget(thumb);
    auto* camBox = new QCheckBox(tr("Grad-CAM"), row);
    camBox->setToolTip(tr("Where the network looks for the top class (through the SVM's decision function)"));
    thumbColumn->addWidget(camBox);
    auto* similar = new QPushButton(tr("Similar..."), row);
    similar->setToolTip(tr("The training images nearest to this one in feature space"));
    const QImage thumbnail = c.thumbnail;
    const std::vector<float> features = r.features;
    connect(similar, &QPushButton::clicked, this,
            [this, thumbnail, features] { showSimilarImages(this, m_session, thumbnail, features); });
    thumbColumn->addWidget(similar);
    layout->addLayout(thumbColumn);
    connect(camBox, &QCheckBox::toggled, this, [this, path, thumb, original](bool on) { toggleGradCam(path, thumb, original, on); });
    auto* text = new QVBoxLayout;
    const QString topName = r.top.empty() ? QString() : QString::fromStdString(r.top.front().name);
    auto* title = new QLabel(row);
    title->setText(tr("<b>%1</b> → %2").arg(QFileInfo(path).fileName().toHtmlEscaped(), topName.toHtmlEscaped()));
    title->setToolTip(QDir::toNativeSeparators(path));
    text->addWidget(title);
    for (const Classifier::Ranked& ranked : r.top) {
        auto* line = new QHBoxLayout;
        auto* name = new QLabel(QString::fromStdString(ranked.name), row);
        name->setMinimumWidth(110);
        auto* bar = new QProgressBar(row);
        bar->setRange(0, 1000);
        const double p = ranked.probability;
        bar->setValue(int(std::clamp(p, 0.0, 1.0) * 1000));
        bar->setFormat(QStringLiteral("%1%").arg(100 * p, 0, 'f', 1));
        bar->setMaximumHeight(16);
        line->addWidget(name);
        line->addWidget(bar, 1);
        text->addLayout(line);
    }
    if (r.farFromTraining) {
        auto* warn = new QLabel(tr("⚠ This image looks unlike the training images (distance %1): treat the answer with care.")
                                    .arg(r.distance, 0, 'f', 1), row);
        warn->setStyleSheet(QStringLiteral("color: #b45309;"));
        warn->setWordWrap(true);
        text->addWidget(warn);
    }
    layout->addLayout(text, 1);
    auto* item = new QListWidgetItem(m_results);
    item->setData(Qt::UserRole, QStringLiteral("classified"));
    item->setData(Qt::UserRole + 1, topName);
    item->setData(Qt::UserRole + 2, path);
    item->setSizeHint(row->sizeHint());
    m_results->setItemWidget(item, row);
    m_results->scrollToItem(item);
    ++m_classified;
}

void ClassifyPage::toggleGradCam(const QString& path, QLabel* thumbnail, const QPixmap& original, bool on)
{
    if (!on) {
        thumbnail->setPixmap(original);
        return;
    }
    const QString dir = modelDir();
    std::shared_ptr<Cache> cache = m_cache;
    auto task = std::make_unique<FunctionTask>(tr("Grad-CAM of %1").arg(QFileInfo(path).fileName()), [cache, dir, path](FunctionTask& t) {
        std::shared_ptr<SvmGradCam> cam;
        {
            std::lock_guard<std::mutex> lock(cache->mutex);
            if (!cache->gradCam || cache->gradCamDir != dir) {
                t.step(0, 2, QStringLiteral("loading the model"));
                cache->gradCam = std::make_shared<SvmGradCam>(QDir::toNativeSeparators(dir).toStdString());
                cache->gradCamDir = dir;
            }
            cam = cache->gradCam;
        }
        t.step(1, 2, QStringLiteral("computing"));
        const RgbImage image = loadImageFile(QDir::toNativeSeparators(path).toStdString());
        const HeatMap map = cam->compute(image);
        const QImage picture = heatOverlay(image, map);
        return QVariant(picture.scaled(96, 96, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    });
    QPointer<QLabel> label(thumbnail);
    connect(task.get(), &Task::finished, this, [this, label, path](const QVariant& v) {
        if (!label)
            return;
        label->setPixmap(QPixmap::fromImage(v.value<QImage>()));
        ++m_gradCams;
        Q_EMIT gradCamShown(path);
    });
    connect(task.get(), &Task::failed, this, [this, path](const QString& message) { addRejected(path, tr("Grad-CAM failed: %1").arg(message)); });
    m_session->start(std::move(task));
}

}  // namespace deepsvm
