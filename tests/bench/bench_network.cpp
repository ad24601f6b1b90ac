// Network throughput of our inference path, and the machine's 3x3-convolution peak.
//   bench_network --arch resnet50|convnext_tiny|... --size 224 --batch 32 --precision fp32 --seconds 20
//   bench_network --conv-peak --precision fp32
//   bench_network ... --layout blocked|channels-last   (how the network runs; default fused)
//   bench_network ... --algorithm winograd   (fp32 3x3 stride-1 convolutions in the fused network)
// Prints one JSON line so scripts can compare runs.
#include "nets/Backbones.h"
#include "nets/InferenceNet.h"
#include "nets/TorchSetup.h"
#include "nets/Weights.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

using namespace deepsvm;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

/// Runs `f` once to warm up, then until `budget` seconds have passed (at least 2 times).
template <typename F>
double timePerCall(F&& f, double budget, int* calls)
{
    f();
    const auto t0 = Clock::now();
    int n = 0;
    while (n < 2 || seconds(t0) < budget) {
        f();
        ++n;
    }
    *calls = n;
    return seconds(t0) / n;
}

/// The best 3x3-convolution throughput over the shapes ResNet-50's 3x3 layers have
/// (channels x side at batch 32): the machine's practical peak for this network.
void convPeak(Precision precision, double budget)
{
    const auto dtype = precision == Precision::BFloat16 ? torch::kBFloat16 : torch::kFloat32;
    c10::InferenceMode guard;
    double best = 0;
    const int64_t n = 32;
    for (const auto& [c, hw] : std::vector<std::pair<int64_t, int64_t>>{{64, 56}, {128, 28}, {256, 14}, {512, 7}}) {
        torch::Tensor x = torch::randn({n, c, hw, hw}).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
        torch::Tensor w = torch::randn({c, c, 3, 3}).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
        int calls = 0;
        const double t = timePerCall([&] { at::conv2d(x, w, {}, 1, 1); }, budget / 4, &calls);
        best = std::max(best, 2.0 * double(n * hw * hw * c * c * 9) / t / 1e9);
    }
    std::printf("{\"bench\": \"conv3x3_peak\", \"precision\": \"%s\", \"gflops\": %.1f, \"threads\": %d}\n",
                precisionName(precision).c_str(), best, at::get_num_threads());
}

}  // namespace

int main(int argc, char** argv)
{
    std::string arch = "resnet50", precision = "fp32", layout = "fused", algorithm = convAlgorithmName(defaultConvAlgorithm());
    int size = 224, batch = 32;
    double budget = 20;
    bool peak = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--arch") arch = next();
        else if (a == "--size") size = std::stoi(next());
        else if (a == "--batch") batch = std::stoi(next());
        else if (a == "--precision") precision = next();
        else if (a == "--seconds") budget = std::stod(next());
        else if (a == "--conv-peak") peak = true;
        else if (a == "--layout") layout = next();
        else if (a == "--algorithm") algorithm = next();
        else { std::fprintf(stderr, "unknown argument %s\n", a.c_str()); return 2; }
    }
    setUpTorch();
    if (peak) {
        convPeak(parsePrecision(precision), budget);
        return 0;
    }
    WeightsInfo info;
    const bool resnet = backboneFamily(arch) == "resnet";
    // ResNet runs the fused network (or the layout asked); the other families their module path.
    const std::unique_ptr<InferenceNet> built =
        resnet ? [&] {
            ResNet net = makeResNet(arch, "random", &info, 1);
            net->eval();
            return std::make_unique<InferenceNet>(net, parsePrecision(precision), parseActivationLayout(layout),
                                                  parseConvAlgorithm(algorithm));
        }()
               : makeInferenceNet(arch, "random", &info, 1, parsePrecision(precision));
    const InferenceNet& fast = *built;
    const torch::Tensor input = torch::randn({batch, 3, size, size});
    int calls = 0;
    const double t = timePerCall([&] { fast.forward(input); }, budget, &calls);
    const double gflops = resnet ? fast.flopsPerImage(size) / 1e9 : 0.0;
    std::map<std::string, int> kernels;  // which oneDNN kernels the fused network ran, on stderr
    for (const std::string& impl : fast.implementations())
        ++kernels[impl];
    for (const auto& [impl, count] : kernels)
        std::fprintf(stderr, "  %2d x %s\n", count, impl.c_str());
    std::printf("{\"bench\": \"network\", \"arch\": \"%s\", \"size\": %d, \"batch\": %d, \"precision\": \"%s\", "
                "\"layout\": \"%s\", \"algorithm\": \"%s\", \"images_per_second\": %.2f, \"gflops_per_image\": %.3f, \"achieved_gflops\": %.1f, \"calls\": %d, "
                "\"threads\": %d}\n",
                arch.c_str(), size, batch, precision.c_str(), activationLayoutName(fast.layout()).c_str(), algorithm.c_str(), batch / t, gflops, gflops * batch / t, calls,
                at::get_num_threads());
    return 0;
}
