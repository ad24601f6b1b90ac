#include "features/ExtractTask.h"

#include "data/Dataset.h"
#include "features/FeatureExtractor.h"

namespace deepsvm {

std::string splitPrefix(const ExtractOptions& options, const std::string& split, std::size_t splitCount)
{
    return splitCount == 1 ? options.outPrefix : options.outPrefix + "." + split;
}

ExtractTask::ExtractTask(ExtractOptions options, QObject* parent)
    : Task(QStringLiteral("Extract features"), parent), m_options(std::move(options)) {}

QVariant ExtractTask::execute()
{
    FeatureExtractor extractor(m_options);
    const QJsonObject result = extractor.run(
        [this](int64_t done, int64_t total, const std::string& message) {
            checkpoint(done, total, QString::fromStdString(message));
        });
    return result;
}

}  // namespace deepsvm
