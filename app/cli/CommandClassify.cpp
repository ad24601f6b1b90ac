#include "cli/Cli.h"
#include "cli/SvmCliOptions.h"

#include "pipeline/Classifier.h"

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

int commandClassify(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto model = makeOption("model", "Model folder written by 'deepsvm svm' or 'deepsvm run'.", "DIR");
    const auto top = makeOption("top", "How many classes to print per image.", "K", "5");
    p.addOption(model);
    p.addOption(top);
    p.addPositionalArgument(QStringLiteral("IMAGE"), QStringLiteral("Image files to classify."), QStringLiteral("IMAGE..."));
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Classify image files with a trained model."), &code))
        return code;
    if (!p.isSet(model) || p.positionalArguments().isEmpty()) {
        printError(QStringLiteral("classify needs --model DIR and at least one IMAGE (see --help)"));
        return 2;
    }
    bool ok = false;
    const int k = p.value(top).toInt(&ok);
    if (!ok || k < 1) {
        printError(QStringLiteral("--top takes a whole number >= 1"));
        return 2;
    }
    try {
        const Classifier classifier(p.value(model).toStdString());
        int failures = 0;
        for (const QString& image : p.positionalArguments()) {
            const Classifier::Result r = classifier.classify(image.toStdString(), k);
            if (!r.error.empty()) {
                printError(QString::fromStdString(r.error));
                ++failures;
                continue;
            }
            std::printf("%s%s\n", r.path.c_str(), r.farFromTraining ? "  (far from the training data: treat with care)" : "");
            for (const auto& c : r.top)
                std::printf("  %-20s %.4f\n", c.name.c_str(), c.probability);
        }
        return failures ? 1 : 0;
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
}

}  // namespace deepsvm::cli
