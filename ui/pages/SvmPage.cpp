#include "pages/SvmPage.h"

#include "Session.h"
#include "charts/MatrixViews.h"
#include "data/Dataset.h"
#include "data/Stl10.h"
#include "features/Npy.h"
#include "svm/GridSearch.h"
#include "svm/SvmTask.h"
#include "models/RunData.h"
#include "pipeline/RunRecord.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace deepsvm {

namespace {

/// The combo box's solver ("auto", "exact", "liblinear", "nystroem") with the landmark count.
Solver solverOf(const QString& name, int landmarks)
{
    return Solver::parse(name == QLatin1String("nystroem") ? "nystroem:" + std::to_string(landmarks) : name.toStdString());
}

const QStringList kKernels{QStringLiteral("linear"), QStringLiteral("poly"), QStringLiteral("rbf"), QStringLiteral("sigmoid")};

bool usesGamma(const QString& kernel) { return kernel != QStringLiteral("linear"); }

QString tabTitle(const QString& kernel, int degree, double coef0, bool manyDegrees, bool manyCoef0)
{
    QString t = kernel;
    if (kernel == QStringLiteral("poly") && manyDegrees)
        t += QStringLiteral(" d=%1").arg(degree);
    if ((kernel == QStringLiteral("poly") || kernel == QStringLiteral("sigmoid")) && manyCoef0)
        t += QStringLiteral(" r=%1").arg(coef0);
    return t;
}

QString gammaText(const QJsonObject& p)
{
    if (p.contains(QStringLiteral("gamma_mode")))
        return p.value(QStringLiteral("gamma_mode")).toString();
    return p.value(QStringLiteral("kernel")).toString() == QStringLiteral("linear")
               ? QStringLiteral("-")
               : QString::number(p.value(QStringLiteral("gamma")).toDouble(), 'g', 6);
}

/// The finished point GridSearch::bestIndex picks (highest mean, first on ties, NaN last), or -1.
int bestPoint(const std::vector<QJsonObject>& points)
{
    std::vector<GridPointResult> results(points.size());
    for (std::size_t i = 0; i < points.size(); ++i)
        // A point not finished yet (an empty slot) has no mean, so it is never the best.
        results[i].mean = points[i].value(QStringLiteral("mean")).toDouble(std::nan(""));
    return GridSearch::bestIndex(results);
}

QTableWidgetItem* numberItem(double v, int decimals = -1)
{
    auto* item = new QTableWidgetItem;
    item->setData(Qt::DisplayRole, decimals < 0 ? QVariant(v) : QVariant(QString::number(v, 'f', decimals).toDouble()));
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

}  // namespace

SvmPage::SvmPage(Session* session, QWidget* parent) : QWidget(parent), m_session(session)
{
    const EditorRows rows = buildEditors();
    arrangePage(rows, buildButtons());
    connectSignals();
    updateCvChoices();
}

SvmPage::EditorRows SvmPage::buildEditors()
{
    auto* kernelRow = new QHBoxLayout;
    for (const QString& k : kKernels) {
        auto* box = new QCheckBox(k, this);
        box->setChecked(k == QStringLiteral("poly"));
        m_kernels[k] = box;
        kernelRow->addWidget(box);
    }
    kernelRow->addStretch(1);
    m_C = new QLineEdit(QStringLiteral("0.1,1,10,100"), this);
    m_gamma = new QLineEdit(QStringLiteral("1,0.1,0.01,0.001"), this);
    m_degree = new QLineEdit(QStringLiteral("3"), this);
    m_coef0 = new QLineEdit(QStringLiteral("0"), this);
    const QString listHelp = tr("A list (0.1,1,10) or a log range log2:-5:15:2 / log10:-3:2:1");
    m_C->setToolTip(listHelp);
    m_gamma->setToolTip(listHelp + tr(", or scale / auto as in scikit-learn"));
    m_degree->setToolTip(tr("Polynomial degrees (poly kernel only)"));
    m_coef0->setToolTip(tr("Independent term of the poly and sigmoid kernels"));
    m_kfold = new QRadioButton(tr("Stratified K-fold"), this);
    m_stlFolds = new QRadioButton(tr("STL-10's 10 predefined folds"), this);
    m_holdout = new QRadioButton(tr("Hold-out"), this);
    m_kfold->setChecked(true);
    m_folds = new QSpinBox(this);
    m_folds->setRange(2, 50);
    m_folds->setValue(5);
    m_folds->setSuffix(tr(" folds"));
    m_holdoutFraction = new QDoubleSpinBox(this);
    m_holdoutFraction->setRange(0.05, 0.9);
    m_holdoutFraction->setSingleStep(0.05);
    m_holdoutFraction->setValue(0.2);
    m_metric = new QComboBox(this);
    m_metric->addItem(tr("accuracy"), QStringLiteral("accuracy"));
    m_metric->addItem(tr("macro F1"), QStringLiteral("f1_macro"));
    m_metric->addItem(tr("macro ROC AUC"), QStringLiteral("roc_auc_macro"));
    m_scale = new QCheckBox(tr("Standardise features (fit on training rows)"), this);
    m_scale->setChecked(true);
    m_probability = new QCheckBox(tr("Probability estimates for the final model"), this);
    m_probability->setChecked(true);
    m_seed = new QSpinBox(this);
    m_seed->setRange(0, 1 << 30);
    m_solver = new QComboBox(this);
    m_solver->addItem(tr("auto (from the size)"), QStringLiteral("auto"));
    m_solver->addItem(tr("exact SVC (libsvm)"), QStringLiteral("exact"));
    m_solver->addItem(tr("LinearSVC (liblinear, linear kernel)"), QStringLiteral("liblinear"));
    m_solver->addItem(tr("Nystroem + LinearSVC (approximate)"), QStringLiteral("nystroem"));
    m_solver->setToolTip(tr("auto keeps the exact SVM while it should finish within 30 minutes; above, LinearSVC for the "
                            "linear kernel and Nystroem landmarks + LinearSVC for the others"));
    m_landmarks = new QSpinBox(this);
    m_landmarks->setRange(10, 100000);
    m_landmarks->setValue(2000);
    m_landmarks->setSuffix(tr(" landmarks"));
    m_landmarks->setEnabled(false);
    m_solverPlan = new QLabel(this);
    m_solverPlan->setWordWrap(true);
    auto* cvRow1 = new QHBoxLayout;
    cvRow1->addWidget(m_kfold);
    cvRow1->addWidget(m_folds);
    cvRow1->addStretch(1);
    auto* cvRow2 = new QHBoxLayout;
    cvRow2->addWidget(m_holdout);
    cvRow2->addWidget(m_holdoutFraction);
    cvRow2->addStretch(1);
    return {kernelRow, cvRow1, cvRow2};
}

QHBoxLayout* SvmPage::buildButtons()
{
    m_start = new QPushButton(tr("Start grid search"), this);
    m_start->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_start->setToolTip(tr("Cross-validate every point, refit the best with probabilities, evaluate on the test features (Ctrl+R)"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_train = new QPushButton(tr("Train final model"), this);
    m_train->setToolTip(tr("Fit the chosen cell (or the best one) on all training rows and evaluate it"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_train);
    buttons->addStretch(1);
    m_status = new QLabel(tr("Extract features on the Features page, then start the search."), this);
    m_status->setWordWrap(true);
    return buttons;
}

void SvmPage::arrangePage(const EditorRows& rows, QHBoxLayout* buttons)
{
    auto* gridBox = new QGroupBox(tr("Grid"), this);
    auto* form = new QFormLayout(gridBox);
    form->addRow(tr("Kernels"), rows.kernels);
    form->addRow(tr("C"), m_C);
    form->addRow(tr("gamma"), m_gamma);
    form->addRow(tr("degree"), m_degree);
    form->addRow(tr("coef0"), m_coef0);
    auto* cvBox = new QGroupBox(tr("Validation"), this);
    auto* cvForm = new QFormLayout(cvBox);
    cvForm->addRow(rows.kfold);
    cvForm->addRow(m_stlFolds);
    cvForm->addRow(rows.holdout);
    cvForm->addRow(tr("Metric"), m_metric);
    cvForm->addRow(m_scale);
    cvForm->addRow(m_probability);
    cvForm->addRow(tr("Seed"), m_seed);
    auto* solverRow = new QHBoxLayout;
    solverRow->addWidget(m_solver, 1);
    solverRow->addWidget(m_landmarks);
    cvForm->addRow(tr("Solver"), solverRow);
    cvForm->addRow(m_solverPlan);
    m_heatmaps = new QTabWidget(this);
    m_heatmaps->setMinimumSize(380, 300);
    m_table = new QTableWidget(0, 9, this);
    m_table->setHorizontalHeaderLabels({tr("kernel"), tr("C"), tr("gamma"), tr("degree"), tr("coef0"), tr("mean"),
                                        tr("std"), tr("per fold"), tr("seconds")});
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(gridBox);
    leftLayout->addWidget(cvBox);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_status);
    leftLayout->addStretch(1);
    auto* right = new QSplitter(Qt::Vertical, this);
    right->addWidget(m_heatmaps);
    right->addWidget(m_table);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);
    auto* split = new QSplitter(this);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);
}

void SvmPage::connectSignals()
{
    connect(m_start, &QPushButton::clicked, this, [this] { startSearch(); });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_running)
            m_running->requestCancel();
    });
    connect(m_train, &QPushButton::clicked, this, [this] { trainChosen(); });
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        const auto rows = m_table->selectionModel()->selectedRows();
        if (rows.isEmpty())
            return;
        m_chosen = m_table->item(rows.first().row(), 0)->data(Qt::UserRole).toJsonObject();
        m_train->setText(tr("Train final model (%1)").arg(describeParams(m_chosen)));
    });
    connect(m_session, &Session::datasetChanged, this, &SvmPage::updateCvChoices);
    connect(m_session, &Session::featuresChanged, this, &SvmPage::updateCvChoices);
    // The Session always holds what the page shows, so saving an experiment needs no page.
    auto store = [this] { m_session->setSvmSettings(settings()); };
    for (QLineEdit* e : {m_C, m_gamma, m_degree, m_coef0})
        connect(e, &QLineEdit::textChanged, this, store);
    for (auto& [name, box] : m_kernels)
        connect(box, &QCheckBox::toggled, this, store);
    for (QAbstractButton* b : std::initializer_list<QAbstractButton*>{m_kfold, m_stlFolds, m_holdout, m_scale, m_probability})
        connect(b, &QAbstractButton::toggled, this, store);
    for (QSpinBox* box : {m_folds, m_seed})
        connect(box, &QSpinBox::valueChanged, this, store);
    connect(m_holdoutFraction, &QDoubleSpinBox::valueChanged, this, store);
    connect(m_metric, &QComboBox::currentIndexChanged, this, store);
    connect(m_solver, &QComboBox::currentIndexChanged, this, [this, store] {
        m_landmarks->setEnabled(m_solver->currentData().toString() == QLatin1String("nystroem"));
        store();
    });
    connect(m_landmarks, &QSpinBox::valueChanged, this, store);
    // The plan follows whatever changes the grid, the folds or the solver.
    auto plan = [this] { updateSolverPlan(); };
    for (QLineEdit* e : {m_C, m_gamma, m_degree, m_coef0})
        connect(e, &QLineEdit::textChanged, this, plan);
    for (auto& [name, box] : m_kernels)
        connect(box, &QCheckBox::toggled, this, plan);
    connect(m_folds, &QSpinBox::valueChanged, this, plan);
    connect(m_solver, &QComboBox::currentIndexChanged, this, plan);
    connect(m_landmarks, &QSpinBox::valueChanged, this, plan);
    connect(m_session, &Session::featuresChanged, this, plan);
}

void SvmPage::updateSolverPlan()
{
    const QString prefix = m_session->trainPrefix();
    if (prefix.isEmpty()) {
        m_solverPlan->setText(tr("The solver is chosen once there are training features."));
        return;
    }
    if (prefix != m_labelsOf) {
        // The labels and the width of the training features, read once per feature file.
        m_labelsOf = prefix;
        m_trainLabels.clear();
        m_trainDims = 0;
        try {
            for (int64_t l : readNpyInt((prefix + QStringLiteral(".labels.npy")).toStdString()).data)
                m_trainLabels.push_back(int(l));
            QFile f(prefix + QStringLiteral(".features.npy"));
            if (f.open(QIODevice::ReadOnly)) {
                const NpyHeader h = parseNpyHeader(f.read(4096).toStdString(), f.fileName().toStdString());
                m_trainDims = h.shape.size() > 1 ? h.shape[1] : 0;
            }
        } catch (const std::exception&) {
            m_trainLabels.clear();
        }
    }
    if (m_trainLabels.empty()) {
        m_solverPlan->setText(tr("The solver is chosen when the search starts."));
        return;
    }
    const SvmOptions defaults;
    std::vector<SvmParams> grid;
    try {
        std::vector<Kernel> kernels;
        for (const auto& [name, box] : m_kernels)
            if (box->isChecked())
                kernels.push_back(parseKernel(name.toStdString()));
        grid = expandGrid(kernels, parseValueList(m_C->text().toStdString(), "C"),
                          parseGammaList(m_gamma->text().toStdString(), "gamma"),
                          parseDegreeList(m_degree->text().toStdString(), "degree"),
                          parseValueList(m_coef0->text().toStdString(), "coef0"));
        if (grid.empty())
            throw std::invalid_argument("empty grid");
    } catch (const std::exception&) {
        m_solverPlan->setText(tr("The solver is chosen once the grid is valid."));
        return;
    }
    const int classes = m_trainLabels.empty() ? 0 : *std::max_element(m_trainLabels.begin(), m_trainLabels.end()) + 1;
    const SolverChoice c = chooseSolver(solverOf(m_solver->currentData().toString(), m_landmarks->value()), m_trainLabels,
                                        classes, m_trainDims, grid, m_folds->value(), true, defaults.kernelMemoryMb, 0);
    m_solverPlan->setText(tr("%1 rows: %2; estimate %3")
                              .arg(m_trainLabels.size())
                              .arg(QString::fromStdString(c.reason), QString::fromStdString(formatDuration(c.estimatedSeconds))));
}

GridHeatmap* SvmPage::heatmap(int tab) const
{
    return qobject_cast<GridHeatmap*>(m_heatmaps->widget(tab));
}

QJsonObject SvmPage::settings() const
{
    QJsonArray kernels;
    for (const auto& [name, box] : m_kernels)
        if (box->isChecked())
            kernels.append(name);
    return QJsonObject{{QStringLiteral("kernels"), kernels},
                       {QStringLiteral("C"), m_C->text()},
                       {QStringLiteral("gamma"), m_gamma->text()},
                       {QStringLiteral("degree"), m_degree->text()},
                       {QStringLiteral("coef0"), m_coef0->text()},
                       {QStringLiteral("cv"), m_stlFolds->isChecked() ? QStringLiteral("stl10")
                                              : m_holdout->isChecked() ? QStringLiteral("holdout") : QStringLiteral("kfold")},
                       {QStringLiteral("folds"), m_folds->value()},
                       {QStringLiteral("holdout"), m_holdoutFraction->value()},
                       {QStringLiteral("metric"), m_metric->currentData().toString()},
                       {QStringLiteral("scale"), m_scale->isChecked()},
                       {QStringLiteral("probability"), m_probability->isChecked()},
                       {QStringLiteral("seed"), m_seed->value()},
                       {QStringLiteral("solver"), m_solver->currentData().toString()},
                       {QStringLiteral("landmarks"), m_landmarks->value()}};
}

void SvmPage::applySettings(const QJsonObject& s)
{
    if (s.isEmpty()) {
        m_session->setSvmSettings(settings());  // nothing to apply: the Session holds what is shown
        return;
    }
    const QJsonArray kernels = s.value(QStringLiteral("kernels")).toArray();
    for (auto& [name, box] : m_kernels)
        box->setChecked(kernels.contains(name));
    m_C->setText(s.value(QStringLiteral("C")).toString(m_C->text()));
    m_gamma->setText(s.value(QStringLiteral("gamma")).toString(m_gamma->text()));
    m_degree->setText(s.value(QStringLiteral("degree")).toString(m_degree->text()));
    m_coef0->setText(s.value(QStringLiteral("coef0")).toString(m_coef0->text()));
    const QString cv = s.value(QStringLiteral("cv")).toString();
    (cv == QStringLiteral("stl10") && m_stlFolds->isEnabled() ? m_stlFolds : cv == QStringLiteral("holdout") ? m_holdout : m_kfold)
        ->setChecked(true);
    m_folds->setValue(s.value(QStringLiteral("folds")).toInt(m_folds->value()));
    m_holdoutFraction->setValue(s.value(QStringLiteral("holdout")).toDouble(m_holdoutFraction->value()));
    m_metric->setCurrentIndex(std::max(0, m_metric->findData(s.value(QStringLiteral("metric")).toString())));
    m_scale->setChecked(s.value(QStringLiteral("scale")).toBool(true));
    m_probability->setChecked(s.value(QStringLiteral("probability")).toBool(true));
    m_seed->setValue(s.value(QStringLiteral("seed")).toInt(0));
    m_solver->setCurrentIndex(std::max(0, m_solver->findData(s.value(QStringLiteral("solver")).toString(QStringLiteral("auto")))));
    m_landmarks->setValue(s.value(QStringLiteral("landmarks")).toInt(2000));
    m_session->setSvmSettings(settings());
}

void SvmPage::updateCvChoices()
{
    const auto dataset = m_session->dataset();
    const bool folds = dataset && !dataset->folds().empty();
    m_stlFolds->setEnabled(folds);
    m_stlFolds->setToolTip(folds ? tr("Train on each fold's 1/5 of the training set, validate on the rest (as STL-10 prescribes)")
                                 : tr("Only STL-10 datasets have predefined folds"));
    if (!folds && m_stlFolds->isChecked())
        m_kfold->setChecked(true);
    const bool ready = !m_session->trainPrefix().isEmpty();
    m_start->setEnabled(ready && !m_running);
    m_train->setEnabled(ready && !m_running);
    if (ready && !m_running) {
        QString text = tr("Training features: %1").arg(QFileInfo(m_session->trainPrefix()).fileName());
        const QString labels = m_session->labelsOverridePath();
        if (!labels.isEmpty() && QFileInfo::exists(labels))
            text += tr("; labels changed by %1").arg(QDir::toNativeSeparators(labels));
        m_status->setText(text);
    }
}

bool SvmPage::buildOptions(SvmOptions* o, QString* error) const
{
    try {
        if (m_session->trainPrefix().isEmpty())
            throw std::invalid_argument(tr("no training features yet: extract them on the Features page").toStdString());
        o->trainPrefix = QDir::toNativeSeparators(m_session->trainPrefix()).toStdString();
        o->testPrefix = QDir::toNativeSeparators(m_session->testPrefix()).toStdString();
        if (const QString labels = m_session->labelsOverridePath(); !labels.isEmpty() && QFileInfo::exists(labels))
            o->labelsOverride = labels.toStdString();
        // Train and test must come from the same network and preprocessing, or the test
        // accuracy means nothing even though the columns match.
        if (!m_session->testPrefix().isEmpty()) {
            QJsonObject a = featureSettingsOf(m_session->trainPrefix()), b = featureSettingsOf(m_session->testPrefix());
            for (const char* volatileField : {"split", "dataset_hash", "weights_file", "pretrained"}) {
                a.remove(QLatin1String(volatileField));
                b.remove(QLatin1String(volatileField));
            }
            if (!a.isEmpty() && !b.isEmpty() && a != b)
                throw std::invalid_argument(tr("the training and test features were extracted with different settings "
                                               "(%1 vs %2); extract both splits again with the same settings")
                                                .arg(QFileInfo(m_session->trainPrefix()).fileName(), QFileInfo(m_session->testPrefix()).fileName())
                                                .toStdString());
        }
        o->kernels.clear();
        for (const auto& [name, box] : m_kernels)
            if (box->isChecked())
                o->kernels.push_back(parseKernel(name.toStdString()));
        if (o->kernels.empty())
            throw std::invalid_argument(tr("tick at least one kernel").toStdString());
        o->C = parseValueList(m_C->text().toStdString(), "C");
        o->gamma = parseGammaList(m_gamma->text().toStdString(), "gamma");
        o->degree = parseDegreeList(m_degree->text().toStdString(), "degree");
        o->coef0 = parseValueList(m_coef0->text().toStdString(), "coef0");
        o->folds = m_folds->value();
        if (m_stlFolds->isChecked()) {
            const std::string file = stl10FoldFile(m_session->datasetDir().toStdString());
            o->foldIndices = QDir::toNativeSeparators(QString::fromStdString(file)).toStdString();
        }
        if (m_holdout->isChecked())
            o->holdOut = m_holdoutFraction->value();
        o->metric = parseMetric(m_metric->currentData().toString().toStdString());
        o->scale = m_scale->isChecked();
        o->probability = m_probability->isChecked();
        o->seed = unsigned(m_seed->value());
        o->solver = solverOf(m_solver->currentData().toString(), m_landmarks->value());
        o->outDir = QDir::toNativeSeparators(m_session->newRunDir()).toStdString();
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

void SvmPage::setUpGrid(const SvmOptions& o)
{
    m_table->setRowCount(0);
    m_points.clear();
    m_chosen = {};
    m_train->setText(tr("Train final model"));
    while (m_heatmaps->count() > 0) {
        QWidget* w = m_heatmaps->widget(0);
        m_heatmaps->removeTab(0);
        w->deleteLater();
    }
    m_tabOf.clear();
    m_cValues = o.C;
    m_gammaValues = o.gamma;
    QStringList rows, gammaColumns;
    for (double c : o.C) rows << QString::number(c, 'g', 6);
    for (const auto& g : o.gamma)
        gammaColumns << (g == "scale" || g == "auto" ? QString::fromStdString(g) : QString::number(QString::fromStdString(g).toDouble(), 'g', 6));
    for (Kernel k : o.kernels) {
        const QString name = QString::fromStdString(kernelName(k));
        const std::vector<int> degrees = k == Kernel::Poly ? o.degree : std::vector<int>{3};
        const std::vector<double> coef0s = (k == Kernel::Poly || k == Kernel::Sigmoid) ? o.coef0 : std::vector<double>{0.0};
        for (int d : degrees)
            for (double c0 : coef0s) {
                auto* map = new GridHeatmap(m_heatmaps);
                const QString title = tabTitle(name, d, c0, o.degree.size() > 1, o.coef0.size() > 1);
                map->setAxes(tr("%1 · %2 (mean over folds)").arg(title, m_metric->currentText()), rows,
                             usesGamma(name) ? gammaColumns : QStringList{QStringLiteral("-")});
                const int tab = m_heatmaps->addTab(map, title);
                m_tabOf[{name, d, c0}] = tab;
                connect(map, &GridHeatmap::cellClicked, this, [this, tab](int r, int c) {
                    m_heatmaps->setCurrentIndex(tab);
                    chooseCell(r, c);
                });
            }
    }
}

int SvmPage::tabIndexOf(const SvmParams& p) const
{
    const auto tab = m_tabOf.find({QString::fromStdString(kernelName(p.kernel)), p.kernel == Kernel::Poly ? p.degree : 3,
                                   (p.kernel == Kernel::Poly || p.kernel == Kernel::Sigmoid) ? p.coef0 : 0.0});
    return tab == m_tabOf.end() ? -1 : tab->second;
}

QPoint SvmPage::cellOf(const SvmParams& p) const
{
    const auto it = std::find(m_cValues.begin(), m_cValues.end(), p.C);
    if (it == m_cValues.end())
        return QPoint(-1, -1);
    const int r = int(it - m_cValues.begin());
    int c = p.kernel == Kernel::Linear ? 0 : -1;
    if (p.kernel != Kernel::Linear)
        for (std::size_t i = 0; i < m_gammaValues.size(); ++i)
            if (p.gammaMode.empty() ? QString::fromStdString(m_gammaValues[i]).toDouble() == p.gamma : m_gammaValues[i] == p.gammaMode)
                c = int(i);
    return QPoint(c, r);
}

void SvmPage::chooseCell(int row, int column)
{
    // The finished point drawn at (row, column) of the current tab.
    for (const QJsonObject& p : m_points) {
        if (p.isEmpty())
            continue;
        const SvmParams params = SvmParams::fromJson(p);
        if (tabIndexOf(params) == m_heatmaps->currentIndex() && cellOf(params) == QPoint(column, row)) {
            m_chosen = p;
            m_train->setText(tr("Train final model (%1)").arg(QString::fromStdString(params.describe())));
            return;
        }
    }
}

void SvmPage::addPoint(const QJsonObject& point)
{
    const int index = point.value(QStringLiteral("index")).toInt();
    if (index >= int(m_points.size()))
        m_points.resize(std::size_t(index + 1));
    m_points[std::size_t(index)] = point;
    const SvmParams params = SvmParams::fromJson(point);
    const QString kernel = QString::fromStdString(kernelName(params.kernel));
    const double mean = point.value(QStringLiteral("mean")).toDouble(std::nan(""));
    const double sd = point.value(QStringLiteral("std")).toDouble(std::nan(""));
    if (const int tab = tabIndexOf(params); tab >= 0 && cellOf(params).x() >= 0) {
        const QPoint cell = cellOf(params);
        heatmap(tab)->setCell(cell.y(), cell.x(), mean, sd);
    }
    const int best = bestPoint(m_points);
    for (int t = 0; t < m_heatmaps->count(); ++t)
        heatmap(t)->setBest(-1, -1);
    if (best >= 0) {
        const SvmParams b = SvmParams::fromJson(m_points[std::size_t(best)]);
        if (const int tab = tabIndexOf(b); tab >= 0) {
            const QPoint cell = cellOf(b);
            heatmap(tab)->setBest(cell.y(), cell.x());
        }
    }
    // Table row (sorting off while inserting, or the row would move mid-insert).
    m_table->setSortingEnabled(false);
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    auto* kernelItem = new QTableWidgetItem(kernel);
    kernelItem->setData(Qt::UserRole, point);
    m_table->setItem(row, 0, kernelItem);
    m_table->setItem(row, 1, numberItem(params.C));
    m_table->setItem(row, 2, new QTableWidgetItem(gammaText(point)));
    m_table->setItem(row, 3, numberItem(params.kernel == Kernel::Poly ? params.degree : std::nan("")));
    if (params.kernel != Kernel::Poly)
        m_table->item(row, 3)->setData(Qt::DisplayRole, QStringLiteral("-"));
    m_table->setItem(row, 4, numberItem(params.coef0));
    m_table->setItem(row, 5, numberItem(mean, 4));
    m_table->setItem(row, 6, numberItem(sd, 4));
    QStringList folds;
    for (const auto& f : point.value(QStringLiteral("folds")).toArray()) folds << QString::number(f.toDouble(), 'f', 3);
    m_table->setItem(row, 7, new QTableWidgetItem(folds.join(QStringLiteral("  "))));
    m_table->setItem(row, 8, numberItem(point.value(QStringLiteral("seconds")).toDouble(), 2));
    m_table->setSortingEnabled(true);
}

Task* SvmPage::startSearch()
{
    SvmOptions o;
    QString error;
    if (!buildOptions(&o, &error)) {
        m_status->setText(tr("Cannot start: %1").arg(error));
        return nullptr;
    }
    setUpGrid(o);
    m_session->setSvmSettings(settings());
    return launch(o, QStringLiteral("grid"));
}

Task* SvmPage::trainChosen()
{
    SvmOptions o;
    QString error;
    if (!buildOptions(&o, &error)) {
        m_status->setText(tr("Cannot train: %1").arg(error));
        return nullptr;
    }
    QJsonObject chosen = m_chosen;
    if (chosen.isEmpty()) {
        // No cell chosen: the best finished point, or the only point of a one-point grid.
        if (const int best = bestPoint(m_points); best >= 0)
            chosen = m_points[std::size_t(best)];
    }
    if (chosen.isEmpty()) {
        if (o.kernels.size() * o.C.size() * o.gamma.size() * o.degree.size() * o.coef0.size() != 1) {
            m_status->setText(tr("Run the grid search first, or choose a cell in the heat map or the table."));
            return nullptr;
        }
    } else {
        const SvmParams p = SvmParams::fromJson(chosen);
        o.kernels = {p.kernel};
        o.C = {p.C};
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", p.gamma);
        o.gamma = {p.gammaMode.empty() ? std::string(buf) : p.gammaMode};
        o.degree = {p.degree};
        o.coef0 = {p.coef0};
    }
    o.crossValidate = false;
    return launch(o, QStringLiteral("single"));
}

void SvmPage::setRunning(bool running)
{
    m_start->setEnabled(!running);
    m_train->setEnabled(!running);
    m_cancel->setEnabled(running);
}

Task* SvmPage::launch(const SvmOptions& o, const QString& kind)
{
    if (m_running) {
        m_status->setText(tr("A search is already running."));
        return nullptr;
    }
    auto task = std::make_unique<SvmTask>(o);
    // What the run used, captured now: the pages may change while it runs.
    RunRecord started;
    started.dir = QString::fromStdString(o.outDir);
    started.id = QFileInfo(started.dir).fileName();
    started.kind = kind;
    started.started = QDateTime::currentDateTime().toString(Qt::ISODate);
    started.dataset = m_session->datasetDir();
    started.features = featureSettingsOf(QString::fromStdString(o.trainPrefix));
    if (started.features.isEmpty())
        started.features = m_session->featureSettings();
    started.trainPrefix = QString::fromStdString(o.trainPrefix);
    started.testPrefix = QString::fromStdString(o.testPrefix);
    started.svm = settings();
    if (kind == QStringLiteral("grid"))
        connect(task.get(), &Task::partialResult, this, [this](const QVariant& v) { addPoint(v.toJsonObject()); });
    connect(task.get(), &SvmTask::solverChosen, this, [this](const QString& text) { m_solverPlan->setText(text); });
    connect(task.get(), &Task::progress, this, [this](qint64 done, qint64 total, const QString& message) {
        m_status->setText(tr("%1 of %2 fits · %3").arg(done).arg(total).arg(message));
    });
    connect(task.get(), &Task::finished, this, [this, started](const QVariant& v) {
        m_running = nullptr;
        setRunning(false);
        const QJsonObject report = v.toJsonObject();
        // Show the best point's heat map and the table best-first.
        for (int t = 0; t < m_heatmaps->count(); ++t)
            if (heatmap(t)->bestCell().x() >= 0)
                m_heatmaps->setCurrentIndex(t);
        m_table->sortItems(5, Qt::DescendingOrder);
        RunRecord record = started;
        record.finished = QDateTime::currentDateTime().toString(Qt::ISODate);
        record.takeReport(report);
        const QJsonObject run = record.toJson();
        const QJsonObject test = report.value(QStringLiteral("test")).toObject();
        const QString best = describeParams(report.value(QStringLiteral("best")).toObject());
        m_status->setText(test.isEmpty()
                              ? tr("Done: %1. No test features, so nothing was evaluated.").arg(best)
                              : tr("Done: %1 · test accuracy %2 · model in %3")
                                    .arg(best)
                                    .arg(test.value(QStringLiteral("accuracy")).toDouble(), 0, 'f', 4)
                                    .arg(QDir::toNativeSeparators(record.dir)));
        m_session->addRun(run);
        m_session->setCurrentRun(run);
        Q_EMIT runFinished(run);
    });
    const auto stopped = [this](const QString& status, const QString& message) {
        m_running = nullptr;
        setRunning(false);
        m_status->setText(status);
        Q_EMIT runFailed(message);
    };
    connect(task.get(), &Task::failed, this, [stopped](const QString& message) { stopped(tr("Failed: %1").arg(message), message); });
    connect(task.get(), &Task::cancelled, this, [stopped] { stopped(tr("Cancelled. Finished points stay in the table."), tr("cancelled")); });
    setRunning(true);
    m_status->setText(kind == QStringLiteral("grid") ? tr("Starting the grid search...") : tr("Training the chosen model..."));
    m_running = m_session->start(std::move(task));
    return m_running;
}

}  // namespace deepsvm
