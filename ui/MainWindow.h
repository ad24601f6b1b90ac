#pragma once

#include <QMainWindow>

namespace deepsvm {

/// The application window. For now it says what the headless commands do; the pages come
/// with the desktop-application work.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
};

}  // namespace deepsvm
