#include "cli/Cli.h"

#include "data/Image.h"
#include "finetune/GradCam.h"

#include "render/Export.h"
#include "render/HeatOverlay.h"

#include <QFileInfo>
#include <QImage>

#include <cstdio>

namespace deepsvm::cli {

int commandGradCam(const QStringList& arguments)
{
    QCommandLineParser p;
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("An SVM model folder (as svm/run write it): explain the SVM's decision."), QStringLiteral("DIR"));
    const QCommandLineOption weights(QStringLiteral("weights"), QStringLiteral("A network with its own head (e.g. finetune's weights.pth): explain its logits."), QStringLiteral("FILE"));
    const QCommandLineOption backbone(QStringLiteral("backbone"), QStringLiteral("With --weights: resnet18|34|50|101|152."), QStringLiteral("NAME"), QStringLiteral("resnet50"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("With --weights: input size."), QStringLiteral("N"), QStringLiteral("224"));
    const QCommandLineOption normalize(QStringLiteral("normalize"), QStringLiteral("With --weights: imagenet | half."), QStringLiteral("NAME"), QStringLiteral("imagenet"));
    const QCommandLineOption cls(QStringLiteral("class"), QStringLiteral("The class to explain: its name (with --model) or index; default the top class."), QStringLiteral("C"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("The overlay image to write (PNG)."), QStringLiteral("FILE"));
    for (const auto& o : {model, weights, backbone, size, normalize, cls, out})
        p.addOption(o);
    p.addPositionalArgument(QStringLiteral("image"), QStringLiteral("The image file."));
    int code = 0;
    if (!parseCommand(p, arguments, QStringLiteral("Grad-CAM: where the network looks for a class, as a heat map over the image."), &code))
        return code;
    if (p.positionalArguments().size() != 1 || !p.isSet(out) || (p.isSet(model) == p.isSet(weights))) {
        printError(QStringLiteral("gradcam takes one image, --out FILE.png, and either --model DIR or --weights FILE"));
        return 2;
    }
    try {
        const RgbImage image = loadImageFile(p.positionalArguments().first().toStdString());
        HeatMap map;
        std::vector<std::string> names;
        int target = -1;
        if (p.isSet(model)) {
            const SvmGradCam cam(p.value(model).toStdString());
            names = cam.classNames();
            if (p.isSet(cls)) {
                const auto it = std::find(names.begin(), names.end(), p.value(cls).toStdString());
                bool ok = false;
                target = it != names.end() ? int(it - names.begin()) : p.value(cls).toInt(&ok);
                if (it == names.end() && !ok)
                    throw std::invalid_argument("--class " + p.value(cls).toStdString() + ": not one of the model's classes");
            }
            map = cam.compute(image, target);
        } else {
            if (p.isSet(cls)) {
                bool ok = false;
                target = p.value(cls).toInt(&ok);
                if (!ok)
                    throw std::invalid_argument("--class takes a class index with --weights");
            }
            map = gradCamWithHead(p.value(backbone).toStdString(), p.value(weights).toStdString(), image, p.value(size).toInt(),
                                  p.value(normalize).toStdString(), target);
        }
        QString error;
        if (!saveImageAtomically(heatOverlay(image, map), p.value(out), "PNG", &error))
            throw std::runtime_error(error.toStdString());
        const std::string name = map.targetClass < int(names.size()) ? names[std::size_t(map.targetClass)] : std::to_string(map.targetClass);
        std::printf("class %d (%s), score %.6g\n", map.targetClass, name.c_str(), map.scores[std::size_t(map.targetClass)]);
        return 0;
    } catch (const std::exception& e) {
        printError(QString::fromUtf8(e.what()));
        return 1;
    }
}

}  // namespace deepsvm::cli
