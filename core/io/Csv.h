#pragma once

#include <string>
#include <vector>

namespace deepsvm {

/// One CSV field as RFC 4180 writes it: quoted (with quotes doubled) when it holds a comma,
/// a quote or a line break; as is otherwise.
std::string csvField(const std::string& text);
/// A number with every digit a double holds (%.17g), so reading it back gives the same bits.
std::string csvNumber(double value);
/// The fields of one CSV line (RFC 4180 quoting; a trailing '\r' is dropped).
std::vector<std::string> splitCsvLine(const std::string& line);

}  // namespace deepsvm
