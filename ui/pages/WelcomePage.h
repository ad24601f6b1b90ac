#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QVBoxLayout;

namespace deepsvm {

class Session;
class Task;

/// The first-run page: where the data and the weights come from. Offers to download STL-10,
/// locate an STL-10 folder, use one's own images or the offline demo; and to download the
/// ImageNet weights, locate a .pth, or continue untrained. Lists what is already on the disk.
class WelcomePage final : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePage(Session* session, QWidget* parent = nullptr);

    /// Looks again for STL-10 folders and weights files on this machine.
    void refresh();
    /// Downloads STL-10 / the backbone's weights (`baseUrl` replaces the official one if set).
    Task* downloadStl10(const QString& baseUrl = QString());
    Task* downloadWeights(const QString& baseUrl = QString());

Q_SIGNALS:
    /// The user picked a dataset folder (STL-10 or a class folder) to open.
    void folderChosen(const QString& dir);
    /// The user asked for the offline demo set, to be made in `dir`.
    void demoChosen(const QString& dir);
    void weightsChosen(const QString& file);
    /// The backbone whose weights were downloaded (before weightsChosen): the Features page takes it.
    void backboneChosen(const QString& backbone);

private:
    Session* m_session;
    QVBoxLayout* m_foundData;
    QVBoxLayout* m_foundWeights;
    QLabel* m_status;
    QComboBox* m_backbone;
};

}  // namespace deepsvm
