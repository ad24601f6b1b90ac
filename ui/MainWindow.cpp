#include "MainWindow.h"

#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QStatusBar>

namespace deepsvm {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("DeepSVM Studio"));
    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
    auto* text = new QLabel(this);
    text->setTextFormat(Qt::RichText);
    text->setAlignment(Qt::AlignCenter);
    text->setWordWrap(true);
    text->setText(tr("<h2>DeepSVM Studio %1</h2>"
                     "<p>The point-and-click pages are not built yet.</p>"
                     "<p>Every step already runs headless:</p>"
                     "<p><code>deepsvm demo-data --out demo</code><br>"
                     "<code>deepsvm run --data demo --out demo/report</code><br>"
                     "<code>deepsvm classify --model demo/report photo.jpg</code></p>"
                     "<p><code>deepsvm --help</code> lists the commands.</p>")
                      .arg(QStringLiteral(DEEPSVM_VERSION)));
    text->setMargin(24);
    setCentralWidget(text);
    statusBar()->showMessage(tr("No dataset loaded"));
    resize(720, 480);
}

}  // namespace deepsvm
