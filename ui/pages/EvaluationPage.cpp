#include "pages/EvaluationPage.h"

#include "Session.h"
#include "widgets/SimilarImages.h"
#include "models/RunData.h"
#include "charts/ChartWidgets.h"
#include "charts/MatrixViews.h"
#include "data/Dataset.h"
#include "models/ImageLookup.h"
#include "models/ThumbnailModel.h"
#include "svm/SvmParams.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QIcon>
#include <QPixmap>
#include <QStandardItemModel>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QListView>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace deepsvm {

namespace {

QTableWidgetItem* cell(const QVariant& v)
{
    auto* item = new QTableWidgetItem;
    item->setData(Qt::DisplayRole, v);
    if (v.typeId() != QMetaType::QString)
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QVariant rounded(double v)
{
    return std::isfinite(v) ? QVariant(QString::number(v, 'f', 4).toDouble()) : QVariant(QStringLiteral("n/a"));
}

QTableWidget* makeTable(const QStringList& headers, QWidget* parent)
{
    auto* t = new QTableWidget(0, int(headers.size()), parent);
    t->setHorizontalHeaderLabels(headers);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSortingEnabled(true);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    return t;
}

}  // namespace

EvaluationPage::EvaluationPage(Session* session, QWidget* parent) : QWidget(parent), m_session(session)
{
    m_summary = new QLabel(tr("No model yet: run the grid search on the SVM page."), this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_evaluated = new QComboBox(this);
    m_evaluated->setObjectName(QStringLiteral("evaluatedRows"));
    m_evaluated->addItem(tr("Test split"), int(Evaluated::Test));
    m_evaluated->addItem(tr("Out-of-fold (training rows)"), int(Evaluated::OutOfFold));
    m_evaluated->setToolTip(tr("Test split: the final model on the held-out images. Out-of-fold: each training image "
                               "predicted by the cross-validation model that did not see it."));
    connect(m_evaluated, &QComboBox::activated, this, [this] { showRun(); });
    m_leak = new QLabel(this);
    m_leak->setObjectName(QStringLiteral("leakWarning"));
    m_leak->setWordWrap(true);
    m_leak->setStyleSheet(QStringLiteral("QLabel { background: #fff4d6; color: #5a4100; padding: 6px; border-radius: 4px; }"));
    m_leak->setTextFormat(Qt::RichText);
    m_leak->hide();
    connect(m_leak, &QLabel::linkActivated, this, [this] { showNearDuplicates(); });
    m_confusion = new ConfusionMatrixView(this);
    m_normalised = new QCheckBox(tr("Row percentages"), this);
    connect(m_normalised, &QCheckBox::toggled, m_confusion, &ConfusionMatrixView::setNormalised);
    m_galleryLabel = new QLabel(tr("Click a cell of the confusion matrix to see its test images."), this);
    m_galleryLabel->setWordWrap(true);
    m_galleryModel = new ThumbnailModel(this);
    m_galleryModel->setThumbnailSize(72);
    m_galleryView = new QListView(this);
    m_galleryView->setViewMode(QListView::IconMode);
    m_galleryView->setResizeMode(QListView::Adjust);
    m_galleryView->setUniformItemSizes(true);
    m_galleryView->setMovement(QListView::Static);
    m_galleryView->setIconSize(QSize(72, 72));
    m_galleryView->setGridSize(QSize(86, 100));
    m_galleryView->setModel(m_galleryModel);
    m_galleryView->setMinimumHeight(120);
    offerSimilarImages(m_galleryView, m_session);
    m_roc = new RocChartWidget(this);
    m_roc->setMinimumSize(420, 320);
    m_roc->setToolTip(tr("Click a legend entry to hide or show its curve. Right-click to save the chart."));
    m_classes = makeTable({tr("class"), tr("precision"), tr("recall"), tr("F1"), tr("support"), tr("ROC AUC")}, this);
    m_ovr = makeTable({tr("class (one vs rest)"), tr("TP"), tr("FP"), tr("FN"), tr("TN")}, this);
    connect(m_confusion, &ConfusionMatrixView::cellClicked, this, &EvaluationPage::showCell);

    auto* matrixColumn = new QWidget(this);
    auto* matrixLayout = new QVBoxLayout(matrixColumn);
    matrixLayout->setContentsMargins(0, 0, 0, 0);
    matrixLayout->addWidget(m_normalised);
    matrixLayout->addWidget(m_confusion, 3);
    matrixLayout->addWidget(m_galleryLabel);
    matrixLayout->addWidget(m_galleryView, 2);
    auto* tables = new QTabWidget(this);
    tables->addTab(m_classes, tr("Per class"));
    tables->addTab(m_ovr, tr("One-vs-rest 2x2"));
    auto* rightColumn = new QSplitter(Qt::Vertical, this);
    rightColumn->addWidget(m_roc);
    rightColumn->addWidget(tables);
    rightColumn->setStretchFactor(0, 3);
    rightColumn->setStretchFactor(1, 2);
    auto* split = new QSplitter(this);
    split->addWidget(matrixColumn);
    split->addWidget(rightColumn);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({540, 700});
    auto* top = new QHBoxLayout;
    top->addWidget(m_summary, 1);
    top->addWidget(new QLabel(tr("Evaluate:"), this));
    top->addWidget(m_evaluated);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_leak);
    layout->addWidget(split, 1);
    connect(m_session, &Session::currentRunChanged, this, &EvaluationPage::showRun);
}

EvaluationPage::~EvaluationPage() = default;

void EvaluationPage::clearResults(const QString& why)
{
    // Never leave the previous run's numbers under this run's name.
    m_data = RunData();
    m_confusion->setMatrix(ConfusionMatrix(), {});
    m_roc->showMessage(QString());
    m_classes->setRowCount(0);
    m_ovr->setRowCount(0);
    m_galleryModel->setSource(nullptr, {});
    m_leak->hide();
    m_summary->setText(why);
}

void EvaluationPage::showRun()
{
    const QJsonObject run = m_session->currentRun();
    if (run.isEmpty())
        return;
    // The test split when the run has one (unless the user chose out-of-fold), else the
    // out-of-fold predictions: a plain class folder evaluates like STL-10.
    RunData probe;
    QString error;
    if (!RunData::load(run, &probe, &error)) {
        clearResults(tr("Cannot show run %1: %2").arg(run.value(QStringLiteral("id")).toString(), error));
        return;
    }
    const bool wantOof = Evaluated(m_evaluated->currentData().toInt()) == Evaluated::OutOfFold;
    Evaluated which = (wantOof && probe.hasOutOfFold()) || (!probe.hasTestSplit() && probe.hasOutOfFold())
        ? Evaluated::OutOfFold : Evaluated::Test;
    RunData data;
    if (which == Evaluated::Test) {
        data = std::move(probe);
    } else if (!RunData::load(run, &data, &error, which)) {
        clearResults(tr("Cannot show run %1: %2").arg(run.value(QStringLiteral("id")).toString(), error));
        return;
    }
    m_data = std::move(data);
    m_evaluated->setCurrentIndex(m_evaluated->findData(int(which)));
    qobject_cast<QStandardItemModel*>(m_evaluated->model())->item(0)->setEnabled(m_data.hasTestSplit());
    qobject_cast<QStandardItemModel*>(m_evaluated->model())->item(1)->setEnabled(m_data.hasOutOfFold());
    showSummary(run);
    showLeakWarning();
    m_confusion->setMatrix(m_data.confusion, m_data.classNames);
    if (m_data.hasRoc)
        m_roc->setRoc(m_data.roc, m_data.classNames);
    else if (!m_data.hasTest())
        m_roc->showMessage(tr("No ROC curves: this run has no test rows and no out-of-fold predictions"));
    else if (!m_data.modelHasProbability())
        m_roc->showMessage(tr("No ROC curves: this model was trained without probability estimates"));
    else
        m_roc->showMessage(tr("No ROC curves: the predictions file has no probabilities"));
    fillTables();
    m_galleryModel->setSource(nullptr, {});
    m_galleryLabel->setText(tr("Click a cell of the confusion matrix to see its images."));
}

void EvaluationPage::showSummary(const QJsonObject& run)
{
    const QJsonObject test = m_data.test();
    const QString best = describeParams(m_data.report.value(QStringLiteral("best")).toObject());
    auto pct = [](double v) { return std::isfinite(v) ? QString::number(100 * v, 'f', 2) + QLatin1Char('%') : QStringLiteral("n/a"); };
    auto num = [](double v) { return std::isfinite(v) ? QString::number(v, 'f', 4) : QStringLiteral("n/a"); };
    const QString id = run.value(QStringLiteral("id")).toString();
    if (!m_data.hasTest()) {
        m_summary->setText(tr("<b>Run %1</b> · %2 · no test rows and no out-of-fold predictions (the model was trained "
                              "without cross-validation), so nothing to evaluate.").arg(id, best));
        return;
    }
    const bool oof = m_data.evaluated == Evaluated::OutOfFold;
    const QString what = oof ? tr("Out-of-fold accuracy") : tr("Test accuracy");
    const QString rows = oof ? tr("%1 training images, each predicted by the %2-fold model that did not see it")
                                   .arg(test.value(QStringLiteral("rows")).toDouble())
                                   .arg(m_data.report.value(QStringLiteral("folds")).toInt())
                             : tr("%1 test images").arg(test.value(QStringLiteral("rows")).toDouble());
    m_summary->setText(tr("<b>Run %1</b> · %2<br>"
                          "%3 <b>%4</b> · balanced accuracy %5 · macro F1 %6 · macro AUC %7 · micro AUC %8 · "
                          "%9 · %10 support vectors")
                           .arg(id, best, what)
                           .arg(pct(test.value(QStringLiteral("accuracy")).toDouble()),
                                pct(test.value(QStringLiteral("balanced_accuracy")).toDouble()),
                                num(test.value(QStringLiteral("f1_macro")).toDouble()),
                                num(test.value(QStringLiteral("roc_auc_macro")).toDouble(std::nan(""))),
                                num(test.value(QStringLiteral("roc_auc_micro")).toDouble(std::nan(""))), rows)
                           .arg(m_data.report.value(QStringLiteral("support_vectors")).toDouble()));
}

void EvaluationPage::showLeakWarning()
{
    const QJsonObject nd = m_data.report.value(QStringLiteral("near_duplicates")).toObject();
    const int count = nd.value(QStringLiteral("count")).toInt();
    m_leak->setVisible(count > 0 && m_data.evaluated == Evaluated::Test);
    if (count > 0)
        m_leak->setText(tr("<b>%n test image(s)</b> nearly duplicate a training image (cosine similarity of whitened "
                           "features at least %1): the test accuracy is optimistic. <a href=\"pairs\">Show the pairs</a>",
                           nullptr, count)
                            .arg(nd.value(QStringLiteral("threshold")).toDouble()));
}

void EvaluationPage::fillTables()
{
    const QJsonObject test = m_data.test();
    const QJsonObject perClass = test.value(QStringLiteral("per_class")).toObject();
    const QJsonObject ovr = test.value(QStringLiteral("one_vs_rest")).toObject();
    const QJsonObject auc = test.value(QStringLiteral("roc_auc")).toObject();
    for (QTableWidget* t : {m_classes, m_ovr}) {
        t->setSortingEnabled(false);
        t->setRowCount(0);
    }
    for (std::size_t k = 0; k < m_data.classNames.size() && m_data.hasTest(); ++k) {
        const QString name = QString::fromStdString(m_data.classNames[k]);
        const QJsonObject m = perClass.value(name).toObject();
        const int row = int(k);
        m_classes->insertRow(row);
        m_classes->setItem(row, 0, cell(name));
        m_classes->setItem(row, 1, cell(rounded(m.value(QStringLiteral("precision")).toDouble())));
        m_classes->setItem(row, 2, cell(rounded(m.value(QStringLiteral("recall")).toDouble())));
        m_classes->setItem(row, 3, cell(rounded(m.value(QStringLiteral("f1")).toDouble())));
        m_classes->setItem(row, 4, cell(int(m.value(QStringLiteral("support")).toDouble())));
        m_classes->setItem(row, 5, cell(rounded(auc.value(name).toDouble(std::nan("")))));
        const QJsonObject o = ovr.value(name).toObject();
        m_ovr->insertRow(row);
        m_ovr->setItem(row, 0, cell(name));
        int c = 1;
        for (const char* key : {"tp", "fp", "fn", "tn"})
            m_ovr->setItem(row, c++, cell(int(o.value(QLatin1String(key)).toDouble())));
    }
    for (QTableWidget* t : {m_classes, m_ovr})
        t->setSortingEnabled(true);
}

ImageLookup::Found EvaluationPage::findImage(const std::string& preferredSplit, const std::string& id)
{
    const auto dataset = m_session->dataset();
    if (!m_lookup || m_lookupDataset != dataset) {
        m_lookup = std::make_unique<ImageLookup>(dataset);  // built once per dataset, not per click
        m_lookupDataset = dataset;
    }
    ImageLookup::Found found = m_lookup->find(preferredSplit, id);
    // A held-out split comes from the dataset's only split ("all"): look there too.
    for (const std::string& split : dataset ? dataset->splits() : std::vector<std::string>{}) {
        if (found.index >= 0)
            break;
        found = m_lookup->find(split, id);
    }
    return found;
}

void EvaluationPage::showNearDuplicates()
{
    const QJsonArray pairs = m_data.report.value(QStringLiteral("near_duplicates")).toObject().value(QStringLiteral("pairs")).toArray();
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Test images that nearly duplicate a training image"));
    auto* list = new QTableWidget(int(pairs.size()), 3, &dialog);
    list->setObjectName(QStringLiteral("nearDuplicatePairs"));
    list->setHorizontalHeaderLabels({tr("test image"), tr("training image"), tr("similarity")});
    list->setIconSize(QSize(96, 96));
    list->verticalHeader()->setDefaultSectionSize(104);
    list->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int i = 0; i < pairs.size(); ++i) {
        const QJsonObject p = pairs[i].toObject();
        int column = 0;
        for (const auto& [split, key] : {std::pair<std::string, QString>{"test", QStringLiteral("test_id")},
                                         std::pair<std::string, QString>{"train", QStringLiteral("train_id")}}) {
            const QString id = p.value(key).toString();
            auto* item = new QTableWidgetItem(id);
            const ImageLookup::Found found = findImage(split, id.toStdString());
            if (found.index >= 0) {
                try {
                    item->setIcon(QIcon(QPixmap::fromImage(toQImage(found.source->load(found.index)).scaled(
                        96, 96, Qt::KeepAspectRatio, Qt::SmoothTransformation))));
                } catch (const std::exception&) {
                    item->setText(id + tr(" (cannot be read)"));
                }
            }
            list->setItem(i, column++, item);
        }
        list->setItem(i, 2, cell(rounded(p.value(QStringLiteral("similarity")).toDouble())));
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(list);
    layout->addWidget(buttons);
    dialog.resize(640, 520);
    m_pairsDialog = &dialog;
    dialog.exec();
    m_pairsDialog = nullptr;
}

void EvaluationPage::showCell(int truth, int predicted)
{
    const int k = int(m_data.classNames.size());
    if (truth < 0 || predicted < 0 || truth >= k || predicted >= k)
        return;
    const QString what = tr("true %1, predicted %2").arg(QString::fromStdString(m_data.classNames[std::size_t(truth)]),
                                                         QString::fromStdString(m_data.classNames[std::size_t(predicted)]));
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < m_data.truth.size(); ++i)
        if (m_data.truth[i] == truth && m_data.predicted[i] == predicted)
            rows.push_back(i);
    const auto dataset = m_session->dataset();
    const QString runDataset = m_data.run.value(QStringLiteral("dataset")).toString();
    if (dataset && !runDataset.isEmpty() && QFileInfo(runDataset).absoluteFilePath() != QFileInfo(m_session->datasetDir()).absoluteFilePath()) {
        m_galleryLabel->setText(tr("%1: %2 images. They are in %3; open that dataset to see them.")
                                    .arg(what).arg(rows.size()).arg(QDir::toNativeSeparators(runDataset)));
        m_galleryModel->setSource(nullptr, {});
        return;
    }
    if (!dataset || m_data.testIds.size() != m_data.truth.size()) {
        m_galleryLabel->setText(tr("%1: %2 images (open the run's dataset to see them)").arg(what).arg(rows.size()));
        m_galleryModel->setSource(nullptr, {});
        return;
    }
    const std::string split = m_data.evaluated == Evaluated::Test ? "test" : "train";
    std::shared_ptr<const ImageSource> source;
    std::vector<qint64> indices;
    int missing = 0;
    for (std::size_t r : rows) {
        const ImageLookup::Found found = findImage(split, m_data.testIds[r]);
        if (found.index < 0 || (source && found.source != source)) {
            ++missing;
            continue;
        }
        source = found.source;
        indices.push_back(found.index);
    }
    m_galleryModel->setSubset(source, m_session->classNames(), indices);
    m_galleryLabel->setText(missing == 0 ? tr("%1: %2 images").arg(what).arg(rows.size())
                                         : tr("%1: %2 images, %3 not found in the open dataset").arg(what).arg(rows.size()).arg(missing));
}

}  // namespace deepsvm
