// libFuzzer target: the experiment-file loader (the JSON the application autosaves and reopens
// at start). Whatever it accepts must be written back and read again unchanged.
#include "project/Experiment.h"

#include <QByteArray>
#include <QJsonDocument>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    QString error;
    const auto experiment = deepsvm::parseExperiment(QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)), &error);
    if (!experiment) {
        if (error.isEmpty())
            __builtin_trap();  // a refusal must say why
        return 0;
    }
    const QJsonObject written = deepsvm::experimentJson(*experiment);
    const auto again = deepsvm::parseExperiment(QJsonDocument(written).toJson(), &error);
    if (!again || deepsvm::experimentJson(*again) != written)
        __builtin_trap();  // an accepted experiment must survive a save and reopen
    return 0;
}
