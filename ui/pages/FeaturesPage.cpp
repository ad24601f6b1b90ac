#include "pages/FeaturesPage.h"

#include "Session.h"
#include "analysis/Projection.h"
#include "charts/ChartWidgets.h"
#include "data/Dataset.h"
#include "features/ExtractTask.h"
#include "features/FeatureStore.h"
#include "io/Digest.h"
#include "nets/Backbones.h"
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

namespace {

QComboBox* combo(QWidget* parent, const QStringList& items, const QString& current)
{
    auto* box = new QComboBox(parent);
    box->addItems(items);
    box->setCurrentText(current);
    return box;
}

}  // namespace

FeaturesPage::FeaturesPage(Session* session, QWidget* parent) : QWidget(parent), m_session(session)
{
    QLayout* weightsRow = buildNetworkControls();
    buildPreprocessingControls();
    buildExtractionControls();
    QWidget* settingsBox = buildSettingsBox(weightsRow);
    QWidget* cacheBox = buildCacheBox();
    QWidget* projectionBox = buildProjectionBox();
    arrangePage(settingsBox, cacheBox, projectionBox);
    buildHoverPopup();
    connectSignals();
    m_session->setFeatureSettings(settings());
    refreshWeightsInfo();
    refreshCache();
}

QLayout* FeaturesPage::buildNetworkControls()
{
    QStringList backbones;
    for (const std::string& name : backboneNames())
        backbones << QString::fromStdString(name);
    m_backbone = combo(this, backbones, QStringLiteral("resnet50"));
    m_backbone->setToolTip(tr("torchvision's networks; the Backbones page compares them on your images"));
    m_weights = new QLineEdit(this);
    m_weights->setPlaceholderText(tr("random weights"));
    m_weights->setMinimumWidth(160);
    auto* browse = new QPushButton(tr("Browse..."), this);
    auto* findButton = new QPushButton(tr("Find"), this);
    findButton->setToolTip(tr("Look where PyTorch keeps downloaded weights (~/.cache/torch/hub/checkpoints)"));
    m_weightsInfo = new QLabel(this);
    m_weightsInfo->setWordWrap(true);
    m_weightsInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* weightsRow = new QHBoxLayout;
    weightsRow->addWidget(m_weights, 1);
    weightsRow->addWidget(findButton);
    weightsRow->addWidget(browse);
    // Find and Browse are not members: they are connected here.
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Network weights"), QDir::homePath(),
                                                       tr("PyTorch weights (*.pth *.pt);;All files (*)"));
        if (!f.isEmpty())
            m_weights->setText(f);
    });
    connect(findButton, &QPushButton::clicked, this, [this] {
        const QStringList found = findWeights(m_backbone->currentText());
        if (found.isEmpty())
            m_weightsInfo->setText(tr("No %1 weights in %2. Download them with <tt>deepsvm fetch %1</tt> (or Help > Getting started), "
                                      "or Browse to a file.").arg(m_backbone->currentText(), QDir::toNativeSeparators(torchHubCheckpoints())));
        else
            setWeightsFile(found.first());
    });
    return weightsRow;
}

void FeaturesPage::buildPreprocessingControls()
{
    m_layer = combo(this, {QStringLiteral("penultimate"), QStringLiteral("logits")}, QStringLiteral("penultimate"));
    m_layer->setToolTip(tr("penultimate: the input of the network's last Linear layer (ResNet's avgpool, 2048-d for "
                           "ResNet-50: the study's); logits: the 1000 ImageNet scores (ResNet's fc)"));
    m_size = new QSpinBox(this);
    m_size->setRange(32, 512);
    m_size->setValue(224);
    m_size->setSuffix(tr(" px"));
    m_size->setToolTip(tr("The centre crop the network sees"));
    m_resize = new QSpinBox(this);
    m_resize->setRange(31, 2048);
    m_resize->setSpecialValueText(tr("auto"));
    m_resize->setValue(31);
    m_resize->setSuffix(tr(" px"));
    m_resize->setToolTip(tr("The shorter side images are resized to before the crop. auto: ResNet the crop itself (the study's); "
                            "the other families torchvision's proportion for their weights (convnext_tiny: 236 for 224)"));
    m_normalization = combo(this, {QStringLiteral("imagenet"), QStringLiteral("half")}, QStringLiteral("imagenet"));
    m_precision = combo(this, {QStringLiteral("fp32"), QStringLiteral("bf16")}, QStringLiteral("fp32"));
    m_precision->setToolTip(tr("bf16 is about 2-3x faster on CPUs with AVX-512 BF16; features agree to cosine 0.9999"));
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 512);
    m_batch->setValue(32);
    m_limit = new QSpinBox(this);
    m_limit->setRange(0, 1000000);
    m_limit->setSpecialValueText(tr("all"));
    m_limit->setToolTip(tr("At most this many images per split (for a quick trial)"));
}

void FeaturesPage::buildExtractionControls()
{
    m_train = new QCheckBox(tr("train"), this);
    m_test = new QCheckBox(tr("test"), this);
    m_unlabeled = new QCheckBox(tr("unlabeled"), this);
    m_train->setChecked(true);
    m_test->setChecked(true);
    m_extract = new QPushButton(tr("Extract features"), this);
    m_extract->setDefault(true);
    m_extract->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_status = new QLabel(tr("Open a dataset on the Data page first."), this);
    m_status->setWordWrap(true);
}

QWidget* FeaturesPage::buildSettingsBox(QLayout* weightsRow)
{
    auto* splits = new QHBoxLayout;
    splits->addWidget(m_train);
    splits->addWidget(m_test);
    splits->addWidget(m_unlabeled);
    splits->addStretch(1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_extract);
    buttons->addWidget(m_cancel);
    buttons->addStretch(1);

    auto* settingsBox = new QGroupBox(tr("Network and preprocessing"), this);
    auto* form = new QFormLayout(settingsBox);
    form->addRow(tr("Backbone"), m_backbone);
    form->addRow(tr("Weights"), weightsRow);
    form->addRow(QString(), m_weightsInfo);
    form->addRow(tr("Layer"), m_layer);
    form->addRow(tr("Input size"), m_size);
    form->addRow(tr("Resize to"), m_resize);
    form->addRow(tr("Normalisation"), m_normalization);
    form->addRow(tr("Precision"), m_precision);
    form->addRow(tr("Batch size"), m_batch);
    form->addRow(tr("Images per split"), m_limit);
    form->addRow(tr("Splits"), splits);
    form->addRow(buttons);
    form->addRow(m_status);
    return settingsBox;
}

QWidget* FeaturesPage::buildCacheBox()
{
    m_cache = new QTreeWidget(this);
    m_cache->setHeaderLabels({tr("Feature set"), tr("Split"), tr("Rows"), tr("Dims"), tr("Backbone"), tr("Size"),
                              tr("Precision"), tr("Created")});
    m_cache->setRootIsDecorated(false);
    m_cache->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_cache->setToolTip(tr("Feature files under the workspace. Double-click a set to use it for the SVM."));
    auto* cacheBox = new QGroupBox(tr("Cached feature sets"), this);
    auto* cacheLayout = new QVBoxLayout(cacheBox);
    cacheLayout->addWidget(m_cache);
    return cacheBox;
}

QWidget* FeaturesPage::buildProjectionBox()
{
    m_projectionSet = new QComboBox(this);
    m_projectionSet->addItem(tr("training features"), QStringLiteral("train"));
    m_projectionSet->addItem(tr("test features"), QStringLiteral("test"));
    m_projectionMethod = new QComboBox(this);
    m_projectionMethod->addItem(tr("PCA"), QStringLiteral("pca"));
    m_projectionMethod->addItem(tr("t-SNE (up to 10,000 points)"), QStringLiteral("tsne"));
    m_project = new QPushButton(tr("Project"), this);
    m_scatter = new ScatterChartWidget(this);
    m_scatter->setMinimumSize(420, 320);
    auto* projectionRow = new QHBoxLayout;
    projectionRow->addWidget(new QLabel(tr("2-D projection of"), this));
    projectionRow->addWidget(m_projectionSet);
    projectionRow->addWidget(m_projectionMethod);
    projectionRow->addWidget(m_project);
    projectionRow->addStretch(1);
    auto* projectionBox = new QGroupBox(tr("Projection (hover a point to see its image)"), this);
    auto* projectionLayout = new QVBoxLayout(projectionBox);
    projectionLayout->addLayout(projectionRow);
    projectionLayout->addWidget(m_scatter, 1);
    return projectionBox;
}

void FeaturesPage::arrangePage(QWidget* settingsBox, QWidget* cacheBox, QWidget* projectionBox)
{
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(settingsBox);
    leftLayout->addWidget(cacheBox, 1);
    auto* split = new QSplitter(this);
    split->addWidget(left);
    split->addWidget(projectionBox);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);
}

void FeaturesPage::buildHoverPopup()
{
    m_hoverPopup = new QLabel(this, Qt::ToolTip);
    m_hoverPopup->setFrameShape(QFrame::Box);
    m_hoverPopup->setAlignment(Qt::AlignCenter);
}

void FeaturesPage::connectSignals()
{
    connect(m_weights, &QLineEdit::editingFinished, this, &FeaturesPage::refreshWeightsInfo);
    connect(m_weights, &QLineEdit::textChanged, this, [this] { m_session->setFeatureSettings(settings()); });
    for (QComboBox* box : {m_backbone, m_layer, m_normalization, m_precision})
        connect(box, &QComboBox::currentIndexChanged, this, [this] { m_session->setFeatureSettings(settings()); });
    for (QSpinBox* box : {m_size, m_resize, m_batch, m_limit})
        connect(box, &QSpinBox::valueChanged, this, [this] { m_session->setFeatureSettings(settings()); });
    connect(m_extract, &QPushButton::clicked, this, [this] { startExtraction(); });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_running)
            m_running->requestCancel();
    });
    connect(m_project, &QPushButton::clicked, this, [this] { startProjection(m_projectionMethod->currentData().toString()); });
    connect(m_cache, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        const QString prefix = item->data(0, Qt::UserRole).toString();
        if (item->text(1) == QStringLiteral("test"))
            m_session->setFeaturePrefixes(m_session->trainPrefix(), prefix);
        else
            m_session->setFeaturePrefixes(prefix, m_session->testPrefix());
    });
    connect(m_scatter, &ScatterChartWidget::pointHovered, this, &FeaturesPage::showHover);
    connect(m_scatter, &ScatterChartWidget::hoverLeft, this, [this] {
        m_hoverRow = -1;
        m_hoverPopup->hide();
    });
    connect(m_session, &Session::datasetChanged, this, &FeaturesPage::datasetChanged);
    connect(m_session, &Session::featuresChanged, this, [this] {
        m_status->setText(m_session->trainPrefix().isEmpty()
                              ? m_status->text()
                              : tr("Training features: %1\nTest features: %2")
                                    .arg(QDir::toNativeSeparators(m_session->trainPrefix()),
                                         m_session->testPrefix().isEmpty() ? tr("none") : QDir::toNativeSeparators(m_session->testPrefix())));
    });
}

FeaturesPage::~FeaturesPage() = default;

QJsonObject FeaturesPage::settings() const
{
    return QJsonObject{{QStringLiteral("backbone"), m_backbone->currentText()},
                       {QStringLiteral("weights"), m_weights->text().trimmed().isEmpty() ? QStringLiteral("random") : m_weights->text().trimmed()},
                       {QStringLiteral("layer"), m_layer->currentText()},
                       {QStringLiteral("size"), m_size->value()},
                       {QStringLiteral("resize"), m_resize->value() == m_resize->minimum() ? 0 : m_resize->value()},
                       {QStringLiteral("normalization"), m_normalization->currentText()},
                       {QStringLiteral("precision"), m_precision->currentText()},
                       {QStringLiteral("batch_size"), m_batch->value()},
                       {QStringLiteral("limit"), m_limit->value()}};
}

void FeaturesPage::applySettings(const QJsonObject& s)
{
    if (s.isEmpty()) {
        m_session->setFeatureSettings(settings());  // nothing to apply: the Session holds what is shown
        return;
    }
    m_backbone->setCurrentText(s.value(QStringLiteral("backbone")).toString(m_backbone->currentText()));
    const QString w = s.value(QStringLiteral("weights")).toString();
    m_weights->setText(w == QStringLiteral("random") ? QString() : w);
    // Settings saved before every family had them call the layers by ResNet's names.
    QString layer = s.value(QStringLiteral("layer")).toString(m_layer->currentText());
    if (layer == QStringLiteral("avgpool"))
        layer = QStringLiteral("penultimate");
    else if (layer == QStringLiteral("fc"))
        layer = QStringLiteral("logits");
    m_layer->setCurrentText(layer);
    m_size->setValue(s.value(QStringLiteral("size")).toInt(m_size->value()));
    const int resize = s.value(QStringLiteral("resize")).toInt(0);
    m_resize->setValue(resize > 0 ? resize : m_resize->minimum());
    m_normalization->setCurrentText(s.value(QStringLiteral("normalization")).toString(m_normalization->currentText()));
    m_precision->setCurrentText(s.value(QStringLiteral("precision")).toString(m_precision->currentText()));
    m_batch->setValue(s.value(QStringLiteral("batch_size")).toInt(m_batch->value()));
    m_limit->setValue(s.value(QStringLiteral("limit")).toInt(0));
    refreshWeightsInfo();
    m_session->setFeatureSettings(settings());
}

void FeaturesPage::setWeightsFile(const QString& file)
{
    m_weights->setText(file);
    refreshWeightsInfo();
    m_session->setFeatureSettings(settings());
}

bool FeaturesPage::adoptFoundWeights()
{
    if (!m_weights->text().trimmed().isEmpty())
        return false;
    const QStringList found = findWeights(m_backbone->currentText());
    if (found.isEmpty())
        return false;
    setWeightsFile(found.first());
    return true;
}

QString FeaturesPage::featureFolder() const
{
    return m_session->workspace() + QStringLiteral("/features");
}

void FeaturesPage::datasetChanged()
{
    const auto dataset = m_session->dataset();
    const bool hasUnlabeled = dataset && [&] {
        const auto s = dataset->splits();
        return std::find(s.begin(), s.end(), std::string("unlabeled")) != s.end();
    }();
    m_unlabeled->setEnabled(hasUnlabeled);
    if (!hasUnlabeled)
        m_unlabeled->setChecked(false);
    m_lookup = std::make_unique<ImageLookup>(dataset);
    m_status->setText(dataset ? tr("Ready to extract from %1.").arg(QDir::toNativeSeparators(m_session->datasetDir()))
                              : tr("Open a dataset on the Data page first."));
}

void FeaturesPage::refreshWeightsInfo()
{
    const QString file = m_weights->text().trimmed();
    if (file.isEmpty()) {
        m_weightsInfo->setText(tr("<span style='color:#b45309'>Random weights: the features will be untrained.</span> "
                                  "Use torchvision's ImageNet file for real results."));
        return;
    }
    if (!QFileInfo::exists(file)) {
        m_weightsInfo->setText(tr("<span style='color:#b91c1c'>%1 does not exist.</span>").arg(file.toHtmlEscaped()));
        return;
    }
    m_weightsInfo->setText(tr("Computing SHA-256..."));
    auto task = std::make_unique<FunctionTask>(tr("Hashing weights"), [file](FunctionTask& t) {
        const std::string sha = fileDigest(file.toStdString(), DigestAlgorithm::Sha256,
                                           [&t](int64_t done, int64_t total) { t.step(done, total); });
        return QVariant(QString::fromStdString(sha));
    });
    connect(task.get(), &Task::finished, this, [this, file](const QVariant& sha) {
        if (m_weights->text().trimmed() != file)
            return;
        m_weightsInfo->setText(tr("%1<br>in %2 · %3 MB<br>SHA-256 <tt>%4</tt>")
                                   .arg(QFileInfo(file).fileName().toHtmlEscaped(),
                                        QDir::toNativeSeparators(QFileInfo(file).absolutePath()).toHtmlEscaped())
                                   .arg(QFileInfo(file).size() / 1e6, 0, 'f', 1)
                                   .arg(sha.toString()));
    });
    connect(task.get(), &Task::failed, this, [this](const QString& message) { m_weightsInfo->setText(message.toHtmlEscaped()); });
    m_session->start(std::move(task));
}

void FeaturesPage::refreshCache()
{
    m_cache->clear();
    QDirIterator it(featureFolder(), {QStringLiteral("*.json")}, QDir::Files);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        if (o.value(QStringLiteral("format")).toString() != QStringLiteral("deepsvm-features"))
            continue;
        const FeatureKey key = FeatureKey::fromJson(o.value(QStringLiteral("key")).toObject());
        const QString prefix = path.left(path.size() - 5);
        auto* item = new QTreeWidgetItem(m_cache);
        item->setText(0, QFileInfo(prefix).fileName());
        item->setText(1, QString::fromStdString(key.split));
        item->setText(2, QString::number(o.value(QStringLiteral("rows")).toDouble()));
        item->setText(3, QString::number(o.value(QStringLiteral("cols")).toDouble()));
        item->setText(4, QString::fromStdString(key.backbone));
        item->setText(5, QString::number(key.size));
        item->setText(6, QString::fromStdString(key.precision));
        item->setText(7, o.value(QStringLiteral("created")).toString().left(16).replace(QLatin1Char('T'), QLatin1Char(' ')));
        item->setData(0, Qt::UserRole, prefix);
        item->setToolTip(0, QDir::toNativeSeparators(prefix));
    }
    m_cache->sortItems(7, Qt::DescendingOrder);
}

Task* FeaturesPage::startExtraction()
{
    ExtractOptions o;
    if (!prepareExtraction(o))
        return nullptr;
    auto task = std::make_unique<ExtractTask>(o);
    const QString datasetAtStart = m_session->datasetDir();
    connectExtractionTask(task.get(), datasetAtStart);
    m_extract->setEnabled(false);
    m_cancel->setEnabled(true);
    m_status->setText(tr("Starting: loading the network..."));
    m_running = m_session->start(std::move(task));
    return m_running;
}

bool FeaturesPage::prepareExtraction(ExtractOptions& o)
{
    const auto dataset = m_session->dataset();
    if (!dataset) {
        m_status->setText(tr("Open a dataset on the Data page first."));
        return false;
    }
    if (m_running) {
        m_status->setText(tr("An extraction is already running."));
        return false;
    }
    o.data = QDir::toNativeSeparators(m_session->datasetDir()).toStdString();
    const auto available = dataset->splits();
    auto has = [&](const char* s) { return std::find(available.begin(), available.end(), std::string(s)) != available.end(); };
    // Image folders without train/test sub-folders have one split ("all"): extract it as training.
    if (m_train->isChecked())
        o.splits.push_back(has("train") ? "train" : available.front());
    if (m_test->isChecked() && has("test"))
        o.splits.push_back("test");
    if (m_unlabeled->isChecked() && has("unlabeled"))
        o.splits.push_back("unlabeled");
    if (o.splits.empty()) {
        m_status->setText(tr("Tick at least one split to extract."));
        return false;
    }
    const QJsonObject s = settings();
    m_session->setFeatureSettings(s);
    o.backbone = s.value(QStringLiteral("backbone")).toString().toStdString();
    o.weights = s.value(QStringLiteral("weights")).toString().toStdString();
    o.layer = s.value(QStringLiteral("layer")).toString().toStdString();
    o.size = s.value(QStringLiteral("size")).toInt();
    o.resize = s.value(QStringLiteral("resize")).toInt(0);
    o.normalization = s.value(QStringLiteral("normalization")).toString().toStdString();
    o.precision = s.value(QStringLiteral("precision")).toString().toStdString();
    o.batchSize = s.value(QStringLiteral("batch_size")).toInt();
    o.limit = m_limit->value() > 0 ? m_limit->value() : -1;
    QDir().mkpath(featureFolder());
    o.outPrefix = featureCachePrefix(featureFolder(), m_session->datasetDir(), o).toStdString();
    return true;
}

void FeaturesPage::connectExtractionTask(Task* task, const QString& datasetAtStart)
{
    connect(task, &Task::progress, this, [this](qint64 done, qint64 total, const QString& message) {
        m_status->setText(tr("Extracting: %1 (%2 of %3 images)").arg(message).arg(done).arg(total));
    });
    connect(task, &Task::finished, this, [this, datasetAtStart](const QVariant& result) { finishExtraction(result, datasetAtStart); });
    auto ended = [this](const QString& why) {
        m_running = nullptr;
        m_extract->setEnabled(true);
        m_cancel->setEnabled(false);
        m_status->setText(why);
        Q_EMIT extractionFinished(false);
    };
    connect(task, &Task::failed, this, [ended](const QString& message) { ended(tr("Extraction failed: %1").arg(message)); });
    connect(task, &Task::cancelled, this, [ended] { ended(tr("Extraction cancelled; the cache holds only complete files.")); });
}

void FeaturesPage::finishExtraction(const QVariant& result, const QString& datasetAtStart)
{
    m_running = nullptr;
    m_extract->setEnabled(true);
    m_cancel->setEnabled(false);
    if (m_session->datasetDir() != datasetAtStart) {
        // Another dataset was opened meanwhile: these features are cached, not selected.
        refreshCache();
        m_status->setText(tr("Features of %1 are cached; another dataset is open now.").arg(QDir::toNativeSeparators(datasetAtStart)));
        Q_EMIT extractionFinished(true);
        return;
    }
    QString train = m_session->trainPrefix(), test = m_session->testPrefix();
    QStringList lines;
    for (const auto& v : result.toJsonObject().value(QStringLiteral("splits")).toArray()) {
        const QJsonObject r = v.toObject();
        const QString split = r.value(QStringLiteral("split")).toString();
        const QString prefix = r.value(QStringLiteral("prefix")).toString();
        if (split == QStringLiteral("test"))
            test = prefix;
        else if (split != QStringLiteral("unlabeled"))
            train = prefix;
        lines << (r.value(QStringLiteral("reused")).toBool()
                      ? tr("%1: %2 rows reused from the cache").arg(split).arg(r.value(QStringLiteral("rows")).toDouble())
                      : tr("%1: %2 rows x %3 at %4 images/s")
                            .arg(split)
                            .arg(r.value(QStringLiteral("rows")).toDouble())
                            .arg(r.value(QStringLiteral("cols")).toDouble())
                            .arg(r.value(QStringLiteral("images_per_second")).toDouble(), 0, 'f', 1));
        const int skipped = int(r.value(QStringLiteral("skipped")).toArray().size());
        if (skipped > 0)
            lines.back() += tr(" (%1 images skipped: unreadable)").arg(skipped);
    }
    m_session->setFeaturePrefixes(train, test);
    refreshCache();
    m_status->setText(tr("Done. ") + lines.join(QStringLiteral("; ")));
    Q_EMIT extractionFinished(true);
}

}  // namespace deepsvm
