// deepsvm-studio: the desktop application. Given a command it runs it headless, with the same
// code as deepsvm-cli (cli::runHeadless).
#include "cli/Cli.h"
#include "svm/Gram.h"

#include "MainWindow.h"
#include "Session.h"
#include "ScreenshotTour.h"
#include "pages/ClassifyPage.h"
#include "pages/DataPage.h"
#include "pages/FeaturesPage.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <csignal>
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
        window.markRestored();
        window.show();
        QTimer::singleShot(200, tour, &deepsvm::ScreenshotTour::start);
        const int code = app.exec();
        QSettings().clear();
        return code;
    }
    const bool demo = args.contains(QStringLiteral("--demo"));
    if (!demo)
        window.restoreLastExperiment();
    else
        window.markRestored();
    // --data and --weights win over everything restored or found.
    if (const qsizetype i = args.indexOf(QStringLiteral("--weights")); i > 0 && i + 1 < args.size())
        window.featuresPage()->setWeightsFile(QFileInfo(args[i + 1]).absoluteFilePath());
    bool opened = false;
    if (const qsizetype i = args.indexOf(QStringLiteral("--data")); i > 0 && i + 1 < args.size())
        opened = window.dataPage()->openFolder(QFileInfo(args[i + 1]).absoluteFilePath());
    window.show();
    QStringList files;
    for (qsizetype i = 1; i < args.size(); ++i)
        if (!args[i].startsWith(QLatin1Char('-')) && QFileInfo::exists(args[i]) && !(i > 1 && args[i - 1].startsWith(QLatin1Char('-'))))
            files << QFileInfo(args[i]).absoluteFilePath();
    if (!files.isEmpty()) {
        window.showPage(deepsvm::MainWindow::Classify);
        window.classifyPage()->classifyPaths(files);
    } else if (!demo && !opened && !window.session()->dataset()) {
        window.showWelcome();  // first run, or nothing to reopen
    }
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

/// Writes the drawn application icon as deepsvm-<size>.png (for packaging, at build time).
int writeIcons(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QString dir = app.arguments().value(2);
    if (dir.isEmpty() || !QDir().mkpath(dir)) {
        std::fprintf(stderr, "deepsvm: --write-icons needs a writable folder\n");
        return 2;
    }
    const QIcon icon = deepsvm::applicationIcon();
    for (int side : {16, 32, 48, 64, 128, 256})
        if (!icon.pixmap(side, side).save(QStringLiteral("%1/deepsvm-%2.png").arg(dir).arg(side))) {
            std::fprintf(stderr, "deepsvm: cannot write icons into %s\n", dir.toUtf8().constData());
            return 1;
        }
    return 0;
}

int main(int argc, char** argv)
{
    deepsvm::selectBlasKernels();
    // A full disk or a file-size limit (`ulimit -f`) must give a write error naming the file,
    // not kill the process with SIGXFSZ.
    std::signal(SIGXFSZ, SIG_IGN);
    if (argc >= 2 && std::strcmp(argv[1], "--write-icons") == 0)
        return writeIcons(argc, argv);
    if (deepsvm::cli::opensWindow(argc, argv))
        return runDesktop(argc, argv);
    // A command: the same code as deepsvm-cli (which the launcher uses), so
    // `deepsvm-studio <command>` keeps working.
    return deepsvm::cli::runHeadless(argc, argv);
}
