#pragma once

#include <functional>

namespace deepsvm {

/// Asked between units of work (a grid point, a batch, a few thousand solver iterations):
/// true means stop. An empty check never cancels.
using CancelCheck = std::function<bool()>;

/// Thrown from inside long work when its CancelCheck answered true; the Task boundary turns
/// it into cancelled().
struct Cancelled {};

/// Throws Cancelled if `check` is set and answers true.
inline void throwIfCancelled(const CancelCheck& check)
{
    if (check && check())
        throw Cancelled{};
}

}  // namespace deepsvm
