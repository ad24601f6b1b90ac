// Charts, exports, heat maps, the confusion matrix, the thumbnail grid and the task panel,
// each on data made here.
#include "charts/ChartWidgets.h"
#include "charts/Export.h"
#include "charts/MatrixViews.h"
#include "data/Dataset.h"
#include "data/Image.h"
#include "models/ThumbnailModel.h"
#include "tasks/FunctionTask.h"
#include "tasks/TaskRunner.h"
#include "widgets/TaskPanel.h"

#include <QChart>
#include <QChartView>
#include <QFile>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QListView>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <atomic>
#include <cmath>

using namespace deepsvm;

namespace {

/// A split of `count` generated images (solid colours by index): no files, no decoding cost.
class FakeSource final : public ImageSource {
public:
    explicit FakeSource(int64_t count) : m_count(count) {}
    int64_t size() const override { return m_count; }
    int label(int64_t i) const override { return int(i % 10); }
    std::string id(int64_t i) const override { return "fake/" + std::to_string(i); }
    RgbImage load(int64_t i) const override
    {
        ++loads;
        RgbImage img;
        img.width = img.height = 96;
        img.pixels.assign(96 * 96 * 3, uint8_t(i % 251));
        return img;
    }
    std::string identity() const override { return "fake"; }
    mutable std::atomic<int> loads{0};

private:
    int64_t m_count;
};

RocSet sampleRoc()
{
    // Three classes, scores that rank most positives first.
    std::vector<int> truth{0, 0, 1, 1, 2, 2, 0, 1, 2};
    std::vector<double> scores;
    for (std::size_t i = 0; i < truth.size(); ++i)
        for (int k = 0; k < 3; ++k)
            scores.push_back(k == truth[i] ? 0.6 - 0.05 * double(i % 3) : 0.2 + 0.01 * double(i));
    return rocOneVsRest(truth, scores, 3);
}

void checkExportedFile(const QString& path)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
    const QByteArray bytes = f.readAll();
    QVERIFY2(bytes.size() > 200, qPrintable(path));
    if (path.endsWith(QStringLiteral(".png"))) {
        QImage image;
        QVERIFY(image.loadFromData(bytes, "PNG"));
        QVERIFY(image.width() >= 600);
    } else if (path.endsWith(QStringLiteral(".pdf"))) {
        QVERIFY(bytes.startsWith("%PDF"));
    } else {
        QXmlStreamReader xml(bytes);
        while (!xml.atEnd()) xml.readNext();
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QSvgRenderer svg(bytes);
        QVERIFY(svg.isValid());
    }
}

}  // namespace

class TestWidgets : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void chartExports_data();
    void chartExports();
    void exportRejectsUnknownFormat();
    void rocLegendTogglesCurves();
    void heatmapFillsAndReportsClicks();
    void confusionClickReportsCell();
    void thumbnailsDecodeOnlyNearViewport();
    void taskPanelShowsAndCancels();
};

void TestWidgets::chartExports_data()
{
    QTest::addColumn<QString>("suffix");
    QTest::newRow("png") << QStringLiteral("png");
    QTest::newRow("svg") << QStringLiteral("svg");
    QTest::newRow("pdf") << QStringLiteral("pdf");
}

void TestWidgets::chartExports()
{
    QFETCH(QString, suffix);
    QTemporaryDir dir;
    RocChartWidget roc;
    roc.resize(500, 400);
    roc.setRoc(sampleRoc(), {"a", "b", "c"});
    roc.show();
    QString error;
    const QString rocPath = dir.filePath(QStringLiteral("roc.") + suffix);
    QVERIFY2(roc.exportTo(rocPath, QSize(800, 600), 2.0, &error), qPrintable(error));
    checkExportedFile(rocPath);
    // The on-screen chart keeps its size after an export at another size.
    QCOMPARE(roc.chart()->size().toSize(), roc.view()->viewport()->size());

    ConfusionMatrix cm;
    cm.classes = 3;
    cm.counts = {5, 1, 0, 2, 4, 1, 0, 0, 6};
    ConfusionMatrixView view;
    view.setMatrix(cm, {"a", "b", "c"});
    const QString cmPath = dir.filePath(QStringLiteral("confusion.") + suffix);
    QVERIFY2(exportPicture(cmPath, QSize(640, 600), 1.0, [&](QPainter& p, const QRectF& r) { view.paintPicture(p, r.size()); }, &error),
             qPrintable(error));
    checkExportedFile(cmPath);
}

void TestWidgets::exportRejectsUnknownFormat()
{
    QTemporaryDir dir;
    QString error;
    QVERIFY(!exportPicture(dir.filePath(QStringLiteral("x.gif")), QSize(100, 100), 1.0, [](QPainter&, const QRectF&) {}, &error));
    QVERIFY(error.contains(QStringLiteral("x.gif")));
    QVERIFY(!exportPicture(dir.filePath(QStringLiteral("missing/dir/x.png")), QSize(100, 100), 1.0, [](QPainter&, const QRectF&) {}, &error));
    QVERIFY(error.contains(QStringLiteral("missing/dir/x.png")));
}

void TestWidgets::rocLegendTogglesCurves()
{
    RocChartWidget roc;
    const RocSet set = sampleRoc();
    roc.setRoc(set, {"a", "b", "c"});
    roc.resize(600, 400);
    roc.show();
    QVERIFY(QTest::qWaitForWindowExposed(&roc));
    QCOMPARE(roc.curveCount(), 3 + 3);  // classes, micro, macro, chance
    const auto series = roc.chart()->series();
    QVERIFY(series[0]->name().contains(QStringLiteral("AUC %1").arg(set.auc[0], 0, 'f', 3)));
    QVERIFY(roc.isCurveVisible(1));
    // Clicking a legend marker hides its curve; clicking again shows it.
    QLegendMarker* marker = roc.chart()->legend()->markers()[1];
    Q_EMIT marker->clicked();
    QVERIFY(!roc.isCurveVisible(1));
    QVERIFY(marker->isVisible());
    Q_EMIT marker->clicked();
    QVERIFY(roc.isCurveVisible(1));
}

void TestWidgets::heatmapFillsAndReportsClicks()
{
    GridHeatmap map;
    map.resize(400, 300);
    map.setAxes(QStringLiteral("poly"), {QStringLiteral("0.1"), QStringLiteral("1")}, {QStringLiteral("1"), QStringLiteral("0.1"), QStringLiteral("0.01")});
    map.show();
    QVERIFY(QTest::qWaitForWindowExposed(&map));
    QCOMPARE(map.filledCount(), 0);
    map.setCell(1, 2, 0.75, 0.02);
    map.setCell(0, 0, 0.5, 0.01);
    map.setBest(1, 2);
    QCOMPARE(map.filledCount(), 2);
    QCOMPARE(map.cellValue(1, 2), 0.75);
    QVERIFY(std::isnan(map.cellValue(0, 1)));
    QCOMPARE(map.bestCell(), QPoint(2, 1));
    QSignalSpy clicked(&map, &GridHeatmap::cellClicked);
    QTest::mouseClick(&map, Qt::LeftButton, {}, map.cellRect(1, 2).center());
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked[0][0].toInt(), 1);
    QCOMPARE(clicked[0][1].toInt(), 2);
    // Outside the cells: no click reported.
    QTest::mouseClick(&map, Qt::LeftButton, {}, QPoint(2, 2));
    QCOMPARE(clicked.count(), 1);
}

void TestWidgets::confusionClickReportsCell()
{
    ConfusionMatrix cm;
    cm.classes = 4;
    cm.counts.assign(16, 1);
    ConfusionMatrixView view;
    view.setMatrix(cm, {"w", "x", "y", "z"});
    view.resize(500, 460);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy clicked(&view, &ConfusionMatrixView::cellClicked);
    for (int t = 0; t < 4; ++t)
        for (int p = 0; p < 4; ++p) {
            const QPoint at = view.cellCentre(t, p);
            QVERIFY(at.x() >= 0);
            QTest::mouseClick(&view, Qt::LeftButton, {}, at);
            QCOMPARE(clicked.last()[0].toInt(), t);
            QCOMPARE(clicked.last()[1].toInt(), p);
            QCOMPARE(view.selectedCell(), QPoint(p, t));
        }
    QCOMPARE(clicked.count(), 16);
}

void TestWidgets::thumbnailsDecodeOnlyNearViewport()
{
    auto source = std::make_shared<FakeSource>(100000);
    ThumbnailModel model;
    model.setSource(source, {});
    QCOMPARE(model.rowCount(), 100000);
    QListView view;
    view.setViewMode(QListView::IconMode);
    view.setUniformItemSizes(true);
    view.setGridSize(QSize(112, 124));
    view.setModel(&model);
    view.resize(800, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTRY_VERIFY(model.cachedCount() > 0);
    model.waitForDecodes();
    QCoreApplication::processEvents();
    // About one screen of thumbnails (7 x 5 visible), not 100,000.
    QVERIFY2(source->loads < 200, qPrintable(QString::number(source->loads)));
    // Scroll through the whole list in big jumps: decodes follow the viewport, the cache stays bounded.
    QScrollBar* bar = view.verticalScrollBar();
    for (int step = 0; step <= 40; ++step) {
        bar->setValue(bar->maximum() * step / 40);
        QCoreApplication::processEvents();
    }
    model.waitForDecodes();
    QCoreApplication::processEvents();
    QVERIFY2(source->loads < 41 * 80, qPrintable(QString::number(source->loads)));
    QVERIFY(model.cachedCount() <= 4000);
    // The last rows were decoded: the view asked for what it showed.
    const QModelIndex last = model.index(99999);
    view.scrollTo(last);
    QTRY_VERIFY(!model.data(last, Qt::DecorationRole).value<QPixmap>().isNull());
}

void TestWidgets::taskPanelShowsAndCancels()
{
    TaskRunner runner(2);
    TaskPanel panel(&runner);
    panel.show();
    std::atomic_bool entered{false};
    auto task = std::make_unique<FunctionTask>(QStringLiteral("Endless"), [&entered](FunctionTask& t) {
        entered = true;
        for (qint64 i = 0;; ++i) {
            t.step(i % 100, 100, QStringLiteral("working"));
            QThread::msleep(5);
        }
        return QVariant();
    });
    QSignalSpy cancelled(task.get(), &Task::cancelled);
    runner.start(std::move(task));
    QTRY_COMPARE(panel.rowCount(), 1);
    QTRY_VERIFY(entered.load());
    QWidget* row = panel.findChild<QWidget*>(QStringLiteral("taskRow"));
    QVERIFY(row);
    QPushButton* cancel = row->findChild<QPushButton*>();
    QVERIFY(cancel);
    QTRY_VERIFY(row->findChildren<QLabel*>().last()->text().contains(QStringLiteral("working")));
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(cancelled.wait(5000));
    QTRY_COMPARE(panel.rowCount(), 0);
}

QTEST_MAIN(TestWidgets)
#include "tst_widgets.moc"
