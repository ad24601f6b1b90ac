#include "cli/Cli.h"
#include "cli/Progress.h"
#include "cli/SvmCliOptions.h"

#include "data/ImageFolder.h"
#include "io/AtomicFile.h"
#include "io/Csv.h"
#include "pipeline/Classifier.h"
#include "svm/SvmTask.h"

#include <QFileInfo>

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

int commandClassify(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto model = makeOption("model", "Model folder written by 'deepsvm svm' or 'deepsvm run'.", "DIR");
    const auto top = makeOption("top", "How many classes to print per image.", "K", "5");
    const auto csv = makeOption("csv", "Also write path,predicted,p_<class>...,far_from_training per image.", "FILE");
    const auto batch = makeOption("batch-size", "Images per batch through the network.", "B", "32");
    for (const auto& o : {model, top, csv, batch})
        p.addOption(o);
    p.addPositionalArgument(QStringLiteral("PATH"), QStringLiteral("Image files, or folders (searched recursively)."),
                            QStringLiteral("PATH..."));
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Classify image files with a trained model."), &code))
        return code;
    if (!p.isSet(model) || p.positionalArguments().isEmpty()) {
        printError(QStringLiteral("classify needs --model DIR and at least one PATH (see --help)"));
        return 2;
    }
    bool ok = false, batchOk = false;
    const int k = p.value(top).toInt(&ok);
    const int batchSize = p.value(batch).toInt(&batchOk);
    if (!ok || k < 1 || !batchOk || batchSize < 1 || batchSize > 4096) {
        printError(QStringLiteral("--top takes a whole number >= 1 and --batch-size one in 1..4096"));
        return 2;
    }
    // Files named on the command line must be images; what a folder walk passes over (a
    // README, a link back up the tree) is reported but is no failure.
    std::vector<std::string> paths, skipped;
    int refused = 0;
    for (const QString& path : p.positionalArguments()) {
        std::vector<std::string> why;
        const auto found = listImageFiles(path.toStdString(), &why);
        refused += int(found.empty() && !QFileInfo(path).isDir());
        paths.insert(paths.end(), found.begin(), found.end());
        skipped.insert(skipped.end(), why.begin(), why.end());
    }
    for (const auto& s : skipped)
        printError(QString::fromStdString(s));
    try {
        const Classifier classifier(p.value(model).toStdString());
        installInterruptHandler();
        ProgressPrinter printer(QStringLiteral("img"));
        const auto results = classifier.classifyMany(
            paths, k, batchSize,
            [&](int64_t done, int64_t total) {
                if (total > batchSize)  // one batch needs no progress line
                    printer.update(done, total, QString());
            },
            [] { return interruptRequested(); });
        printer.finish();
        int failures = refused;
        for (const auto& r : results) {
            if (!r.error.empty()) {
                printError(QString::fromStdString(r.error));
                ++failures;
                continue;
            }
            std::printf("%s%s\n", r.path.c_str(), r.farFromTraining ? "  (far from the training data: treat with care)" : "");
            for (const auto& c : r.top)
                std::printf("  %-20s %.4f\n", c.name.c_str(), c.probability);
        }
        if (p.isSet(csv))
            writeClassificationCsv(p.value(csv).toStdString(), results, classifier.classNames());
        if (paths.empty())
            printError(QStringLiteral("no image files to classify"));
        return failures || paths.empty() ? 1 : 0;
    } catch (const Cancelled&) {
        printError(QStringLiteral("classification cancelled"));
        return 130;
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
}

}  // namespace deepsvm::cli
