#pragma once

// Classifier moved to core/pipeline (the SVM layer sees features, not networks). This header
// stays only until ui/pages/ClassifyPage.cpp includes "pipeline/Classifier.h"; add nothing here.
#include "pipeline/Classifier.h"
