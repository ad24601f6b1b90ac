#include "pages/EvaluationPage.h"

#include "Session.h"
#include "models/RunData.h"
#include "charts/ChartWidgets.h"
#include "charts/MatrixViews.h"
#include "data/Dataset.h"
#include "models/ImageLookup.h"
#include "models/ThumbnailModel.h"
#include "svm/SvmParams.h"

#include <QCheckBox>
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
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);
    connect(m_session, &Session::currentRunChanged, this, &EvaluationPage::showRun);
}

EvaluationPage::~EvaluationPage() = default;

void EvaluationPage::showRun()
{
    const QJsonObject run = m_session->currentRun();
    if (run.isEmpty())
        return;
    RunData data;
    QString error;
    if (!RunData::load(run, &data, &error)) {
        // Never leave the previous run's numbers under this run's name.
        m_data = RunData();
        m_confusion->setMatrix(ConfusionMatrix(), {});
        m_roc->showMessage(QString());
        m_classes->setRowCount(0);
        m_ovr->setRowCount(0);
        m_galleryModel->setSource(nullptr, {});
        m_summary->setText(tr("Cannot show run %1: %2").arg(run.value(QStringLiteral("id")).toString(), error));
        return;
    }
    m_data = std::move(data);
    const QJsonObject test = m_data.test();
    const QString best = describeParams(m_data.report.value(QStringLiteral("best")).toObject());
    auto pct = [](double v) { return std::isfinite(v) ? QString::number(100 * v, 'f', 2) + QLatin1Char('%') : QStringLiteral("n/a"); };
    auto num = [](double v) { return std::isfinite(v) ? QString::number(v, 'f', 4) : QStringLiteral("n/a"); };
    if (!m_data.hasTest()) {
        m_summary->setText(tr("<b>Run %1</b> · %2 · no test features, so nothing to evaluate.")
                               .arg(run.value(QStringLiteral("id")).toString(), best));
    } else {
        m_summary->setText(tr("<b>Run %1</b> · %2<br>"
                              "Test accuracy <b>%3</b> · balanced accuracy %4 · macro F1 %5 · macro AUC %6 · micro AUC %7 · "
                              "%8 test images · %9 support vectors")
                               .arg(run.value(QStringLiteral("id")).toString(), best)
                               .arg(pct(test.value(QStringLiteral("accuracy")).toDouble()),
                                    pct(test.value(QStringLiteral("balanced_accuracy")).toDouble()),
                                    num(test.value(QStringLiteral("f1_macro")).toDouble()),
                                    num(test.value(QStringLiteral("roc_auc_macro")).toDouble(std::nan(""))),
                                    num(test.value(QStringLiteral("roc_auc_micro")).toDouble(std::nan(""))))
                               .arg(test.value(QStringLiteral("rows")).toDouble())
                               .arg(m_data.report.value(QStringLiteral("support_vectors")).toDouble()));
    }
    m_confusion->setMatrix(m_data.confusion, m_data.classNames);
    if (m_data.hasRoc) {
        m_roc->setRoc(m_data.roc, m_data.classNames);
    } else {
        m_roc->showMessage(tr("No ROC curves: this model was trained without probability estimates"));
    }
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
    m_galleryModel->setSource(nullptr, {});
    m_galleryLabel->setText(tr("Click a cell of the confusion matrix to see its test images."));
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
    if (!m_lookup || m_lookupDataset != dataset) {
        m_lookup = std::make_unique<ImageLookup>(dataset);  // built once per dataset, not per click
        m_lookupDataset = dataset;
    }
    ImageLookup& lookup = *m_lookup;
    std::shared_ptr<const ImageSource> source;
    std::vector<qint64> indices;
    int missing = 0;
    for (std::size_t r : rows) {
        const ImageLookup::Found found = lookup.find("test", m_data.testIds[r]);
        if (found.index < 0) {
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
