// No arguments: the desktop application. A command: the same engine, headless.
#include "cli/Cli.h"
#include "MainWindow.h"

#include <QApplication>
#include <QCoreApplication>

#include <cstring>

int main(int argc, char** argv)
{
    const bool gui = argc == 1 || (argc >= 2 && std::strcmp(argv[1], "--demo") == 0);
    // `run` renders charts: it needs a QApplication, but never a screen.
    const bool rendersCharts = argc >= 2 && std::strcmp(argv[1], "run") == 0;
    if (rendersCharts) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        QApplication app(argc, argv);
        deepsvm::cli::setUpApplication();
        return deepsvm::cli::run(app.arguments());
    }
    if (!gui) {
        QCoreApplication app(argc, argv);
        deepsvm::cli::setUpApplication();
        return deepsvm::cli::run(app.arguments());
    }
    QApplication app(argc, argv);
    deepsvm::cli::setUpApplication();
    deepsvm::MainWindow window;
    window.show();
    return app.exec();
}
