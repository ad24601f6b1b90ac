#include "svm/Gram.h"

#include "io/Parallel.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <cstdlib>
#include <cstring>

// OpenBLAS's exported entry points (not in its public header); weak, so another BLAS simply
// leaves them null.
extern "C" {
char* openblas_get_corename(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
}

namespace deepsvm {

std::string selectBlasKernels()
{
    if (!openblas_get_corename)
        return {};
    const bool fellBack = std::strcmp(openblas_get_corename(), "Prescott") == 0;
    if (fellBack && !std::getenv("OPENBLAS_CORETYPE") && gotoblas_dynamic_quit && gotoblas_dynamic_init) {
        const char* core = nullptr;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512dq"))
            core = "SkylakeX";
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            core = "Haswell";
        if (core) {
            // gotoblas_dynamic_init reads OPENBLAS_CORETYPE, sets the kernel table and its
            // blocking parameters; nothing has called BLAS yet, so nothing holds the old table.
            setenv("OPENBLAS_CORETYPE", core, 0);
            gotoblas_dynamic_quit();
            gotoblas_dynamic_init();
        }
    }
    return openblas_get_corename();
}

std::vector<double> crossProducts(const std::vector<double>& a, int64_t ra, const std::vector<double>& b, int64_t rb,
                                  int64_t dims)
{
    std::vector<double> out(std::size_t(ra * rb));
    crossProductsInto(a.data(), ra, b.data(), rb, dims, out.data(), rb);
    return out;
}

void crossProductsInto(const double* a, int64_t ra, const double* b, int64_t rb, int64_t dims, double* out, int64_t ldOut)
{
    if (ra > 0 && rb > 0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(ra), int(rb), int(dims), 1.0, a, int(dims), b, int(dims),
                    0.0, out, int(ldOut));
}

void multiplyInto(const double* a, int64_t ra, int64_t inner, const double* b, int64_t cb, double* out)
{
    if (ra > 0 && cb > 0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(ra), int(cb), int(inner), 1.0, a, int(inner), b, int(cb),
                    0.0, out, int(cb));
}

std::vector<double> rowNormsSquared(const std::vector<double>& x, int64_t rows, int64_t dims)
{
    std::vector<double> out(std::size_t(rows), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
        double s = 0;
        for (int64_t c = 0; c < dims; ++c) {
            const double v = x[std::size_t(r * dims + c)];
            s += v * v;
        }
        out[std::size_t(r)] = s;
    }
    return out;
}

void applyKernelRows(double* k, int64_t ra, int64_t rb, const double* na, const double* nb, const SvmParams& p)
{
    const double g = p.gamma, c0 = p.coef0;
    for (int64_t i = 0; i < ra; ++i) {
        double* row = k + i * rb;
        switch (p.kernel) {
        case Kernel::Linear:
            break;
        case Kernel::Poly:
            for (int64_t j = 0; j < rb; ++j) {
                // libsvm's powi: repeated squaring, the same rounding as its own kernel.
                double base = g * row[j] + c0, result = 1.0;
                for (int t = p.degree; t > 0; t /= 2) {
                    if (t % 2 == 1)
                        result *= base;
                    base *= base;
                }
                row[j] = result;
            }
            break;
        case Kernel::Rbf:
            for (int64_t j = 0; j < rb; ++j)
                row[j] = std::exp(-g * (na[i] + nb[j] - 2 * row[j]));
            break;
        case Kernel::Sigmoid:
            for (int64_t j = 0; j < rb; ++j)
                row[j] = std::tanh(g * row[j] + c0);
            break;
        }
    }
}

void applyKernel(std::vector<double>& k, int64_t ra, int64_t rb, const std::vector<double>& na,
                 const std::vector<double>& nb, const SvmParams& p)
{
    // Blocks of 64 rows over the cores (each value depends only on its own entry). The norms
    // are read by rbf only (other kernels may pass none).
    constexpr int64_t kBlock = 64;
    const int64_t blocks = (ra + kBlock - 1) / kBlock;
    parallelFor(blocks, threadCount(0), [&](int64_t b) {
        const int64_t begin = b * kBlock, count = std::min(ra, begin + kBlock) - begin;
        applyKernelRows(k.data() + begin * rb, count, rb, na.empty() ? nullptr : na.data() + begin,
                        nb.empty() ? nullptr : nb.data(), p);
    });
}

}  // namespace deepsvm
