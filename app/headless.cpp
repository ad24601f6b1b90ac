// deepsvm-cli: every command, headless. Links Qt Core, Gui and Network, the engine and
// ui/render (pictures drawn with QPainter), never Qt Widgets or Qt Charts, so a command loads
// none of the desktop's libraries. The light launcher `deepsvm` execs it for every command
// but `svm`; deepsvm-studio is the window.
#include "cli/Cli.h"
#include "svm/Gram.h"

#include <csignal>
#include <cstdio>

int main(int argc, char** argv)
{
    deepsvm::selectBlasKernels();
    // A full disk or a file-size limit (`ulimit -f`) must give a write error naming the file,
    // not kill the process with SIGXFSZ.
    std::signal(SIGXFSZ, SIG_IGN);
    if (deepsvm::cli::opensWindow(argc, argv)) {
        std::fprintf(stderr, "deepsvm-cli runs commands (deepsvm-cli --help); the desktop application is "
                             "deepsvm or deepsvm-studio\n");
        return 2;
    }
    return deepsvm::cli::runHeadless(argc, argv);
}
