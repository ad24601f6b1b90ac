#include "pages/DataPage.h"

#include "models/ImageDecode.h"

#include "Session.h"
#include "widgets/SimilarImages.h"
#include "charts/ChartWidgets.h"
#include "data/Dataset.h"
#include "data/DemoData.h"
#include "models/ThumbnailModel.h"
#include "tasks/FunctionTask.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>

namespace deepsvm {

DataPage::DataPage(Session* session, QWidget* parent) : QWidget(parent), m_session(session)
{
    QHBoxLayout* bar = buildToolbar();  // first, so keyboard focus meets the buttons first
    buildGrid();
    buildPreview();
    buildHoldOutRow();
    arrangePage(bar);
}

QHBoxLayout* DataPage::buildToolbar()
{
    auto* openStl = new QPushButton(tr("Open STL-10 folder..."), this);
    openStl->setToolTip(tr("A folder holding stl10_binary/ (or train_X.bin, test_X.bin, ...)"));
    auto* openFolderButton = new QPushButton(tr("Open image folder..."), this);
    openFolderButton->setToolTip(tr("One sub-folder per class, optionally under train/ and test/"));
    auto* openCsv = new QPushButton(tr("Open CSV list..."), this);
    openCsv->setToolTip(tr("A CSV file of path,label[,split] lines, paths relative to the file"));
    connect(openCsv, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Open a CSV list of images"), m_session->datasetDir(),
                                                          tr("CSV files (*.csv)"));
        if (!file.isEmpty())
            openFolder(file);
    });
    auto* demo = new QPushButton(tr("Make demo set..."), this);
    demo->setToolTip(tr("A synthetic set in STL-10's format: works offline"));
    connect(openStl, &QPushButton::clicked, this, [this] { chooseFolder(tr("Open STL-10 folder")); });
    connect(openFolderButton, &QPushButton::clicked, this, [this] { chooseFolder(tr("Open image folder")); });
    connect(demo, &QPushButton::clicked, this, &DataPage::askDemoSet);

    m_split = new QComboBox(this);
    m_fold = new QComboBox(this);
    m_classFilter = new QComboBox(this);
    m_split->setObjectName(QStringLiteral("split"));
    m_fold->setObjectName(QStringLiteral("fold"));
    m_classFilter->setObjectName(QStringLiteral("classFilter"));
    for (QComboBox* box : {m_split, m_fold, m_classFilter}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        box->setMinimumContentsLength(8);
    }
    for (QComboBox* box : {m_split, m_fold, m_classFilter})
        connect(box, &QComboBox::currentIndexChanged, this, &DataPage::refreshList);

    auto* bar = new QHBoxLayout;
    bar->addWidget(openStl);
    bar->addWidget(openFolderButton);
    bar->addWidget(openCsv);
    bar->addWidget(demo);
    bar->addSpacing(16);
    bar->addWidget(new QLabel(tr("Split"), this));
    bar->addWidget(m_split);
    bar->addWidget(new QLabel(tr("Fold"), this));
    bar->addWidget(m_fold);
    bar->addWidget(new QLabel(tr("Class"), this));
    bar->addWidget(m_classFilter);
    bar->addStretch(1);

    return bar;
}

void DataPage::buildGrid()
{
    m_model = new ThumbnailModel(this);
    m_grid = new QListView(this);
    m_grid->setViewMode(QListView::IconMode);
    m_grid->setResizeMode(QListView::Adjust);
    m_grid->setUniformItemSizes(true);  // lets the view ask only for visible items
    m_grid->setMovement(QListView::Static);
    m_grid->setSpacing(4);
    m_grid->setIconSize(QSize(96, 96));
    m_grid->setGridSize(QSize(112, 124));
    m_grid->setModel(m_model);
    m_grid->setSelectionMode(QAbstractItemView::SingleSelection);
    offerSimilarImages(m_grid, m_session);
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { showImage(current); });

}

void DataPage::buildPreview()
{
    m_preview = new QLabel(this);
    m_preview->setMinimumSize(256, 256);
    m_preview->setAlignment(Qt::AlignCenter);
    m_preview->setFrameShape(QFrame::StyledPanel);
    m_previewText = new QLabel(tr("Select an image to see it larger."), this);
    m_previewText->setWordWrap(true);
    m_previewText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary = new QLabel(tr("No dataset open. Open STL-10, a folder of your own images, or make the demo set."), this);
    m_summary->setWordWrap(true);
}

void DataPage::buildHoldOutRow()
{
    // A dataset without a test split: the share of each class held out for testing.
    m_holdOutRow = new QWidget(this);
    m_holdOut = new QDoubleSpinBox(m_holdOutRow);
    m_holdOut->setObjectName(QStringLiteral("holdOutShare"));
    m_holdOut->setRange(0.05, 0.5);
    m_holdOut->setSingleStep(0.05);
    m_holdOut->setDecimals(2);
    m_holdOut->setValue(m_session->testFraction());
    m_holdOut->setToolTip(tr("This dataset has no test split: this share of each class (stratified, seeded) is held "
                             "out for testing, the rest trains. The same rule as deepsvm run --test-fraction."));
    m_holdOutText = new QLabel(m_holdOutRow);
    m_holdOutText->setWordWrap(true);
    auto* holdOutLayout = new QHBoxLayout(m_holdOutRow);
    holdOutLayout->setContentsMargins(0, 0, 0, 0);
    holdOutLayout->addWidget(new QLabel(tr("No test split. Hold out for testing:"), m_holdOutRow));
    holdOutLayout->addWidget(m_holdOut);
    holdOutLayout->addWidget(m_holdOutText, 1);
    m_holdOutRow->hide();
    connect(m_holdOut, &QDoubleSpinBox::valueChanged, this,
            [this](double v) { m_session->setHoldOut(v, m_session->splitSeed()); });
    connect(m_session, &Session::holdOutChanged, this, &DataPage::refreshHoldOut);
}

void DataPage::arrangePage(QHBoxLayout* bar)
{
    m_classChart = new ChartWidget(QStringLiteral("images-per-class"), this);
    m_classChart->setMinimumHeight(220);

    auto* side = new QWidget(this);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(m_preview);
    sideLayout->addWidget(m_previewText);
    sideLayout->addWidget(m_classChart, 1);
    auto* split = new QSplitter(this);
    split->addWidget(m_grid);
    split->addWidget(side);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_summary);
    layout->addWidget(m_holdOutRow);
    layout->addWidget(split, 1);
    connect(m_session, &Session::datasetChanged, this, &DataPage::datasetChanged);
}

void DataPage::chooseFolder(const QString& title)
{
    const QString dir = QFileDialog::getExistingDirectory(this, title, m_session->datasetDir());
    if (!dir.isEmpty())
        openFolder(dir);
}

bool DataPage::openFolder(const QString& dir)
{
    auto remember = [dir] {
        // Remembered for discovery on the welcome page.
        QSettings settings;
        QStringList recent = settings.value(QStringLiteral("recentDatasets")).toStringList();
        recent.removeAll(dir);
        recent.prepend(dir);
        settings.setValue(QStringLiteral("recentDatasets"), recent.mid(0, 8));
    };
    auto report = [this, dir](const QString& error) {
        m_summary->setText(tr("Could not open %1: %2").arg(dir, error));
        if (isVisible())
            QMessageBox::warning(this, tr("Cannot open the dataset"),
                                 tr("%1\n\nChoose a folder with STL-10's binary files or one sub-folder per class.").arg(error));
    };
    const bool stl10 = QFileInfo::exists(dir + QStringLiteral("/stl10_binary/train_X.bin")) || QFileInfo::exists(dir + QStringLiteral("/train_X.bin"));
    if (stl10) {
        // Memory-mapped: opening takes milliseconds.
        QString error;
        if (!m_session->openDataset(dir, &error)) {
            report(error);
            return false;
        }
        remember();
        return true;
    }
    // An image folder is listed and every header checked: on a worker, it can be 100,000 files.
    auto opened = std::make_shared<std::shared_ptr<const Dataset>>();
    auto task = std::make_unique<FunctionTask>(tr("Opening %1").arg(QFileInfo(dir).fileName()), [dir, opened](FunctionTask& t) {
        t.step(0, 1, QStringLiteral("listing images"));
        *opened = openDataset(QDir::toNativeSeparators(dir).toStdString());
        return QVariant(true);
    });
    connect(task.get(), &Task::finished, this, [this, dir, opened, remember](const QVariant&) {
        m_session->setDataset(dir, *opened);
        remember();
    });
    connect(task.get(), &Task::failed, this, report);
    m_summary->setText(tr("Opening %1...").arg(QDir::toNativeSeparators(dir)));
    m_session->start(std::move(task));
    return true;
}

void DataPage::askDemoSet()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Make the demo set"));
    auto* form = new QFormLayout(&dialog);
    auto* dir = new QLineEdit(m_session->workspace() + QStringLiteral("/demo"), &dialog);
    auto* train = new QSpinBox(&dialog);
    auto* test = new QSpinBox(&dialog);
    auto* unlabeled = new QSpinBox(&dialog);
    train->setRange(1, 5000);
    train->setValue(100);
    test->setRange(0, 5000);
    test->setValue(80);
    unlabeled->setRange(0, 100000);
    unlabeled->setValue(0);
    form->addRow(tr("Folder"), dir);
    form->addRow(tr("Training images per class"), train);
    form->addRow(tr("Test images per class"), test);
    form->addRow(tr("Unlabeled images"), unlabeled);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() == QDialog::Accepted)
        makeDemoSet(dir->text(), train->value(), test->value(), unlabeled->value());
}

void DataPage::makeDemoSet(const QString& dir, int trainPerClass, int testPerClass, int unlabeled)
{
    DemoOptions options;
    options.trainPerClass = trainPerClass;
    options.testPerClass = testPerClass;
    options.unlabeled = unlabeled;
    const std::string target = QDir::toNativeSeparators(dir).toStdString();
    auto task = std::make_unique<FunctionTask>(tr("Making the demo set"), [target, options](FunctionTask& t) {
        const bool done = writeDemoStl10(target, options, [&t](int64_t d, int64_t total) {
            t.step(d, total, QStringLiteral("writing images"));
            return true;
        });
        if (!done)
            throw TaskCancelled{};
        return QVariant(QString::fromStdString(target));
    });
    connect(task.get(), &Task::finished, this, [this, dir](const QVariant&) {
        if (openFolder(dir))
            Q_EMIT demoSetReady(dir);
    });
    connect(task.get(), &Task::failed, this, [this](const QString& message) {
        m_summary->setText(tr("The demo set could not be written: %1").arg(message));
    });
    m_session->start(std::move(task));
}

void DataPage::refreshHoldOut()
{
    m_holdOutRow->setVisible(m_session->datasetNeedsHoldOut());
    const QSignalBlocker block(m_holdOut);
    m_holdOut->setValue(m_session->testFraction());
    m_holdOutText->setText(m_session->holdOutSummary().isEmpty()
                               ? tr("%1% of each class, seed %2; applied once the features are extracted.")
                                     .arg(m_session->testFraction() * 100, 0, 'g', 3).arg(m_session->splitSeed())
                               : m_session->holdOutSummary());
}

void DataPage::datasetChanged()
{
    refreshHoldOut();
    const auto dataset = m_session->dataset();
    const QSignalBlocker b1(m_split), b2(m_fold), b3(m_classFilter);
    m_split->clear();
    m_fold->clear();
    m_classFilter->clear();
    if (!dataset) {
        m_model->setSource(nullptr, {});
        return;
    }
    for (const auto& s : dataset->splits())
        m_split->addItem(QString::fromStdString(s), QString::fromStdString(s));
    m_fold->addItem(tr("all"), -1);
    for (std::size_t f = 0; f < dataset->folds().size(); ++f)
        m_fold->addItem(tr("fold %1").arg(f + 1), int(f));
    m_fold->setEnabled(!dataset->folds().empty());
    m_classFilter->addItem(tr("all classes"), -1);
    const QStringList names = m_session->classNames();
    for (int k = 0; k < names.size(); ++k)
        m_classFilter->addItem(names[k], k);
    // Images per class over the labelled splits, and a one-line summary.
    std::vector<long long> counts(std::size_t(names.size()), 0);
    QStringList parts;
    for (const auto& s : dataset->splits()) {
        const auto source = dataset->split(s);
        parts << tr("%1: %L2 images").arg(QString::fromStdString(s)).arg(source->size());
        if (s == "unlabeled")
            continue;
        for (qint64 i = 0; i < source->size(); ++i) {
            const int l = source->label(i);
            if (l >= 0 && l < names.size())
                ++counts[std::size_t(l)];
        }
    }
    m_summary->setText(tr("<b>%1</b> (%2, %3 classes) · %4")
                           .arg(m_session->datasetDir().toHtmlEscaped(), QString::fromStdString(dataset->kind()))
                           .arg(names.size())
                           .arg(parts.join(QStringLiteral(" · "))));
    m_classChart->setChart(makeClassBarChart(names, counts, tr("Labelled images per class")));
    // Room for every class's name: about 14 px a bar beyond ten classes.
    m_classChart->setMinimumHeight(int(std::clamp<qsizetype>(80 + 14 * names.size(), 220, 480)));
    refreshList();
}

void DataPage::refreshList()
{
    const auto dataset = m_session->dataset();
    if (!dataset || m_split->currentIndex() < 0)
        return;
    const std::string split = m_split->currentData().toString().toStdString();
    const auto source = dataset->split(split);
    const int fold = split == "train" ? m_fold->currentData().toInt() : -1;
    const int cls = m_classFilter->currentData().toInt();
    m_fold->setEnabled(split == "train" && !dataset->folds().empty());
    if (fold < 0 && cls < 0) {
        m_model->setSource(source, m_session->classNames());
    } else {
        std::vector<qint64> candidates;
        if (fold >= 0) {
            const auto folds = dataset->folds();  // by value: keep it alive while copying
            candidates.assign(folds[std::size_t(fold)].begin(), folds[std::size_t(fold)].end());
        } else {
            candidates.resize(std::size_t(source->size()));
            for (qint64 i = 0; i < source->size(); ++i) candidates[std::size_t(i)] = i;
        }
        std::vector<qint64> indices;
        for (qint64 i : candidates)
            if (cls < 0 || source->label(i) == cls)
                indices.push_back(i);
        m_model->setSubset(source, m_session->classNames(), std::move(indices));
    }
    m_preview->clear();
    m_previewText->setText(tr("%L1 images. Select one to see it larger.").arg(m_model->rowCount()));
    if (m_model->rowCount() > 0)
        m_grid->setCurrentIndex(m_model->index(0));
}

void DataPage::showImage(const QModelIndex& index)
{
    const auto source = m_model->source();
    if (!index.isValid() || !source)
        return;
    const qint64 image = m_model->imageIndex(index.row());
    m_previewText->setText(tr("Loading image %1...").arg(image));
    // Decode off the GUI thread: an image file can be large.
    decodeImageAsync(this, [source, image] { return toQImage(source->load(image)); },
                     [this, source, image](const QImage& picture, const QString& error) {
            if (m_model->source() != source || m_model->imageIndex(m_grid->currentIndex().row()) != image)
                return;  // the user has moved on
            if (!error.isEmpty()) {
                m_previewText->setText(error);
                return;
            }
            const int side = std::max(256, std::min(m_preview->width(), m_preview->height()));
            m_preview->setPixmap(QPixmap::fromImage(picture.scaled(
                side, side, Qt::KeepAspectRatio, picture.width() < side ? Qt::FastTransformation : Qt::SmoothTransformation)));
            const int label = source->label(image);
            const QStringList names = m_session->classNames();
            m_previewText->setText(tr("<b>%1</b> · index %2 · %3 x %4 px<br>%5")
                                       .arg(label >= 0 && label < names.size() ? names[label] : tr("unlabeled"))
                                       .arg(image)
                                       .arg(picture.width())
                                       .arg(picture.height())
                                       .arg(QString::fromStdString(source->id(image)).toHtmlEscaped()));
    });
}

}  // namespace deepsvm
