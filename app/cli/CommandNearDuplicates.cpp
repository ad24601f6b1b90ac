// deepsvm near-duplicates: pairs of images whose features nearly coincide, within one feature
// set or across two (test against train: leakage).
#include "cli/Cli.h"
#include "cli/SvmCliOptions.h"

#include "features/FeatureStore.h"
#include "io/AtomicFile.h"
#include "io/Csv.h"
#include "svm/Similarity.h"

#include <cstdio>
#include <stdexcept>

namespace deepsvm::cli {

namespace {

std::string idOf(const FeatureSet& set, int64_t row)
{
    return std::size_t(row) < set.ids.size() ? set.ids[std::size_t(row)] : std::to_string(row);
}

}  // namespace

int commandNearDuplicates(const QStringList& arguments)
{
    QCommandLineParser p;
    const auto features = makeOption("features", "Feature files PREFIX (PREFIX.features.npy, PREFIX.json).", "PREFIX");
    const auto against = makeOption("against", "Compare every row of --features with every row of this set instead "
                                               "(e.g. --features test --against train: leakage).", "PREFIX");
    const std::string defaultThreshold = QString::number(kNearDuplicateThreshold).toStdString();
    const auto threshold = makeOption("threshold", "Cosine similarity (of features whitened along the set's leading "
                                                   "principal axes) at which two images count as near-duplicates.",
                                      "T", defaultThreshold.c_str());
    const auto top = makeOption("top", "At most this many pairs, the most similar (0: all).", "N", "0");
    const auto out = makeOption("out", "CSV file: a_index,a_id,b_index,b_id,similarity, most similar first.", "FILE.csv");
    for (const auto& o : {features, against, threshold, top, out})
        p.addOption(o);
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Pairs of images whose features nearly coincide: copies, re-encodes, "
                                                   "crops, and test images that leak from the training set."), &code))
        return code;
    if (!p.isSet(features) || !p.isSet(out)) {
        printError(QStringLiteral("near-duplicates needs --features PREFIX and --out FILE.csv (see --help)"));
        return 2;
    }
    NearDuplicateOptions o;
    bool ok = false, topOk = false;
    o.threshold = p.value(threshold).toDouble(&ok);
    o.top = p.value(top).toLongLong(&topOk);
    if (!ok || o.threshold < -1 || o.threshold > 1 || !topOk || o.top < 0) {
        printError(QStringLiteral("--threshold takes a similarity in [-1, 1] and --top a whole number >= 0"));
        return 2;
    }
    try {
        const FeatureSet a = FeatureStore::load(p.value(features).toStdString());
        const bool across = p.isSet(against);
        const FeatureSet b = across ? FeatureStore::load(p.value(against).toStdString()) : FeatureSet();
        if (across && b.cols != a.cols)
            throw std::invalid_argument(FeatureStore::featuresPath(p.value(against).toStdString()) + ": has "
                                        + std::to_string(b.cols) + " columns but --features has " + std::to_string(a.cols)
                                        + "; extract both with the same backbone and layer");
        // Across two sets: one space over both, the reference set (--against, the b side) first,
        // the --features rows (the a side) after it.
        const FeatureSet& reference = across ? b : a;
        const SimilaritySpace space = across ? SimilaritySpace(stackRows(b.values, a.values), b.rows + a.rows, a.cols)
                                             : SimilaritySpace(a.values, a.rows, a.cols);
        const std::vector<SimilarPair> pairs = nearDuplicates(space, across ? b.rows : -1, o);
        std::string csv = "a_index,a_id,b_index,b_id,similarity\n";
        for (const SimilarPair& s : pairs)
            csv += std::to_string(s.a) + "," + csvField(idOf(a, s.a)) + "," + std::to_string(s.b) + ","
                + csvField(idOf(reference, s.b)) + "," + csvNumber(s.similarity) + "\n";
        writeFileAtomically(p.value(out).toStdString(), QByteArray::fromStdString(csv));
        std::fprintf(stderr, "%zu pair(s) at similarity >= %g among %lld%s rows; %s\n", pairs.size(), o.threshold,
                     static_cast<long long>(a.rows),
                     across ? (" x " + std::to_string(b.rows)).c_str() : "", p.value(out).toUtf8().constData());
        return 0;
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
}

}  // namespace deepsvm::cli
