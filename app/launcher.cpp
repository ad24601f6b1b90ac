// `deepsvm`, the program users and scripts call. `deepsvm svm` runs right here, in a process
// that loads only Qt Core, libsvm and BLAS: it starts in about 0.02 s, where loading LibTorch,
// OpenCV and Qt's GUI libraries takes 0.6 s on this kind of machine, which is a fifth of a
// whole 1,000-row grid search. The other commands run in deepsvm-cli (headless: no Qt Widgets,
// no Qt Charts) and the desktop application is deepsvm-studio, both installed next to this
// file: the right one is exec'd in place, with the same arguments, environment and process id
// (cli::opensWindow decides). deepsvm-studio runs the commands too: it is the fallback.
#include "cli/Cli.h"
#include "svm/Gram.h"

#include <QCoreApplication>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

namespace {

/// The folder this executable is in.
std::string ownFolder()
{
    char self[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string dir = ".";
    if (n > 0) {
        self[n] = '\0';
        dir.assign(self);
        dir.erase(dir.rfind('/'));
    }
    return dir;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc >= 2 && std::strcmp(argv[1], "svm") == 0) {
        std::signal(SIGXFSZ, SIG_IGN);  // a full disk is a write error naming the file
        deepsvm::selectBlasKernels();
        QCoreApplication app(argc, argv);
        deepsvm::cli::setUpIdentity();
        QStringList arguments = app.arguments().mid(1);
        arguments[0] = QStringLiteral("deepsvm svm");
        return deepsvm::cli::commandSvm(arguments);
    }
    const std::string dir = ownFolder();
    const std::string studio = dir + "/deepsvm-studio";
    std::string tried;
    if (!deepsvm::cli::opensWindow(argc, argv)) {
        const std::string cli = dir + "/deepsvm-cli";
        execv(cli.c_str(), argv);
        tried = cli + " (" + std::strerror(errno) + ") nor ";
    }
    execv(studio.c_str(), argv);
    std::fprintf(stderr, "deepsvm: cannot start %s%s: %s; reinstall DeepSVM Studio (or rebuild: cmake --build build)\n",
                 tried.c_str(), studio.c_str(), std::strerror(errno));
    return 127;
}
