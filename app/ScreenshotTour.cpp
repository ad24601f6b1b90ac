#include "ScreenshotTour.h"

#include "MainWindow.h"
#include "Session.h"
#include "charts/MatrixViews.h"
#include "data/Dataset.h"
#include "models/ThumbnailModel.h"
#include "pages/ClassifyPage.h"
#include "pages/DataPage.h"
#include "pages/EvaluationPage.h"
#include "pages/FeaturesPage.h"
#include "pages/FineTunePage.h"
#include "pages/RunsPage.h"
#include "pages/SvmPage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
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

void ScreenshotTour::start()
{
    MainWindow* w = m_window;
    const QString demo = w->session()->workspace() + QStringLiteral("/demo");
    // Each step waits for the previous one's signal; pauses let thumbnails and charts paint.
    auto later = [this](int ms, std::function<void()> f) { QTimer::singleShot(ms, this, std::move(f)); };
    connect(w->dataPage(), &DataPage::demoSetReady, this, [this, w, later] {
        later(1500, [this, w, later] {
            shoot(QStringLiteral("1-data"));
            w->showPage(MainWindow::Features);
            // 96 px and bf16 keep the tour quick; the pages show whatever the user picks.
            w->featuresPage()->findChild<QSpinBox*>()->setValue(96);
            const auto boxes = w->featuresPage()->findChildren<QComboBox*>();
            for (QComboBox* b : boxes)
                if (b->findText(QStringLiteral("bf16")) >= 0)
                    b->setCurrentText(QStringLiteral("bf16"));
            if (!w->featuresPage()->startExtraction())
                fail(QStringLiteral("extraction did not start"));
            later(2500, [this] { shoot(QStringLiteral("2-features-extracting")); });
        });
    });
    connect(w->featuresPage(), &FeaturesPage::extractionFinished, this, [this, w](bool ok) {
        if (!ok)
            return fail(QStringLiteral("extraction failed"));
        w->featuresPage()->startProjection(QStringLiteral("tsne"));
    });
    connect(w->featuresPage(), &FeaturesPage::projectionFinished, this, [this, w, later](bool ok) {
        if (!ok)
            return fail(QStringLiteral("projection failed"));
        later(800, [this, w] {
            shoot(QStringLiteral("2-features"));
            w->showPage(MainWindow::Svm);
            w->svmPage()->kernelBox(QStringLiteral("rbf"))->setChecked(true);
            if (!w->svmPage()->startSearch())
                fail(QStringLiteral("grid search did not start"));
        });
    });
    auto runs = std::make_shared<int>(0);
    connect(w->svmPage(), &SvmPage::runFailed, this, [this](const QString& m) { fail(QStringLiteral("SVM run failed: ") + m); });
    connect(w->svmPage(), &SvmPage::runFinished, this, [this, w, later, runs] {
        if (++*runs == 1) {
            later(600, [this, w, later] {
                w->showPage(MainWindow::Svm);
                later(400, [this, w, later] {
                    shoot(QStringLiteral("3-svm"));
                    w->showPage(MainWindow::Evaluation);
                    const auto& cm = w->evaluationPage()->data().confusion;
                    // Show the most confused pair's images.
                    int bt = 0, bp = 1;
                    for (int t = 0; t < cm.classes; ++t)
                        for (int p = 0; p < cm.classes; ++p)
                            if (t != p && cm.at(t, p) > cm.at(bt, bp)) { bt = t; bp = p; }
                    w->evaluationPage()->showCell(bt, bp);
                    later(1500, [this, w, later] {
                        shoot(QStringLiteral("4-evaluation"));
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
                    });
                });
            });
        } else {
            later(600, [this, w, later] {
                w->showPage(MainWindow::Runs);
                w->runsPage()->compare(0, 1);
                later(500, [this, w] {
                    shoot(QStringLiteral("6-runs"));
                    // Fine-tuning: ResNet-18 on 300 images at 64 px keeps the tour short.
                    w->showPage(MainWindow::FineTune);
                    w->fineTunePage()->backboneBox()->setCurrentText(QStringLiteral("resnet18"));
                });
            });
        }
    });
    connect(w->fineTunePage(), &FineTunePage::treeReady, this, [this, w] {
        if (w->currentPage() != MainWindow::FineTune || w->fineTunePage()->backboneBox()->currentText() != QStringLiteral("resnet18"))
            return;
        w->fineTunePage()->applyPreset(QStringLiteral("block"));
        w->fineTunePage()->epochsBox()->setValue(4);
        w->fineTunePage()->sizeBox()->setValue(64);
        w->fineTunePage()->findChildren<QSpinBox*>().last()->setValue(300);  // training images
        if (!w->fineTunePage()->start())
            fail(QStringLiteral("fine-tuning did not start"));
    });
    connect(w->fineTunePage(), &FineTunePage::runFinished, this, [this, w](bool ok) {
        if (!ok)
            return fail(QStringLiteral("fine-tuning failed"));
        w->fineTunePage()->epochsBox()->setValue(2);
        w->fineTunePage()->startSweep({QStringLiteral("layer4.0.downsample"), QStringLiteral("layer4.1.conv2"), QStringLiteral("layer3.1")});
    });
    connect(w->fineTunePage(), &FineTunePage::sweepFinished, this, [this, w, later](bool ok) {
        if (!ok)
            return fail(QStringLiteral("the sweep failed"));
        later(800, [this, w, later] {
            shoot(QStringLiteral("8-finetune"));
            // The dark palette, on the busiest page.
            MainWindow::applyTheme(QStringLiteral("dark"));
            w->showPage(MainWindow::Evaluation);
            later(800, [this] {
                shoot(QStringLiteral("7-evaluation-dark"));
                Q_EMIT done(0);
            });
        });
    });
    connect(w->classifyPage(), &ClassifyPage::classificationFinished, this, [w] {
        // Grad-CAM on the first classified image.
        for (int i = 0; i < w->classifyPage()->results()->count(); ++i)
            if (QWidget* row = w->classifyPage()->results()->itemWidget(w->classifyPage()->results()->item(i))) {
                w->classifyPage()->results()->scrollToItem(w->classifyPage()->results()->item(i));
                row->findChild<QCheckBox*>()->setChecked(true);
                break;
            }
    });
    connect(w->classifyPage(), &ClassifyPage::gradCamShown, this, [this, w, later] {
        later(800, [this, w] {
            shoot(QStringLiteral("5-classify"));
            QFile::remove(QDir(m_out).absoluteFilePath(QStringLiteral("1-data.png.notes.txt")));
            // A second run (a chosen cell, no cross-validation) to compare on the Runs page.
            w->showPage(MainWindow::Svm);
            w->svmPage()->table()->selectRow(1);
            if (!w->svmPage()->trainChosen())
                fail(QStringLiteral("training the chosen cell did not start"));
        });
    });
    w->showWelcome();
    later(600, [this, w, demo] {
        shoot(QStringLiteral("0-welcome"));
        w->showPage(MainWindow::Data);
        w->dataPage()->makeDemoSet(demo, 100, 80, 0);
    });
}

}  // namespace deepsvm
