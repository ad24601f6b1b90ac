#include "cli/Cli.h"
#include "cli/Progress.h"

#include "data/DemoData.h"

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

int commandDemoData(const QStringList& arguments)
{
    QCommandLineParser p;
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Folder to write (DIR/stl10_binary/...)."), QStringLiteral("DIR"));
    const QCommandLineOption train(QStringLiteral("train-per-class"), QStringLiteral("Training images per class."), QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption test(QStringLiteral("test-per-class"), QStringLiteral("Test images per class."), QStringLiteral("M"), QStringLiteral("80"));
    const QCommandLineOption unlabeled(QStringLiteral("unlabeled"), QStringLiteral("Unlabeled images."), QStringLiteral("K"), QStringLiteral("0"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed (same seed, same bytes)."), QStringLiteral("S"), QStringLiteral("1"));
    for (const auto& o : {out, train, test, unlabeled, seed})
        p.addOption(o);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Write a synthetic ten-class dataset in the exact STL-10 binary layout."), &code))
        return code;
    if (!p.isSet(out)) {
        printError(QStringLiteral("demo-data needs --out DIR"));
        return 2;
    }
    DemoOptions o;
    bool ok1 = false, ok2 = false, ok3 = false, ok4 = false;
    o.trainPerClass = p.value(train).toInt(&ok1);
    o.testPerClass = p.value(test).toInt(&ok2);
    o.unlabeled = p.value(unlabeled).toInt(&ok3);
    o.seed = p.value(seed).toULongLong(&ok4);
    if (!ok1 || !ok2 || !ok3 || !ok4 || o.trainPerClass < 1 || o.testPerClass < 1 || o.unlabeled < 0) {
        printError(QStringLiteral("--train-per-class and --test-per-class need numbers >= 1, --unlabeled >= 0"));
        return 2;
    }
    installInterruptHandler();
    ProgressPrinter printer(QStringLiteral("img"));
    try {
        const bool done = writeDemoStl10(p.value(out).toStdString(), o, [&](int64_t d, int64_t t) {
            printer.update(d, t, QString());
            return !interruptRequested();
        });
        printer.finish();
        if (!done) {
            printError(QStringLiteral("cancelled; no partial files were left"));
            return 130;
        }
    } catch (const std::exception& e) {
        printer.finish();
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
    std::fprintf(stderr, "wrote %s/stl10_binary (%d train, %d test, %d unlabeled images)\n",
                 p.value(out).toUtf8().constData(), o.trainPerClass * 10, o.testPerClass * 10, o.unlabeled);
    return 0;
}

}  // namespace deepsvm::cli
