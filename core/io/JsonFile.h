#pragma once

#include <QJsonDocument>
#include <QJsonObject>

#include <optional>
#include <string>

namespace deepsvm {

/// Reads a file holding one JSON object. Throws IoError: "PATH: cannot read (why)" or
/// "PATH: not valid JSON (why)", each followed by "; FIX" when a fix is given.
QJsonObject readJsonObject(const std::string& path, const std::string& fix = {});
/// As readJsonObject, but a file that does not exist is no error: nullopt.
std::optional<QJsonObject> readJsonObjectIfExists(const std::string& path, const std::string& fix = {});
/// Writes the object through the atomic writer. Throws IoError naming `path`.
void writeJsonAtomically(const std::string& path, const QJsonObject& object,
                         QJsonDocument::JsonFormat format = QJsonDocument::Indented);

}  // namespace deepsvm
