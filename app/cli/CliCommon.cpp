// What every command shares, and all the light `deepsvm` launcher links (no LibTorch).
#include "cli/Cli.h"

#include "svm/SvmModel.h"

#include <QCoreApplication>

#include <cstdio>

namespace deepsvm::cli {

void setUpIdentity()
{
    QCoreApplication::setApplicationName(QStringLiteral("deepsvm"));
    QCoreApplication::setOrganizationName(QStringLiteral("DeepSVM"));
    QCoreApplication::setApplicationVersion(QStringLiteral(DEEPSVM_VERSION));
    silenceLibsvm();
}

void printError(const QString& message)
{
    std::fprintf(stderr, "deepsvm: %s\n", message.toUtf8().constData());
}

bool parseCommand(QCommandLineParser& parser, const QStringList& arguments, const QString& synopsis, int* exitCode)
{
    parser.setApplicationDescription(synopsis);
    const QCommandLineOption help(QStringList{QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(arguments)) {
        printError(parser.errorText() + QStringLiteral(" (see --help)"));
        *exitCode = 2;
        return false;
    }
    if (parser.isSet(help)) {
        std::fputs(parser.helpText().toUtf8().constData(), stdout);
        *exitCode = 0;
        return false;
    }
    return true;
}

}  // namespace deepsvm::cli
