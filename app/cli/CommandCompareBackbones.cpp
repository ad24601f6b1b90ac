// deepsvm compare-backbones: the Backbones board headless.
#include "cli/Cli.h"
#include "cli/Progress.h"
#include "cli/SvmCliOptions.h"

#include "nets/Backbones.h"
#include "pipeline/BackboneBoard.h"
#include "project/Fetch.h"
#include "render/BoardImage.h"
#include "svm/SvmParams.h"

#include <QCommandLineParser>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <cstdio>

namespace deepsvm::cli {

namespace {

QStringList commaList(const QString& text)
{
    QStringList out;
    for (const QString& s : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        out << s.trimmed();
    return out;
}

/// The weights of each backbone: `policy` "auto" takes torchvision's file when it is on this
/// machine (else random weights, said on stderr), "random" always random, a file is used as is
/// (only with one backbone).
std::string weightsFor(const std::string& backbone, const QString& policy, std::size_t backbones)
{
    if (policy == QStringLiteral("random"))
        return "random";
    if (policy != QStringLiteral("auto")) {
        if (backbones != 1)
            throw std::invalid_argument("--weights FILE needs exactly one backbone; with several use auto or random");
        return policy.toStdString();
    }
    const QStringList found = findWeights(QString::fromStdString(backbone));
    if (found.isEmpty()) {
        std::fprintf(stderr, "%s: no torchvision weights on this machine (deepsvm fetch %s); comparing it with random "
                             "weights\n", backbone.c_str(), backbone.c_str());
        return "random";
    }
    std::fprintf(stderr, "%s: using %s\n", backbone.c_str(), found.first().toUtf8().constData());
    return found.first().toStdString();
}

void printBoard(const BoardResult& board)
{
    std::fprintf(stderr, "\n%-18s %-12s %-14s %7s %6s %8s %15s\n", "backbone", "layer", "weights", "top-1", "dim", "img/s",
                 "CV accuracy");
    for (std::size_t i = 0; i < board.rows.size(); ++i) {
        const BoardRow& r = board.rows[i];
        const QString top1 = std::isfinite(r.imagenetTop1) ? QString::number(r.imagenetTop1, 'f', 1) + QLatin1Char('%')
                                                           : QStringLiteral("-");
        std::fprintf(stderr, "%-18s %-12s %-14s %7s %6lld %8.1f %8.4f ± %.4f%s\n", r.candidate.backbone.c_str(),
                     r.candidate.layer.c_str(), r.weightsTag.empty() ? (r.candidate.weights == "random" ? "random" : "file")
                                                                      : r.weightsTag.c_str(),
                     top1.toUtf8().constData(), static_cast<long long>(r.featureDim), r.imagesPerSecond, r.cvMean, r.cvStd,
                     int(i) == board.best ? "  <- best" : "");
    }
}

}  // namespace

int commandCompareBackbones(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto data = makeOption("data", "Dataset folder: STL-10 or folder-per-class images (its training split is compared).", "DIR");
    const auto backbones = makeOption("backbones", "torchvision names, comma separated: resnet18|34|50|101|152, "
                                                   "convnext_tiny|small|base|large.", "LIST");
    const auto layers = makeOption("layers", "Layers per backbone: penultimate, logits (comma list).", "LIST", "penultimate");
    const auto weights = makeOption("weights", "auto (torchvision's file when it is in $TORCH_HOME or ~/.cache/torch/hub/"
                                               "checkpoints, else random), random, or a file (one backbone).", "W", "auto");
    const auto out = makeOption("out", "Board folder: board.csv, board.json, board.png, one SVM report per candidate.", "DIR");
    const auto cache = makeOption("cache", "Feature cache folder (default: OUT/features).", "DIR");
    const auto folds = makeOption("folds", "Stratified K-fold cross-validation.", "K", "5");
    const auto kernel = makeOption("kernel", "Kernels of the board's grid.", "K", "linear,rbf");
    const auto C = makeOption("C", "C values of the board's grid.", "LIST", "0.1,1,10");
    const auto gamma = makeOption("gamma", "gamma values (rbf, poly, sigmoid).", "LIST", "scale");
    const auto size = makeOption("size", "Crop size for every backbone (default: each backbone's, 224).", "N");
    const auto precision = makeOption("precision", "fp32 or bf16.", "P", "fp32");
    const auto batch = makeOption("batch-size", "Images per batch.", "B", "32");
    const auto limit = makeOption("limit", "At most N images (for a quick trial).", "N");
    const auto seed = makeOption("weights-seed", "Seed for random weights.", "S", "0");
    const auto json = makeOption("json", "Print board.json on stdout.");
    for (const auto& o : {data, backbones, layers, weights, out, cache, folds, kernel, C, gamma, size, precision, batch, limit, seed, json})
        p.addOption(o);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Compare backbones on your own images: per backbone and layer, extract "
                                                   "(cached), cross-validate a small SVM grid, and tabulate CV accuracy "
                                                   "beside extraction speed, feature size and ImageNet top-1."), &code))
        return code;
    if (!p.isSet(data) || !p.isSet(backbones) || !p.isSet(out)) {
        printError(QStringLiteral("compare-backbones needs --data DIR, --backbones a,b,c and --out DIR (see --help)"));
        return 2;
    }
    BoardOptions o;
    try {
        const QStringList names = commaList(p.value(backbones)), layerNames = commaList(p.value(layers));
        if (names.isEmpty() || layerNames.isEmpty())
            throw std::invalid_argument("--backbones and --layers need at least one name each");
        for (const QString& b : names) {
            checkBackbone(b.toStdString());
            const std::string w = weightsFor(b.toStdString(), p.value(weights), std::size_t(names.size()));
            for (const QString& l : layerNames) {
                canonicalLayer(b.toStdString(), l.toStdString());
                o.candidates.push_back({b.toStdString(), l.toStdString(), w});
            }
        }
        o.extract.data = p.value(data).toStdString();
        o.extract.precision = p.value(precision).toStdString();
        if (o.extract.precision != "fp32" && o.extract.precision != "bf16")
            throw std::invalid_argument("--precision is fp32 or bf16");
        bool ok = true, allOk = true;
        o.extract.size = p.isSet(size) ? p.value(size).toInt(&ok) : 0; allOk &= ok;
        o.extract.batchSize = p.value(batch).toInt(&ok); allOk &= ok;
        o.extract.seed = p.value(seed).toULongLong(&ok); allOk &= ok;
        if (p.isSet(limit)) { o.extract.limit = p.value(limit).toLongLong(&ok); allOk &= ok; }
        o.svm.folds = p.value(folds).toInt(&ok); allOk &= ok;
        if (!allOk)
            throw std::invalid_argument("--size, --batch-size, --weights-seed, --limit and --folds take whole numbers");
        o.svm.kernels.clear();
        for (const QString& k : commaList(p.value(kernel))) o.svm.kernels.push_back(parseKernel(k.toStdString()));
        o.svm.C = parseValueList(p.value(C).toStdString(), "--C");
        o.svm.gamma = parseGammaList(p.value(gamma).toStdString(), "--gamma");
        o.outDir = p.value(out).toStdString();
        o.cacheDir = p.isSet(cache) ? p.value(cache).toStdString() : o.outDir + "/features";
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 2;
    }

    BoardTask task(o);
    installInterruptHandler(&task);
    ProgressPrinter printer(QStringLiteral("steps"), 5.0);  // 1,000 per candidate
    int exitCode = 1;
    BoardResult board;
    QObject::connect(&task, &Task::progress, &task, [&](qint64 done, qint64 total, const QString& message) {
        printer.update(done, total, message);
    });
    QObject::connect(&task, &Task::partialResult, &task, [&](const QVariant& v) {
        if (v.canConvert<BoardRow>()) {
            const BoardRow r = v.value<BoardRow>();
            printer.println(QStringLiteral("%1 %2: CV accuracy %3 ± %4 (%5-d, %6 img/s%7)")
                                .arg(QString::fromStdString(r.candidate.backbone), QString::fromStdString(r.candidate.layer))
                                .arg(r.cvMean, 0, 'f', 4).arg(r.cvStd, 0, 'f', 4).arg(r.featureDim)
                                .arg(r.imagesPerSecond, 0, 'f', 1)
                                .arg(r.reused ? QStringLiteral(", features from the cache") : QString()));
        }
    });
    reportTaskEnd(task, &exitCode, [] { return QStringLiteral("cancelled; board.csv keeps the backbones that finished"); },
                  [&] { printer.finish(); });
    QObject::connect(&task, &Task::finished, &task, [&](const QVariant& v) {
        printer.finish();
        board = v.value<BoardResult>();
        exitCode = 0;
    });
    task.run();
    installInterruptHandler(nullptr);
    if (exitCode != 0)
        return exitCode;
    std::vector<BoardBar> bars;
    for (std::size_t i = 0; i < board.rows.size(); ++i)
        bars.push_back(boardBarFromJson(board.rows[i].toJson(), int(i) == board.best));
    const QString outDir = QString::fromStdString(o.outDir);
    if (!writeBoardChart(bars, outDir + QStringLiteral("/board.png"))) {
        printError(outDir + QStringLiteral("/board.png: cannot write"));
        return 1;
    }
    printBoard(board);
    std::fprintf(stderr, "wrote %s/board.csv, board.json, board.png\n", outDir.toUtf8().constData());
    if (p.isSet(json))
        std::fputs(QJsonDocument(board.toJson(o)).toJson().constData(), stdout);
    return 0;
}

}  // namespace deepsvm::cli
