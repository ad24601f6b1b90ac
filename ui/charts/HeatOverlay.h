#pragma once

// The heat overlay moved to ui/render (no Qt Widgets); this name stays for the pages.
#include "render/HeatOverlay.h"
