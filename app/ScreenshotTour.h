#pragma once

#include <QObject>
#include <QString>

namespace deepsvm {

class MainWindow;

/// Drives the window through the whole workflow on the demo set and saves one PNG per page
/// (docs/screenshots is made this way: `deepsvm --screenshot-tour DIR` under xvfb-run).
class ScreenshotTour final : public QObject {
    Q_OBJECT
public:
    ScreenshotTour(MainWindow* window, QString outDir, QString sampleImages, QObject* parent = nullptr);
    void start();

Q_SIGNALS:
    void done(int exitCode);

private:
    void shoot(const QString& name);
    void fail(const QString& why);

    MainWindow* m_window;
    QString m_out;
    QString m_samples;
};

}  // namespace deepsvm
