// The whole study driven only through the window on a small demo set: extract -> grid search
// -> final model -> evaluation, then a drop of new files, a confusion-cell gallery, exports,
// experiments and the Runs page.
#include "MainWindow.h"
#include "Session.h"
#include "HttpFixture.h"
#include "TestSupport.h"
#include "pages/WelcomePage.h"
#include "charts/ChartWidgets.h"
#include "charts/MatrixViews.h"
#include "models/ThumbnailModel.h"
#include "pages/ClassifyPage.h"
#include "models/ClassifiedModel.h"
#include "models/LazyThumbnails.h"
#include "pages/BackbonesPage.h"
#include "pages/DataPage.h"
#include "pages/EvaluationPage.h"
#include "pages/FineTunePage.h"
#include "charts/EpochChart.h"
#include "pages/FeaturesPage.h"
#include "pages/RunsPage.h"
#include "pages/SvmPage.h"
#include "data/Dataset.h"
#include "nets/Backbones.h"
#include "tasks/Task.h"
#include "tasks/TaskRunner.h"

#include <QApplication>
#include <QChart>
#include <QCheckBox>
#include <QComboBox>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLegend>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>
#include <QTreeWidget>
#include <QXmlStreamReader>

#include <cmath>
#include <memory>

using namespace deepsvm;

class TestWorkflow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void demoSetFromTheDataPage();
    void extractFromTheFeaturesPage();
    void gridSearchFillsTheHeatmapLive();
    void evaluationShowsTheRunsNumbers();
    void confusionCellShowsExactlyItsImages();
    void trainChosenCellAndCompareRuns();
    void dropClassifiesImagesAndRejectsTheRest();
    void exportsWriteValidFiles();
    void experimentRoundTrip();
    void unreadableAutosaveIsKeptAndTheBackupRestored_data();
    void unreadableAutosaveIsKeptAndTheBackupRestored();
    void fineTunePageTrainsAndSweeps();
    void gradCamOverlayOnAClassifiedImage();
    void welcomePageFindsWeightsAndReportsFailedDownloads();
    void badFilesThroughThePagesKeepTheWindowUp();
    void backbonesBoardHandsTheBestToTheSvmPage();
    void closingWhileTasksRunStopsThem();
    void cleanupTestCase();

private:
    QJsonObject readReport() const;

    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    QJsonObject m_run;
};

void TestWorkflow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("DeepSVM-tests"));
    QSettings().clear();
    QSettings().setValue(QStringLiteral("workspace"), m_dir.filePath(QStringLiteral("workspace")));
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1280, 820);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QCOMPARE(m_window->windowTitle(), QStringLiteral("DeepSVM Studio"));
    QCOMPARE(m_window->session()->workspace(), m_dir.filePath(QStringLiteral("workspace")));
    // No weights file: the banner says the features are untrained.
    QVERIFY(m_window->banner()->isVisible());
    QVERIFY(m_window->banner()->text().contains(QStringLiteral("random weights")));
}

void TestWorkflow::demoSetFromTheDataPage()
{
    DataPage* page = m_window->dataPage();
    QSignalSpy started(m_window->session()->runner(), &TaskRunner::taskStarted);
    QSignalSpy ready(page, &DataPage::demoSetReady);
    page->makeDemoSet(m_dir.filePath(QStringLiteral("demo")), 8, 5, 0);
    QVERIFY(ready.wait(60000));
    QCOMPARE(started.count(), 1);
    QVERIFY(m_window->session()->dataset());
    QCOMPARE(m_window->session()->classNames().size(), 10);
    QCOMPARE(page->thumbnails()->rowCount(), 80);  // the train split
    // Filters: the test split, then one class of it.
    page->splitBox()->setCurrentIndex(page->splitBox()->findData(QStringLiteral("test")));
    QCOMPARE(page->thumbnails()->rowCount(), 50);
    page->classBox()->setCurrentIndex(3);  // "all classes" + class 2
    QCOMPARE(page->thumbnails()->rowCount(), 5);
    for (int r = 0; r < 5; ++r)
        QCOMPARE(page->thumbnails()->data(page->thumbnails()->index(r), ThumbnailModel::LabelRole).toInt(), 2);
    // Fold 1 of the training split: STL-10's fold file lists 1/5 of the training images.
    page->splitBox()->setCurrentIndex(page->splitBox()->findData(QStringLiteral("train")));
    page->classBox()->setCurrentIndex(0);
    QVERIFY(page->foldBox()->isEnabled());
    page->foldBox()->setCurrentIndex(1);
    QCOMPARE(page->thumbnails()->rowCount(), 16);
    // The thumbnails are decoded off the GUI thread and arrive.
    QSignalSpy thumbs(page->thumbnails(), &ThumbnailModel::thumbnailReady);
    QTRY_VERIFY(thumbs.count() > 0 || page->thumbnails()->cachedCount() > 0);
}

void TestWorkflow::extractFromTheFeaturesPage()
{
    FeaturesPage* page = m_window->featuresPage();
    m_window->showPage(MainWindow::Features);
    // A small network keeps the test quick; the controls are the page's own.
    page->applySettings(QJsonObject{{QStringLiteral("backbone"), QStringLiteral("resnet18")},
                                    {QStringLiteral("size"), 64},
                                    {QStringLiteral("precision"), QStringLiteral("fp32")},
                                    {QStringLiteral("batch_size"), 16}});
    QCOMPARE(m_window->session()->featureSettings().value(QStringLiteral("backbone")).toString(), QStringLiteral("resnet18"));
    QSignalSpy started(m_window->session()->runner(), &TaskRunner::taskStarted);
    QSignalSpy finished(page, &FeaturesPage::extractionFinished);
    QTest::mouseClick(page->extractButton(), Qt::LeftButton);
    QCOMPARE(started.count(), 1);
    QCOMPARE(started[0][0].value<Task*>()->title(), QStringLiteral("Extract features"));
    QVERIFY(!page->extractButton()->isEnabled());
    QVERIFY(finished.wait(300000));
    QVERIFY(finished[0][0].toBool());
    const QString train = m_window->session()->trainPrefix(), test = m_window->session()->testPrefix();
    QVERIFY(train.endsWith(QStringLiteral(".train")));
    QVERIFY(test.endsWith(QStringLiteral(".test")));
    QVERIFY(QFile::exists(train + QStringLiteral(".features.npy")));
    QVERIFY(QFile::exists(test + QStringLiteral(".features.npy")));
    QCOMPARE(page->cacheList()->topLevelItemCount(), 2);
    // A PCA projection of the training features, one point per row.
    QSignalSpy projected(page, &FeaturesPage::projectionFinished);
    QVERIFY(page->startProjection(QStringLiteral("pca")));
    QVERIFY(projected.wait(60000));
    QVERIFY(projected[0][0].toBool());
    QCOMPARE(page->scatter()->pointCount(), 80);
    QCOMPARE(page->scatter()->chart()->series().size(), 10);
    QVERIFY(page->scatter()->chart()->title().startsWith(QStringLiteral("PCA")));
    // And t-SNE of the same rows.
    QVERIFY(page->startProjection(QStringLiteral("tsne")));
    QVERIFY(projected.wait(120000));
    QVERIFY(projected[1][0].toBool());
    QCOMPARE(page->scatter()->pointCount(), 80);
    QVERIFY(page->scatter()->chart()->title().startsWith(QStringLiteral("t-SNE")));
}

void TestWorkflow::gridSearchFillsTheHeatmapLive()
{
    SvmPage* page = m_window->svmPage();
    m_window->showPage(MainWindow::Svm);
    page->cEdit()->setText(QStringLiteral("0.1,1,10"));
    page->gammaEdit()->setText(QStringLiteral("log10:-3:-1:1"));
    page->foldsBox()->setValue(3);
    QVERIFY(page->startButton()->isEnabled());
    // Before Start the page says which solver auto picks for these rows, with an estimate;
    // asking for liblinear with a poly kernel names the way out.
    QVERIFY2(page->solverPlan()->text().contains(QStringLiteral("rows: exact")), qPrintable(page->solverPlan()->text()));
    QVERIFY(page->solverPlan()->text().contains(QStringLiteral("estimate about")));
    page->solverBox()->setCurrentIndex(page->solverBox()->findData(QStringLiteral("nystroem")));
    QVERIFY2(page->solverPlan()->text().contains(QStringLiteral("nystroem:2000 as asked")), qPrintable(page->solverPlan()->text()));
    page->solverBox()->setCurrentIndex(page->solverBox()->findData(QStringLiteral("auto")));
    QSignalSpy done(page, &SvmPage::runFinished);
    QSignalSpy started(m_window->session()->runner(), &TaskRunner::taskStarted);
    QTest::mouseClick(page->startButton(), Qt::LeftButton);
    QCOMPARE(started.count(), 1);
    Task* task = started[0][0].value<Task*>();
    QSignalSpy points(task, &Task::partialResult);
    QCOMPARE(page->heatmapTabs()->count(), 1);
    GridHeatmap* map = page->heatmap(0);
    QVERIFY(map);
    QVERIFY(done.wait(300000));
    // Every streamed point is in the heat map and the table.
    QCOMPARE(map->filledCount(), 9);
    QCOMPARE(page->table()->rowCount(), 9);
    m_run = done[0][0].toJsonObject();
    const QJsonObject report = readReport();
    const QJsonArray cv = report.value(QStringLiteral("cv")).toArray();
    QCOMPARE(cv.size(), 9);
    QCOMPARE(report.value(QStringLiteral("solver")).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("exact"));
    const QStringList cs{QStringLiteral("0.1"), QStringLiteral("1"), QStringLiteral("10")};
    for (const auto& v : cv) {
        const QJsonObject p = v.toObject();
        const int row = int(cs.indexOf(QString::number(p.value(QStringLiteral("C")).toDouble(), 'g', 6)));
        const int column = int(std::lround(std::log10(p.value(QStringLiteral("gamma")).toDouble()))) + 3;
        QCOMPARE(map->cellValue(row, column), p.value(QStringLiteral("mean")).toDouble());
    }
    // The best cell is the report's best.
    const QJsonObject best = report.value(QStringLiteral("best")).toObject();
    QCOMPARE(map->bestCell(), QPoint(int(std::lround(std::log10(best.value(QStringLiteral("gamma")).toDouble()))) + 3,
                                     int(cs.indexOf(QString::number(best.value(QStringLiteral("C")).toDouble(), 'g', 6)))));
    QCOMPARE(m_window->currentPage(), MainWindow::Evaluation);
    QCOMPARE(m_window->session()->runs().size(), 1);
}

QJsonObject TestWorkflow::readReport() const
{
    QFile f(m_run.value(QStringLiteral("dir")).toString() + QStringLiteral("/report.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

void TestWorkflow::evaluationShowsTheRunsNumbers()
{
    EvaluationPage* page = m_window->evaluationPage();
    const QJsonObject test = readReport().value(QStringLiteral("test")).toObject();
    QVERIFY(!test.isEmpty());
    // Confusion matrix: the view holds exactly the report's counts.
    const QJsonArray rows = test.value(QStringLiteral("confusion")).toArray();
    const ConfusionMatrix& cm = page->data().confusion;
    QCOMPARE(cm.classes, 10);
    for (int t = 0; t < 10; ++t)
        for (int p = 0; p < 10; ++p)
            QCOMPARE(double(cm.at(t, p)), rows[t].toArray()[p].toDouble());
    // ROC chart: one curve per class with the report's AUC in the legend, plus averages and chance.
    const auto series = page->rocChart()->chart()->series();
    QCOMPARE(series.size(), 13);
    const QJsonObject auc = test.value(QStringLiteral("roc_auc")).toObject();
    const QStringList names = m_window->session()->classNames();
    for (int k = 0; k < 10; ++k) {
        const double a = auc.value(names[k]).toDouble(std::nan(""));
        QVERIFY2(series[k]->name() == QStringLiteral("%1 (AUC %2)").arg(names[k]).arg(a, 0, 'f', 3), qPrintable(series[k]->name()));
    }
    QVERIFY(series[10]->name().contains(QString::number(test.value(QStringLiteral("roc_auc_micro")).toDouble(), 'f', 3)));
    QVERIFY(page->summary()->text().contains(QString::number(100 * test.value(QStringLiteral("accuracy")).toDouble(), 'f', 2)));
    QCOMPARE(page->classTable()->rowCount(), 10);
    QCOMPARE(page->ovrTable()->rowCount(), 10);
}

void TestWorkflow::confusionCellShowsExactlyItsImages()
{
    EvaluationPage* page = m_window->evaluationPage();
    const RunData& data = page->data();
    // The fullest off-diagonal cell, else the fullest cell.
    int bt = 0, bp = 0;
    for (int t = 0; t < 10; ++t)
        for (int p = 0; p < 10; ++p)
            if (data.confusion.at(t, p) > data.confusion.at(bt, bp))
                bt = t, bp = p;
    ConfusionMatrixView* view = page->confusionView();
    QTest::mouseClick(view, Qt::LeftButton, {}, view->cellCentre(bt, bp));
    QCOMPARE(view->selectedCell(), QPoint(bp, bt));
    ThumbnailModel* gallery = page->gallery();
    QCOMPARE(qint64(gallery->rowCount()), data.confusion.at(bt, bp));
    // Exactly the test rows with that truth and prediction, by image id.
    QStringList expected, shown;
    for (std::size_t i = 0; i < data.truth.size(); ++i)
        if (data.truth[i] == bt && data.predicted[i] == bp)
            expected << QString::fromStdString(data.testIds[i]);
    for (int r = 0; r < gallery->rowCount(); ++r) {
        shown << gallery->data(gallery->index(r), ThumbnailModel::ImageIdRole).toString();
        QCOMPARE(gallery->data(gallery->index(r), ThumbnailModel::LabelRole).toInt(), bt);
    }
    QCOMPARE(shown, expected);
}

void TestWorkflow::trainChosenCellAndCompareRuns()
{
    SvmPage* page = m_window->svmPage();
    m_window->showPage(MainWindow::Svm);
    // Choose a cell that is not the best in the heat map and train it.
    GridHeatmap* map = page->heatmap(0);
    const QPoint best = map->bestCell();
    const QPoint other(best.x() == 0 ? 1 : 0, best.y());
    QTest::mouseClick(map, Qt::LeftButton, {}, map->cellRect(other.y(), other.x()).center());
    QVERIFY(page->trainButton()->text().contains(QStringLiteral("C=")));
    QSignalSpy done(page, &SvmPage::runFinished);
    QTest::mouseClick(page->trainButton(), Qt::LeftButton);
    QVERIFY(done.wait(300000));
    const QJsonObject run = done[0][0].toJsonObject();
    QCOMPARE(run.value(QStringLiteral("kind")).toString(), QStringLiteral("single"));
    const double gamma = run.value(QStringLiteral("best")).toObject().value(QStringLiteral("gamma")).toDouble();
    QCOMPARE(int(std::lround(std::log10(gamma))) + 3, other.x());
    QCOMPARE(m_window->session()->runs().size(), 2);
    RunsPage* runs = m_window->runsPage();
    QCOMPARE(runs->table()->rowCount(), 2);
    runs->compare(0, 1);
    const QString html = runs->comparison()->toHtml();
    QVERIFY(html.contains(m_run.value(QStringLiteral("id")).toString()));
    QVERIFY(html.contains(run.value(QStringLiteral("id")).toString()));
    QVERIFY(html.contains(QStringLiteral("best.gamma")));
    // Back to the grid-search run for the rest.
    m_window->session()->setCurrentRun(m_run);
}

void TestWorkflow::dropClassifiesImagesAndRejectsTheRest()
{
    // Two images of the demo set saved as PNG files, and a text file.
    const auto source = m_window->session()->dataset()->split("test");
    QStringList files;
    for (int i = 0; i < 2; ++i) {
        const QString path = m_dir.filePath(QStringLiteral("drop%1.png").arg(i));
        QVERIFY(toQImage(source->load(i)).save(path));
        files << path;
    }
    const QString text = m_dir.filePath(QStringLiteral("notes.txt"));
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not an image\n");
    f.close();
    files << text;
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString& p : files) urls << QUrl::fromLocalFile(p);
    mime.setUrls(urls);
    ClassifyPage* page = m_window->classifyPage();
    QSignalSpy done(page, &ClassifyPage::classificationFinished);
    QDragEnterEvent enter(QPoint(200, 200), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_window.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(200, 200), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_window.get(), &drop);
    QCOMPARE(m_window->currentPage(), MainWindow::Classify);
    QVERIFY(done.wait(120000));
    QCOMPARE(page->rejectedCount(), 1);  // the text file
    QCOMPARE(page->classifiedCount(), 2);
    // Each image got a top-5 with the class names of the model.
    const QStringList names = m_window->session()->classNames();
    int classified = 0;
    ClassifiedModel* model = page->model();
    QCOMPARE(model->rowCount(), 3);
    for (int i = 0; i < model->rowCount(); ++i) {
        const QModelIndex item = model->index(i);
        if (item.data(ClassifiedModel::StatusRole).toString() == QStringLiteral("rejected")) {
            QVERIFY(item.data(Qt::DisplayRole).toString().contains(QStringLiteral("notes.txt")));
            continue;
        }
        ++classified;
        QVERIFY(names.contains(item.data(ClassifiedModel::TopClassRole).toString()));
        QCOMPARE(model->result(i).top.size(), std::size_t(5));
        QVERIFY(item.data(Qt::DisplayRole).toString().endsWith(QStringLiteral("→ ") + item.data(ClassifiedModel::TopClassRole).toString()));
    }
    QCOMPARE(classified, 2);
    QVERIFY2(page->summary()->text().startsWith(QStringLiteral("2 images classified, 1 file not: ")), qPrintable(page->summary()->text()));
    // The thumbnails are decoded when the view paints them, not before.
    model->thumbnails()->waitForDecodes();
    QTRY_VERIFY(model->thumbnails()->cachedCount() >= 1);
    // Export CSV writes what `deepsvm classify --csv` writes: a row per classified image.
    const QString csv = m_dir.filePath(QStringLiteral("classified.csv"));
    QVERIFY2(page->exportCsv(csv), qPrintable(page->summary()->text()));
    QFile exported(csv);
    QVERIFY(exported.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = exported.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith("path,predicted,p_") && lines[0].endsWith(",far_from_training"));
    QCOMPARE(lines[1].split(',').size(), 2 + names.size() + 1);
}

void TestWorkflow::exportsWriteValidFiles()
{
    QString error;
    const QString html = m_dir.filePath(QStringLiteral("export/report.html"));
    QDir().mkpath(m_dir.filePath(QStringLiteral("export")));
    QVERIFY2(m_window->exportReport(m_run, html, &error), qPrintable(error));
    QFile h(html);
    QVERIFY(h.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(h.readAll());
    const QJsonObject report = readReport();
    QVERIFY(text.contains(QStringLiteral("Best parameters")));
    QVERIFY(text.contains(QString::number(report.value(QStringLiteral("test")).toObject().value(QStringLiteral("accuracy")).toDouble(), 'f', 4)));
    QVERIFY(text.contains(QStringLiteral(DEEPSVM_VERSION)));
    for (const QString& png : {QStringLiteral("report_files/roc.png"), QStringLiteral("report_files/confusion.png"),
                               QStringLiteral("report_files/heatmap-1.png")}) {
        QVERIFY2(text.contains(png), qPrintable(png));
        QImage image(m_dir.filePath(QStringLiteral("export/") + png));
        QVERIFY2(!image.isNull(), qPrintable(png));
    }
    QFile pdf(m_dir.filePath(QStringLiteral("export/report.pdf")));
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    QVERIFY(pdf.read(4) == "%PDF");
    // The Evaluation page's ROC chart in all three formats.
    for (const QString& suffix : {QStringLiteral("png"), QStringLiteral("svg"), QStringLiteral("pdf")}) {
        const QString path = m_dir.filePath(QStringLiteral("export/roc.") + suffix);
        QVERIFY2(m_window->evaluationPage()->rocChart()->exportTo(path, QSize(900, 600), 2.0, &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        if (suffix == QStringLiteral("png"))
            QCOMPARE(QImage::fromData(bytes).size(), QSize(1800, 1200));
        else if (suffix == QStringLiteral("pdf"))
            QVERIFY(bytes.startsWith("%PDF"));
        else {
            QXmlStreamReader xml(bytes);
            while (!xml.atEnd()) xml.readNext();
            QVERIFY(!xml.hasError());
        }
    }
    // Predictions: a header and one row per test image.
    QFile csv(m_run.value(QStringLiteral("dir")).toString() + QStringLiteral("/predictions.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 1 + 50);
    QVERIFY(lines[0].startsWith("index,true,predicted,p_"));
}

void TestWorkflow::experimentRoundTrip()
{
    const QString path = m_dir.filePath(QStringLiteral("experiment.json"));
    QString error;
    m_window->svmPage()->cEdit()->setText(QStringLiteral("log2:-1:3:2"));
    QVERIFY2(m_window->saveExperiment(path, &error), qPrintable(error));
    MainWindow second;
    QVERIFY2(second.openExperiment(path, &error), qPrintable(error));
    QCOMPARE(second.session()->runs().size(), 2);
    QCOMPARE(second.session()->datasetDir(), m_window->session()->datasetDir());
    QCOMPARE(second.session()->trainPrefix(), m_window->session()->trainPrefix());
    QCOMPARE(second.svmPage()->cEdit()->text(), QStringLiteral("log2:-1:3:2"));
    QCOMPARE(second.session()->featureSettings().value(QStringLiteral("backbone")).toString(), QStringLiteral("resnet18"));
    // A file that is not an experiment is refused with its name in the message.
    const QString bad = m_dir.filePath(QStringLiteral("bad.json"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"hello\": 1}");
    f.close();
    QVERIFY(!second.openExperiment(bad, &error));
    QVERIFY(error.contains(QStringLiteral("bad.json")));
}

void TestWorkflow::unreadableAutosaveIsKeptAndTheBackupRestored_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("damaged (cut by a crash)") << QByteArray("{\"format\": \"deepsvm-experiment\", \"runs\": [{\"id\"");
    QTest::newRow("from a newer version") << QByteArray("{\"format\": \"deepsvm-experiment\", \"version\": 9, \"runs\": []}");
}

void TestWorkflow::unreadableAutosaveIsKeptAndTheBackupRestored()
{
    // The application starts on an autosave it cannot read: the file is set aside under a
    // name of its own (never overwritten), the previous autosave (.bak) is restored, the
    // status bar says both, and the window works.
    QFETCH(QByteArray, bytes);
    const QString workspace = m_window->session()->workspace();
    const QString autosave = workspace + QStringLiteral("/autosave.json");
    QString error;
    QVERIFY2(m_window->session()->save(autosave + QStringLiteral(".bak"), &error), qPrintable(error));
    const qsizetype runs = m_window->session()->runs().size();
    QVERIFY(runs > 0);
    QFile f(autosave);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();
    for (const QString& old : QDir(workspace).entryList({QStringLiteral("autosave-unreadable-*")}))
        QFile::remove(workspace + QLatin1Char('/') + old);

    MainWindow restarted;
    restarted.restoreLastExperiment();
    QCOMPARE(restarted.session()->runs().size(), runs);
    const QStringList kept = QDir(workspace).entryList({QStringLiteral("autosave-unreadable-*.json")});
    QCOMPARE(kept.size(), 1);
    QFile keptFile(workspace + QLatin1Char('/') + kept[0]);
    QVERIFY(keptFile.open(QIODevice::ReadOnly));
    QCOMPARE(keptFile.readAll(), bytes);
    // Said in a notice that stays until dismissed (a status-bar message would be cut short).
    const QString shown = restarted.notice()->text();
    QVERIFY(!restarted.notice()->isHidden());
    QVERIFY2(shown.contains(QStringLiteral("could not be read")) && shown.contains(kept[0])
                 && shown.contains(QStringLiteral("previous autosave was restored")),
             qPrintable(shown));
    Q_EMIT restarted.notice()->linkActivated(QStringLiteral("dismiss"));
    QVERIFY(restarted.notice()->isHidden());
}

void TestWorkflow::fineTunePageTrainsAndSweeps()
{
    FineTunePage* page = m_window->fineTunePage();
    m_window->showPage(MainWindow::FineTune);
    QSignalSpy tree(page, &FineTunePage::treeReady);
    page->backboneBox()->setCurrentText(QStringLiteral("resnet18"));
    QVERIFY(tree.wait(60000));
    page->applyPreset(QStringLiteral("block"));
    QCOMPARE(page->selection(), std::vector<std::string>{"layer4.1"});
    // Ticking a module in the tree is the selection.
    page->setSelection({"layer4.0.downsample", "layer4.1.conv2"});
    QCOMPARE(page->selection(), (std::vector<std::string>{"layer4.0.downsample", "layer4.1.conv2"}));
    page->epochsBox()->setValue(2);
    page->sizeBox()->setValue(32);
    QSignalSpy done(page, &FineTunePage::runFinished);
    QVERIFY(page->start());
    QVERIFY(done.wait(300000));
    QVERIFY(done[0][0].toBool());
    QCOMPARE(page->lossChart()->epochCount(), 2);
    QCOMPARE(page->accuracyChart()->epochCount(), 2);
    QVERIFY(QFile::exists(page->lastWeights()));
    // The sweep: one run per candidate, a table row each.
    page->epochsBox()->setValue(1);
    QSignalSpy swept(page, &FineTunePage::sweepFinished);
    page->startSweep({QStringLiteral("layer4.0.downsample"), QStringLiteral("layer3.1")});
    QVERIFY(swept.wait(300000));
    QVERIFY(swept[0][0].toBool());
    QCOMPARE(page->sweepTable()->rowCount(), 2);
    QCOMPARE(page->sweepTable()->item(1, 0)->text(), QStringLiteral("layer3.1"));
}

void TestWorkflow::gradCamOverlayOnAClassifiedImage()
{
    ClassifyPage* page = m_window->classifyPage();
    m_window->showPage(MainWindow::Classify);
    ClassifiedModel* model = page->model();
    int row = 0;
    while (row < model->rowCount() && !model->isClassified(row))
        ++row;
    QVERIFY(row < model->rowCount());
    const QModelIndex item = model->index(row);
    model->thumbnails()->waitForDecodes();
    QTRY_VERIFY(!qvariant_cast<QPixmap>(item.data(Qt::DecorationRole)).isNull());
    const QImage before = qvariant_cast<QPixmap>(item.data(Qt::DecorationRole)).toImage();
    // G on the selected row, as a user would press it.
    page->results()->setFocus();
    page->results()->setCurrentIndex(item);
    QSignalSpy shown(page, &ClassifyPage::gradCamShown);
    QTest::keyClick(page->results(), Qt::Key_G);
    QVERIFY(shown.wait(120000));
    QCOMPARE(page->gradCamCount(), 1);
    QVERIFY(model->hasOverlay(row));
    QVERIFY(qvariant_cast<QPixmap>(item.data(Qt::DecorationRole)).toImage() != before);  // the overlay is drawn
    QTest::keyClick(page->results(), Qt::Key_G);
    QVERIFY(!model->hasOverlay(row));
    QCOMPARE(qvariant_cast<QPixmap>(item.data(Qt::DecorationRole)).toImage(), before);
}

void TestWorkflow::welcomePageFindsWeightsAndReportsFailedDownloads()
{
    // A weights file where torchvision keeps them: the welcome page offers it.
    const QString torchHome = m_dir.filePath(QStringLiteral("torchhome"));
    QDir().mkpath(torchHome + QStringLiteral("/hub/checkpoints"));
    const QString weights = torchHome + QStringLiteral("/hub/checkpoints/resnet18-f37072fd.pth");
    QFile w(weights);
    QVERIFY(w.open(QIODevice::WriteOnly));
    w.write("stand-in");
    w.close();
    qputenv("TORCH_HOME", torchHome.toUtf8());
    m_window->showWelcome();
    QCOMPARE(m_window->currentPage(), MainWindow::PageCount);
    QPushButton* use = nullptr;
    for (QPushButton* b : m_window->welcomePage()->findChildren<QPushButton*>())
        if (b->text().contains(QStringLiteral("resnet18-f37072fd.pth")))
            use = b;
    QVERIFY(use);
    QVERIFY(m_window->banner()->text().contains(QStringLiteral("random weights")));
    QTest::mouseClick(use, Qt::LeftButton);
    QCOMPARE(m_window->session()->featureSettings().value(QStringLiteral("weights")).toString(), weights);
    QVERIFY(!m_window->banner()->text().contains(QStringLiteral("random weights")));
    QVERIFY(m_window->banner()->text().contains(QStringLiteral("demo set")));  // still the synthetic data
    // A download whose bytes do not match the published checksum fails with a clear message.
    deepsvm::test::HttpFixture http;
    QVERIFY(http.listen());
    http.addFile(QStringLiteral("resnet18-f37072fd.pth"), QByteArray(4096, 'x'));
    Task* task = m_window->welcomePage()->downloadWeights(http.base() + QStringLiteral("/files"));
    QVERIFY(task);
    QSignalSpy failed(task, &Task::failed);
    QVERIFY(failed.wait(30000));
    QVERIFY(failed[0][0].toString().contains(QStringLiteral("checksum mismatch")));
    QVERIFY(m_window->welcomePage()->findChildren<QLabel*>().last()->text().contains(QStringLiteral("checksum mismatch")));
    QCOMPARE(QFileInfo(weights).size(), qint64(8));  // the file already there is untouched
    // Every family is offered; the download takes the chosen network's file.
    auto* which = m_window->welcomePage()->findChild<QComboBox*>();
    QVERIFY(which);
    QCOMPARE(which->count(), int(backboneNames().size()));
    QCOMPARE(which->currentData().toString(), QStringLiteral("resnet18"));  // the Features page's backbone first
    which->setCurrentIndex(which->findData(QStringLiteral("convnext_tiny")));
    http.addFile(QStringLiteral("convnext_tiny-983f1562.pth"), QByteArray(4096, 'y'));
    Task* other = m_window->welcomePage()->downloadWeights(http.base() + QStringLiteral("/files"));
    QVERIFY(other);
    QVERIFY(m_window->welcomePage()->findChildren<QLabel*>().last()->text().contains(QStringLiteral("convnext_tiny-983f1562.pth")));
    QSignalSpy otherFailed(other, &Task::failed);
    QVERIFY(otherFailed.wait(30000));
    QVERIFY2(otherFailed[0][0].toString().contains(QStringLiteral("checksum mismatch")), qPrintable(otherFailed[0][0].toString()));
    qunsetenv("TORCH_HOME");
}

void TestWorkflow::badFilesThroughThePagesKeepTheWindowUp()
{
    // Broken files reached through the pages: the message names the file, the window keeps
    // working, and the good dataset opens again afterwards.
    const QString good = m_window->session()->datasetDir();
    const QString stl10 = good.endsWith(QStringLiteral("stl10_binary")) ? good : good + QStringLiteral("/stl10_binary");
    const QString broken = m_dir.filePath(QStringLiteral("broken ünï/stl10_binary"));
    QVERIFY(QDir().mkpath(broken));
    for (const QString& name : QDir(stl10).entryList(QDir::Files))
        QVERIFY(QFile::copy(stl10 + QLatin1Char('/') + name, broken + QLatin1Char('/') + name));
    QVERIFY(QFile::resize(broken + QStringLiteral("/train_X.bin"), QFileInfo(broken + QStringLiteral("/train_X.bin")).size() - 5));
    DataPage* data = m_window->dataPage();
    m_window->showPage(MainWindow::Data);
    QString warned;
    QTimer answer;
    connect(&answer, &QTimer::timeout, this, [&] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
            warned = box->text();
            box->accept();
        }
    });
    answer.start(20);
    QVERIFY(!data->openFolder(broken));
    answer.stop();
    QVERIFY2(warned.contains(broken + QStringLiteral("/train_X.bin")), qPrintable(warned));
    QVERIFY2(data->summaryLabel()->text().contains(broken + QStringLiteral("/train_X.bin")), qPrintable(data->summaryLabel()->text()));
    QCOMPARE(m_window->session()->datasetDir(), good);  // the open dataset is untouched

    // A weights file that is not one: extraction fails by name, nothing is cached.
    const QString weights = m_dir.filePath(QStringLiteral("not weights.pth"));
    QFile f(weights);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not a PyTorch file\n");
    f.close();
    FeaturesPage* page = m_window->featuresPage();
    const QJsonObject before = page->settings();
    page->applySettings(QJsonObject{{QStringLiteral("size"), 96}});
    page->setWeightsFile(weights);
    QSignalSpy finished(page, &FeaturesPage::extractionFinished);
    QVERIFY(page->startExtraction());
    QVERIFY(finished.wait(120000));
    QVERIFY(!finished[0][0].toBool());
    QVERIFY2(page->statusLabel()->text().contains(weights) && page->statusLabel()->text().contains(QStringLiteral("not a PyTorch file")),
             qPrintable(page->statusLabel()->text()));
    QVERIFY(page->extractButton()->isEnabled());
    page->setWeightsFile(QString());
    page->applySettings(before);
    QVERIFY(data->openFolder(good));
}

/// The Backbones page compares two networks on the demo set; "Use the best on the SVM page"
/// sets the Features page to the winner, whose training features come from the board's cache,
/// and the SVM page follows.
void TestWorkflow::backbonesBoardHandsTheBestToTheSvmPage()
{
    BackbonesPage* page = m_window->backbonesPage();
    m_window->showPage(MainWindow::Backbones);
    page->setChecked({QStringLiteral("resnet18"), QStringLiteral("convnext_tiny")});
    page->findChild<QSpinBox*>(QStringLiteral("crop"))->setValue(64);
    QSignalSpy started(m_window->session()->runner(), &TaskRunner::taskStarted);
    QSignalSpy finished(page, &BackbonesPage::boardFinished);
    QVERIFY(page->start());
    QCOMPARE(started.count(), 1);
    QCOMPARE(started[0][0].value<Task*>()->title(), QStringLiteral("Compare backbones"));
    QVERIFY(finished.wait(300000));
    QVERIFY2(finished[0][0].toBool(), qPrintable(page->status()->text()));
    QCOMPARE(page->rows().size(), std::size_t(2));
    auto* table = page->findChild<QTableWidget*>();
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("convnext_tiny"));
    QCOMPARE(table->item(1, 4)->text(), QStringLiteral("768"));
    const int best = bestBoardRow(page->rows());
    QVERIFY(table->item(best, 0)->font().bold());
    QCOMPARE(table->item(best, 6)->text(), QString::number(page->rows()[std::size_t(best)].cvMean, 'f', 4));

    QPushButton* use = nullptr;
    for (QPushButton* b : page->findChildren<QPushButton*>())
        if (b->text().startsWith(QStringLiteral("Use the best")))
            use = b;
    QVERIFY(use && use->isEnabled());
    QSignalSpy extracted(m_window->featuresPage(), &FeaturesPage::extractionFinished);
    QTest::mouseClick(use, Qt::LeftButton);
    QVERIFY(extracted.wait(300000));
    QVERIFY(extracted[0][0].toBool());
    const BoardRow& chosen = page->rows()[std::size_t(best)];
    const QJsonObject settings = m_window->session()->featureSettings();
    QCOMPARE(settings.value(QStringLiteral("backbone")).toString(), QString::fromStdString(chosen.candidate.backbone));
    QCOMPARE(settings.value(QStringLiteral("size")).toInt(), 64);
    // The training split is the board's own cache entry: not extracted a second time.
    QCOMPARE(m_window->session()->trainPrefix(), QString::fromStdString(chosen.featuresPrefix));
    QTRY_COMPARE(m_window->currentPage(), MainWindow::Svm);
}

void TestWorkflow::closingWhileTasksRunStopsThem()
{
    // The window is closed while an extraction runs: the user confirms, the task is
    // cancelled between batches, the window closes promptly (closeEvent gives tasks 1.5 s,
    // then the process would end with status 3, failing this test), no task object is left
    // and no temporary file remains.
    auto window = std::make_unique<MainWindow>();
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    QString error;
    QVERIFY2(window->session()->openDataset(m_window->session()->datasetDir(), &error), qPrintable(error));
    FeaturesPage* page = window->featuresPage();
    // Settings not cached yet, at a size that keeps the task busy for many seconds.
    page->applySettings(QJsonObject{{QStringLiteral("backbone"), QStringLiteral("resnet18")},
                                    {QStringLiteral("size"), 288},
                                    {QStringLiteral("precision"), QStringLiteral("fp32")},
                                    {QStringLiteral("batch_size"), 4}});
    QSignalSpy started(window->session()->runner(), &TaskRunner::taskStarted);
    QTest::mouseClick(page->extractButton(), Qt::LeftButton);
    QCOMPARE(started.count(), 1);
    QPointer<Task> task = started[0][0].value<Task*>();
    QSignalSpy progressed(task.data(), &Task::progress);
    QVERIFY(progressed.wait(60000));  // it is really running
    QVERIFY(progressed.wait(60000));
    int asked = 0;
    QTimer answer;
    connect(&answer, &QTimer::timeout, this, [&] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
            ++asked;
            box->button(QMessageBox::Yes)->click();
        }
    });
    answer.start(20);
    QElapsedTimer clock;
    clock.start();
    QVERIFY(window->close());
    const qint64 closedMs = clock.elapsed();
    answer.stop();
    QCOMPARE(asked, 1);
    qInfo("closed %lld ms after the click (task cancelled and joined)", closedMs);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCoreApplication::processEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCOMPARE(window->session()->runner()->activeCount(), 0);
    QVERIFY2(task.isNull(), "the cancelled task object was not deleted");
    QDirIterator it(window->session()->workspace(), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QVERIFY2(!path.contains(QStringLiteral(".tmp")), qPrintable(path));
    }
}

void TestWorkflow::cleanupTestCase()
{
    m_window.reset();
    QSettings().clear();
}

QTEST_MAIN(TestWorkflow)
#include "tst_workflow.moc"
