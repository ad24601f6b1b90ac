// Which program a command line belongs to: the window (deepsvm-studio) or a headless command
// (deepsvm-cli). Qt Core only: the light launcher links it.
#include "cli/Cli.h"

#include <QFileInfo>

#include <cstring>

namespace deepsvm::cli {

bool opensWindow(int argc, char** argv)
{
    if (argc < 2)
        return true;
    for (const char* option : {"--demo", "--data", "--weights", "--screenshot-tour", "--write-icons"})
        if (std::strcmp(argv[1], option) == 0)
            return true;
    // Opened from the desktop with files ("Open with", Exec=deepsvm %F): the window classifies them.
    return argv[1][0] != '-' && QFileInfo::exists(QString::fromLocal8Bit(argv[1]));
}

}  // namespace deepsvm::cli
