#include "nets/ResNet.h"

#include <stdexcept>
#include <thread>

namespace deepsvm {

namespace nn = torch::nn;

ResNetSpec resnetSpec(const std::string& name)
{
    if (name == "resnet18") return {name, false, {2, 2, 2, 2}};
    if (name == "resnet34") return {name, false, {3, 4, 6, 3}};
    if (name == "resnet50") return {name, true, {3, 4, 6, 3}};
    if (name == "resnet101") return {name, true, {3, 4, 23, 3}};
    if (name == "resnet152") return {name, true, {3, 8, 36, 3}};
    throw std::invalid_argument("unknown backbone '" + name + "' (known: resnet18, resnet34, resnet50, resnet101, resnet152)");
}

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(false));
}

}  // namespace

BlockImpl::BlockImpl(bool isBottleneck, int64_t inPlanes, int64_t planes, int64_t stride, bool withDownsample)
    : bottleneck(isBottleneck)
{
    const int64_t expansion = bottleneck ? 4 : 1;
    if (bottleneck) {
        // torchvision's V1.5 Bottleneck: the stride sits on the 3x3 convolution.
        conv1 = register_module("conv1", conv(inPlanes, planes, 1, 1));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        conv2 = register_module("conv2", conv(planes, planes, 3, stride));
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
        conv3 = register_module("conv3", conv(planes, planes * expansion, 1, 1));
        bn3 = register_module("bn3", nn::BatchNorm2d(planes * expansion));
    } else {
        conv1 = register_module("conv1", conv(inPlanes, planes, 3, stride));
        bn1 = register_module("bn1", nn::BatchNorm2d(planes));
        conv2 = register_module("conv2", conv(planes, planes, 3, 1));
        bn2 = register_module("bn2", nn::BatchNorm2d(planes));
    }
    if (withDownsample)
        downsample = register_module("downsample", nn::Sequential(conv(inPlanes, planes * expansion, 1, stride),
                                                                  nn::BatchNorm2d(planes * expansion)));
}

torch::Tensor BlockImpl::forward(torch::Tensor x)
{
    torch::Tensor out = torch::relu(bn1(conv1(x)));
    if (bottleneck) {
        out = torch::relu(bn2(conv2(out)));
        out = bn3(conv3(out));
    } else {
        out = bn2(conv2(out));
    }
    out = out + (downsample ? downsample->forward(x) : x);
    return torch::relu(out);
}

ResNetImpl::ResNetImpl(const ResNetSpec& spec, int64_t numClasses) : m_spec(spec), m_numClasses(numClasses)
{
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", nn::BatchNorm2d(64));
    const int64_t expansion = spec.bottleneck ? 4 : 1;
    int64_t inPlanes = 64;
    for (int l = 0; l < 4; ++l) {
        const int64_t planes = int64_t(64) << l;
        const int64_t stride = l == 0 ? 1 : 2;
        nn::Sequential layer;
        for (int b = 0; b < spec.blocks[std::size_t(l)]; ++b) {
            const bool down = b == 0 && (stride != 1 || inPlanes != planes * expansion);
            layer->push_back(Block(spec.bottleneck, inPlanes, planes, b == 0 ? stride : 1, down));
            inPlanes = planes * expansion;
        }
        layers.push_back(register_module("layer" + std::to_string(l + 1), layer));
    }
    fc = register_module("fc", nn::Linear(inPlanes, numClasses));
    resetParameters();
}

void ResNetImpl::resetParameters()
{
    torch::NoGradGuard noGrad;
    for (auto& module : modules(/*include_self=*/false)) {
        if (auto* c = module->as<nn::Conv2d>()) {
            nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
        } else if (auto* b = module->as<nn::BatchNorm2d>()) {
            nn::init::ones_(b->weight);
            nn::init::zeros_(b->bias);
            b->running_mean.zero_();
            b->running_var.fill_(1);
            b->num_batches_tracked.zero_();
        } else if (auto* f = module->as<nn::Linear>()) {
            f->reset_parameters();  // nn.Linear's own default, as torchvision leaves it
        }
    }
}

torch::Tensor ResNetImpl::features(torch::Tensor x)
{
    x = torch::max_pool2d(torch::relu(bn1(conv1(x))), 3, 2, 1);
    for (auto& layer : layers)
        x = layer->forward(x);
    return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
}

torch::Tensor ResNetImpl::forward(torch::Tensor x)
{
    return fc(features(x));
}

void configureTorchThreads(int threads)
{
    if (threads <= 0)
        threads = int(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
}

}  // namespace deepsvm
