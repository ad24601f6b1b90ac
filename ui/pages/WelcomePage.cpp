#include "pages/WelcomePage.h"

#include "Session.h"
#include "project/Fetch.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QJsonObject>
#include <QLabel>
#include "nets/Backbones.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace deepsvm {

namespace {

QPushButton* bigButton(const QString& text, const QString& tip, QWidget* parent)
{
    auto* b = new QPushButton(text, parent);
    b->setToolTip(tip);
    b->setMinimumHeight(34);
    b->setStyleSheet(QStringLiteral("QPushButton { text-align: left; padding: 4px 12px; }"));
    return b;
}

void clearLayout(QVBoxLayout* layout)
{
    while (QLayoutItem* item = layout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

}  // namespace

WelcomePage::WelcomePage(Session* session, QWidget* parent)
    : QWidget(parent), m_session(session)
{
    auto* title = new QLabel(tr("<h2>Welcome to DeepSVM Studio</h2>"
                                "<p>ResNet features + a multiclass SVM, from images to ROC curves. "
                                "It needs images and, for real accuracy, ImageNet weights for the network.</p>"),
                             this);
    title->setWordWrap(true);

    auto* dataBox = new QGroupBox(tr("Images"), this);
    auto* dataLayout = new QVBoxLayout(dataBox);
    auto* getStl = bigButton(tr("Download STL-10 (2.6 GB, resumable)"), tr("From the official site, checked against its MD5, unpacked into ~/.local/share/deepsvm/stl10"), dataBox);
    auto* locate = bigButton(tr("Locate an STL-10 folder..."), tr("A folder holding stl10_binary/ (as torchvision downloads it)"), dataBox);
    auto* own = bigButton(tr("Use my own image folder..."), tr("One sub-folder per class, optionally under train/ and test/"), dataBox);
    auto* demo = bigButton(tr("Try the offline demo"), tr("A synthetic ten-class set in STL-10's layout, made in a second"), dataBox);
    for (QPushButton* b : {getStl, locate, own, demo})
        dataLayout->addWidget(b);
    m_foundData = new QVBoxLayout;
    dataLayout->addLayout(m_foundData);
    dataLayout->addStretch(1);

    auto* weightsBox = new QGroupBox(tr("Network weights"), this);
    auto* weightsLayout = new QVBoxLayout(weightsBox);
    auto* getWeights = bigButton(tr("Download ImageNet weights for"),
                                 tr("torchvision's file, stored in ~/.cache/torch/hub/checkpoints so PyTorch shares it"), weightsBox);
    // Which network's file: every backbone, the Features page's first.
    m_backbone = new QComboBox(weightsBox);
    for (const std::string& b : backboneNames()) {
        const PublishedWeights& w = publishedWeights(b).front();  // IMAGENET1K_V1: the study's for ResNet-50
        m_backbone->addItem(QStringLiteral("%1  (ImageNet top-1 %2%)").arg(QString::fromStdString(b)).arg(w.top1, 0, 'f', 1),
                            QString::fromStdString(b));
    }
    m_backbone->setToolTip(tr("torchvision's IMAGENET1K_V1 weights (the study's for ResNet-50); "
                              "`deepsvm fetch NAME --weights IMAGENET1K_V2` fetches the newer ones where there are"));
    auto* locateWeights = bigButton(tr("Locate a .pth file..."), tr("A torchvision state dict or TorchScript file"), weightsBox);
    auto* untrained = bigButton(tr("Continue untrained"), tr("Random weights: everything works, accuracy is low"), weightsBox);
    auto* download = new QHBoxLayout;
    download->addWidget(getWeights, 1);
    download->addWidget(m_backbone, 1);
    weightsLayout->addLayout(download);
    for (QPushButton* b : {locateWeights, untrained})
        weightsLayout->addWidget(b);
    m_foundWeights = new QVBoxLayout;
    weightsLayout->addLayout(m_foundWeights);
    weightsLayout->addStretch(1);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title);
    auto* row = new QHBoxLayout;
    row->addWidget(dataBox, 1);
    row->addWidget(weightsBox, 1);
    layout->addLayout(row);
    layout->addWidget(m_status);
    layout->addStretch(1);

    connect(getStl, &QPushButton::clicked, this, [this] { downloadStl10(); });
    connect(locate, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("STL-10 folder"), QDir::homePath());
        if (!dir.isEmpty())
            Q_EMIT folderChosen(dir);
    });
    connect(own, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Image folder (one sub-folder per class)"), QDir::homePath());
        if (!dir.isEmpty())
            Q_EMIT folderChosen(dir);
    });
    connect(demo, &QPushButton::clicked, this, [this] {
        const QString dir = m_session->workspace() + QStringLiteral("/demo");
        if (QFileInfo::exists(dir + QStringLiteral("/stl10_binary/train_X.bin")))
            Q_EMIT folderChosen(dir);
        else
            Q_EMIT demoChosen(dir);
    });
    connect(getWeights, &QPushButton::clicked, this, [this] { downloadWeights(); });
    connect(locateWeights, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Network weights"), torchHubCheckpoints(), tr("PyTorch weights (*.pth *.pt)"));
        if (!f.isEmpty())
            Q_EMIT weightsChosen(f);
    });
    connect(untrained, &QPushButton::clicked, this, [this] {
        m_status->setText(tr("The network will use random weights; a banner reminds you. You can add weights later on the Features page."));
    });
    refresh();
}

void WelcomePage::refresh()
{
    // The download offers the Features page's backbone first.
    m_backbone->setCurrentIndex(std::max(0, m_backbone->findData(m_session->featureSettings().value(QStringLiteral("backbone"))
                                                                      .toString(QStringLiteral("resnet50")))));
    clearLayout(m_foundData);
    clearLayout(m_foundWeights);
    const QStringList lastUsed = QSettings().value(QStringLiteral("recentDatasets")).toStringList();
    for (const QString& dir : findStl10(lastUsed)) {
        auto* b = bigButton(tr("Open STL-10 found in %1").arg(QDir::toNativeSeparators(dir)), dir, this);
        connect(b, &QPushButton::clicked, this, [this, dir] { Q_EMIT folderChosen(dir); });
        m_foundData->addWidget(b);
    }
    const QString backbone = m_session->featureSettings().value(QStringLiteral("backbone")).toString(QStringLiteral("resnet50"));
    for (const QString& file : findWeights(backbone)) {
        auto* b = bigButton(tr("Use %1 (found in %2)").arg(QFileInfo(file).fileName(), QDir::toNativeSeparators(QFileInfo(file).absolutePath())),
                            file, this);
        connect(b, &QPushButton::clicked, this, [this, file] { Q_EMIT weightsChosen(file); });
        m_foundWeights->addWidget(b);
    }
}

Task* WelcomePage::downloadStl10(const QString& baseUrl)
{
    const FetchItem item = fetchItem(QStringLiteral("stl10"), QString(), baseUrl);
    const QString dir = defaultDataDirectory() + QStringLiteral("/stl10");
    auto task = std::make_unique<FetchTask>(item, dir);
    connect(task.get(), &Task::finished, this, [this, dir](const QVariant&) {
        m_status->setText(tr("STL-10 is ready in %1.").arg(QDir::toNativeSeparators(dir)));
        Q_EMIT folderChosen(dir);
    });
    connect(task.get(), &Task::failed, this, [this](const QString& message) {
        m_status->setText(tr("The download stopped: %1").arg(message));
    });
    connect(task.get(), &Task::cancelled, this, [this] { m_status->setText(tr("Download cancelled; nothing was left half-written.")); });
    m_status->setText(tr("Downloading STL-10; progress is in the Tasks panel. You can keep working meanwhile."));
    return m_session->start(std::move(task));
}

Task* WelcomePage::downloadWeights(const QString& baseUrl)
{
    const QString backbone = m_backbone->currentData().toString();
    const FetchItem item = fetchItem(backbone, QStringLiteral("IMAGENET1K_V1"), baseUrl);
    auto task = std::make_unique<FetchTask>(item, torchHubCheckpoints());
    connect(task.get(), &Task::finished, this, [this, backbone](const QVariant& v) {
        const QString file = v.toJsonObject().value(QStringLiteral("path")).toString();
        m_status->setText(tr("Weights ready: %1").arg(QDir::toNativeSeparators(file)));
        Q_EMIT backboneChosen(backbone);
        Q_EMIT weightsChosen(file);
    });
    connect(task.get(), &Task::failed, this, [this](const QString& message) {
        m_status->setText(tr("The download stopped: %1").arg(message));
    });
    connect(task.get(), &Task::cancelled, this, [this] { m_status->setText(tr("Download cancelled; nothing was left half-written.")); });
    m_status->setText(tr("Downloading %1; progress is in the Tasks panel.").arg(item.fileName));
    return m_session->start(std::move(task));
}

}  // namespace deepsvm
