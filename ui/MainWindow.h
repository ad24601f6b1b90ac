#pragma once

#include <QMainWindow>

class QLabel;
class QSettings;
class QListWidget;
class QStackedWidget;

namespace deepsvm {

class ClassifyPage;
class DataPage;
class EvaluationPage;
class FeaturesPage;
class FineTunePage;
class LabelIssuesPage;
class BackbonesPage;
class RunsPage;
class Session;
class SvmPage;
class WelcomePage;

/// The application window: assembles the pages in workflow order, the task panel, menus,
/// the status bar and the untrained-weights banner. The pages do the work; this class wires
/// them together and routes drops, exports and experiment files.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    enum Page { Data, Features, Svm, Evaluation, Classify, Runs, FineTune, LabelIssues, Backbones, PageCount };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    Session* session() const { return m_session; }
    DataPage* dataPage() const { return m_data; }
    FeaturesPage* featuresPage() const { return m_features; }
    SvmPage* svmPage() const { return m_svm; }
    EvaluationPage* evaluationPage() const { return m_evaluation; }
    ClassifyPage* classifyPage() const { return m_classify; }
    RunsPage* runsPage() const { return m_runs; }
    WelcomePage* welcomePage() const { return m_welcome; }
    FineTunePage* fineTunePage() const { return m_fineTune; }
    LabelIssuesPage* labelIssuesPage() const { return m_labelIssues; }
    BackbonesPage* backbonesPage() const { return m_backbones; }
    /// The first-run page (not in the sidebar): where data and weights come from.
    void showWelcome();
    void showPage(Page page);
    Page currentPage() const;
    QLabel* banner() const { return m_banner; }
    /// A notice that stays until dismissed (e.g. an autosave that could not be read).
    QLabel* notice() const { return m_notice; }
    void showNotice(const QString& text);

    /// Reopens what the last session left (dataset, features, runs) from the workspace's autosave.
    void restoreLastExperiment();
    /// Starts autosaving without reopening the last session (--demo, tests).
    void markRestored();
    /// Experiment files (JSON: settings and run records).
    bool saveExperiment(const QString& path, QString* error);
    bool openExperiment(const QString& path, QString* error);
    /// Report of a run as HTML and PDF next to each other (same base name).
    bool exportReport(const QJsonObject& run, const QString& htmlPath, QString* error);

    /// Light, dark, or the system's palette.
    static void applyTheme(const QString& theme);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    // The constructor's steps, in order.
    void createPages();
    void buildNavigation();
    void buildBanners();
    void buildDockAndStatus();
    void buildMenus();  // MainWindowMenus.cpp
    void connectPages();
    void restoreWindow(QSettings& settings);
    void updateStatus();
    void updateBanner();
    void autosave();
    void showPreferences();
    void askExportReport(const QJsonObject& run);
    void exportPredictions();
    void exportFeatures();
    void exportModel();

    Session* m_session;
    QListWidget* m_sidebar;
    QStackedWidget* m_stack;
    QLabel* m_banner;
    QLabel* m_notice;
    QLabel* m_statusDataset;
    QLabel* m_statusNetwork;
    QLabel* m_statusDevice;
    DataPage* m_data;
    FeaturesPage* m_features;
    SvmPage* m_svm;
    EvaluationPage* m_evaluation;
    ClassifyPage* m_classify;
    RunsPage* m_runs;
    WelcomePage* m_welcome;
    FineTunePage* m_fineTune;
    LabelIssuesPage* m_labelIssues;
    BackbonesPage* m_backbones;
    bool m_retrainPending = false;
    bool m_boardPending = false;  // the Backbones page's choice is being extracted
    QString m_experimentPath;
    bool m_restoreDone = false;  ///< no autosave before the last session has been reopened
};

/// The application icon, drawn (two classes separated by a margin) so no file is needed.
QIcon applicationIcon();

}  // namespace deepsvm
