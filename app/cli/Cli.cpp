#include "cli/Cli.h"

#include "data/Image.h"
#include "nets/TorchSetup.h"

#include <QCoreApplication>
#include <QGuiApplication>

#include <cstdio>
#include <functional>
#include <map>

namespace deepsvm::cli {

namespace {

struct Command {
    QString summary;
    std::function<int(const QStringList&)> run;
    bool drawsPictures = false;  ///< writes charts or heat maps: needs a QGuiApplication
};

const std::map<QString, Command>& commands()
{
    static const std::map<QString, Command> all = {
        {QStringLiteral("extract"), {QStringLiteral("extract ResNet features of a dataset to .npy + .json"), commandExtract}},
        {QStringLiteral("run"), {QStringLiteral("the whole study: features, grid search, final model, report and charts"), commandRun, true}},
        {QStringLiteral("classify"), {QStringLiteral("classify image files with a trained model"), commandClassify}},
        {QStringLiteral("svm"), {QStringLiteral("grid-search, train and evaluate an SVM on feature files"), commandSvm}},
        {QStringLiteral("finetune"), {QStringLiteral("fine-tune chosen layers of a ResNet with a new head (resumable)"), commandFinetune}},
        {QStringLiteral("sweep"), {QStringLiteral("fine-tune each candidate layer with one budget and compare them"), commandSweep, true}},
        {QStringLiteral("gradcam"), {QStringLiteral("Grad-CAM heat map of an image, through an SVM model or a network's head"), commandGradCam, true}},
        {QStringLiteral("fetch"), {QStringLiteral("download STL-10 or torchvision's ImageNet weights (resumable, checksummed)"), commandFetch}},
        {QStringLiteral("label-issues"), {QStringLiteral("training images whose label looks wrong (confident learning)"), commandLabelIssues}},
        {QStringLiteral("near-duplicates"), {QStringLiteral("pairs of near-identical images, within a set or test against train"), commandNearDuplicates}},
        {QStringLiteral("compare-backbones"), {QStringLiteral("compare backbones (and layers) on your images: CV accuracy, speed, feature size"), commandCompareBackbones, true}},
        {QStringLiteral("demo-data"), {QStringLiteral("write a synthetic dataset in the STL-10 layout"), commandDemoData}},
    };
    return all;
}

void printUsage(FILE* to)
{
    QString text = QStringLiteral(
        "DeepSVM Studio %1 - ResNet features + SVM image classification\n\n"
        "Usage:\n"
        "  deepsvm                 start the desktop application\n"
        "  deepsvm --demo          start it on the offline demo set\n"
        "  deepsvm [--data DIR] [--weights FILE]   start it on this dataset / with these weights\n"
        "  deepsvm <command> ...   run one step headless (deepsvm <command> --help)\n"
        "  deepsvm --version | --help\n\nCommands:\n")
                       .arg(QStringLiteral(DEEPSVM_VERSION));
    for (const auto& [name, cmd] : commands())
        text += QStringLiteral("  %1 %2\n").arg(name, -12).arg(cmd.summary);
    std::fputs(text.toUtf8().constData(), to);
}

}  // namespace

void setUpApplication()
{
    setUpIdentity();
    configureImageDecoding();
    setUpTorch();
}

bool drawsPictures(const QString& command)
{
    const auto it = commands().find(command);
    return it != commands().end() && it->second.drawsPictures;
}

int runHeadless(int argc, char** argv)
{
    if (argc >= 2 && drawsPictures(QString::fromLocal8Bit(argv[1]))) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        QGuiApplication app(argc, argv);
        setUpApplication();
        return run(app.arguments());
    }
    QCoreApplication app(argc, argv);
    setUpApplication();
    return run(app.arguments());
}

int run(const QStringList& arguments)
{
    const QString first = arguments.value(1);
    if (first == QLatin1String("--version") || first == QLatin1String("-v")) {
        std::printf("deepsvm %s\n", DEEPSVM_VERSION);
        return 0;
    }
    if (first == QLatin1String("--help") || first == QLatin1String("-h") || first == QLatin1String("help")) {
        printUsage(stdout);
        return 0;
    }
    const auto it = commands().find(first);
    if (it == commands().end()) {
        printError(QStringLiteral("unknown command '%1'").arg(first));
        printUsage(stderr);
        return 2;
    }
    QStringList rest = arguments.mid(1);
    rest[0] = QStringLiteral("deepsvm ") + first;
    return it->second.run(rest);
}

}  // namespace deepsvm::cli
