// No arguments: the desktop application. A command: the same engine, headless.
#include "cli/Cli.h"

#include "MainWindow.h"
#include "Session.h"
#include "ScreenshotTour.h"
#include "pages/DataPage.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <memory>

namespace {

int runDesktop(int argc, char** argv)
{
    QApplication app(argc, argv);
    deepsvm::cli::setUpApplication();
    QApplication::setApplicationDisplayName(QStringLiteral("DeepSVM Studio"));
    QApplication::setWindowIcon(deepsvm::applicationIcon());
    deepsvm::MainWindow::applyTheme(QSettings().value(QStringLiteral("theme"), QStringLiteral("system")).toString());
    const QStringList args = app.arguments();
    const qsizetype tourAt = args.indexOf(QStringLiteral("--screenshot-tour"));
    std::unique_ptr<QTemporaryDir> tourWorkspace;
    if (tourAt > 0) {
        // A clean slate: default settings and a throw-away workspace.
        QCoreApplication::setOrganizationName(QStringLiteral("DeepSVM-screenshot-tour"));
        QSettings().clear();
        tourWorkspace = std::make_unique<QTemporaryDir>();
        QSettings().setValue(QStringLiteral("workspace"), tourWorkspace->path());
    }
    deepsvm::MainWindow window;
    if (tourAt > 0) {
        if (tourAt + 1 >= args.size()) {
            std::fprintf(stderr, "deepsvm: --screenshot-tour needs an output folder\n");
            return 2;
        }
        const qsizetype samplesAt = args.indexOf(QStringLiteral("--samples"));
        auto* tour = new deepsvm::ScreenshotTour(&window, args[tourAt + 1], samplesAt > 0 ? args.value(samplesAt + 1) : QString(), &window);
        QObject::connect(tour, &deepsvm::ScreenshotTour::done, &app, [](int code) { QCoreApplication::exit(code); });
        window.resize(1280, 820);
        window.show();
        QTimer::singleShot(200, tour, &deepsvm::ScreenshotTour::start);
        const int code = app.exec();
        QSettings().clear();
        return code;
    }
    const bool demo = app.arguments().contains(QStringLiteral("--demo"));
    if (!demo)
        window.restoreLastExperiment();
    window.show();
    if (demo) {
        // The offline demo: the synthetic STL-10-format set, made once and reused.
        QTimer::singleShot(0, &window, [&window] {
            const QString dir = window.session()->workspace() + QStringLiteral("/demo");
            window.showPage(deepsvm::MainWindow::Data);
            if (QFileInfo::exists(dir + QStringLiteral("/stl10_binary/train_X.bin")))
                window.dataPage()->openFolder(dir);
            else
                window.dataPage()->makeDemoSet(dir, 100, 80, 0);
        });
    }
    return app.exec();
}

}  // namespace

int main(int argc, char** argv)
{
    const bool gui = argc == 1 || (argc >= 2 && (std::strcmp(argv[1], "--demo") == 0 || std::strcmp(argv[1], "--screenshot-tour") == 0));
    if (gui)
        return runDesktop(argc, argv);
    // `run` renders charts: it needs a QApplication, but never a screen.
    const bool rendersCharts = argc >= 2 && std::strcmp(argv[1], "run") == 0;
    if (rendersCharts) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        QApplication app(argc, argv);
        deepsvm::cli::setUpApplication();
        return deepsvm::cli::run(app.arguments());
    }
    QCoreApplication app(argc, argv);
    deepsvm::cli::setUpApplication();
    return deepsvm::cli::run(app.arguments());
}
