// How responsive the window stays while the engine works: a 5 ms timer on the GUI thread
// records every gap between its ticks while the demo set is extracted and grid-searched
// through the pages; a gap is time the GUI could not react. Also the time from process
// start to the first painted window.
//
//   xvfb-run -s "-screen 0 1280x900x24" ./build/tests/bench/bench_gui [--size 96] [--backbone resnet50]
//
// Prints one JSON object.
#include "MainWindow.h"
#include "Session.h"
#include "data/Image.h"
#include "nets/TorchSetup.h"
#include "pages/DataPage.h"
#include "pages/FeaturesPage.h"
#include "pages/SvmPage.h"

#include <QApplication>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <unistd.h>
#include <vector>

using namespace deepsvm;

namespace {

/// Seconds since this process started (from /proc: includes loading the shared libraries).
double secondsSinceProcessStart()
{
    QFile stat(QStringLiteral("/proc/self/stat")), uptime(QStringLiteral("/proc/uptime"));
    if (!stat.open(QIODevice::ReadOnly) || !uptime.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray s = stat.readAll();
    const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
    const double startTicks = fields.value(19).toDouble();  // field 22 of the whole line
    const double up = uptime.readAll().split(' ').value(0).toDouble();
    return up - startTicks / double(sysconf(_SC_CLK_TCK));
}

/// Records gaps between ticks of a fast timer on the GUI thread.
class GapMeter {
public:
    GapMeter()
    {
        m_timer.setInterval(5);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_last >= 0)
                m_gaps.push_back(double(now - m_last) / 1e6);
            m_last = now;
        });
    }
    void start() { m_gaps.clear(); m_last = -1; m_clock.start(); m_timer.start(); }
    QJsonObject stop()
    {
        m_timer.stop();
        std::vector<double> g = m_gaps;
        std::sort(g.begin(), g.end());
        auto pct = [&](double q) { return g.empty() ? 0.0 : g[std::min(g.size() - 1, std::size_t(q * double(g.size())))]; };
        const long over = long(std::count_if(g.begin(), g.end(), [](double x) { return x > 100.0; }));
        return QJsonObject{{QStringLiteral("seconds"), double(m_clock.elapsed()) / 1000.0},
                           {QStringLiteral("ticks"), double(g.size())},
                           {QStringLiteral("max_gap_ms"), g.empty() ? 0.0 : g.back()},
                           {QStringLiteral("p99_gap_ms"), pct(0.99)},
                           {QStringLiteral("median_gap_ms"), pct(0.5)},
                           {QStringLiteral("gaps_over_100ms"), double(over)}};
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = -1;
    std::vector<double> m_gaps;
};

}  // namespace

int main(int argc, char** argv)
{
    QElapsedTimer sinceMain;
    sinceMain.start();
    QApplication app(argc, argv);
    configureImageDecoding();
    setUpTorch();
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("DeepSVM-bench"));
    QSettings().clear();
    QTemporaryDir dir;
    QSettings().setValue(QStringLiteral("workspace"), dir.path());
    const QStringList args = app.arguments();
    auto option = [&](const QString& name, const QString& fallback) {
        const qsizetype i = args.indexOf(name);
        return i > 0 && i + 1 < args.size() ? args[i + 1] : fallback;
    };

    MainWindow window;
    window.resize(1280, 820);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return 1;
    QCoreApplication::processEvents();
    const double toWindowFromMain = double(sinceMain.nsecsElapsed()) / 1e9;
    const double toWindowFromExec = secondsSinceProcessStart();

    QJsonObject out{{QStringLiteral("first_window_seconds_since_main"), toWindowFromMain},
                    {QStringLiteral("first_window_seconds_since_process_start"), toWindowFromExec},
                    {QStringLiteral("platform"), QGuiApplication::platformName()}};
    GapMeter meter;

    // The demo set (100 train + 80 test images per class), through the Data page.
    QSignalSpy ready(window.dataPage(), &DataPage::demoSetReady);
    meter.start();
    window.dataPage()->makeDemoSet(dir.filePath(QStringLiteral("demo")), 100, 80, 0);
    if (!ready.wait(600000))
        return 1;
    out[QStringLiteral("demo_set")] = meter.stop();

    // Extraction, with the Features page shown (its status line updates on every batch).
    window.showPage(MainWindow::Features);
    window.featuresPage()->applySettings(QJsonObject{{QStringLiteral("backbone"), option(QStringLiteral("--backbone"), QStringLiteral("resnet50"))},
                                                     {QStringLiteral("size"), option(QStringLiteral("--size"), QStringLiteral("96")).toInt()},
                                                     {QStringLiteral("precision"), option(QStringLiteral("--precision"), QStringLiteral("fp32"))}});
    QSignalSpy extracted(window.featuresPage(), &FeaturesPage::extractionFinished);
    meter.start();
    window.featuresPage()->startExtraction();
    if (!extracted.wait(3600000) || !extracted[0][0].toBool())
        return 1;
    out[QStringLiteral("extraction")] = meter.stop();

    // Grid search with the SVM page shown: the heat map and table fill in as points finish.
    window.showPage(MainWindow::Svm);
    window.svmPage()->kernelBox(QStringLiteral("rbf"))->setChecked(true);
    QSignalSpy searched(window.svmPage(), &SvmPage::runFinished);
    meter.start();
    window.svmPage()->startSearch();
    if (!searched.wait(3600000))
        return 1;
    out[QStringLiteral("grid_search")] = meter.stop();
    // The Evaluation page renders the new run.
    QCoreApplication::processEvents();
    std::printf("%s\n", QJsonDocument(out).toJson().constData());
    QSettings().clear();
    return 0;
}
