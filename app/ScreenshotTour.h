#pragma once

#include <QObject>
#include <QString>

#include <functional>

namespace deepsvm {

class MainWindow;

/// Drives the window through the whole workflow on the demo set and saves one PNG per page
/// (docs/screenshots is made this way: `deepsvm --screenshot-tour DIR` under xvfb-run). With
/// sample photos it then opens a copy of them as a plain class folder (no test split, some
/// photos copied twice) for the own-data views: hold-out, out-of-fold, leaks, label issues.
class ScreenshotTour final : public QObject {
    Q_OBJECT
public:
    ScreenshotTour(MainWindow* window, QString outDir, QString sampleImages, QObject* parent = nullptr);
    void start();

Q_SIGNALS:
    void done(int exitCode);

private:
    enum class Leg { Demo, OwnPhotos };
    void shoot(const QString& name);
    void fail(const QString& why);
    void later(int ms, std::function<void()> f);
    // The steps, in the order they run.
    void extractDemo();
    void afterExtraction(bool ok);
    void afterProjection(bool ok);
    void afterRun();
    void showSvmAndEvaluation();
    void classifySamples();
    void afterClassification();
    void trainChosenCell();
    void showRunsThenFineTune();
    void fineTune();
    void sweep(bool ok);
    void afterSweep(bool ok);
    void openOwnPhotos();
    void afterOwnRun();
    void compareBackbones();
    void finish();

    MainWindow* m_window;
    QString m_out;
    QString m_samples;
    Leg m_leg = Leg::Demo;
    int m_runs = 0;
};

}  // namespace deepsvm
