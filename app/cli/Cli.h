#pragma once

#include <QCommandLineParser>
#include <QStringList>

namespace deepsvm::cli {

/// Application name/version, LibTorch threads, image decoding limits: once per process.
void setUpApplication();
/// Only the name, version and a quiet libsvm (the light launcher's `deepsvm svm`).
void setUpIdentity();

/// Runs `deepsvm <command> ...` and returns the exit code (0 ok, 1..127 failure).
int run(const QStringList& arguments);

/// True when `argv` asks for the desktop application rather than a command: no arguments,
/// --demo, --data, --weights, --screenshot-tour, --write-icons, or an existing file to classify
/// ("Open with"). Those run in deepsvm-studio; everything else in the headless deepsvm-cli.
bool opensWindow(int argc, char** argv);

/// True for the commands that draw pictures (ROC and sweep charts, heat maps): their process
/// needs a QGuiApplication (fonts), never a screen.
bool drawsPictures(const QString& command);

/// The whole process of a command, headless: the application object it needs (QGuiApplication
/// on the offscreen platform for drawsPictures(), else QCoreApplication), then run().
int runHeadless(int argc, char** argv);

/// Parses `arguments` (the command's own, program name first) into `parser`; prints the
/// error or help and returns false with `exitCode` set when the command should stop.
bool parseCommand(QCommandLineParser& parser, const QStringList& arguments, const QString& synopsis, int* exitCode);

/// Prints to stderr with the program name.
void printError(const QString& message);

int commandExtract(const QStringList& arguments);
int commandDemoData(const QStringList& arguments);
int commandSvm(const QStringList& arguments);
int commandRun(const QStringList& arguments);
int commandClassify(const QStringList& arguments);
int commandFetch(const QStringList& arguments);
int commandFinetune(const QStringList& arguments);
int commandSweep(const QStringList& arguments);
int commandGradCam(const QStringList& arguments);
int commandLabelIssues(const QStringList& arguments);
int commandNearDuplicates(const QStringList& arguments);
int commandCompareBackbones(const QStringList& arguments);

}  // namespace deepsvm::cli
