#include "pages/ClassifyPage.h"

#include "Session.h"
#include "data/Image.h"
#include "data/ImageFolder.h"
#include "finetune/GradCam.h"
#include "io/AtomicFile.h"
#include "models/ClassifiedModel.h"
#include "models/ThumbnailModel.h"
#include "render/HeatOverlay.h"
#include "tasks/FunctionTask.h"
#include "widgets/ClassifiedDelegate.h"
#include "widgets/SimilarImages.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMimeData>
#include <QPushButton>
#include <QShortcut>
#include <QStandardPaths>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace deepsvm {

ClassifyPage::ClassifyPage(Session* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_cache(std::make_shared<Cache>())
{
    m_modelLabel = new QLabel(this);
    m_modelLabel->setWordWrap(true);
    m_dropZone = new QLabel(tr("Drop image files or folders anywhere on this window,\npaste them (Ctrl+V), or use Open images."), this);
    m_dropZone->setAlignment(Qt::AlignCenter);
    m_dropZone->setMinimumHeight(70);
    m_dropZone->setStyleSheet(QStringLiteral("QLabel { border: 2px dashed palette(mid); border-radius: 8px; padding: 8px; }"));
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_model = new ClassifiedModel(this);
    m_results = new QListView(this);
    m_results->setObjectName(QStringLiteral("classified"));
    m_results->setModel(m_model);
    m_results->setItemDelegate(new ClassifiedDelegate(m_model, m_results));
    m_results->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_results->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_results->setLayoutMode(QListView::Batched);  // 100,000 rows are laid out a batch at a time
    m_results->setBatchSize(500);
    m_results->setContextMenuPolicy(Qt::CustomContextMenu);
    buildActions();

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_modelLabel, 1);
    auto* openModel = new QPushButton(tr("Use another model..."), this);
    auto* open = new QPushButton(tr("Open images..."), this);
    open->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I));
    open->setToolTip(tr("Image files to classify (Ctrl+Shift+I)"));
    auto* clear = new QPushButton(tr("Clear"), this);
    for (QWidget* w : std::initializer_list<QWidget*>{openModel, open, m_gradCamButton, m_similarButton, m_exportButton, clear})
        bar->addWidget(w);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_dropZone);
    layout->addWidget(m_summary);
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
        m_model->clear();
        updateSummary();
    });
    auto* pasteShortcut = new QShortcut(QKeySequence::Paste, this);
    connect(pasteShortcut, &QShortcut::activated, this, &ClassifyPage::paste);
    connect(m_session, &Session::currentRunChanged, this, [this] { setModelDir(m_modelDir); });
    setModelDir(QString());
    updateSummary();
}

void ClassifyPage::buildActions()
{
    m_gradCamButton = new QPushButton(tr("Grad-CAM"), this);
    m_gradCamButton->setToolTip(tr("Where the network looks for the top class of the selected image, through the SVM's "
                                   "decision function (G)"));
    m_similarButton = new QPushButton(tr("Similar..."), this);
    m_similarButton->setToolTip(tr("The training images nearest to the selected image in feature space (S)"));
    m_exportButton = new QPushButton(tr("Export CSV..."), this);
    m_exportButton->setToolTip(tr("path,predicted,p_<class>...,far_from_training per classified image, as deepsvm "
                                  "classify --csv writes it"));
    m_gradCamAction = new QAction(tr("Grad-CAM"), m_results);
    m_gradCamAction->setShortcut(QKeySequence(Qt::Key_G));
    m_similarAction = new QAction(tr("Similar images..."), m_results);
    m_similarAction->setShortcut(QKeySequence(Qt::Key_S));
    auto* copyPath = new QAction(tr("Copy path"), m_results);
    copyPath->setShortcut(QKeySequence::Copy);
    for (QAction* a : {m_gradCamAction, m_similarAction, copyPath}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        m_results->addAction(a);
    }
    auto onCurrent = [this](void (ClassifyPage::*action)(int)) {
        return [this, action] {
            if (const int row = currentClassifiedRow(); row >= 0)
                (this->*action)(row);
        };
    };
    connect(m_gradCamButton, &QPushButton::clicked, this, onCurrent(&ClassifyPage::toggleGradCam));
    connect(m_gradCamAction, &QAction::triggered, this, onCurrent(&ClassifyPage::toggleGradCam));
    connect(m_similarButton, &QPushButton::clicked, this, onCurrent(&ClassifyPage::showSimilar));
    connect(m_similarAction, &QAction::triggered, this, onCurrent(&ClassifyPage::showSimilar));
    connect(copyPath, &QAction::triggered, this, [this] {
        QStringList paths;
        for (const QModelIndex& i : m_results->selectionModel()->selectedIndexes())
            paths << i.data(ClassifiedModel::PathRole).toString();
        QApplication::clipboard()->setText(paths.join(QLatin1Char('\n')));
    });
    connect(m_exportButton, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Export classifications"),
                                                          QDir::home().filePath(QStringLiteral("classified.csv")),
                                                          tr("CSV files (*.csv)"));
        if (!file.isEmpty())
            exportCsv(file);
    });
    connect(m_results, &QListView::customContextMenuRequested, this, [this](const QPoint& at) {
        const QModelIndex i = m_results->indexAt(at);
        if (!i.isValid() || !m_model->isClassified(i.row()))
            return;
        m_results->setCurrentIndex(i);
        QMenu menu(this);
        m_gradCamAction->setCheckable(true);
        m_gradCamAction->setChecked(m_model->hasOverlay(i.row()));
        menu.addActions(m_results->actions());
        menu.exec(m_results->viewport()->mapToGlobal(at));
    });
    connect(m_results->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] { updateSummary(); });
}

int ClassifyPage::classifiedCount() const { return m_model->classifiedCount(); }
int ClassifyPage::rejectedCount() const { return m_model->rejectedCount(); }

int ClassifyPage::currentClassifiedRow() const
{
    const QModelIndex i = m_results->currentIndex();
    return i.isValid() && m_model->isClassified(i.row()) ? i.row() : -1;
}

QString ClassifyPage::modelDir() const
{
    return m_modelDir.isEmpty() ? m_session->currentRun().value(QStringLiteral("dir")).toString() : m_modelDir;
}

void ClassifyPage::setModelDir(const QString& dir)
{
    m_modelDir = dir;
    const QString d = modelDir();
    m_modelLabel->setText(d.isEmpty() ? tr("<b>No model yet.</b> Train one on the SVM page, or use a model folder.")
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
    m_model->appendRejected(path, reason);
    updateSummary();
}

void ClassifyPage::addBatch(const ClassifiedBatch& batch)
{
    for (const Classifier::Result& r : batch.results)
        m_model->append(r);
    updateSummary();
}

void ClassifyPage::updateSummary()
{
    const int classified = m_model->classifiedCount(), rejected = m_model->rejectedCount();
    m_gradCamButton->setEnabled(currentClassifiedRow() >= 0);
    m_similarButton->setEnabled(currentClassifiedRow() >= 0);
    m_exportButton->setEnabled(classified > 0);
    if (classified + rejected == 0) {
        m_summary->clear();
        return;
    }
    // The most frequent top classes first.
    std::vector<std::pair<int, QString>> counts;
    for (const auto& [name, n] : m_model->perClass()) counts.emplace_back(-n, name);
    std::sort(counts.begin(), counts.end());
    QStringList parts;
    for (std::size_t i = 0; i < std::min<std::size_t>(counts.size(), 8); ++i)
        parts << QStringLiteral("%1 %2").arg(counts[i].second).arg(-counts[i].first);
    if (counts.size() > 8)
        parts << tr("…");
    QString text = classified == 1 ? tr("1 image classified") : tr("%1 images classified").arg(classified);
    if (rejected > 0)
        text += rejected == 1 ? tr(", 1 file not") : tr(", %1 files not").arg(rejected);
    if (!parts.isEmpty())
        text += QStringLiteral(": ") + parts.join(QStringLiteral(" · "));
    m_summary->setText(text);
}

namespace {

/// The images a drop names: files as given, folders walked (symlink-safe, sorted; files that
/// are not images skipped quietly). A named file that is not an image goes to `reject`.
QStringList collectImages(FunctionTask& t, const QStringList& paths, const std::function<void(const QString&, const QString&)>& reject)
{
    QStringList images;
    for (const QString& p : paths) {
        t.step(0, 1, QStringLiteral("looking at the files"));
        if (QFileInfo(p).isDir()) {
            std::vector<std::string> passedOver;
            for (const std::string& f : listImageFiles(QDir::toNativeSeparators(p).toStdString(), &passedOver))
                if (checkImageFile(f).empty())
                    images << QString::fromStdString(f);
            continue;
        }
        const std::string why = checkImageFile(QDir::toNativeSeparators(p).toStdString());
        if (!why.empty())
            reject(p, QString::fromStdString(why));
        else
            images << p;
    }
    return images;
}

/// Classifies `images` through the network in batches (as `deepsvm classify`), handing each
/// batch's results to the page as they come.
void classifyInBatches(FunctionTask& t, const Classifier& classifier, const QStringList& images)
{
    constexpr int kBatch = 32;
    for (qsizetype start = 0; start < images.size(); start += kBatch) {
        t.step(start, images.size(), QFileInfo(images[start]).fileName());
        std::vector<std::string> batch;
        for (qsizetype i = start; i < std::min<qsizetype>(images.size(), start + kBatch); ++i)
            batch.push_back(QDir::toNativeSeparators(images[i]).toStdString());
        ClassifiedBatch done;
        done.results = classifier.classifyMany(batch, 5, kBatch);
        for (Classifier::Result& r : done.results)
            r.features.clear();  // the page does not keep them: 100,000 images x 2,048 floats
        t.emitPartial(QVariant::fromValue(done));
    }
    t.step(images.size(), images.size());
}

}  // namespace

std::shared_ptr<Classifier> ClassifyPage::classifierFor(Cache& cache, const QString& dir)
{
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (!cache.classifier || cache.dir != dir) {
        cache.classifier = std::make_shared<Classifier>(QDir::toNativeSeparators(dir).toStdString());
        cache.dir = dir;
    }
    return cache.classifier;
}

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
            ClassifiedBatch refused;
            refused.results.emplace_back();
            refused.results.back().path = QDir::toNativeSeparators(path).toStdString();
            refused.results.back().error = why.toStdString();
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
        t.step(0, images.size(), QStringLiteral("loading the model"));
        classifyInBatches(t, *classifierFor(*cache, dir), images);
        return QVariant(int(images.size()));
    });
    connect(task.get(), &Task::partialResult, this, [this](const QVariant& v) { addBatch(v.value<ClassifiedBatch>()); });
    connect(task.get(), &Task::finished, this, [this](const QVariant&) { Q_EMIT classificationFinished(); });
    connect(task.get(), &Task::failed, this, [this](const QString& message) {
        addRejected(tr("the model"), message);
        Q_EMIT classificationFinished();
    });
    connect(task.get(), &Task::cancelled, this, &ClassifyPage::classificationFinished);
    return m_session->start(std::move(task));
}

bool ClassifyPage::exportCsv(const QString& file)
{
    try {
        m_model->writeCsv(file, classifierFor(*m_cache, modelDir())->classNames());
        m_summary->setText(tr("%1 classified images written to %2").arg(m_model->classifiedCount()).arg(QDir::toNativeSeparators(file)));
        return true;
    } catch (const std::exception& e) {
        m_summary->setText(tr("Not exported: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

void ClassifyPage::showSimilar(int row)
{
    if (row < 0 || row >= m_model->rowCount() || !m_model->isClassified(row))
        return;
    const std::string path = m_model->result(row).path;
    const QString dir = modelDir();
    std::shared_ptr<Cache> cache = m_cache;
    // The page keeps no features; one image through the network again takes a moment.
    auto task = std::make_unique<FunctionTask>(tr("Features of %1").arg(QFileInfo(QString::fromStdString(path)).fileName()),
                                               [cache, dir, path](FunctionTask& t) {
                                                   t.step(0, 1, QStringLiteral("computing"));
                                                   const Classifier::Result r = classifierFor(*cache, dir)->classify(path, 1);
                                                   if (!r.error.empty())
                                                       throw std::runtime_error(path + ": " + r.error);
                                                   ClassifiedBatch b;
                                                   b.results.push_back(r);
                                                   return QVariant::fromValue(b);
                                               });
    connect(task.get(), &Task::finished, this, [this, path](const QVariant& v) {
        const ClassifiedBatch b = v.value<ClassifiedBatch>();
        QImage image;
        try {
            image = toQImage(loadImageFile(path)).scaled(160, 160, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        } catch (const std::exception&) {
        }
        showSimilarImages(this, m_session, image, b.results.front().features);
    });
    connect(task.get(), &Task::failed, this, [this](const QString& message) { m_summary->setText(message); });
    m_session->start(std::move(task));
}

void ClassifyPage::toggleGradCam(int row)
{
    if (row < 0 || row >= m_model->rowCount() || !m_model->isClassified(row))
        return;
    if (m_model->hasOverlay(row)) {
        m_model->setOverlay(row, QImage());
        return;
    }
    const QString path = QString::fromStdString(m_model->result(row).path);
    const QString dir = modelDir();
    const quint64 generation = m_model->generation();
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
        return QVariant(picture.scaled(ClassifiedModel::kThumbnail, ClassifiedModel::kThumbnail, Qt::KeepAspectRatio,
                                       Qt::SmoothTransformation));
    });
    connect(task.get(), &Task::finished, this, [this, row, generation, path](const QVariant& v) {
        if (generation != m_model->generation())
            return;  // the list was cleared meanwhile
        m_model->setOverlay(row, v.value<QImage>());
        ++m_gradCams;
        Q_EMIT gradCamShown(path);
    });
    connect(task.get(), &Task::failed, this, [this](const QString& message) {
        m_summary->setText(tr("Grad-CAM failed: %1").arg(message));
    });
    m_session->start(std::move(task));
}

}  // namespace deepsvm
