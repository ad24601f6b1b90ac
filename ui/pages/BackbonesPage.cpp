#include "pages/BackbonesPage.h"

#include "Session.h"
#include "nets/Backbones.h"
#include "project/Fetch.h"
#include "render/BoardImage.h"
#include "tasks/Task.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace deepsvm {

/// paintBoardChart in a widget: the same picture as board.png.
class BoardChartView final : public QWidget {
public:
    explicit BoardChartView(QWidget* parent) : QWidget(parent) { setMinimumHeight(260); }
    void setBars(std::vector<BoardBar> bars)
    {
        m_bars = std::move(bars);
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        paintBoardChart(p, QSizeF(size()), m_bars);
    }

private:
    std::vector<BoardBar> m_bars;
};

namespace {

enum Column { ColBackbone, ColLayer, ColWeights, ColTop1, ColDim, ColSpeed, ColAccuracy, ColStd, ColBest, ColumnCount };

QString topOneText(double top1)
{
    return std::isfinite(top1) ? QStringLiteral("%1%").arg(top1, 0, 'f', 1) : QStringLiteral("–");
}

}  // namespace

BackbonesPage::BackbonesPage(Session* session, QWidget* parent) : QWidget(parent), m_session(session)
{
    auto* intro = new QLabel(tr("<b>Which network gives the best features for <i>your</i> images?</b> Tick backbones, "
                                "press Compare: each is run on the training images (cached), and the SVM is "
                                "cross-validated on a small grid (linear and rbf, C 0.1 / 1 / 10). ImageNet top-1 "
                                "does not always predict transfer (Kornblith et al., 2019), so measure."),
                             this);
    intro->setWordWrap(true);

    m_backbones = new QListWidget(this);
    m_backbones->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_backbones->setToolTip(tr("ImageNet top-1 of torchvision's weights; \"random\": they are not on this machine "
                               "(Help > Getting started downloads them, or deepsvm fetch NAME), so the board uses random weights"));
    for (const std::string& b : backboneNames()) {
        auto* item = new QListWidgetItem(QString::fromStdString(b), m_backbones);
        item->setData(Qt::UserRole, QString::fromStdString(b));
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(b == "resnet50" || b == "convnext_tiny" ? Qt::Checked : Qt::Unchecked);
    }

    m_penultimate = new QCheckBox(tr("penultimate"), this);
    m_penultimate->setChecked(true);
    m_penultimate->setToolTip(tr("The input of the network's last Linear layer (ResNet: avgpool)"));
    m_logits = new QCheckBox(tr("logits"), this);
    m_logits->setToolTip(tr("The network's 1000 ImageNet class scores (ResNet: fc)"));
    m_precision = new QComboBox(this);
    m_precision->addItems({QStringLiteral("fp32"), QStringLiteral("bf16")});
    m_precision->setToolTip(tr("bf16 runs about twice as fast on this CPU; features stay within cosine 0.999"));
    m_folds = new QSpinBox(this);
    m_folds->setRange(2, 20);
    m_folds->setValue(5);
    m_limit = new QSpinBox(this);
    m_limit->setRange(0, 1000000);
    m_limit->setSpecialValueText(tr("all"));
    m_limit->setSingleStep(100);
    m_limit->setToolTip(tr("At most this many training images (a quick first look)"));
    m_size = new QSpinBox(this);
    m_size->setObjectName(QStringLiteral("crop"));
    m_size->setRange(31, 1024);
    m_size->setSpecialValueText(tr("each network's"));
    m_size->setValue(31);
    m_size->setToolTip(tr("The crop each network sees: by default the size its weights were evaluated at (224)"));

    m_start = new QPushButton(tr("Compare"), this);
    m_start->setToolTip(tr("Compare the ticked backbones (Ctrl+Return)"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_use = new QPushButton(tr("Use the best on the SVM page"), this);
    m_use->setEnabled(false);
    m_use->setToolTip(tr("Set the Features page to this backbone and layer, extract the splits the SVM page needs "
                         "(the training split comes from the cache) and go on to the SVM page"));
    m_status = new QLabel(this);
    m_status->setWordWrap(true);

    auto* options = new QHBoxLayout;
    options->addWidget(new QLabel(tr("Layers:"), this));
    options->addWidget(m_penultimate);
    options->addWidget(m_logits);
    options->addSpacing(12);
    options->addWidget(new QLabel(tr("Precision:"), this));
    options->addWidget(m_precision);
    options->addWidget(new QLabel(tr("Folds:"), this));
    options->addWidget(m_folds);
    options->addWidget(new QLabel(tr("Crop:"), this));
    options->addWidget(m_size);
    options->addWidget(new QLabel(tr("Images:"), this));
    options->addWidget(m_limit);
    options->addStretch(1);
    options->addWidget(m_start);
    options->addWidget(m_cancel);

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setHorizontalHeaderLabels({tr("Backbone"), tr("Layer"), tr("Weights"), tr("ImageNet top-1"), tr("Features"),
                                        tr("Images/s"), tr("CV accuracy"), tr("± std"), tr("Best SVM point")});
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(false);
    m_chart = new BoardChartView(this);

    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(m_table);
    right->addWidget(m_chart);
    right->setStretchFactor(0, 2);
    right->setStretchFactor(1, 3);
    auto* split = new QSplitter(Qt::Horizontal, this);
    auto* leftBox = new QWidget(this);
    auto* left = new QVBoxLayout(leftBox);
    left->setContentsMargins(0, 0, 0, 0);
    left->addWidget(new QLabel(tr("Backbones (tick to compare):"), this));
    left->addWidget(m_backbones, 1);
    split->addWidget(leftBox);
    split->addWidget(right);
    split->setStretchFactor(1, 1);

    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_status, 1);
    bottom->addWidget(m_use);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(options);
    layout->addWidget(split, 1);
    layout->addLayout(bottom);

    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_running)
            m_running->requestCancel();
    });
    connect(m_use, &QPushButton::clicked, this, [this] {
        const auto selected = m_table->selectionModel()->selectedRows();
        const QJsonObject s = featureSettings(selected.isEmpty() ? -1 : selected.first().row());
        if (!s.isEmpty())
            Q_EMIT useRequested(s);
    });
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        const bool picked = !m_table->selectionModel()->selectedRows().isEmpty();
        m_use->setText(picked ? tr("Use this one on the SVM page") : tr("Use the best on the SVM page"));
    });
    auto* run = new QShortcut(QKeySequence(QStringLiteral("Ctrl+Return")), this);
    run->setContext(Qt::WidgetWithChildrenShortcut);
    connect(run, &QShortcut::activated, this, [this] { start(); });
    refreshWeights();
    m_chart->setBars({});
    m_status->setText(tr("Open a dataset on the Data page, tick backbones and press Compare."));
}

void BackbonesPage::refreshWeights()
{
    for (int i = 0; i < m_backbones->count(); ++i) {
        QListWidgetItem* item = m_backbones->item(i);
        const std::string b = item->data(Qt::UserRole).toString().toStdString();
        const PublishedWeights& v1 = publishedWeights(b).front();
        const QStringList found = findWeights(QString::fromStdString(b));
        const PublishedWeights* have =
            found.isEmpty() ? nullptr : publishedWeightsForFile(b, QFileInfo(found.first()).fileName().toStdString());
        item->setText(QStringLiteral("%1  top-1 %2%  %3")
                          .arg(QString::fromStdString(b), -15)
                          .arg(have ? have->top1 : v1.top1, 0, 'f', 1)
                          .arg(found.isEmpty() ? tr("· random") : tr("· on disk")));
        item->setToolTip(found.isEmpty() ? tr("torchvision's weights are not on this machine: the board would use random "
                                              "weights. Help > Getting started downloads them, or `deepsvm fetch %1`.")
                                               .arg(QString::fromStdString(b))
                                         : QDir::toNativeSeparators(found.first()));
        item->setData(Qt::UserRole + 1, found.isEmpty() ? QStringLiteral("random") : found.first());
    }
    m_backbones->setMinimumWidth(m_backbones->sizeHintForColumn(0) + 36);
}

void BackbonesPage::setChecked(const QStringList& backbones)
{
    for (int i = 0; i < m_backbones->count(); ++i) {
        QListWidgetItem* item = m_backbones->item(i);
        item->setCheckState(backbones.contains(item->data(Qt::UserRole).toString()) ? Qt::Checked : Qt::Unchecked);
    }
}

Task* BackbonesPage::start()
{
    if (m_running) {
        m_status->setText(tr("A comparison is already running."));
        return nullptr;
    }
    if (!m_session->dataset()) {
        m_status->setText(tr("Open a dataset on the Data page first."));
        return nullptr;
    }
    refreshWeights();
    QStringList layers;
    if (m_penultimate->isChecked()) layers << QStringLiteral("penultimate");
    if (m_logits->isChecked()) layers << QStringLiteral("logits");
    BoardOptions o;
    for (int i = 0; i < m_backbones->count(); ++i) {
        const QListWidgetItem* item = m_backbones->item(i);
        if (item->checkState() != Qt::Checked)
            continue;
        for (const QString& l : layers)
            o.candidates.push_back({item->data(Qt::UserRole).toString().toStdString(), l.toStdString(),
                                    item->data(Qt::UserRole + 1).toString().toStdString()});
    }
    if (o.candidates.empty()) {
        m_status->setText(tr("Tick at least one backbone and one layer."));
        return nullptr;
    }
    o.extract.data = QDir::toNativeSeparators(m_session->datasetDir()).toStdString();
    o.extract.precision = m_precision->currentText().toStdString();
    o.extract.size = m_size->value() == m_size->minimum() ? 0 : m_size->value();
    o.extract.limit = m_limit->value() > 0 ? m_limit->value() : -1;
    o.svm.folds = m_folds->value();
    o.cacheDir = (m_session->workspace() + QStringLiteral("/features")).toStdString();
    o.outDir = (m_session->workspace() + QStringLiteral("/boards/")
                + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")))
                   .toStdString();
    m_options = o;
    m_rows.clear();
    m_table->setRowCount(0);
    m_chart->setBars({});
    m_use->setEnabled(false);

    auto task = std::make_unique<BoardTask>(o);
    connect(task.get(), &Task::progress, this, [this](qint64 done, qint64 total, const QString& message) {
        m_status->setText(tr("%1  (%2%)").arg(message).arg(total > 0 ? 100 * done / total : 0));
    });
    connect(task.get(), &Task::partialResult, this, [this](const QVariant& v) {
        if (v.canConvert<BoardRow>())
            addRow(v.value<BoardRow>());
    });
    connect(task.get(), &Task::finished, this, [this](const QVariant&) {
        finished(true, tr("Done: %1 compared; board.csv and board.json in %2")
                           .arg(m_rows.size())
                           .arg(QDir::toNativeSeparators(QString::fromStdString(m_options.outDir))));
    });
    connect(task.get(), &Task::failed, this, [this](const QString& m) { finished(false, tr("Comparison failed: %1").arg(m)); });
    connect(task.get(), &Task::cancelled, this, [this] {
        finished(false, tr("Cancelled; the table keeps the %1 that finished.").arg(m_rows.size()));
    });
    m_start->setEnabled(false);
    m_cancel->setEnabled(true);
    m_status->setText(tr("Starting: %1 to compare...").arg(o.candidates.size()));
    m_running = m_session->start(std::move(task));
    return m_running;
}

void BackbonesPage::finished(bool ok, const QString& why)
{
    m_running = nullptr;
    m_start->setEnabled(true);
    m_cancel->setEnabled(false);
    m_status->setText(why);
    Q_EMIT boardFinished(ok);
}

void BackbonesPage::addRow(const BoardRow& r)
{
    m_rows.push_back(r);
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    const QJsonObject& b = r.best;
    const QString kernel = b.value(QStringLiteral("kernel")).toString();
    QString point = QStringLiteral("%1 C=%2").arg(kernel).arg(b.value(QStringLiteral("C")).toDouble());
    if (kernel != QStringLiteral("linear"))
        point += QStringLiteral(" gamma=%1").arg(b.value(QStringLiteral("gamma")).toDouble(), 0, 'g', 3);
    const QString weights = !r.weightsTag.empty() ? QString::fromStdString(r.weightsTag)
                            : r.candidate.weights == "random" ? tr("random")
                                                               : QFileInfo(QString::fromStdString(r.candidate.weights)).fileName();
    const QStringList cells{QString::fromStdString(r.candidate.backbone),
                            QString::fromStdString(r.candidate.layer),
                            weights,
                            topOneText(r.imagenetTop1),
                            QString::number(r.featureDim),
                            QString::number(r.imagesPerSecond, 'f', 1) + (r.reused ? tr(" (cached)") : QString()),
                            QString::number(r.cvMean, 'f', 4),
                            QString::number(r.cvStd, 'f', 4),
                            point};
    for (int c = 0; c < ColumnCount; ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        if (c >= ColTop1 && c <= ColStd)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, c, item);
    }
    m_table->item(row, ColWeights)->setToolTip(QString::fromStdString(r.candidate.weights));
    m_table->item(row, ColSpeed)->setToolTip(tr("Extraction speed recorded when these features were written"));
    refreshBest();
}

void BackbonesPage::refreshBest()
{
    const int best = bestBoardRow(m_rows);
    std::vector<BoardBar> bars;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        bars.push_back(boardBarFromJson(m_rows[i].toJson(), int(i) == best));
        for (int c = 0; c < ColumnCount; ++c) {
            QFont f = m_table->item(int(i), c)->font();
            f.setBold(int(i) == best);
            m_table->item(int(i), c)->setFont(f);
        }
    }
    m_chart->setBars(std::move(bars));
    m_use->setEnabled(best >= 0);
}

QJsonObject BackbonesPage::featureSettings(int row) const
{
    if (row < 0)
        row = bestBoardRow(m_rows);
    if (row < 0 || row >= int(m_rows.size()))
        return {};
    const BoardRow& r = m_rows[std::size_t(row)];
    return QJsonObject{{QStringLiteral("backbone"), QString::fromStdString(r.candidate.backbone)},
                       {QStringLiteral("weights"), QString::fromStdString(r.candidate.weights)},
                       {QStringLiteral("layer"), QString::fromStdString(r.candidate.layer)},
                       {QStringLiteral("size"), r.size},
                       {QStringLiteral("resize"), r.resize == r.size ? 0 : r.resize},
                       {QStringLiteral("precision"), QString::fromStdString(m_options.extract.precision)},
                       {QStringLiteral("normalization"), QString::fromStdString(m_options.extract.normalization)},
                       {QStringLiteral("batch_size"), m_options.extract.batchSize},
                       {QStringLiteral("limit"), m_options.extract.limit > 0 ? int(m_options.extract.limit) : 0}};
}

}  // namespace deepsvm
