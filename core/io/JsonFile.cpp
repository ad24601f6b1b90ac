#include "io/JsonFile.h"

#include "io/AtomicFile.h"

#include <QFile>

namespace deepsvm {

namespace {

std::string withFix(const std::string& message, const std::string& fix)
{
    return fix.empty() ? message : message + "; " + fix;
}

}  // namespace

QJsonObject readJsonObject(const std::string& path, const std::string& fix)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        throw IoError(withFix(path + ": cannot read (" + f.errorString().toStdString() + ")", fix));
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) {
        const std::string why = err.error != QJsonParseError::NoError ? err.errorString().toStdString() : "not an object";
        throw IoError(withFix(path + ": not valid JSON (" + why + ")", fix));
    }
    return doc.object();
}

std::optional<QJsonObject> readJsonObjectIfExists(const std::string& path, const std::string& fix)
{
    if (!QFile::exists(QString::fromStdString(path)))
        return std::nullopt;
    return readJsonObject(path, fix);
}

void writeJsonAtomically(const std::string& path, const QJsonObject& object, QJsonDocument::JsonFormat format)
{
    writeFileAtomically(path, QJsonDocument(object).toJson(format));
}

}  // namespace deepsvm
