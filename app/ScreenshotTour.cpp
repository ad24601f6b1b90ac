#include "ScreenshotTour.h"

#include "MainWindow.h"
#include "Session.h"
#include "charts/MatrixViews.h"
#include "data/Dataset.h"
#include "models/ThumbnailModel.h"
#include "pages/BackbonesPage.h"
#include "pages/ClassifyPage.h"
#include "pages/DataPage.h"
#include "pages/EvaluationPage.h"
#include "pages/FeaturesPage.h"
#include "pages/FineTunePage.h"
#include "pages/LabelIssuesPage.h"
#include "pages/RunsPage.h"
#include "pages/SvmPage.h"
#include "models/ClassifiedModel.h"
#include "widgets/SimilarImages.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDialog>
#include <QDirIterator>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>

#include <cstdio>

namespace deepsvm {

ScreenshotTour::ScreenshotTour(MainWindow* window, QString outDir, QString sampleImages, QObject* parent)
    : QObject(parent), m_window(window), m_out(std::move(outDir)), m_samples(std::move(sampleImages)) {}

void ScreenshotTour::fail(const QString& why)
{
    std::fprintf(stderr, "screenshot tour: %s\n", why.toUtf8().constData());
    Q_EMIT done(1);
}

void ScreenshotTour::shoot(const QString& name)
{
    QDir().mkpath(m_out);
    const QString path = m_out + QLatin1Char('/') + name + QStringLiteral(".png");
    if (!m_window->grab().save(path))
        return fail(path + QStringLiteral(": cannot write"));
    std::printf("%s\n", path.toUtf8().constData());
    std::fflush(stdout);
}

void ScreenshotTour::later(int ms, std::function<void()> f)
{
    QTimer::singleShot(ms, this, std::move(f));
}

void ScreenshotTour::start()
{
    MainWindow* w = m_window;
    const QString demo = w->session()->workspace() + QStringLiteral("/demo");
    // Each step waits for the previous one's signal; pauses let thumbnails and charts paint.
    connect(w->dataPage(), &DataPage::demoSetReady, this, [this] { later(1500, [this] { extractDemo(); }); });
    connect(w->featuresPage(), &FeaturesPage::extractionFinished, this, &ScreenshotTour::afterExtraction);
    connect(w->featuresPage(), &FeaturesPage::projectionFinished, this, &ScreenshotTour::afterProjection);
    connect(w->svmPage(), &SvmPage::runFailed, this, [this](const QString& m) { fail(QStringLiteral("SVM run failed: ") + m); });
    connect(w->svmPage(), &SvmPage::runFinished, this, &ScreenshotTour::afterRun);
    connect(w->fineTunePage(), &FineTunePage::treeReady, this, &ScreenshotTour::fineTune);
    connect(w->fineTunePage(), &FineTunePage::runFinished, this, &ScreenshotTour::sweep);
    connect(w->fineTunePage(), &FineTunePage::sweepFinished, this, &ScreenshotTour::afterSweep);
    connect(w->classifyPage(), &ClassifyPage::classificationFinished, this, &ScreenshotTour::afterClassification);
    connect(w->classifyPage(), &ClassifyPage::gradCamShown, this, [this] { later(800, [this] { trainChosenCell(); }); });
    w->showWelcome();
    later(600, [this, w, demo] {
        shoot(QStringLiteral("0-welcome"));
        w->showPage(MainWindow::Data);
        w->dataPage()->makeDemoSet(demo, 100, 80, 0);
    });
}

void ScreenshotTour::extractDemo()
{
    MainWindow* w = m_window;
    shoot(QStringLiteral("1-data"));
    w->showPage(MainWindow::Features);
    // 96 px and bf16 keep the tour quick; the pages show whatever the user picks.
    w->featuresPage()->findChild<QSpinBox*>()->setValue(96);
    for (QComboBox* b : w->featuresPage()->findChildren<QComboBox*>())
        if (b->findText(QStringLiteral("bf16")) >= 0)
            b->setCurrentText(QStringLiteral("bf16"));
    if (!w->featuresPage()->startExtraction())
        fail(QStringLiteral("extraction did not start"));
    later(2500, [this] { shoot(QStringLiteral("2-features-extracting")); });
}

void ScreenshotTour::afterExtraction(bool ok)
{
    if (!ok)
        return fail(QStringLiteral("extraction failed"));
    if (m_leg == Leg::Demo) {
        m_window->featuresPage()->startProjection(QStringLiteral("tsne"));
        return;
    }
    m_window->showPage(MainWindow::Svm);
    if (!m_window->svmPage()->startSearch())
        fail(QStringLiteral("grid search on the photos did not start"));
}

void ScreenshotTour::afterProjection(bool ok)
{
    if (!ok)
        return fail(QStringLiteral("projection failed"));
    later(800, [this] {
        shoot(QStringLiteral("2-features"));
        m_window->showPage(MainWindow::Svm);
        m_window->svmPage()->kernelBox(QStringLiteral("rbf"))->setChecked(true);
        if (!m_window->svmPage()->startSearch())
            fail(QStringLiteral("grid search did not start"));
    });
}

void ScreenshotTour::afterRun()
{
    if (m_leg == Leg::OwnPhotos)
        return later(800, [this] { afterOwnRun(); });
    if (++m_runs == 1)
        return later(600, [this] { showSvmAndEvaluation(); });
    later(600, [this] { showRunsThenFineTune(); });
}

void ScreenshotTour::showSvmAndEvaluation()
{
    MainWindow* w = m_window;
    w->showPage(MainWindow::Svm);
    later(400, [this, w] {
        shoot(QStringLiteral("3-svm"));
        w->showPage(MainWindow::Evaluation);
        const auto& cm = w->evaluationPage()->data().confusion;
        // Show the most confused pair's images.
        int bt = 0, bp = 1;
        for (int t = 0; t < cm.classes; ++t)
            for (int p = 0; p < cm.classes; ++p)
                if (t != p && cm.at(t, p) > cm.at(bt, bp)) { bt = t; bp = p; }
        w->evaluationPage()->showCell(bt, bp);
        later(1500, [this] {
            shoot(QStringLiteral("4-evaluation"));
            classifySamples();
        });
    });
}

void ScreenshotTour::classifySamples()
{
    MainWindow* w = m_window;
    w->showPage(MainWindow::Classify);
    QStringList files;
    if (!m_samples.isEmpty()) {
        QDirIterator it(m_samples, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext() && files.size() < 5) files << it.next();
    }
    if (files.isEmpty()) {
        // No sample photos given: a few demo test images saved as PNG files.
        const auto test = w->session()->dataset()->split("test");
        for (int i = 0; i < 4; ++i) {
            files << w->session()->workspace() + QStringLiteral("/sample-%1.png").arg(i);
            toQImage(test->load(i)).save(files.last());
        }
    }
    files << QDir(m_out).absoluteFilePath(QStringLiteral("1-data.png")) + QStringLiteral(".notes.txt");
    QFile note(files.last());
    note.open(QIODevice::WriteOnly);
    note.write("not an image\n");
    note.close();
    if (!w->classifyPage()->classifyPaths(files))
        fail(QStringLiteral("classification did not start"));
}

void ScreenshotTour::afterClassification()
{
    ClassifyPage* page = m_window->classifyPage();
    // Grad-CAM on the first classified image, selected as a user would.
    for (int i = 0; i < page->model()->rowCount(); ++i)
        if (page->model()->isClassified(i)) {
            page->results()->setCurrentIndex(page->model()->index(i));
            page->results()->scrollTo(page->model()->index(i));
            page->toggleGradCam(i);
            break;
        }
}

void ScreenshotTour::trainChosenCell()
{
    shoot(QStringLiteral("5-classify"));
    QFile::remove(QDir(m_out).absoluteFilePath(QStringLiteral("1-data.png.notes.txt")));
    // A second run (a chosen cell, no cross-validation) to compare on the Runs page.
    m_window->showPage(MainWindow::Svm);
    m_window->svmPage()->table()->selectRow(1);
    if (!m_window->svmPage()->trainChosen())
        fail(QStringLiteral("training the chosen cell did not start"));
}

void ScreenshotTour::showRunsThenFineTune()
{
    MainWindow* w = m_window;
    w->showPage(MainWindow::Runs);
    w->runsPage()->compare(0, 1);
    later(500, [this, w] {
        shoot(QStringLiteral("6-runs"));
        // Fine-tuning: ResNet-18 on 300 images at 64 px keeps the tour short.
        w->showPage(MainWindow::FineTune);
        w->fineTunePage()->backboneBox()->setCurrentText(QStringLiteral("resnet18"));
    });
}

void ScreenshotTour::fineTune()
{
    FineTunePage* page = m_window->fineTunePage();
    if (m_window->currentPage() != MainWindow::FineTune || page->backboneBox()->currentText() != QStringLiteral("resnet18"))
        return;
    page->applyPreset(QStringLiteral("block"));
    page->epochsBox()->setValue(4);
    page->sizeBox()->setValue(64);
    page->findChildren<QSpinBox*>().last()->setValue(300);  // training images
    if (!page->start())
        fail(QStringLiteral("fine-tuning did not start"));
}

void ScreenshotTour::sweep(bool ok)
{
    if (!ok)
        return fail(QStringLiteral("fine-tuning failed"));
    m_window->fineTunePage()->epochsBox()->setValue(2);
    m_window->fineTunePage()->startSweep({QStringLiteral("layer4.0.downsample"), QStringLiteral("layer4.1.conv2"), QStringLiteral("layer3.1")});
}

void ScreenshotTour::afterSweep(bool ok)
{
    if (!ok)
        return fail(QStringLiteral("the sweep failed"));
    later(800, [this] {
        shoot(QStringLiteral("8-finetune"));
        if (m_samples.isEmpty())
            return compareBackbones();
        openOwnPhotos();
    });
}

void ScreenshotTour::openOwnPhotos()
{
    // A copy of the sample photos as a user's folder: no test split, and ten photos saved a
    // second time as JPEG (copies that a hold-out can put on both sides).
    MainWindow* w = m_window;
    const QString dir = w->session()->workspace() + QStringLiteral("/own-photos");
    QDir(dir).removeRecursively();
    int copies = 0;
    const QDir samples(QFileInfo(m_samples).absoluteFilePath());
    QDirIterator it(samples.path(), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        const QString rel = samples.relativeFilePath(file);
        QDir().mkpath(QFileInfo(dir + QLatin1Char('/') + rel).path());
        QFile::copy(file, dir + QLatin1Char('/') + rel);
        if (copies < 10 && rel.endsWith(QStringLiteral("0003.jpg")) && QImage(file).save(dir + QLatin1Char('/') + rel + QStringLiteral(".copy.jpg"), "JPEG", 70))
            ++copies;
    }
    m_leg = Leg::OwnPhotos;
    w->showPage(MainWindow::Data);
    if (!w->dataPage()->openFolder(dir))
        return fail(dir + QStringLiteral(": cannot be opened"));
    later(1500, [this, w] {
        shoot(QStringLiteral("9-own-data"));
        w->showPage(MainWindow::Features);
        if (!w->featuresPage()->startExtraction())
            fail(QStringLiteral("extraction of the photos did not start"));
    });
}

void ScreenshotTour::afterOwnRun()
{
    MainWindow* w = m_window;
    w->showPage(MainWindow::Evaluation);
    later(800, [this, w] {
        shoot(QStringLiteral("10-evaluation-holdout"));
        EvaluationPage* page = w->evaluationPage();
        page->evaluatedChoice()->setCurrentIndex(1);
        Q_EMIT page->evaluatedChoice()->activated(1);
        later(800, [this, w, page] {
            shoot(QStringLiteral("11-evaluation-oof"));
            page->evaluatedChoice()->setCurrentIndex(0);
            Q_EMIT page->evaluatedChoice()->activated(0);
            if (page->leakWarning()->isVisible()) {
                // The pairs dialog is modal: grab it once it is up, then close it.
                later(900, [this, page] {
                    if (QDialog* d = page->pairsDialog()) {
                        d->grab().save(m_out + QStringLiteral("/12-near-duplicates.png"));
                        std::printf("%s\n", (m_out + QStringLiteral("/12-near-duplicates.png")).toUtf8().constData());
                        d->reject();
                    }
                });
                later(300, [page] { page->showNearDuplicates(); });
            }
            later(2000, [this, w] {
                w->showPage(MainWindow::LabelIssues);
                if (!w->labelIssuesPage()->findIssues())
                    return fail(QStringLiteral("no label issues could be listed: ") + w->labelIssuesPage()->summary()->text());
                later(1500, [this, w] {
                    shoot(QStringLiteral("13-label-issues"));
                    // "Similar images" of the first flagged image: a modal dialog, grabbed once up.
                    later(1500, [this] {
                        if (QWidget* d = QApplication::activeModalWidget()) {
                            d->grab().save(m_out + QStringLiteral("/14-similar-images.png"));
                            std::printf("%s\n", (m_out + QStringLiteral("/14-similar-images.png")).toUtf8().constData());
                            d->close();
                        }
                    });
                    later(300, [this, w] {
                        const auto& rows = w->labelIssuesPage()->rows();
                        if (!rows.empty())
                            showSimilarImages(w, w->session(), rows.front().id);
                    });
                    later(3500, [this] { compareBackbones(); });
                });
            });
        });
    });
}

void ScreenshotTour::compareBackbones()
{
    // The board on the demo set: three networks at the tour's 96 px in bf16.
    MainWindow* w = m_window;
    const QString demo = w->session()->workspace() + QStringLiteral("/demo");
    w->showPage(MainWindow::Data);
    if (!w->dataPage()->openFolder(demo))
        return fail(demo + QStringLiteral(": the demo set cannot be opened again"));
    later(1200, [this, w] {
        BackbonesPage* page = w->backbonesPage();
        w->showPage(MainWindow::Backbones);
        page->setChecked({QStringLiteral("resnet18"), QStringLiteral("resnet50"), QStringLiteral("convnext_tiny")});
        page->precision()->setCurrentText(QStringLiteral("bf16"));
        page->findChild<QSpinBox*>(QStringLiteral("crop"))->setValue(96);
        connect(page, &BackbonesPage::boardFinished, this, [this, page](bool ok) {
            if (!ok)
                return fail(QStringLiteral("the backbone board failed: ") + page->status()->text());
            later(800, [this] {
                shoot(QStringLiteral("15-backbones"));
                finish();
            });
        });
        if (!page->start())
            fail(QStringLiteral("the backbone board did not start: ") + page->status()->text());
        later(3000, [this] { shoot(QStringLiteral("15-backbones-running")); });
    });
}

void ScreenshotTour::finish()
{
    // The dark palette, on the busiest page.
    MainWindow::applyTheme(QStringLiteral("dark"));
    m_window->showPage(MainWindow::Evaluation);
    later(800, [this] {
        shoot(QStringLiteral("7-evaluation-dark"));
        Q_EMIT done(0);
    });
}

}  // namespace deepsvm
