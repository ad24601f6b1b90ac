#include "MainWindow.h"

#include "Session.h"
#include "models/RunData.h"
#include "pages/BackbonesPage.h"
#include "pages/ClassifyPage.h"
#include "pages/DataPage.h"
#include "pages/EvaluationPage.h"
#include "pages/FeaturesPage.h"
#include "pages/FineTunePage.h"
#include "pages/LabelIssuesPage.h"
#include "pages/RunsPage.h"
#include "pages/SvmPage.h"
#include "pages/WelcomePage.h"
#include "data/DemoData.h"
#include "report/RunReport.h"
#include "tasks/TaskRunner.h"
#include "widgets/TaskPanel.h"

#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPushButton>
#include <QRegularExpression>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyleFactory>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <cstdio>
#include <cstdlib>

namespace deepsvm {

QIcon applicationIcon()
{
    QIcon icon;
    for (int side : {16, 32, 48, 64, 128, 256}) {
        QPixmap pm(side, side);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        const double s = side / 64.0;
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(32, 56, 100));
        p.drawRoundedRect(QRectF(2 * s, 2 * s, 60 * s, 60 * s), 12 * s, 12 * s);
        // The maximum-margin line and its margins.
        p.setPen(QPen(QColor(255, 255, 255), 3 * s));
        p.drawLine(QPointF(12 * s, 54 * s), QPointF(54 * s, 12 * s));
        p.setPen(QPen(QColor(255, 255, 255, 110), 1.5 * s, Qt::DashLine));
        p.drawLine(QPointF(6 * s, 46 * s), QPointF(46 * s, 6 * s));
        p.drawLine(QPointF(18 * s, 60 * s), QPointF(60 * s, 18 * s));
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(255, 127, 14));
        for (const QPointF& c : {QPointF(16, 18), QPointF(26, 12), QPointF(14, 30)})
            p.drawEllipse(c * s, 5 * s, 5 * s);
        p.setBrush(QColor(44, 160, 44));
        for (const QPointF& c : {QPointF(48, 46), QPointF(38, 52), QPointF(50, 34)})
            p.drawEllipse(c * s, 5 * s, 5 * s);
        icon.addPixmap(pm);
    }
    return icon;
}

void MainWindow::applyTheme(const QString& theme)
{
    if (theme == QStringLiteral("dark")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QPalette p;
        p.setColor(QPalette::Window, QColor(45, 45, 48));
        p.setColor(QPalette::WindowText, QColor(230, 230, 230));
        p.setColor(QPalette::Base, QColor(30, 30, 32));
        p.setColor(QPalette::AlternateBase, QColor(50, 50, 54));
        p.setColor(QPalette::ToolTipBase, QColor(60, 60, 64));
        p.setColor(QPalette::ToolTipText, QColor(230, 230, 230));
        p.setColor(QPalette::Text, QColor(230, 230, 230));
        p.setColor(QPalette::Button, QColor(55, 55, 60));
        p.setColor(QPalette::ButtonText, QColor(230, 230, 230));
        p.setColor(QPalette::BrightText, Qt::red);
        p.setColor(QPalette::Highlight, QColor(42, 130, 218));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Link, QColor(100, 170, 255));
        p.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
        p.setColor(QPalette::Disabled, QPalette::Text, QColor(130, 130, 130));
        p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(130, 130, 130));
        p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(130, 130, 130));
        QApplication::setPalette(p);
    } else if (theme == QStringLiteral("light")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(QApplication::style()->standardPalette());
    } else {
        QApplication::setPalette(QPalette());
    }
}

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_session(new Session(this))
{
    setWindowTitle(QStringLiteral("DeepSVM Studio"));
    setWindowIcon(applicationIcon());
    setAcceptDrops(true);
    QSettings settings;
    m_session->setWorkspace(settings.value(QStringLiteral("workspace"), m_session->workspace()).toString());
    createPages();
    buildNavigation();
    buildBanners();
    buildDockAndStatus();
    buildMenus();
    connectPages();
    restoreWindow(settings);
}

void MainWindow::createPages()
{
    m_data = new DataPage(m_session, this);
    m_features = new FeaturesPage(m_session, this);
    m_svm = new SvmPage(m_session, this);
    m_evaluation = new EvaluationPage(m_session, this);
    m_classify = new ClassifyPage(m_session, this);
    m_runs = new RunsPage(m_session, this);
    m_welcome = new WelcomePage(m_session, this);
    m_fineTune = new FineTunePage(m_session, this);
    m_labelIssues = new LabelIssuesPage(m_session, this);
    m_backbones = new BackbonesPage(m_session, this);
}

void MainWindow::buildNavigation()
{
    m_sidebar = new QListWidget(this);
    m_stack = new QStackedWidget(this);
    const QList<QPair<QString, QWidget*>> pages{{tr("1  Data"), m_data},        {tr("2  Features"), m_features},
                                                {tr("3  SVM"), m_svm},          {tr("4  Evaluation"), m_evaluation},
                                                {tr("5  Classify"), m_classify}, {tr("6  Runs"), m_runs},
                                                {tr("7  Fine-tune"), m_fineTune}, {tr("8  Label issues"), m_labelIssues},
                                                {tr("9  Backbones"), m_backbones}};
    for (const auto& [name, page] : pages) {
        m_sidebar->addItem(name);
        m_stack->addWidget(page);
    }
    m_sidebar->setFixedWidth(m_sidebar->sizeHintForColumn(0) + 36);
    QFont big = m_sidebar->font();
    big.setPointSizeF(big.pointSizeF() * 1.15);
    m_sidebar->setFont(big);
    m_sidebar->setSpacing(4);
    m_stack->addWidget(m_welcome);  // reached from Help > Getting started and at first run
    connect(m_sidebar, &QListWidget::currentRowChanged, m_stack, [this](int row) {
        if (row >= 0)
            m_stack->setCurrentIndex(row);
    });
    // The welcome page only says what the user chose; opening it is the Data page's work.
    connect(m_welcome, &WelcomePage::folderChosen, this, [this](const QString& dir) {
        if (m_data->openFolder(dir))
            showPage(Data);
    });
    connect(m_welcome, &WelcomePage::demoChosen, this, [this](const QString& dir) {
        m_data->makeDemoSet(dir, 100, 80, 0);
        showPage(Data);
    });
    connect(m_welcome, &WelcomePage::backboneChosen, m_features, [this](const QString& backbone) {
        QJsonObject s = m_session->featureSettings();
        s[QStringLiteral("backbone")] = backbone;
        m_features->applySettings(s);
    });
    connect(m_welcome, &WelcomePage::weightsChosen, m_features, &FeaturesPage::setWeightsFile);
    connect(m_fineTune, &FineTunePage::featureSettingsProposed, m_features, &FeaturesPage::applySettings);
}

void MainWindow::buildBanners()
{
    m_banner = new QLabel(this);
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: #fde68a; color: #111; padding: 6px 10px; border-bottom: 1px solid #d97706; }"));

    m_notice = new QLabel(this);
    m_notice->setWordWrap(true);
    m_notice->setTextFormat(Qt::RichText);
    m_notice->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_notice->setStyleSheet(QStringLiteral("QLabel { background: #fee2e2; color: #111; padding: 6px 10px; border-bottom: 1px solid #dc2626; }"));
    m_notice->hide();
    connect(m_notice, &QLabel::linkActivated, m_notice, &QLabel::hide);

    auto* central = new QWidget(this);
    auto* outer = new QVBoxLayout(central);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    outer->addWidget(m_banner);
    outer->addWidget(m_notice);
    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_sidebar);
    row->addWidget(m_stack, 1);
    outer->addLayout(row, 1);
    setCentralWidget(central);
}

void MainWindow::buildDockAndStatus()
{
    auto* dock = new QDockWidget(tr("Tasks"), this);
    dock->setObjectName(QStringLiteral("tasksDock"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
    dock->setWidget(new TaskPanel(m_session->runner(), dock));
    dock->setMinimumHeight(70);
    addDockWidget(Qt::BottomDockWidgetArea, dock);

    m_statusDataset = new QLabel(this);
    m_statusNetwork = new QLabel(this);
    m_statusDevice = new QLabel(tr("CPU · %1 threads").arg(QThread::idealThreadCount()), this);
    statusBar()->addWidget(m_statusDataset, 1);
    // A temporary message takes the dataset label's place (also when shown before the window).
    connect(statusBar(), &QStatusBar::messageChanged, m_statusDataset,
            [this](const QString& text) { m_statusDataset->setVisible(text.isEmpty()); });
    statusBar()->addPermanentWidget(m_statusNetwork);
    statusBar()->addPermanentWidget(m_statusDevice);
}

void MainWindow::connectPages()
{
    connect(m_session, &Session::datasetChanged, this, &MainWindow::updateStatus);
    connect(m_session, &Session::datasetChanged, this, &MainWindow::updateBanner);
    connect(m_session, &Session::holdOutChanged, this, &MainWindow::updateStatus);
    connect(m_session, &Session::message, this, [this](const QString& text) { statusBar()->showMessage(text, 15000); });
    connect(m_session, &Session::featureSettingsChanged, this, &MainWindow::updateStatus);
    connect(m_session, &Session::featureSettingsChanged, this, &MainWindow::updateBanner);
    connect(m_session, &Session::runsChanged, this, &MainWindow::autosave);
    connect(m_session, &Session::featuresChanged, this, &MainWindow::autosave);
    connect(m_svm, &SvmPage::runFinished, this, [this] { showPage(Evaluation); });
    connect(m_runs, &RunsPage::exportReportRequested, this, &MainWindow::askExportReport);
    connect(m_session, &Session::currentRunChanged, this, [this] { showPage(Evaluation); });
    // Retrain after label edits: a class folder's moved files are extracted again, then the
    // grid search runs as set; a labels override (STL-10, a CSV list) needs the search only.
    // The board's choice: the Features page takes its settings and extracts (the training split
    // from the board's cache), then the SVM page follows as after any extraction.
    connect(m_backbones, &BackbonesPage::useRequested, this, [this](const QJsonObject& settings) {
        m_features->applySettings(settings);
        showPage(Features);
        m_boardPending = m_features->startExtraction() != nullptr;
    });
    connect(m_labelIssues, &LabelIssuesPage::retrainRequested, this, [this] {
        if (!m_session->datasetRelabelsByMoving()) {
            if (m_svm->startSearch())
                showPage(Svm);
            return;
        }
        m_retrainPending = m_features->startExtraction() != nullptr;
        showPage(Features);
    });
    connect(m_features, &FeaturesPage::extractionFinished, this, [this](bool ok) {
        if (std::exchange(m_retrainPending, false) && ok && m_svm->startSearch())
            showPage(Svm);
        else if (std::exchange(m_boardPending, false) && ok)
            showPage(Svm);  // the board's choice, ready for its grid search
    });
}

void MainWindow::restoreWindow(QSettings& settings)
{
    // Restore the last window and settings; the last experiment comes back from the autosave.
    // 1280 x 820 where the screen has room, else 90% of it (small or high-DPI screens).
    const QSize room = screen() ? screen()->availableGeometry().size() * 0.9 : QSize(1280, 820);
    resize(QSize(1280, 820).boundedTo(room));
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_features->applySettings(settings.value(QStringLiteral("features")).toJsonObject());
    m_svm->applySettings(settings.value(QStringLiteral("svm")).toJsonObject());
    m_features->adoptFoundWeights();  // torchvision's cache, as PyTorch users already have it
    showPage(Page(std::clamp(settings.value(QStringLiteral("window/page"), 0).toInt(), 0, int(PageCount) - 1)));
    updateStatus();
    updateBanner();
}

MainWindow::~MainWindow()
{
    m_session->runner()->cancelAllAndWait(-1);
}

void MainWindow::markRestored()
{
    m_restoreDone = true;
}

void MainWindow::showPage(Page page)
{
    m_sidebar->setCurrentRow(int(page));
    m_stack->setCurrentIndex(int(page));
}

void MainWindow::showWelcome()
{
    m_welcome->refresh();
    m_sidebar->setCurrentRow(-1);
    m_stack->setCurrentWidget(m_welcome);
}

MainWindow::Page MainWindow::currentPage() const
{
    return m_stack->currentWidget() == m_welcome ? PageCount : Page(m_stack->currentIndex());
}

void MainWindow::updateStatus()
{
    const auto f = m_session->featureSettings();
    QString dataset = m_session->datasetDir().isEmpty()
                          ? tr("No dataset open")
                          : tr("Dataset: %1").arg(QDir::toNativeSeparators(m_session->datasetDir()));
    if (m_session->datasetNeedsHoldOut())
        dataset += QStringLiteral(" · ") + (m_session->holdOutSummary().isEmpty()
                                                ? tr("no test split: %1% of each class will be held out")
                                                      .arg(m_session->testFraction() * 100, 0, 'g', 3)
                                                : m_session->holdOutSummary());
    m_statusDataset->setText(dataset);
    const QString weights = f.value(QStringLiteral("weights")).toString(QStringLiteral("random"));
    m_statusNetwork->setText(tr("%1 · %2 · %3")
                                 .arg(f.value(QStringLiteral("backbone")).toString(),
                                      weights == QStringLiteral("random") ? tr("random weights") : QFileInfo(weights).fileName(),
                                      f.value(QStringLiteral("precision")).toString()));
}

void MainWindow::updateBanner()
{
    QStringList demoNames;
    for (const auto& n : demoClassNames())
        demoNames << QString::fromStdString(n);
    const bool demo = m_session->dataset() && m_session->classNames() == demoNames;
    m_banner->setVisible(m_session->untrainedWeights() || demo);
    QString text;
    if (demo)
        text = tr("<b>This is the synthetic demo set</b> (drawn shapes in STL-10's layout), for trying every step offline. ");
    if (m_session->untrainedWeights())
        text += tr("<b>The network has random weights: its features are untrained</b>, so accuracy will be far below "
                         "the study's. Get torchvision's ImageNet file (e.g. <tt>resnet50-0676ba61.pth</tt>), put it in "
                         "<tt>~/.cache/torch/hub/checkpoints/</tt> and press <i>Find</i> on the Features page, or Browse to it. "
                         "Help &gt; Getting started downloads it.");
    m_banner->setText(text);
}

void MainWindow::autosave()
{
    if (m_session->isLoading() || !m_restoreDone)
        return;
    // Nothing lost on a crash: the experiment is written after every run and feature change.
    QDir().mkpath(m_session->workspace());
    QString error;
    m_session->save(m_session->workspace() + QStringLiteral("/autosave.json"), &error);
}

void MainWindow::restoreLastExperiment()
{
    const QString path = m_session->workspace() + QStringLiteral("/autosave.json");
    const QString backup = path + QStringLiteral(".bak");
    QString error, message;
    if (QFileInfo::exists(path)) {
        bool loaded = m_session->load(path, &error);
        if (loaded) {
            // Keep a copy of the last autosave that was read successfully.
            QFile::remove(backup);
            QFile::copy(path, backup);
            if (!error.isEmpty())
                message = tr("Last session: %1").arg(error);
        } else {
            // Never overwrite a file we could not read (damaged, or from a newer version):
            // set it aside under a name of its own, then fall back to the previous autosave.
            const QString kept = m_session->workspace() + QStringLiteral("/autosave-unreadable-")
                                 + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) + QStringLiteral(".json");
            QFile::rename(path, kept);
            QString backupError;
            loaded = QFileInfo::exists(backup) && m_session->load(backup, &backupError);
            if (loaded)
                message = tr("The last session could not be read (%1); it is kept as %2. The previous autosave was restored.")
                              .arg(error, kept);
            else
                message = tr("The last session could not be read (%1); it is kept as %2.").arg(error, kept);
            error.clear();
        }
        if (loaded) {
            m_features->applySettings(m_session->featureSettings());
            m_svm->applySettings(m_session->svmSettings());
        }
        if (!message.isEmpty())
            showNotice(message);
    }
    m_restoreDone = true;
}

void MainWindow::showNotice(const QString& text)
{
    m_notice->setText(text.toHtmlEscaped() + QStringLiteral(" &nbsp;<a href=\"dismiss\">Dismiss</a>"));
    m_notice->show();
}

bool MainWindow::saveExperiment(const QString& path, QString* error)
{
    // The pages keep the Session's settings current as the user edits them.
    if (!m_session->save(path, error))
        return false;
    m_experimentPath = path;
    setWindowTitle(QStringLiteral("DeepSVM Studio — %1").arg(QFileInfo(path).fileName()));
    return true;
}

bool MainWindow::openExperiment(const QString& path, QString* error)
{
    if (!m_session->load(path, error))
        return false;
    m_restoreDone = true;
    m_features->applySettings(m_session->featureSettings());
    m_svm->applySettings(m_session->svmSettings());
    m_experimentPath = path;
    setWindowTitle(QStringLiteral("DeepSVM Studio — %1").arg(QFileInfo(path).fileName()));
    return true;
}

bool MainWindow::exportReport(const QJsonObject& run, const QString& htmlPath, QString* error)
{
    RunData data;
    if (!RunData::load(run, &data, error))
        return false;
    QString pdf = htmlPath;
    pdf.replace(QRegularExpression(QStringLiteral("\\.html?$")), QString());
    return writeRunReport(data, htmlPath, pdf + QStringLiteral(".pdf"), error);
}

void MainWindow::askExportReport(const QJsonObject& run)
{
    if (run.isEmpty()) {
        QMessageBox::information(this, tr("No run yet"), tr("Run a grid search on the SVM page first."));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Export report (HTML; a PDF is written next to it)"),
                                                      QDir::home().filePath(run.value(QStringLiteral("id")).toString() + QStringLiteral(".html")),
                                                      tr("HTML (*.html)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!exportReport(run, path, &error))
        QMessageBox::warning(this, tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("Report written: %1 and .pdf").arg(QDir::toNativeSeparators(path)), 8000);
}

namespace {

bool copyReplacing(const QString& from, const QString& to, QString* error)
{
    QFile::remove(to);
    if (!QFile::copy(from, to)) {
        *error = QObject::tr("cannot copy %1 to %2").arg(QDir::toNativeSeparators(from), QDir::toNativeSeparators(to));
        return false;
    }
    return true;
}

}  // namespace

void MainWindow::exportPredictions()
{
    const QString dir = m_session->currentRun().value(QStringLiteral("dir")).toString();
    if (dir.isEmpty() || !QFileInfo::exists(dir + QStringLiteral("/predictions.csv"))) {
        QMessageBox::information(this, tr("No predictions yet"), tr("Evaluate a model on test features first."));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Export predictions"), QDir::home().filePath(QStringLiteral("predictions.csv")),
                                                      tr("CSV (*.csv)"));
    QString error;
    if (!path.isEmpty() && !copyReplacing(dir + QStringLiteral("/predictions.csv"), path, &error))
        QMessageBox::warning(this, tr("Export failed"), error);
}

void MainWindow::exportFeatures()
{
    if (m_session->trainPrefix().isEmpty()) {
        QMessageBox::information(this, tr("No features yet"), tr("Extract features on the Features page first."));
        return;
    }
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export features to folder"), QDir::homePath());
    if (dir.isEmpty())
        return;
    QString error;
    for (const QString& prefix : {m_session->trainPrefix(), m_session->testPrefix()}) {
        if (prefix.isEmpty())
            continue;
        for (const QString& suffix : {QStringLiteral(".features.npy"), QStringLiteral(".labels.npy"), QStringLiteral(".json")})
            if (!copyReplacing(prefix + suffix, dir + QLatin1Char('/') + QFileInfo(prefix).fileName() + suffix, &error)) {
                QMessageBox::warning(this, tr("Export failed"), error);
                return;
            }
    }
    statusBar()->showMessage(tr("Features exported to %1").arg(QDir::toNativeSeparators(dir)), 8000);
}

void MainWindow::exportModel()
{
    const QString from = m_session->currentRun().value(QStringLiteral("dir")).toString();
    if (from.isEmpty()) {
        QMessageBox::information(this, tr("No model yet"), tr("Train a model on the SVM page first."));
        return;
    }
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export the model folder into"), QDir::homePath());
    if (dir.isEmpty())
        return;
    const QString to = dir + QLatin1Char('/') + QFileInfo(from).fileName();
    QDir().mkpath(to);
    QString error;
    for (const QFileInfo& f : QDir(from).entryInfoList(QDir::Files))
        if (!copyReplacing(f.absoluteFilePath(), to + QLatin1Char('/') + f.fileName(), &error)) {
            QMessageBox::warning(this, tr("Export failed"), error);
            return;
        }
    statusBar()->showMessage(tr("Model folder exported to %1").arg(QDir::toNativeSeparators(to)), 8000);
}

void MainWindow::showPreferences()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Preferences"));
    auto* form = new QFormLayout(&dialog);
    auto* workspace = new QLineEdit(m_session->workspace(), &dialog);
    auto* browse = new QPushButton(tr("Browse..."), &dialog);
    connect(browse, &QPushButton::clicked, &dialog, [&] {
        const QString d = QFileDialog::getExistingDirectory(&dialog, tr("Workspace"), workspace->text());
        if (!d.isEmpty())
            workspace->setText(d);
    });
    auto* row = new QHBoxLayout;
    row->addWidget(workspace, 1);
    row->addWidget(browse);
    auto* theme = new QComboBox(&dialog);
    theme->addItem(tr("System"), QStringLiteral("system"));
    theme->addItem(tr("Light"), QStringLiteral("light"));
    theme->addItem(tr("Dark"), QStringLiteral("dark"));
    QSettings settings;
    theme->setCurrentIndex(std::max(0, theme->findData(settings.value(QStringLiteral("theme"), QStringLiteral("system")))));
    form->addRow(tr("Workspace (features, runs)"), row);
    form->addRow(tr("Theme"), theme);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_session->setWorkspace(workspace->text());
    settings.setValue(QStringLiteral("workspace"), workspace->text());
    settings.setValue(QStringLiteral("theme"), theme->currentData());
    applyTheme(theme->currentData().toString());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    QStringList paths;
    for (const QUrl& u : event->mimeData()->urls())
        if (u.isLocalFile())
            paths << u.toLocalFile();
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    showPage(Classify);
    m_classify->classifyPaths(paths);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_session->runner()->activeCount() > 0) {
        const auto answer = QMessageBox::question(this, tr("Tasks are running"),
                                                  tr("Cancel the running tasks and quit? Finished results are kept."));
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/page"), int(currentPage()));
    settings.setValue(QStringLiteral("features"), m_session->featureSettings());
    settings.setValue(QStringLiteral("svm"), m_session->svmSettings());
    autosave();
    // Every task stops at its next check (between batches, grid points, or every 1,000
    // solver iterations inside a fit), so waiting for them is short; files are written
    // atomically, so what a stopped task leaves is complete or absent.
    hide();
    QElapsedTimer waited;
    waited.start();
    m_session->runner()->cancelAllAndWait(-1);
    if (waited.elapsed() > 1000)
        std::fprintf(stderr, "deepsvm: the running tasks took %.1f s to stop\n", double(waited.elapsed()) / 1000.0);
    event->accept();
}

}  // namespace deepsvm
