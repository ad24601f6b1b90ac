#include "models/ImageLookup.h"

#include "data/Dataset.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace deepsvm {

ImageLookup::Found ImageLookup::find(const std::string& split, const std::string& id)
{
    Found found;
    if (!m_dataset)
        return found;
    try {
        found.source = m_dataset->split(split);
    } catch (const std::exception&) {
        return found;
    }
    auto it = m_bySplit.find(split);
    if (it == m_bySplit.end()) {
        std::unordered_map<std::string, qint64> ids;
        ids.reserve(std::size_t(found.source->size()));
        for (qint64 i = 0; i < found.source->size(); ++i)
            ids.emplace(found.source->id(i), i);
        it = m_bySplit.emplace(split, std::move(ids)).first;
    }
    const auto hit = it->second.find(id);
    if (hit != it->second.end())
        found.index = hit->second;
    return found;
}

std::vector<std::string> readFeatureIds(const QString& prefix)
{
    QFile f(prefix + QStringLiteral(".json"));
    std::vector<std::string> ids;
    if (!f.open(QIODevice::ReadOnly))
        return ids;
    const QJsonArray a = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("ids")).toArray();
    ids.reserve(std::size_t(a.size()));
    for (const auto& v : a)
        ids.push_back(v.toString().toStdString());
    return ids;
}

}  // namespace deepsvm
