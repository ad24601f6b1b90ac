#include "render/Palette.h"

#include <cstdlib>

namespace deepsvm {

QColor classColour(int k)
{
    static const QRgb palette[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                     0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    return QColor(palette[std::abs(k) % 10]);
}

}  // namespace deepsvm
