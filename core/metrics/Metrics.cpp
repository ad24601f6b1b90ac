#include "metrics/Metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace deepsvm {

int64_t ConfusionMatrix::total() const
{
    return std::accumulate(counts.begin(), counts.end(), int64_t(0));
}

ConfusionMatrix::OneVsRest ConfusionMatrix::oneVsRest(int k) const
{
    OneVsRest r{0, 0, 0, 0};
    for (int t = 0; t < classes; ++t)
        for (int p = 0; p < classes; ++p) {
            const int64_t n = at(t, p);
            if (t == k && p == k) r.tp += n;
            else if (t == k) r.fn += n;
            else if (p == k) r.fp += n;
            else r.tn += n;
        }
    return r;
}

ConfusionMatrix confusionMatrix(const std::vector<int>& truth, const std::vector<int>& predicted, int classes)
{
    if (truth.size() != predicted.size())
        throw std::invalid_argument("truth and predictions differ in length");
    ConfusionMatrix cm;
    cm.classes = classes;
    cm.counts.assign(std::size_t(classes * classes), 0);
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
            throw std::invalid_argument("label outside 0.." + std::to_string(classes - 1));
        ++cm.counts[std::size_t(truth[i] * classes + predicted[i])];
    }
    return cm;
}

std::vector<ClassMetrics> classReport(const ConfusionMatrix& cm)
{
    std::vector<ClassMetrics> out(std::size_t(cm.classes));
    for (int k = 0; k < cm.classes; ++k) {
        const auto o = cm.oneVsRest(k);
        ClassMetrics& m = out[std::size_t(k)];
        m.support = o.tp + o.fn;
        m.precision = o.tp + o.fp > 0 ? double(o.tp) / double(o.tp + o.fp) : 0.0;
        m.recall = o.tp + o.fn > 0 ? double(o.tp) / double(o.tp + o.fn) : 0.0;
        m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    }
    return out;
}

double accuracy(const ConfusionMatrix& cm)
{
    int64_t correct = 0;
    for (int k = 0; k < cm.classes; ++k)
        correct += cm.at(k, k);
    const int64_t n = cm.total();
    return n ? double(correct) / double(n) : 0.0;
}

double balancedAccuracy(const ConfusionMatrix& cm)
{
    double sum = 0;
    int present = 0;
    for (const auto& m : classReport(cm))
        if (m.support > 0) {
            sum += m.recall;
            ++present;
        }
    return present ? sum / present : 0.0;
}

double macroF1(const ConfusionMatrix& cm)
{
    const auto report = classReport(cm);
    double sum = 0;
    int used = 0;
    for (int k = 0; k < cm.classes; ++k) {
        const auto o = cm.oneVsRest(k);
        if (o.tp + o.fn + o.fp == 0)
            continue;  // neither in truth nor predicted: not among sklearn's labels
        sum += report[std::size_t(k)].f1;
        ++used;
    }
    return used ? sum / used : 0.0;
}

std::vector<RocPoint> rocCurve(const std::vector<bool>& positive, const std::vector<double>& score, bool dropIntermediate)
{
    const std::size_t n = score.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    // Descending score; stable like numpy's mergesort on -score.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
    std::vector<double> tps, fps, thresholds;
    double tp = 0, fp = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = order[i];
        (positive[k] ? tp : fp) += 1;
        const bool lastOfValue = i + 1 == n || score[order[i + 1]] != score[k];
        if (lastOfValue) {
            tps.push_back(tp);
            fps.push_back(fp);
            thresholds.push_back(score[k]);
        }
    }
    if (dropIntermediate && fps.size() > 2) {
        // Keep points where the curve bends (second differences non-zero), plus the ends.
        std::vector<std::size_t> keep{0};
        for (std::size_t i = 1; i + 1 < fps.size(); ++i) {
            const double d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1];
            const double d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1];
            if (d2f != 0 || d2t != 0)
                keep.push_back(i);
        }
        keep.push_back(fps.size() - 1);
        std::vector<double> f2, t2, th2;
        for (std::size_t i : keep) {
            f2.push_back(fps[i]);
            t2.push_back(tps[i]);
            th2.push_back(thresholds[i]);
        }
        fps.swap(f2);
        tps.swap(t2);
        thresholds.swap(th2);
    }
    std::vector<RocPoint> curve;
    curve.reserve(fps.size() + 1);
    const double totalP = tps.empty() ? 0 : tps.back();
    const double totalN = fps.empty() ? 0 : fps.back();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    curve.push_back({0.0, 0.0, thresholds.empty() ? 1.0 : thresholds.front() + 1.0});
    for (std::size_t i = 0; i < fps.size(); ++i)
        curve.push_back({totalN > 0 ? fps[i] / totalN : nan, totalP > 0 ? tps[i] / totalP : nan, thresholds[i]});
    return curve;
}

double areaUnderCurve(const std::vector<RocPoint>& c)
{
    double area = 0;
    for (std::size_t i = 1; i < c.size(); ++i)
        area += (c[i].fpr - c[i - 1].fpr) * (c[i].tpr + c[i - 1].tpr) / 2.0;
    return area;
}

RocSet rocOneVsRest(const std::vector<int>& truth, const std::vector<double>& scores, int classes)
{
    const std::size_t n = truth.size();
    if (scores.size() != n * std::size_t(classes))
        throw std::invalid_argument("score matrix does not have one column per class");
    RocSet set;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<bool> allPositive;
    std::vector<double> allScores;
    allPositive.reserve(n * std::size_t(classes));
    allScores.reserve(n * std::size_t(classes));
    for (std::size_t i = 0; i < n; ++i)
        for (int k = 0; k < classes; ++k) {
            allPositive.push_back(truth[i] == k);
            allScores.push_back(scores[i * std::size_t(classes) + std::size_t(k)]);
        }
    double aucSum = 0;
    int aucCount = 0;
    for (int k = 0; k < classes; ++k) {
        std::vector<bool> pos(n);
        std::vector<double> s(n);
        std::size_t positives = 0;
        for (std::size_t i = 0; i < n; ++i) {
            pos[i] = truth[i] == k;
            positives += pos[i];
            s[i] = scores[i * std::size_t(classes) + std::size_t(k)];
        }
        set.perClass.push_back(rocCurve(pos, s));
        const bool defined = positives > 0 && positives < n;
        set.auc.push_back(defined ? areaUnderCurve(set.perClass.back()) : nan);
        if (defined) {
            aucSum += set.auc.back();
            ++aucCount;
        }
    }
    set.aucMacro = aucCount ? aucSum / aucCount : nan;
    set.micro = rocCurve(allPositive, allScores);
    set.aucMicro = areaUnderCurve(set.micro);
    // Macro curve: every class's TPR interpolated at the union of FPRs, averaged.
    std::vector<double> grid;
    for (const auto& c : set.perClass)
        for (const auto& p : c)
            if (!std::isnan(p.fpr))
                grid.push_back(p.fpr);
    std::sort(grid.begin(), grid.end());
    grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
    for (double f : grid) {
        double sum = 0;
        int used = 0;
        for (const auto& c : set.perClass) {
            if (c.size() < 2 || std::isnan(c.back().fpr) || std::isnan(c.back().tpr))
                continue;
            // numpy.interp on a non-decreasing fpr: the last point at or below f, then linear.
            std::size_t j = 0;
            while (j + 1 < c.size() && c[j + 1].fpr <= f)
                ++j;
            double t = c[j].tpr;
            if (j + 1 < c.size() && c[j + 1].fpr > c[j].fpr)
                t = c[j].tpr + (c[j + 1].tpr - c[j].tpr) * (f - c[j].fpr) / (c[j + 1].fpr - c[j].fpr);
            sum += t;
            ++used;
        }
        set.macro.push_back({f, used ? sum / used : nan, nan});
    }
    return set;
}

std::vector<double> ovrFromOvo(const std::vector<double>& ovo, int64_t rows, int classes)
{
    const int pairs = classes * (classes - 1) / 2;
    if (ovo.size() != std::size_t(rows) * std::size_t(pairs))
        throw std::invalid_argument("one-vs-one decision values do not match " + std::to_string(classes) + " classes");
    std::vector<double> votes(std::size_t(rows * classes), 0.0), conf(std::size_t(rows * classes), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
        int k = 0;
        for (int i = 0; i < classes; ++i)
            for (int j = i + 1; j < classes; ++j, ++k) {
                const double d = ovo[std::size_t(r * pairs + k)];
                // scikit-learn's _ovr_decision_function, fed with its negated ovo values.
                const double c = -d;
                conf[std::size_t(r * classes + i)] -= c;
                conf[std::size_t(r * classes + j)] += c;
                votes[std::size_t(r * classes + (c <= 0 ? i : j))] += 1;
            }
    }
    // x / (3 (|x| + 1)) squashes each confidence into (-1/3, 1/3): it breaks ties in the
    // votes without ever overturning one.
    std::vector<double> out(votes.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = votes[i] + conf[i] / (3.0 * (std::abs(conf[i]) + 1.0));
    return out;
}

std::vector<double> ovrScores(const std::vector<double>& ovo, int64_t rows, const std::vector<int>& modelLabels,
                              int classes)
{
    const int known = int(modelLabels.size());
    const std::vector<double> ovr = ovrFromOvo(ovo, rows, known);
    std::vector<double> out(std::size_t(rows) * std::size_t(classes), -std::numeric_limits<double>::max());
    for (int64_t i = 0; i < rows; ++i)
        for (int k = 0; k < known; ++k)
            out[std::size_t(i * classes + modelLabels[std::size_t(k)])] = ovr[std::size_t(i * known + k)];
    return out;
}

}  // namespace deepsvm
