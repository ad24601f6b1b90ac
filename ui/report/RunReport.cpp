#include "report/RunReport.h"

#include "render/ConfusionMatrixImage.h"
#include "charts/Export.h"
#include "charts/MatrixViews.h"
#include "charts/RocChart.h"
#include "models/RunData.h"
#include "svm/SvmParams.h"

#include <QChart>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QPageSize>
#include <QPdfWriter>
#include <QTextDocument>
#include <QUrl>

#include <cmath>
#include <map>
#include <memory>

namespace deepsvm {

namespace {

QString esc(const QString& s) { return s.toHtmlEscaped(); }
QString num(double v, int decimals = 4) { return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("n/a"); }

QString row(const QStringList& cells, bool header = false)
{
    QString out = QStringLiteral("<tr>");
    for (const QString& c : cells)
        out += header ? QStringLiteral("<th>%1</th>").arg(c) : QStringLiteral("<td>%1</td>").arg(c);
    return out + QStringLiteral("</tr>\n");
}

QString gammaOf(const QJsonObject& p)
{
    if (p.contains(QStringLiteral("gamma_mode")))
        return p.value(QStringLiteral("gamma_mode")).toString();
    if (p.value(QStringLiteral("kernel")).toString() == QStringLiteral("linear"))
        return QStringLiteral("-");
    return QString::number(p.value(QStringLiteral("gamma")).toDouble(), 'g', 6);
}

/// One heat map per (kernel, degree, coef0) group of the grid, written as PNG files.
QStringList writeHeatmaps(const QJsonArray& cv, const QJsonObject& best, const QString& dir, const QString& prefix, const QString& metric,
                          QString* error)
{
    struct Group {
        QStringList cs, gammas;
        std::vector<QJsonObject> points;
    };
    std::map<QString, Group> groups;
    for (const auto& v : cv) {
        const QJsonObject p = v.toObject();
        const QString kernel = p.value(QStringLiteral("kernel")).toString();
        QString title = kernel;
        if (kernel == QStringLiteral("poly"))
            title += QStringLiteral(" degree %1").arg(p.value(QStringLiteral("degree")).toInt());
        if (kernel == QStringLiteral("poly") || kernel == QStringLiteral("sigmoid"))
            title += QStringLiteral(" coef0 %1").arg(p.value(QStringLiteral("coef0")).toDouble());
        Group& g = groups[title];
        const QString c = QString::number(p.value(QStringLiteral("C")).toDouble(), 'g', 6);
        if (!g.cs.contains(c)) g.cs << c;
        if (!g.gammas.contains(gammaOf(p))) g.gammas << gammaOf(p);
        g.points.push_back(p);
    }
    QStringList files;
    int n = 0;
    for (const auto& [title, g] : groups) {
        GridHeatmap map;
        map.setAxes(QStringLiteral("%1 · %2").arg(title, metric), g.cs, g.gammas);
        QPoint bestCell(-1, -1);  // outlined only where the run's best point is
        for (const QJsonObject& p : g.points) {
            const int r = int(g.cs.indexOf(QString::number(p.value(QStringLiteral("C")).toDouble(), 'g', 6)));
            const int c = int(g.gammas.indexOf(gammaOf(p)));
            const double mean = p.value(QStringLiteral("mean")).toDouble(std::nan(""));
            map.setCell(r, c, mean, p.value(QStringLiteral("std")).toDouble(std::nan("")));
            bool isBest = true;
            for (const char* key : {"kernel", "C", "gamma", "degree", "coef0"})
                isBest = isBest && p.value(QLatin1String(key)) == best.value(QLatin1String(key));
            if (isBest)
                bestCell = QPoint(c, r);
        }
        map.setBest(bestCell.y(), bestCell.x());
        const QString name = QStringLiteral("%1/heatmap-%2.png").arg(prefix).arg(++n);
        const QSize size(120 + 110 * int(g.gammas.size()), 90 + 56 * int(g.cs.size()));
        if (!exportPicture(dir + QLatin1Char('/') + name, size, 2.0,
                           [&map](QPainter& p, const QRectF& r) { map.paintPicture(p, r.size()); }, error))
            return {};
        files << name;
    }
    return files;
}

/// The pictures the report shows, written under its _files folder; names relative to `dir`.
struct ReportPictures {
    QString roc, confusion, confusionPct;
    QStringList heatmaps;
};

bool writePictures(const RunData& data, const QString& dir, const QString& filesName, const QString& metric,
                   ReportPictures* out, QString* error)
{
    const QJsonObject& report = data.report;
    QString& rocFile = out->roc;
    QString& confusionFile = out->confusion;
    QString& confusionPctFile = out->confusionPct;
    if (data.hasRoc) {
        std::unique_ptr<QChart> chart(makeRocChart(data.roc, data.classNames));
        rocFile = filesName + QStringLiteral("/roc.png");
        if (!exportPicture(dir + QLatin1Char('/') + rocFile, QSize(900, 600), 2.0, chartPainter(chart.get()), error))
            return false;
    }
    if (data.hasTest()) {
        confusionFile = filesName + QStringLiteral("/confusion.png");
        confusionPctFile = filesName + QStringLiteral("/confusion_normalized.png");
        for (bool normalised : {false, true}) {
            const QString path = dir + QLatin1Char('/') + (normalised ? confusionPctFile : confusionFile);
            if (!saveImageAtomically(renderConfusionMatrix(data.confusion, data.classNames, normalised, QSize(640, 600)), path, "PNG",
                                     error))
                return false;
        }
    }
    const QJsonArray cv = report.value(QStringLiteral("cv")).toArray();
    out->heatmaps = writeHeatmaps(cv, report.value(QStringLiteral("best")).toObject(), dir, filesName, metric, error);
    return cv.isEmpty() || !out->heatmaps.isEmpty();
}

/// The title and the data-and-features table.
QString headerSection(const RunData& data)
{
    const QJsonObject& run = data.run;
    const QJsonObject features = run.value(QStringLiteral("features")).toObject();
    QString h;
    h += QStringLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>DeepSVM Studio report: %1</title>\n"
                        "<style>body{font-family:sans-serif;max-width:960px;margin:auto;color:#111;background:#fff}"
                        "table{border-collapse:collapse;margin:6px 0 14px 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
                        "th{background:#eee}td:first-child,th:first-child{text-align:left}h2{margin-top:22px}</style></head><body>\n")
             .arg(esc(run.value(QStringLiteral("id")).toString()));
    h += QStringLiteral("<h1>Run %1</h1>\n").arg(esc(run.value(QStringLiteral("id")).toString()));
    h += QStringLiteral("<p>DeepSVM Studio %1 · started %2 · finished %3</p>\n")
             .arg(QStringLiteral(DEEPSVM_VERSION), esc(run.value(QStringLiteral("started")).toString()),
                  esc(run.value(QStringLiteral("finished")).toString()));
    const QString weights = features.value(QStringLiteral("weights")).toString(QStringLiteral("random"));
    if (weights == QStringLiteral("random"))
        h += QStringLiteral("<p style=\"color:#b45309\"><b>Features from a network with random (untrained) weights.</b> "
                            "Results are far below what ImageNet weights give.</p>\n");
    h += QStringLiteral("<h2>Data and features</h2>\n<table>\n");
    h += row({QStringLiteral("Dataset"), esc(QDir::toNativeSeparators(run.value(QStringLiteral("dataset")).toString()))});
    h += row({QStringLiteral("Backbone"), esc(features.value(QStringLiteral("backbone")).toString())});
    h += row({QStringLiteral("Weights"), esc(weights)});
    h += row({QStringLiteral("Layer / input size"), esc(QStringLiteral("%1 / %2 px").arg(features.value(QStringLiteral("layer")).toString())
                                                         .arg(features.value(QStringLiteral("size")).toInt()))});
    h += row({QStringLiteral("Normalisation / precision"), esc(features.value(QStringLiteral("normalization")).toString() + QStringLiteral(" / ")
                                                               + features.value(QStringLiteral("precision")).toString())});
    h += row({QStringLiteral("Training features"), esc(QDir::toNativeSeparators(run.value(QStringLiteral("train_prefix")).toString()))});
    h += row({QStringLiteral("Test features"), esc(QDir::toNativeSeparators(run.value(QStringLiteral("test_prefix")).toString()))});
    h += QStringLiteral("</table>\n");
    return h;
}

/// SVM settings, the best point and the grid search table with its heat maps.
QString svmSection(const RunData& data, const QStringList& heatmaps)
{
    const QJsonObject& run = data.run;
    const QJsonObject& report = data.report;
    const QJsonObject svm = run.value(QStringLiteral("svm")).toObject();
    const QString best = describeParams(report.value(QStringLiteral("best")).toObject());
    const QString metric = report.value(QStringLiteral("metric")).toString(QStringLiteral("accuracy"));
    const QJsonArray cv = report.value(QStringLiteral("cv")).toArray();
    QString h;
    h += QStringLiteral("<h2>SVM settings</h2>\n<table>\n");
    QJsonArray kernels = svm.value(QStringLiteral("kernels")).toArray();
    QStringList kernelNames;
    for (const auto& k : kernels) kernelNames << k.toString();
    h += row({QStringLiteral("Kernels"), esc(kernelNames.join(QStringLiteral(", ")))});
    for (const char* key : {"C", "gamma", "degree", "coef0", "cv", "metric"})
        h += row({QString::fromLatin1(key), esc(svm.value(QLatin1String(key)).toVariant().toString())});
    h += row({QStringLiteral("Folds"), QString::number(report.value(QStringLiteral("folds")).toInt())});
    h += row({QStringLiteral("Scaling / probability"), QStringLiteral("%1 / %2").arg(svm.value(QStringLiteral("scale")).toBool() ? QStringLiteral("yes") : QStringLiteral("no"),
                                                                                  svm.value(QStringLiteral("probability")).toBool() ? QStringLiteral("yes") : QStringLiteral("no"))});
    h += QStringLiteral("</table>\n<h2>Best parameters</h2>\n<p><b>%1</b> · %2 support vectors</p>\n")
             .arg(esc(best))
             .arg(report.value(QStringLiteral("support_vectors")).toDouble());
    if (!cv.isEmpty()) {
        h += QStringLiteral("<h2>Grid search (%1, mean over folds)</h2>\n").arg(esc(metric));
        for (const QString& f : heatmaps)
            h += QStringLiteral("<p><img src=\"%1\" width=\"480\"></p>\n").arg(esc(f));
        h += QStringLiteral("<table>\n") + row({QStringLiteral("kernel"), QStringLiteral("C"), QStringLiteral("gamma"), QStringLiteral("degree"),
                                                QStringLiteral("coef0"), QStringLiteral("mean"), QStringLiteral("std"), QStringLiteral("seconds")}, true);
        for (const auto& v : cv) {
            const QJsonObject p = v.toObject();
            h += row({esc(p.value(QStringLiteral("kernel")).toString()), QString::number(p.value(QStringLiteral("C")).toDouble(), 'g', 6), esc(gammaOf(p)),
                      QString::number(p.value(QStringLiteral("degree")).toInt()), QString::number(p.value(QStringLiteral("coef0")).toDouble(), 'g', 6),
                      num(p.value(QStringLiteral("mean")).toDouble(std::nan(""))), num(p.value(QStringLiteral("std")).toDouble(std::nan(""))),
                      num(p.value(QStringLiteral("seconds")).toDouble(), 2)});
        }
        h += QStringLiteral("</table>\n");
    }
    return h;
}

/// Scores, per-class table, confusion matrices and ROC curves.
QString testSection(const RunData& data, const ReportPictures& pictures)
{
    const QJsonObject test = data.test();
    const QString& confusionFile = pictures.confusion;
    const QString& confusionPctFile = pictures.confusionPct;
    const QString& rocFile = pictures.roc;
    QString h;
    if (data.hasTest()) {
        h += QStringLiteral("<h2>Test results</h2>\n<table>\n");
        h += row({QStringLiteral("Accuracy"), num(test.value(QStringLiteral("accuracy")).toDouble())});
        h += row({QStringLiteral("Balanced accuracy"), num(test.value(QStringLiteral("balanced_accuracy")).toDouble())});
        h += row({QStringLiteral("Macro F1"), num(test.value(QStringLiteral("f1_macro")).toDouble())});
        h += row({QStringLiteral("Macro ROC AUC"), num(test.value(QStringLiteral("roc_auc_macro")).toDouble(std::nan("")))});
        h += row({QStringLiteral("Micro ROC AUC"), num(test.value(QStringLiteral("roc_auc_micro")).toDouble(std::nan("")))});
        h += row({QStringLiteral("Test images"), QString::number(test.value(QStringLiteral("rows")).toDouble())});
        h += QStringLiteral("</table>\n<h3>Per class</h3>\n<table>\n");
        h += row({QStringLiteral("class"), QStringLiteral("precision"), QStringLiteral("recall"), QStringLiteral("F1"), QStringLiteral("support"),
                  QStringLiteral("ROC AUC"), QStringLiteral("TP"), QStringLiteral("FP"), QStringLiteral("FN"), QStringLiteral("TN")}, true);
        const QJsonObject perClass = test.value(QStringLiteral("per_class")).toObject();
        const QJsonObject ovr = test.value(QStringLiteral("one_vs_rest")).toObject();
        const QJsonObject auc = test.value(QStringLiteral("roc_auc")).toObject();
        for (std::size_t k = 0; k < data.classNames.size(); ++k) {
            const QString name = QString::fromStdString(data.classNames[k]);
            const QJsonObject m = perClass.value(name).toObject(), o = ovr.value(name).toObject();
            h += row({esc(name), num(m.value(QStringLiteral("precision")).toDouble()), num(m.value(QStringLiteral("recall")).toDouble()),
                      num(m.value(QStringLiteral("f1")).toDouble()), QString::number(m.value(QStringLiteral("support")).toDouble()),
                      num(auc.value(name).toDouble(std::nan(""))),
                      QString::number(o.value(QStringLiteral("tp")).toDouble()), QString::number(o.value(QStringLiteral("fp")).toDouble()),
                      QString::number(o.value(QStringLiteral("fn")).toDouble()), QString::number(o.value(QStringLiteral("tn")).toDouble())});
        }
        h += QStringLiteral("</table>\n<h3>Confusion matrix</h3>\n<p><img src=\"%1\" width=\"420\"> <img src=\"%2\" width=\"420\"></p>\n")
                 .arg(esc(confusionFile), esc(confusionPctFile));
        if (!rocFile.isEmpty())
            h += QStringLiteral("<h3>ROC curves (one vs rest)</h3>\n<p><img src=\"%1\" width=\"720\"></p>\n").arg(esc(rocFile));
    }
    return h;
}

/// Timings and the model folder, closing the document.
QString closingSection(const RunData& data)
{
    const QJsonObject& run = data.run;
    const QJsonObject& report = data.report;
    QString h;
    const QJsonObject timings = report.value(QStringLiteral("timings")).toObject();
    h += QStringLiteral("<h2>Timings</h2>\n<table>\n");
    for (auto it = timings.begin(); it != timings.end(); ++it)
        h += row({esc(it.key()), num(it.value().toDouble(), 2) + QStringLiteral(" s")});
    h += QStringLiteral("</table>\n<p>Model folder: %1</p>\n</body></html>\n").arg(esc(QDir::toNativeSeparators(run.value(QStringLiteral("dir")).toString())));
    return h;
}

}  // namespace

bool writeRunReport(const RunData& data, const QString& htmlPath, const QString& pdfPath, QString* error)
{
    const QFileInfo info(htmlPath);
    const QString dir = info.absolutePath();
    const QString filesName = info.completeBaseName() + QStringLiteral("_files");
    if (!QDir().mkpath(dir + QLatin1Char('/') + filesName)) {
        if (error)
            *error = QStringLiteral("%1: cannot create the folder; choose a writable place").arg(dir + QLatin1Char('/') + filesName);
        return false;
    }
    const QJsonObject& run = data.run;
    const QString metric = data.report.value(QStringLiteral("metric")).toString(QStringLiteral("accuracy"));
    ReportPictures pictures;
    if (!writePictures(data, dir, filesName, metric, &pictures, error))
        return false;
    const QString h = headerSection(data) + svmSection(data, pictures.heatmaps) + testSection(data, pictures) + closingSection(data);

    const QByteArray html = h.toUtf8();
    if (!writeAtomically(htmlPath, [&](QIODevice* device) { return device->write(html) == html.size(); }, error))
        return false;
    if (pdfPath.isEmpty())
        return true;
    QTextDocument doc;
    doc.setBaseUrl(QUrl::fromLocalFile(dir + QLatin1Char('/')));
    doc.setHtml(h);
    return writeAtomically(pdfPath, [&](QIODevice* device) {
        QPdfWriter pdf(device);
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setResolution(144);
        pdf.setTitle(QStringLiteral("DeepSVM Studio report: %1").arg(run.value(QStringLiteral("id")).toString()));
        pdf.setCreator(QStringLiteral("DeepSVM Studio %1").arg(QStringLiteral(DEEPSVM_VERSION)));
        doc.print(&pdf);
        return device->pos() > 0;
    }, error);
}

}  // namespace deepsvm
