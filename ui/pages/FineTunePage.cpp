#include "pages/FineTunePage.h"

#include "Session.h"
#include "charts/ChartWidgets.h"
#include "charts/EpochChart.h"
#include "charts/SweepChart.h"
#include "finetune/FineTune.h"
#include "tasks/FunctionTask.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <cmath>
#include <functional>

namespace deepsvm {

FineTunePage::FineTunePage(Session* session, QWidget* parent)
    : QWidget(parent), m_session(session)
{
    buildSelectionControls();
    buildTrainingControls();
    buildRunControls();
    QWidget* left = buildModulePanel();
    QWidget* settings = buildSettingsBox();
    QWidget* sweepBox = buildChartsAndSweepBox();
    arrangePage(left, settings, sweepBox);
    connectSelectionSignals();
    connectButtonSignals();
    rebuildTree();
}

void FineTunePage::buildSelectionControls()
{
    m_backbone = new QComboBox(this);
    m_backbone->addItems({QStringLiteral("resnet18"), QStringLiteral("resnet34"), QStringLiteral("resnet50"),
                          QStringLiteral("resnet101"), QStringLiteral("resnet152")});
    m_backbone->setCurrentText(QStringLiteral("resnet50"));
    m_preset = new QComboBox(this);
    m_preset->addItem(tr("head only"), QStringLiteral("head"));
    m_preset->addItem(tr("one layer (last conv)"), QStringLiteral("layer"));
    m_preset->addItem(tr("last block"), QStringLiteral("block"));
    m_preset->addItem(tr("layer4"), QStringLiteral("layer4"));
    m_preset->addItem(tr("all layers"), QStringLiteral("all"));
    m_preset->addItem(tr("custom"), QStringLiteral("custom"));
    m_preset->setCurrentIndex(3);
    m_tree = new QTreeWidget(this);
    m_tree->setHeaderLabels({tr("module"), tr("parameters")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->setMinimumWidth(290);
    m_tree->setIndentation(14);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_tree->setToolTip(tr("Tick the modules to tune; a new head for the dataset's classes is always trained. "
                          "Unticked parts are frozen and their BatchNorm statistics stay put."));
    m_selectionSummary = new QLabel(this);
    m_selectionSummary->setWordWrap(true);
}

void FineTunePage::buildTrainingControls()
{
    m_optimizer = new QComboBox(this);
    m_optimizer->addItems({QStringLiteral("sgd"), QStringLiteral("adam")});
    m_lr = new QDoubleSpinBox(this);
    m_lr->setDecimals(5);
    m_lr->setRange(1e-5, 1.0);
    m_lr->setSingleStep(0.001);
    m_lr->setValue(0.01);
    m_decay = new QDoubleSpinBox(this);
    m_decay->setDecimals(5);
    m_decay->setRange(0, 0.1);
    m_decay->setValue(1e-4);
    m_schedule = new QComboBox(this);
    m_schedule->addItems({QStringLiteral("constant"), QStringLiteral("step"), QStringLiteral("cosine")});
    m_epochs = new QSpinBox(this);
    m_epochs->setRange(1, 500);
    m_epochs->setValue(5);
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 512);
    m_batch->setValue(32);
    m_size = new QSpinBox(this);
    m_size->setRange(32, 512);
    m_size->setValue(96);
    m_size->setSuffix(tr(" px"));
    m_augment = new QCheckBox(tr("random crop + flip"), this);
    m_augment->setChecked(true);
    m_precision = new QComboBox(this);
    m_precision->addItems({QStringLiteral("fp32"), QStringLiteral("bf16")});
    m_precision->setToolTip(tr("bf16 autocast: faster on CPUs with AVX-512 BF16, slightly less exact"));
    m_valFraction = new QDoubleSpinBox(this);
    m_valFraction->setRange(0, 0.5);
    m_valFraction->setSingleStep(0.05);
    m_valFraction->setValue(0.1);
    m_patience = new QSpinBox(this);
    m_patience->setRange(0, 100);
    m_patience->setSpecialValueText(tr("off"));
    m_limit = new QSpinBox(this);
    m_limit->setRange(0, 1000000);
    m_limit->setSpecialValueText(tr("all"));
}

void FineTunePage::buildRunControls()
{
    m_start = new QPushButton(tr("Start"), this);
    m_resume = new QPushButton(tr("Resume"), this);
    m_resume->setToolTip(tr("Continue the last run from its last finished epoch"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_resume->setEnabled(false);
    m_useWeights = new QPushButton(tr("Use for features"), this);
    m_useWeights->setToolTip(tr("Extract features with the tuned network (the cache key includes its hash)"));
    m_saveWeights = new QPushButton(tr("Save weights (.pth)..."), this);
    m_useWeights->setEnabled(false);
    m_saveWeights->setEnabled(false);
    m_status = new QLabel(tr("Open a dataset, choose the modules, press Start."), this);
    m_status->setWordWrap(true);
}

QWidget* FineTunePage::buildModulePanel()
{
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_tree, 1);
    leftLayout->addWidget(m_selectionSummary);
    return left;
}

QWidget* FineTunePage::buildSettingsBox()
{
    auto* form = new QFormLayout;
    form->addRow(tr("Backbone"), m_backbone);
    form->addRow(tr("Preset"), m_preset);
    form->addRow(tr("Optimiser"), m_optimizer);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Weight decay"), m_decay);
    form->addRow(tr("Schedule"), m_schedule);
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Batch size"), m_batch);
    form->addRow(tr("Input size"), m_size);
    form->addRow(tr("Augmentation"), m_augment);
    form->addRow(tr("Precision"), m_precision);
    form->addRow(tr("Validation share"), m_valFraction);
    form->addRow(tr("Early stopping"), m_patience);
    form->addRow(tr("Training images"), m_limit);
    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {m_start, m_resume, m_cancel}) buttons->addWidget(b);
    auto* weightButtons = new QHBoxLayout;
    weightButtons->addWidget(m_useWeights);
    weightButtons->addWidget(m_saveWeights);
    auto* settings = new QGroupBox(tr("Training"), this);
    auto* settingsLayout = new QVBoxLayout(settings);
    settingsLayout->addLayout(form);
    settingsLayout->addLayout(buttons);
    settingsLayout->addLayout(weightButtons);
    settingsLayout->addWidget(m_status);
    settingsLayout->addStretch(1);
    return settings;
}

QWidget* FineTunePage::buildChartsAndSweepBox()
{
    m_loss = new EpochChartWidget(tr("Loss (cross-entropy)"), tr("loss"), QStringLiteral("finetune-loss"), this);
    m_accuracy = new EpochChartWidget(tr("Accuracy"), tr("accuracy"), QStringLiteral("finetune-accuracy"), this);
    m_candidates = new QLineEdit(this);
    m_candidates->setPlaceholderText(tr("e.g. layer4.0.downsample,layer4.2.conv3,layer3"));
    m_sweep = new QPushButton(tr("Run sweep"), this);
    m_sweepTable = new QTableWidget(0, 6, this);
    m_sweepTable->setHorizontalHeaderLabels({tr("layer"), tr("parameters"), tr("train loss"), tr("train acc"), tr("val loss"), tr("val acc")});
    m_sweepTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_sweepTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_sweepTable->verticalHeader()->hide();
    m_sweepChart = new ChartWidget(QStringLiteral("sweep"), this);
    auto* sweepRow = new QHBoxLayout;
    sweepRow->addWidget(new QLabel(tr("Compare layers:"), this));
    sweepRow->addWidget(m_candidates, 1);
    sweepRow->addWidget(m_sweep);
    auto* sweepBox = new QGroupBox(tr("Layer sweep (same budget for each)"), this);
    auto* sweepLayout = new QVBoxLayout(sweepBox);
    sweepLayout->addLayout(sweepRow);
    auto* sweepSplit = new QSplitter(this);
    sweepSplit->addWidget(m_sweepTable);
    sweepSplit->addWidget(m_sweepChart);
    sweepLayout->addWidget(sweepSplit, 1);
    sweepSplit->setSizes({380, 520});
    return sweepBox;
}

void FineTunePage::arrangePage(QWidget* left, QWidget* settings, QWidget* sweepBox)
{
    auto* charts = new QSplitter(this);
    charts->addWidget(m_loss);
    charts->addWidget(m_accuracy);
    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(charts);
    right->addWidget(sweepBox);
    auto* split = new QSplitter(this);
    split->addWidget(left);
    split->addWidget(settings);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 2);
    split->setStretchFactor(2, 5);
    split->setSizes({300, 270, 700});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);
}

void FineTunePage::connectSelectionSignals()
{
    connect(m_backbone, &QComboBox::currentTextChanged, this, &FineTunePage::rebuildTree);
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this] {
        const QString preset = m_preset->currentData().toString();
        if (preset != QStringLiteral("custom"))
            applyPreset(preset);
    });
    connect(m_tree, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem*, int column) {
        if (column != 0)
            return;
        int64_t count = 0;
        const auto chosen = selection();
        std::function<void(QTreeWidgetItem*)> sum = [&](QTreeWidgetItem* item) {
            if (item->checkState(0) == Qt::Checked) {
                count += item->data(1, Qt::UserRole).toLongLong();
                return;  // its children are inside it
            }
            for (int i = 0; i < item->childCount(); ++i) sum(item->child(i));
        };
        for (int i = 0; i < m_tree->topLevelItemCount(); ++i) sum(m_tree->topLevelItem(i));
        m_selectionSummary->setText(tr("%n module(s) ticked, %L1 parameters, plus the new head", nullptr, int(chosen.size())).arg(count));
    });
}

void FineTunePage::connectButtonSignals()
{
    connect(m_start, &QPushButton::clicked, this, [this] { start(false); });
    connect(m_resume, &QPushButton::clicked, this, [this] { start(true); });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_sweepQueue.clear();
        if (m_running)
            m_running->requestCancel();
    });
    connect(m_sweep, &QPushButton::clicked, this, [this] { startSweep(m_candidates->text().split(QLatin1Char(','), Qt::SkipEmptyParts)); });
    connect(m_useWeights, &QPushButton::clicked, this, [this] {
        QJsonObject s = m_session->featureSettings();
        s[QStringLiteral("backbone")] = m_backbone->currentText();
        s[QStringLiteral("weights")] = m_lastWeights;
        Q_EMIT featureSettingsProposed(s);
        m_status->setText(tr("The Features page now uses %1; extract again to use it for the SVM.").arg(QDir::toNativeSeparators(m_lastWeights)));
    });
    connect(m_saveWeights, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save tuned weights"), QDir::home().filePath(QStringLiteral("tuned.pth")),
                                                          tr("PyTorch state dict (*.pth)"));
        if (path.isEmpty())
            return;
        QFile::remove(path);
        m_status->setText(QFile::copy(m_lastWeights, path) ? tr("Saved %1: loads with torchvision.models.%2(num_classes=%3).load_state_dict")
                                                                 .arg(QDir::toNativeSeparators(path), m_backbone->currentText())
                                                                 .arg(m_session->classNames().size())
                                                           : tr("Could not write %1").arg(QDir::toNativeSeparators(path)));
    });
}

void FineTunePage::rebuildTree()
{
    const std::string backbone = m_backbone->currentText().toStdString();
    auto task = std::make_unique<FunctionTask>(tr("Listing %1's modules").arg(m_backbone->currentText()), [backbone](FunctionTask&) {
        QVariantList rows;
        for (const auto& [name, count] : moduleTree(backbone))
            rows.push_back(QVariant(QVariantList{QString::fromStdString(name), qlonglong(count)}));  // one entry, not spliced
        return QVariant(rows);
    });
    connect(task.get(), &Task::finished, this, [this](const QVariant& v) {
        const QSignalBlocker block(m_tree);
        m_tree->clear();
        std::map<QString, QTreeWidgetItem*> items;
        for (const QVariant& row : v.toList()) {
            const QString name = row.toList()[0].toString();
            const qlonglong count = row.toList()[1].toLongLong();
            if (name.isEmpty() || name == QStringLiteral("fc"))
                continue;  // the head is always new and trained
            const QString parent = name.contains(QLatin1Char('.')) ? name.section(QLatin1Char('.'), 0, -2) : QString();
            QTreeWidgetItem* item = parent.isEmpty() || !items.count(parent) ? new QTreeWidgetItem(m_tree) : new QTreeWidgetItem(items[parent]);
            item->setText(0, name.section(QLatin1Char('.'), -1));
            item->setText(1, QLocale().toString(count));
            item->setData(0, Qt::UserRole, name);
            item->setData(1, Qt::UserRole, count);
            item->setCheckState(0, Qt::Unchecked);
            item->setToolTip(0, name);
            items[name] = item;
        }
        const QString preset = m_preset->currentData().toString();
        if (preset != QStringLiteral("custom"))
            applyPreset(preset);
        Q_EMIT treeReady();
    });
    m_session->start(std::move(task));
}

void FineTunePage::setSelection(const std::vector<std::string>& modules)
{
    std::function<void(QTreeWidgetItem*)> apply = [&](QTreeWidgetItem* item) {
        const std::string name = item->data(0, Qt::UserRole).toString().toStdString();
        item->setCheckState(0, std::find(modules.begin(), modules.end(), name) != modules.end() ? Qt::Checked : Qt::Unchecked);
        if (item->checkState(0) == Qt::Checked)
            for (QTreeWidgetItem* p = item->parent(); p; p = p->parent()) p->setExpanded(true);
        for (int i = 0; i < item->childCount(); ++i) apply(item->child(i));
    };
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) apply(m_tree->topLevelItem(i));
}

std::vector<std::string> FineTunePage::selection() const
{
    std::vector<std::string> out;
    std::function<void(QTreeWidgetItem*)> collect = [&](QTreeWidgetItem* item) {
        if (item->checkState(0) == Qt::Checked) {
            out.push_back(item->data(0, Qt::UserRole).toString().toStdString());
            return;  // a ticked module includes everything inside it
        }
        for (int i = 0; i < item->childCount(); ++i) collect(item->child(i));
    };
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) collect(m_tree->topLevelItem(i));
    return out;
}

void FineTunePage::applyPreset(const QString& preset)
{
    try {
        setSelection(presetLayers(preset.toStdString(), m_backbone->currentText().toStdString()));
    } catch (const std::exception& e) {
        m_status->setText(QString::fromUtf8(e.what()));
    }
}

FineTuneOptions FineTunePage::options() const
{
    FineTuneOptions o;
    o.data = QDir::toNativeSeparators(m_session->datasetDir()).toStdString();
    o.backbone = m_backbone->currentText().toStdString();
    const QString weights = m_session->featureSettings().value(QStringLiteral("weights")).toString(QStringLiteral("random"));
    // Start from the Features page's weights when they are for this backbone.
    o.weights = QFileInfo(weights).fileName().startsWith(m_backbone->currentText() + QLatin1Char('-')) ? weights.toStdString() : "random";
    o.layers = selection();
    o.optimizer = m_optimizer->currentText().toStdString();
    o.lr = m_lr->value();
    o.weightDecay = m_decay->value();
    o.schedule = m_schedule->currentText().toStdString();
    o.epochs = m_epochs->value();
    o.batchSize = m_batch->value();
    o.size = m_size->value();
    o.augment = m_augment->isChecked();
    o.precision = m_precision->currentText().toStdString();
    o.validationFraction = m_valFraction->value();
    o.patience = m_patience->value();
    o.limit = m_limit->value() > 0 ? m_limit->value() : -1;
    return o;
}

void FineTunePage::setRunning(bool running)
{
    m_start->setEnabled(!running);
    m_sweep->setEnabled(!running);
    m_resume->setEnabled(!running && !m_lastOut.isEmpty());
    m_cancel->setEnabled(running);
}

Task* FineTunePage::start(bool resume)
{
    if (!m_session->dataset()) {
        m_status->setText(tr("Open a dataset on the Data page first."));
        return nullptr;
    }
    if (m_running)
        return nullptr;
    FineTuneOptions o = options();
    if (resume && !m_lastOut.isEmpty()) {
        o.outDir = QDir::toNativeSeparators(m_lastOut).toStdString();
        o.resume = true;
    } else {
        m_lastOut = m_session->workspace() + QStringLiteral("/finetune/") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        if (!m_sweepQueue.isEmpty() || !m_sweepDir.isEmpty())
            m_lastOut = m_sweepDir + QLatin1Char('/') + QString::fromStdString(o.layers.empty() ? std::string("head") : o.layers.front());
        o.outDir = QDir::toNativeSeparators(m_lastOut).toStdString();
        o.resume = false;
        m_loss->clear();
        m_accuracy->clear();
    }
    auto task = std::make_unique<FineTuneTask>(o);
    connect(task.get(), &Task::partialResult, this, [this](const QVariant& v) {
        const QJsonObject m = v.toJsonObject();
        const int epoch = m.value(QStringLiteral("epoch")).toInt();
        m_loss->addEpoch(epoch, m.value(QStringLiteral("train_loss")).toDouble(), m.value(QStringLiteral("val_loss")).toDouble(std::nan("")));
        m_accuracy->addEpoch(epoch, m.value(QStringLiteral("train_accuracy")).toDouble(),
                             m.value(QStringLiteral("val_accuracy")).toDouble(std::nan("")));
    });
    connect(task.get(), &Task::progress, this, [this](qint64, qint64, const QString& message) { m_status->setText(message); });
    connect(task.get(), &Task::finished, this, [this](const QVariant& v) {
        m_running = nullptr;
        const QJsonObject r = v.toJsonObject();
        m_lastWeights = r.value(QStringLiteral("weights")).toString();
        m_useWeights->setEnabled(true);
        m_saveWeights->setEnabled(true);
        const QJsonObject last = r.value(QStringLiteral("epochs")).toArray().last().toObject();
        m_status->setText(tr("Done: %1 trainable parameters · train loss %2 · validation accuracy %3%4")
                              .arg(QLocale().toString(qlonglong(r.value(QStringLiteral("trainable_parameters")).toDouble())))
                              .arg(last.value(QStringLiteral("train_loss")).toDouble(), 0, 'f', 4)
                              .arg(last.value(QStringLiteral("val_accuracy")).toDouble(), 0, 'f', 4)
                              .arg(r.value(QStringLiteral("stopped_early")).toBool() ? tr(" (stopped early)") : QString()));
        if (!m_sweepQueue.isEmpty() || !m_sweepDir.isEmpty()) {
            const auto layers = r.value(QStringLiteral("options")).toObject().value(QStringLiteral("layers")).toArray();
            const SweepRow& done = m_layerSweep.add(layers.isEmpty() ? QStringLiteral("head") : layers.first().toString(), r);
            const SweepBar bar{done.layer, done.trainLoss, done.validationLoss, done.validationAccuracy};
            m_sweepBars.push_back(bar);
            const int row = m_sweepTable->rowCount();
            m_sweepTable->insertRow(row);
            m_sweepTable->setItem(row, 0, new QTableWidgetItem(bar.layer));
            m_sweepTable->setItem(row, 1, new QTableWidgetItem(QLocale().toString(qlonglong(done.trainableParameters))));
            int c = 2;
            for (double value : {bar.trainLoss, done.trainAccuracy, bar.validationLoss, bar.validationAccuracy})
                m_sweepTable->setItem(row, c++, new QTableWidgetItem(QString::number(value, 'f', 4)));
            m_sweepChart->setChart(makeSweepChart(m_sweepBars, true));
            runNextSweepCandidate();
            return;
        }
        setRunning(false);
        Q_EMIT runFinished(true);
    });
    auto stopped = [this](const QString& why) {
        m_running = nullptr;
        const bool sweeping = !m_sweepDir.isEmpty();
        m_sweepQueue.clear();
        m_sweepDir.clear();
        setRunning(false);
        m_status->setText(why);
        Q_EMIT(sweeping ? sweepFinished(false) : runFinished(false));
    };
    connect(task.get(), &Task::failed, this, [stopped](const QString& m) { stopped(tr("Failed: %1").arg(m)); });
    connect(task.get(), &Task::cancelled, this, [stopped] { stopped(tr("Cancelled after the last finished epoch; Resume continues from there.")); });
    setRunning(true);
    m_running = m_session->start(std::move(task));
    return m_running;
}

void FineTunePage::startSweep(const QStringList& candidates)
{
    if (candidates.isEmpty() || m_running || !m_session->dataset())
        return;
    m_sweepQueue = candidates;
    m_sweepDir = m_session->workspace() + QStringLiteral("/sweeps/") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    m_sweepBars.clear();
    m_layerSweep = LayerSweep(fineTuneOptionsJson(options()));
    m_sweepTable->setRowCount(0);
    runNextSweepCandidate();
}

void FineTunePage::runNextSweepCandidate()
{
    if (m_sweepQueue.isEmpty()) {
        QString written = tr("Sweep done: %n layer(s) compared.", nullptr, int(m_sweepBars.size()));
        try {
            m_layerSweep.write(m_sweepDir);
        } catch (const std::exception& e) {
            written += QLatin1Char(' ') + tr("sweep.csv/sweep.json not written: %1").arg(QString::fromUtf8(e.what()));
        }
        writeSweepChart(m_sweepBars, m_sweepDir + QStringLiteral("/sweep.png"));
        m_sweepDir.clear();
        setRunning(false);
        m_status->setText(written);
        Q_EMIT sweepFinished(true);
        return;
    }
    const QString next = m_sweepQueue.takeFirst().trimmed();
    m_preset->setCurrentIndex(m_preset->findData(QStringLiteral("custom")));
    setSelection({next.toStdString()});
    if (!start(false)) {
        m_sweepQueue.clear();
        m_sweepDir.clear();
        Q_EMIT sweepFinished(false);
    }
}

}  // namespace deepsvm
