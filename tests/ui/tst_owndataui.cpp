// A plain class folder (no train/ and test/) through the window: Data -> Features -> SVM ->
// Evaluation on a stratified hold-out, out-of-fold predictions, the Runs table's CV score and
// the Label issues page moving a mislabelled file and back.
#include "../common/TestSupport.h"

#include "MainWindow.h"
#include "Session.h"
#include "charts/ChartWidgets.h"
#include "data/Dataset.h"
#include "features/FeatureStore.h"
#include "models/ClassifiedModel.h"
#include "models/LazyThumbnails.h"
#include "models/RunData.h"
#include "widgets/ClassifiedDelegate.h"
#include "models/ThumbnailModel.h"
#include "pages/DataPage.h"
#include "pages/EvaluationPage.h"
#include "pages/FeaturesPage.h"
#include "pages/LabelIssuesPage.h"
#include "pages/RunsPage.h"
#include "pages/SvmPage.h"
#include "widgets/SimilarImages.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QStyleOptionViewItem>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <random>

using namespace deepsvm;

class TestOwnDataUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void plainFolderGetsAHoldOut();
    void similarImagesShareTheColour();
    void evaluationShowsTheHoldOutAndOutOfFold();
    void runsTableShowsTheCvScore();
    void labelIssuesRelabelAndUndoMoveTheFile();
    void csvDatasetRelabelsThroughLabelsOverride();
    void classifyListHoldsAHundredThousandRows();
    void cleanupTestCase();

private:
    QTemporaryDir m_dir;
    QString m_photos;
    int m_trainRows = 0, m_testRows = 0;
    std::unique_ptr<MainWindow> m_window;
};

void TestOwnDataUi::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("DeepSVM-tests-owndata"));
    QSettings().clear();
    QSettings().setValue(QStringLiteral("workspace"), m_dir.filePath(QStringLiteral("workspace")));
    // Three classes of one colour each (with noise), 10 images each, and three red images
    // filed among the blue ones: labels a model can contradict with confidence.
    m_photos = m_dir.filePath(QStringLiteral("photos"));
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> noise(-40, 40);
    const QList<QPair<QString, QColor>> classes{{QStringLiteral("blue"), QColor(40, 60, 220)},
                                                {QStringLiteral("green"), QColor(40, 200, 60)},
                                                {QStringLiteral("red"), QColor(220, 40, 40)}};
    for (const auto& [name, colour] : classes) {
        QVERIFY(QDir().mkpath(m_photos + QLatin1Char('/') + name));
        for (int i = 0; i < 10; ++i) {
            QImage im(40, 40, QImage::Format_RGB32);
            for (int y = 0; y < 40; ++y)
                for (int x = 0; x < 40; ++x)
                    im.setPixel(x, y, qRgb(std::clamp(colour.red() + noise(rng), 0, 255), std::clamp(colour.green() + noise(rng), 0, 255),
                                           std::clamp(colour.blue() + noise(rng), 0, 255)));
            const bool misfiled = name == QStringLiteral("red") && i >= 7;
            QVERIFY(im.save(QStringLiteral("%1/%2/%3.png").arg(m_photos, misfiled ? QStringLiteral("blue") : name).arg(name + QString::number(i))));
        }
    }
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1280, 820);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestOwnDataUi::plainFolderGetsAHoldOut()
{
    DataPage* data = m_window->dataPage();
    QVERIFY(data->openFolder(m_photos));
    QTRY_VERIFY(m_window->session()->dataset() != nullptr);
    QVERIFY(m_window->session()->datasetNeedsHoldOut());
    QVERIFY(data->holdOutShare()->isVisibleTo(data));
    QCOMPARE(data->holdOutShare()->value(), 0.2);
    FeaturesPage* features = m_window->featuresPage();
    m_window->showPage(MainWindow::Features);
    features->applySettings(QJsonObject{{QStringLiteral("backbone"), QStringLiteral("resnet18")},
                                        {QStringLiteral("size"), 32},
                                        {QStringLiteral("precision"), QStringLiteral("fp32")},
                                        {QStringLiteral("batch_size"), 16}});
    QSignalSpy finished(features, &FeaturesPage::extractionFinished);
    QTest::mouseClick(features->extractButton(), Qt::LeftButton);
    QVERIFY(finished.wait(300000));
    QVERIFY(finished[0][0].toBool());
    // The session trains on 80% of each class and tests on the rest, from the cache entry.
    const QString test = m_window->session()->testPrefix();
    QVERIFY2(test.endsWith(QStringLiteral(".holdout-0.2-s0.test")), qPrintable(test));
    QVERIFY(QFile::exists(test + QStringLiteral(".features.npy")));
    const QString summary = m_window->session()->holdOutSummary();
    QVERIFY2(summary.startsWith(QStringLiteral("No test split: ")) && summary.endsWith(QStringLiteral("(20% of each class, seed 0)")),
             qPrintable(summary));
    const QStringList words = summary.split(QLatin1Char(' '));
    m_trainRows = words[3].toInt();
    m_testRows = words[6].toInt();
    QCOMPARE(m_trainRows + m_testRows, 30);
    QVERIFY(m_testRows >= 6 && m_testRows <= 8);
    QCOMPARE(data->holdOutLabel()->text(), m_window->session()->holdOutSummary());
    // The share is part of the split's name: another share, another split.
    data->holdOutShare()->setValue(0.3);
    QVERIFY(m_window->session()->testPrefix().endsWith(QStringLiteral(".holdout-0.3-s0.test")));
    data->holdOutShare()->setValue(0.2);
    QCOMPARE(m_window->session()->testPrefix(), test);
}

void TestOwnDataUi::similarImagesShareTheColour()
{
    // A green image's nearest training images are the other green ones (a test image too).
    for (const QString& prefix : {m_window->session()->trainPrefix(), m_window->session()->testPrefix()}) {
        QFile side(prefix + QStringLiteral(".json"));
        QVERIFY(side.open(QIODevice::ReadOnly));
        QString green;
        for (const auto& v : QJsonDocument::fromJson(side.readAll()).object()[QStringLiteral("ids")].toArray())
            if (v.toString().startsWith(QStringLiteral("green/")))
                green = v.toString();
        QVERIFY(!green.isEmpty());
        QString error;
        const auto similar = similarTrainingImages(*m_window->session(), green.toStdString(), 5, &error);
        QVERIFY2(similar.size() == 5, qPrintable(error));
        double last = 2;
        for (const SimilarImage& s : similar) {
            QVERIFY(s.id != green.toStdString());
            QCOMPARE(s.label, 1);
            QVERIFY(QString::fromStdString(s.id).startsWith(QStringLiteral("green/")));
            QVERIFY(s.similarity <= last);
            last = s.similarity;
        }
    }
    // An image known only by its features (as the Classify page has them): a green row's.
    const FeatureSet train = FeatureStore::load(m_window->session()->trainPrefix().toStdString());
    const auto green = std::find(train.labels.begin(), train.labels.end(), int64_t(1)) - train.labels.begin();
    const std::vector<float> features(train.values.begin() + green * train.cols, train.values.begin() + (green + 1) * train.cols);
    QString why;
    const auto near = similarTrainingImagesTo(*m_window->session(), features, 4, &why);
    QVERIFY2(near.size() == 4, qPrintable(why));
    QCOMPARE(near.front().id, train.ids[std::size_t(green)]);  // its own row, at similarity 1
    QVERIFY(near.front().similarity > 0.999);
    for (const SimilarImage& s : near)
        QCOMPARE(s.label, 1);
    QVERIFY(similarTrainingImagesTo(*m_window->session(), std::vector<float>(3, 0.f), 4, &why).empty());
    QVERIFY(why.contains(QStringLiteral("3 features")));
    QString error;
    QVERIFY(similarTrainingImages(*m_window->session(), "no/such.png", 5, &error).empty());
    QVERIFY(error.contains(QStringLiteral("no/such.png")));
}

void TestOwnDataUi::evaluationShowsTheHoldOutAndOutOfFold()
{
    SvmPage* svm = m_window->svmPage();
    m_window->showPage(MainWindow::Svm);
    svm->cEdit()->setText(QStringLiteral("1,10"));
    svm->gammaEdit()->setText(QStringLiteral("scale"));
    svm->foldsBox()->setValue(3);
    QSignalSpy done(svm, &SvmPage::runFinished);
    QTest::mouseClick(svm->startButton(), Qt::LeftButton);
    QVERIFY(done.wait(300000));
    EvaluationPage* page = m_window->evaluationPage();
    QTRY_VERIFY(page->data().hasTest());
    QCOMPARE(int(page->data().evaluated), int(Evaluated::Test));
    QCOMPARE(page->data().confusion.total(), int64_t(m_testRows));
    QVERIFY2(page->summary()->text().contains(QStringLiteral("Test accuracy")), qPrintable(page->summary()->text()));
    QVERIFY(page->data().hasRoc);
    QVERIFY(page->rocChart()->curveCount() >= 3);
    // The training rows' out-of-fold predictions, on the same page.
    page->evaluatedChoice()->setCurrentIndex(1);
    Q_EMIT page->evaluatedChoice()->activated(1);
    QCOMPARE(int(page->data().evaluated), int(Evaluated::OutOfFold));
    QCOMPARE(page->data().confusion.total(), int64_t(m_trainRows));
    QVERIFY2(page->summary()->text().contains(QStringLiteral("Out-of-fold accuracy")), qPrintable(page->summary()->text()));
    QVERIFY(page->rocChart()->curveCount() >= 3);
    QCOMPARE(page->data().testIds.size(), std::size_t(m_trainRows));
    // Clicking a cell shows those training images, found in the open folder.
    const auto& cm = page->data().confusion;
    page->showCell(0, 0);
    QCOMPARE(page->gallery()->rowCount(), int(cm.at(0, 0)));
    page->evaluatedChoice()->setCurrentIndex(0);
    Q_EMIT page->evaluatedChoice()->activated(0);
    QCOMPARE(page->data().confusion.total(), int64_t(m_testRows));
}

void TestOwnDataUi::runsTableShowsTheCvScore()
{
    QTableWidget* table = m_window->runsPage()->table();
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->horizontalHeaderItem(4)->text(), QStringLiteral("best CV (mean ± std)"));
    const QString cv = table->item(0, 4)->text();
    QVERIFY2(cv.contains(QStringLiteral(" ± ")), qPrintable(cv));
    QVERIFY(cv.split(QStringLiteral(" ± ")).front().toDouble() > 0);
}

void TestOwnDataUi::labelIssuesRelabelAndUndoMoveTheFile()
{
    LabelIssuesPage* page = m_window->labelIssuesPage();
    m_window->showPage(MainWindow::LabelIssues);
    QVERIFY2(page->findIssues(), qPrintable(page->summary()->text()));
    // The misfiled red images that landed in training are flagged as red, most suspicious first.
    int misfiled = -1;
    for (std::size_t i = 0; i < page->rows().size(); ++i)
        if (QString::fromStdString(page->rows()[i].id).startsWith(QStringLiteral("blue/red")))
            misfiled = int(i);
    QVERIFY2(misfiled >= 0, qPrintable(page->summary()->text()));
    const LabelIssuesPage::Row row = page->rows()[std::size_t(misfiled)];
    QCOMPARE(row.issue.suggested, 2);  // red
    QCOMPARE(page->model()->rowCount(), int(page->rows().size()));
    QVERIFY(page->model()->data(page->model()->index(misfiled), Qt::DisplayRole).toString().contains(QStringLiteral("blue → red")));
    const QString from = m_photos + QLatin1Char('/') + QString::fromStdString(row.id);
    const QString to = m_photos + QStringLiteral("/red/") + QFileInfo(from).fileName();
    QVERIFY(page->relabel(misfiled, row.issue.suggested));
    QVERIFY(!QFile::exists(from));
    QVERIFY(QFile::exists(to));
    QVERIFY(page->rows()[std::size_t(misfiled)].status.contains(QStringLiteral("relabelled")));
    QVERIFY(QFile::exists(m_photos + QStringLiteral("/_label_edits.log")));
    QVERIFY(page->undo());
    QVERIFY(QFile::exists(from));
    QVERIFY(!QFile::exists(to));
    // Exclude puts it beside the classes, where the loader does not look.
    QVERIFY(page->exclude(misfiled));
    QVERIFY(QFile::exists(m_photos + QStringLiteral("/_excluded/blue/") + QFileInfo(from).fileName()));
    QString error;
    QVERIFY2(m_window->session()->openDataset(m_photos, &error), qPrintable(error));
    QCOMPARE(m_window->session()->classNames(), (QStringList{QStringLiteral("blue"), QStringLiteral("green"), QStringLiteral("red")}));
    QCOMPARE(m_window->session()->dataset()->split("all")->size(), 29);
}

void TestOwnDataUi::csvDatasetRelabelsThroughLabelsOverride()
{
    // The same photos listed in a CSV: its files are not moved, the changes go to
    // labels_override.csv, and Retrain runs the grid search with them (no extraction).
    const QString list = m_dir.filePath(QStringLiteral("list.csv"));
    QFile f(list);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("path,label\n");
    QStringList misfiled;
    for (const QString& cls : {QStringLiteral("blue"), QStringLiteral("green"), QStringLiteral("red")})
        for (const QFileInfo& file : QDir(m_photos + QLatin1Char('/') + cls).entryInfoList({QStringLiteral("*.png")}, QDir::Files)) {
            const QString id = cls + QLatin1Char('/') + file.fileName();
            f.write(QStringLiteral("photos/%1,%2\n").arg(id, cls).toUtf8());
            if (id.startsWith(QStringLiteral("blue/red")))
                misfiled << QStringLiteral("photos/") + id;
        }
    f.close();
    QCOMPARE(misfiled.size(), 2);  // the third was excluded above
    DataPage* data = m_window->dataPage();
    QVERIFY(data->openFolder(list));
    QTRY_VERIFY(m_window->session()->dataset() && m_window->session()->dataset()->kind() == "csv");
    QVERIFY(!m_window->session()->datasetRelabelsByMoving());
    const QString overridePath = m_window->session()->labelsOverridePath();
    QVERIFY2(overridePath.startsWith(m_dir.filePath(QStringLiteral("workspace/labels/list.csv-")))
                 && overridePath.endsWith(QStringLiteral("/labels_override.csv")),
             qPrintable(overridePath));
    FeaturesPage* features = m_window->featuresPage();
    QSignalSpy extracted(features, &FeaturesPage::extractionFinished);
    QVERIFY(features->startExtraction());
    QVERIFY(extracted.wait(300000));
    QVERIFY(extracted[0][0].toBool());
    SvmPage* svm = m_window->svmPage();
    QSignalSpy done(svm, &SvmPage::runFinished);
    QVERIFY(svm->startSearch());
    QVERIFY(done.wait(300000));
    QTRY_VERIFY(!m_window->session()->currentRun().isEmpty());

    LabelIssuesPage* page = m_window->labelIssuesPage();
    QVERIFY2(page->findIssues(), qPrintable(page->summary()->text()));
    int row = -1;
    for (std::size_t i = 0; i < page->rows().size(); ++i)
        if (misfiled.contains(QString::fromStdString(page->rows()[i].id)))
            row = int(i);
    QVERIFY2(row >= 0, qPrintable(page->summary()->text()));
    const std::string id = page->rows()[std::size_t(row)].id;
    QVERIFY(page->relabel(row, 2));
    QVERIFY(QFile::exists(m_photos + QLatin1Char('/') + QString::fromStdString(id).mid(7)));  // the file stays
    auto overrideRows = [&] {
        QFile o(overridePath);
        return o.open(QIODevice::ReadOnly) ? o.readAll().trimmed().split('\n') : QList<QByteArray>();
    };
    QCOMPARE(overrideRows(), (QList<QByteArray>{"id,label", QByteArray::fromStdString(id) + ",red"}));
    QVERIFY2(page->summary()->text().contains(QStringLiteral("relabelled to red")), qPrintable(page->summary()->text()));
    QVERIFY(page->undo());
    QCOMPARE(overrideRows(), (QList<QByteArray>{"id,label"}));
    QVERIFY(page->relabel(row, 2));
    QVERIFY(page->exclude(int(row == 0 ? 1 : 0)) || page->rows().size() == 1);

    // Retrain: the grid search alone, on the same features, with the override applied.
    const int runsBefore = int(m_window->session()->runs().size());
    const QString trainBefore = m_window->session()->trainPrefix();
    QSignalSpy retrained(svm, &SvmPage::runFinished);
    QPushButton* retrain = nullptr;
    for (QPushButton* b : page->findChildren<QPushButton*>())
        if (b->text() == QStringLiteral("Retrain"))
            retrain = b;
    QVERIFY(retrain);
    QTest::mouseClick(retrain, Qt::LeftButton);
    QVERIFY(retrained.wait(300000));
    QCOMPARE(int(m_window->session()->runs().size()), runsBefore + 1);
    QCOMPARE(m_window->session()->trainPrefix(), trainBefore);
    const QString dir = m_window->session()->currentRun()[QStringLiteral("dir")].toString();
    QFile reportFile(dir + QStringLiteral("/report.json"));
    QVERIFY(reportFile.open(QIODevice::ReadOnly));
    const QJsonObject applied = QJsonDocument::fromJson(reportFile.readAll()).object()[QStringLiteral("labels_override")].toObject();
    QCOMPARE(applied[QStringLiteral("file")].toString(), overridePath);
    QCOMPARE(applied[QStringLiteral("relabelled")].toInt() + applied[QStringLiteral("excluded")].toInt(), int(overrideRows().size()) - 1);
    // The new run's out-of-fold rows carry the new label.
    RunData oof;
    QString error;
    QVERIFY2(RunData::load(m_window->session()->currentRun(), &oof, &error, Evaluated::OutOfFold), qPrintable(error));
    const auto at = std::find(oof.testIds.begin(), oof.testIds.end(), id);  // a training row: it was flagged
    QVERIFY(at != oof.testIds.end());
    QCOMPARE(oof.truth[std::size_t(at - oof.testIds.begin())], 2);
    QCOMPARE(oof.testIds.size(), std::size_t(m_window->session()->holdOutSummary().split(QLatin1Char(' '))[3].toInt())
                                     - std::size_t(applied[QStringLiteral("excluded")].toInt()));
}

void TestOwnDataUi::classifyListHoldsAHundredThousandRows()
{
    // The Classify page's list: 100,000 results (far past the old 5,000-image cap) in a model
    // the delegate paints; thumbnails are decoded for the rows in view only.
    ClassifiedModel model;
    const QStringList files = QDir(m_photos + QStringLiteral("/green")).entryList({QStringLiteral("*.png")}, QDir::Files);
    QVERIFY(!files.isEmpty());
    for (int i = 0; i < 100000; ++i) {
        Classifier::Result r;
        r.path = (m_photos + QStringLiteral("/green/") + files[i % files.size()]).toStdString();
        if (i % 1000 == 999) {
            r.error = "not an image";
        } else {
            r.top = {{1, "green", 0.8}, {0, "blue", 0.15}, {2, "red", 0.05}};
            r.predicted = 1;
            r.scores = {0.15, 0.8, 0.05};
            r.farFromTraining = i % 7 == 0;
            r.features.assign(512, 1.f);  // dropped by the model
        }
        model.append(std::move(r));
    }
    QCOMPARE(model.rowCount(), 100000);
    QCOMPARE(model.classifiedCount(), 99900);
    QCOMPARE(model.rejectedCount(), 100);
    QCOMPARE(model.perClass().at(QStringLiteral("green")), 99900);
    QVERIFY(model.result(5).features.empty());
    QListView view;
    view.setModel(&model);
    view.setItemDelegate(new ClassifiedDelegate(&model, &view));
    view.setLayoutMode(QListView::Batched);
    view.resize(600, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTRY_VERIFY(model.thumbnails()->decodesStarted() > 0);
    model.thumbnails()->waitForDecodes();
    QCoreApplication::processEvents();
    const int visible = model.thumbnails()->decodesStarted();
    QVERIFY2(visible <= 20, qPrintable(QString::number(visible)));
    // The last rows, after a jump to the end: their thumbnails only.
    view.scrollToBottom();
    QTRY_VERIFY(model.thumbnails()->decodesStarted() > visible);
    model.thumbnails()->waitForDecodes();
    QVERIFY(model.thumbnails()->decodesStarted() <= 2 * visible + 20);
    const QModelIndex last = model.index(99998);
    QTRY_VERIFY(!qvariant_cast<QPixmap>(last.data(Qt::DecorationRole)).isNull());
    QCOMPARE(model.index(99999).data(ClassifiedModel::StatusRole).toString(), QStringLiteral("rejected"));
    // Classified rows are taller than refused ones; a far-from-training row has its warning line.
    const QStyleOptionViewItem option;
    ClassifiedDelegate delegate(&model);
    QVERIFY(delegate.sizeHint(option, model.index(999)).height() < delegate.sizeHint(option, model.index(1)).height());
    // Five classes and the warning need more lines than the thumbnail is high.
    ClassifiedModel five;
    for (bool far : {false, true}) {
        Classifier::Result r;
        r.path = "x.png";
        r.top.assign(5, Classifier::Ranked{0, "green", 0.2});
        r.farFromTraining = far;
        five.append(r);
    }
    ClassifiedDelegate fiveDelegate(&five);
    QCOMPARE(fiveDelegate.sizeHint(option, five.index(1)).height() - fiveDelegate.sizeHint(option, five.index(0)).height(),
             ClassifiedDelegate::kLine);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.thumbnails()->cachedCount(), 0);
}

void TestOwnDataUi::cleanupTestCase()
{
    m_window.reset();
    QSettings().clear();
}

QTEST_MAIN(TestOwnDataUi)
#include "tst_owndataui.moc"
