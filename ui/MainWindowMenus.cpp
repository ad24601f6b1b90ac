// MainWindow's menu bar (File, View, Help): every action the window offers, with its shortcut.
#include "MainWindow.h"

#include "Session.h"
#include "pages/DataPage.h"

#include <QAction>
#include <QDockWidget>
#include <QFileDialog>
#include <QKeySequence>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>

namespace deepsvm {

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open dataset folder..."), QKeySequence::Open, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open dataset folder"), m_session->datasetDir());
        if (!dir.isEmpty() && m_data->openFolder(dir))
            showPage(Data);
    });
    file->addAction(tr("Make &demo set..."), this, [this] {
        showPage(Data);
        m_data->makeDemoSet(m_session->workspace() + QStringLiteral("/demo"), 100, 80, 0);
    });
    file->addSeparator();
    file->addAction(tr("Open e&xperiment..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open experiment"), m_session->workspace(), tr("Experiments (*.json)"));
        QString error;
        if (!path.isEmpty() && !openExperiment(path, &error))
            QMessageBox::warning(this, tr("Cannot open the experiment"), error);
    });
    auto saveAs = [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save experiment"), m_session->workspace() + QStringLiteral("/experiment.json"),
                                                          tr("Experiments (*.json)"));
        QString error;
        if (!path.isEmpty() && !saveExperiment(path, &error))
            QMessageBox::warning(this, tr("Cannot save the experiment"), error);
    };
    file->addAction(tr("&Save experiment"), QKeySequence::Save, this, [this, saveAs] {
        QString error;
        if (m_experimentPath.isEmpty())
            saveAs();
        else if (!saveExperiment(m_experimentPath, &error))
            QMessageBox::warning(this, tr("Cannot save the experiment"), error);
    });
    file->addAction(tr("Save experiment &as..."), QKeySequence::SaveAs, this, saveAs);
    file->addSeparator();
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->addAction(tr("&Report (HTML and PDF)..."), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                          [this] { askExportReport(m_session->currentRun()); });
    exportMenu->addAction(tr("&Predictions (CSV)..."), this, &MainWindow::exportPredictions);
    exportMenu->addAction(tr("&Features (.npy)..."), this, &MainWindow::exportFeatures);
    exportMenu->addAction(tr("&Model folder..."), this, &MainWindow::exportModel);
    file->addSeparator();
    QAction* preferences = file->addAction(tr("&Preferences..."), this, &MainWindow::showPreferences);
    preferences->setShortcuts({QKeySequence(QKeySequence::Preferences), QKeySequence(Qt::CTRL | Qt::Key_Comma)});
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QStringList names{tr("&Data"), tr("&Features"), tr("&SVM"), tr("&Evaluation"), tr("&Classify"), tr("&Runs"),
                            tr("Fine-&tune"), tr("&Label issues"), tr("&Backbones")};
    for (int i = 0; i < names.size(); ++i)
        view->addAction(names[i], QKeySequence(Qt::CTRL | (Qt::Key_1 + i)), this, [this, i] { showPage(Page(i)); });
    view->addSeparator();
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Getting started (data and weights)"), QKeySequence::HelpContents, this, &MainWindow::showWelcome);
    help->addAction(tr("&About DeepSVM Studio"), this, [this] {
        QMessageBox::about(this, tr("About DeepSVM Studio"),
                           tr("<h3>DeepSVM Studio %1</h3><p>ResNet features + multiclass SVM, from images to ROC curves.</p>"
                              "<p>Every step also runs headless: <code>deepsvm --help</code>.</p>").arg(QStringLiteral(DEEPSVM_VERSION)));
    });
}

}  // namespace deepsvm
