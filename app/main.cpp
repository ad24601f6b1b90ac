// No arguments: the desktop application. A command: the same engine, headless.
#include "cli/Cli.h"
#include "MainWindow.h"

#include <QApplication>
#include <QCoreApplication>

#include <cstring>

int main(int argc, char** argv)
{
    const bool gui = argc == 1 || (argc >= 2 && std::strcmp(argv[1], "--demo") == 0);
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
