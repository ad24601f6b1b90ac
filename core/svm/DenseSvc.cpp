#include "svm/DenseSvc.h"

#include "io/Parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DEEPSVM_HAVE_AVX512 1
#endif

// Exactness note: this file is compiled with -ffp-contract=off (CMakeLists), so no multiply
// and add are fused; every expression below evaluates the same IEEE operations in the same
// order as libsvm's Solver. Reductions are only max/min selections (no sums are reordered).

namespace deepsvm {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTau = 1e-12;  // libsvm's TAU
enum : std::int8_t { kLower = 0, kUpper = 1, kFree = 2 };

std::atomic<bool> g_portable{false};

bool avx512()
{
#ifdef DEEPSVM_HAVE_AVX512
    static const bool has = __builtin_cpu_supports("avx512f") != 0;
    return has && !g_portable.load(std::memory_order_relaxed);
#else
    return false;
#endif
}

/// The result of a working-set scan.
struct Pick {
    double value;
    int index;
};

// --- The three scans of every iteration, portable ------------------------------------------

/// i: the last t maximising -y_t G_t over I_up (libsvm: `if (-G[t] >= Gmax)` / `if (G[t] >= Gmax)`).
Pick pickIPortable(const double* G, const std::int8_t* y, const std::int8_t* status, int from, int to, Pick best)
{
    for (int t = from; t < to; ++t) {
        if (y[t] == +1) {
            if (status[t] != kUpper && -G[t] >= best.value)
                best = {-G[t], t};
        } else {
            if (status[t] != kLower && G[t] >= best.value)
                best = {G[t], t};
        }
    }
    return best;
}

/// j: the last index minimising the second-order objective decrease; also Gmax2.
void pickJPortable(const double* G, const std::int8_t* y, const std::int8_t* status, const double* QD, const float* Qi,
                   double QDi, double twoYi, double Gmax, int from, int to, Pick* best, double* Gmax2)
{
    for (int j = from; j < to; ++j) {
        if (y[j] == +1) {
            if (status[j] != kLower) {
                const double gradDiff = Gmax + G[j];
                if (G[j] >= *Gmax2)
                    *Gmax2 = G[j];
                if (gradDiff > 0) {
                    const double quad = QDi + QD[j] - twoYi * Qi[j];
                    const double objDiff = quad > 0 ? -(gradDiff * gradDiff) / quad : -(gradDiff * gradDiff) / kTau;
                    if (objDiff <= best->value)
                        *best = {objDiff, j};
                }
            }
        } else {
            if (status[j] != kUpper) {
                const double gradDiff = Gmax - G[j];
                if (-G[j] >= *Gmax2)
                    *Gmax2 = -G[j];
                if (gradDiff > 0) {
                    const double quad = QDi + QD[j] + twoYi * Qi[j];
                    const double objDiff = quad > 0 ? -(gradDiff * gradDiff) / quad : -(gradDiff * gradDiff) / kTau;
                    if (objDiff <= best->value)
                        *best = {objDiff, j};
                }
            }
        }
    }
}

void updateGradientPortable(double* G, const float* Qi, const float* Qj, double dai, double daj, int from, int to)
{
    for (int k = from; k < to; ++k)
        G[k] += Qi[k] * dai + Qj[k] * daj;
}

// --- The same scans, 8 lanes at a time -------------------------------------------------------
// Each lane keeps the last index holding its best value; across lanes the best value wins and,
// among lanes holding it, the largest index: exactly the sequential loop's answer.

#ifdef DEEPSVM_HAVE_AVX512
// GCC 12 warns inside its own conversion intrinsics when they are used in a target("avx512f")
// function; the warning is about the header's unused pass-through operand.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

__attribute__((target("avx512f"))) inline __m512i loadBytes(const std::int8_t* p)
{
    return _mm512_cvtepi8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

/// Per lane of t..t+7: y = +1, alpha below its upper bound, alpha above 0 (libsvm's I_up /
/// I_low membership is built from these).
struct LaneMasks {
    __mmask8 positive, notUpper, notLower;
};

__attribute__((target("avx512f"))) inline LaneMasks laneMasks(const std::int8_t* y, const std::int8_t* status, int t)
{
    const __m512i yy = loadBytes(y + t), st = loadBytes(status + t);
    return {_mm512_cmpeq_epi64_mask(yy, _mm512_set1_epi64(1)), _mm512_cmpneq_epi64_mask(st, _mm512_set1_epi64(kUpper)),
            _mm512_cmpneq_epi64_mask(st, _mm512_set1_epi64(kLower))};
}

__attribute__((target("avx512f"))) Pick lanesBest(__m512d value, __m512i index, Pick best, bool wantMax)
{
    alignas(64) double v[8];
    alignas(64) std::int64_t ix[8];
    _mm512_store_pd(v, value);
    _mm512_store_si512(ix, index);
    for (int k = 0; k < 8; ++k) {
        if (ix[k] < 0)
            continue;  // the lane never held a candidate
        const bool better = wantMax ? v[k] > best.value : v[k] < best.value;
        if (best.index < 0 || better || (v[k] == best.value && ix[k] > best.index))
            best = {v[k], int(ix[k])};
    }
    return best;
}

__attribute__((target("avx512f"))) Pick pickIAvx512(const double* G, const std::int8_t* y, const std::int8_t* status, int to)
{
    __m512d bestV = _mm512_set1_pd(-kInf);
    __m512i bestI = _mm512_set1_epi64(-1);
    __m512i idx = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i eight = _mm512_set1_epi64(8);
    int t = 0;
    for (; t + 8 <= to; t += 8) {
        const __m512d g = _mm512_loadu_pd(G + t);
        const LaneMasks m = laneMasks(y, status, t);
        const __mmask8 pos = m.positive;
        const __mmask8 eligible = (pos & m.notUpper) | (~pos & m.notLower);  // I_up
        const __m512d v = _mm512_mask_sub_pd(g, pos, _mm512_setzero_pd(), g);  // -G for y = +1
        // libsvm negates with `-G[t]`: 0 - g differs from -g only for g = +0 (gives +0, not -0);
        // both compare equal, and a chosen value is re-read from G below, so it cannot matter.
        const __mmask8 take = eligible & _mm512_cmp_pd_mask(v, bestV, _CMP_GE_OQ);
        bestV = _mm512_mask_mov_pd(bestV, take, v);
        bestI = _mm512_mask_mov_epi64(bestI, take, idx);
        idx = _mm512_add_epi64(idx, eight);
    }
    Pick best = lanesBest(bestV, bestI, {-kInf, -1}, true);
    if (best.index >= 0)
        best.value = y[best.index] == +1 ? -G[best.index] : G[best.index];
    return pickIPortable(G, y, status, t, to, best);
}

__attribute__((target("avx512f"))) void pickJAvx512(const double* G, const std::int8_t* y, const std::int8_t* status,
                                                    const double* QD, const float* Qi, double QDi, double twoYi, double Gmax,
                                                    int to, Pick* best, double* Gmax2)
{
    const __m512d gmax = _mm512_set1_pd(Gmax), qdi = _mm512_set1_pd(QDi), twoyi = _mm512_set1_pd(twoYi);
    const __m512d zero = _mm512_setzero_pd(), tau = _mm512_set1_pd(kTau);
    __m512d bestV = _mm512_set1_pd(kInf), g2 = _mm512_set1_pd(-kInf);
    __m512i bestI = _mm512_set1_epi64(-1);
    __m512i idx = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i eight = _mm512_set1_epi64(8);
    int j = 0;
    for (; j + 8 <= to; j += 8) {
        const __m512d g = _mm512_loadu_pd(G + j);
        const LaneMasks m = laneMasks(y, status, j);
        const __mmask8 pos = m.positive;
        const __mmask8 eligible = (pos & m.notLower) | (~pos & m.notUpper);  // I_low
        // yG = G (y = +1) or -G (y = -1); gradDiff = Gmax + G or Gmax - G, as libsvm writes them.
        const __m512d gradDiff = _mm512_mask_sub_pd(_mm512_add_pd(gmax, g), ~pos, gmax, g);
        const __m512d yG = _mm512_mask_sub_pd(g, ~pos, zero, g);
        g2 = _mm512_mask_max_pd(g2, eligible & _mm512_cmp_pd_mask(yG, g2, _CMP_GE_OQ), yG, yG);
        const __m512d q = _mm512_mul_pd(twoyi, _mm512_cvtps_pd(_mm256_loadu_ps(Qi + j)));
        const __m512d s = _mm512_add_pd(qdi, _mm512_loadu_pd(QD + j));
        const __m512d quad = _mm512_mask_add_pd(_mm512_sub_pd(s, q), ~pos, s, q);
        const __mmask8 quadPositive = _mm512_cmp_pd_mask(quad, zero, _CMP_GT_OQ);
        const __m512d numerator = _mm512_sub_pd(zero, _mm512_mul_pd(gradDiff, gradDiff));
        const __m512d objDiff = _mm512_div_pd(numerator, _mm512_mask_mov_pd(tau, quadPositive, quad));
        const __mmask8 take = eligible & _mm512_cmp_pd_mask(gradDiff, zero, _CMP_GT_OQ) & _mm512_cmp_pd_mask(objDiff, bestV, _CMP_LE_OQ);
        bestV = _mm512_mask_mov_pd(bestV, take, objDiff);
        bestI = _mm512_mask_mov_epi64(bestI, take, idx);
        idx = _mm512_add_epi64(idx, eight);
    }
    // Gmax2 is a plain maximum of values (no index), so lanes combine in any order.
    alignas(64) double lanes[8];
    _mm512_store_pd(lanes, g2);
    for (double v : lanes)
        if (v >= *Gmax2)
            *Gmax2 = v;
    *best = lanesBest(bestV, bestI, *best, false);
    pickJPortable(G, y, status, QD, Qi, QDi, twoYi, Gmax, j, to, best, Gmax2);
}

__attribute__((target("avx512f"))) void updateGradientAvx512(double* G, const float* Qi, const float* Qj, double dai, double daj, int to)
{
    const __m512d a = _mm512_set1_pd(dai), b = _mm512_set1_pd(daj);
    int k = 0;
    for (; k + 8 <= to; k += 8) {
        const __m512d qi = _mm512_cvtps_pd(_mm256_loadu_ps(Qi + k)), qj = _mm512_cvtps_pd(_mm256_loadu_ps(Qj + k));
        const __m512d sum = _mm512_add_pd(_mm512_mul_pd(qi, a), _mm512_mul_pd(qj, b));
        _mm512_storeu_pd(G + k, _mm512_add_pd(_mm512_loadu_pd(G + k), sum));
    }
    updateGradientPortable(G, Qi, Qj, dai, daj, k, to);
}

#pragma GCC diagnostic pop
#endif

/// libsvm's Solver for C-SVC (Cp = Cn = C, p = -1, alpha starting at 0), on a dense Q whose
/// rows and columns are permuted in place as libsvm's cache permutes them when shrinking.
class Solver {
public:
    Solver(int l, std::vector<float> q, std::vector<double> qd, std::vector<std::int8_t> y, double C, double eps, bool shrinking,
           const CancelCheck& cancelled)
        : m_l(l), m_q(std::move(q)), m_QD(std::move(qd)), m_y(std::move(y)), m_C(C), m_eps(eps), m_shrinking(shrinking),
          m_cancelled(cancelled)
    {
        m_row.resize(std::size_t(l));
        for (int i = 0; i < l; ++i)
            m_row[std::size_t(i)] = m_q.data() + std::size_t(i) * std::size_t(l);
    }

    /// Returns the number of iterations; alpha (in the original order, times y) and rho.
    int64_t solve(std::vector<double>* alphaOut, double* rho)
    {
        const int l = m_l;
        m_alpha.assign(std::size_t(l), 0.0);
        m_status.assign(std::size_t(l), kLower);
        m_active.resize(std::size_t(l));
        std::iota(m_active.begin(), m_active.end(), 0);
        m_activeSize = l;
        m_G.assign(std::size_t(l), -1.0);  // p = -1 and alpha = 0
        m_Gbar.assign(std::size_t(l), 0.0);
        m_unshrink = false;

        int64_t iter = 0;
        const int64_t maxIter = std::max<int64_t>(10000000, l > std::numeric_limits<int>::max() / 100 ? std::numeric_limits<int>::max() : 100LL * l);
        int counter = std::min(l, 1000) + 1;
        while (iter < maxIter) {
            if (--counter == 0) {
                counter = std::min(l, 1000);
                throwIfCancelled(m_cancelled);  // every 1,000 iterations: a long fit stops within a few ms
                if (m_shrinking)
                    doShrinking();
            }
            int i = 0, j = 0;
            if (selectWorkingSet(&i, &j) != 0) {
                reconstructGradient();
                m_activeSize = l;
                if (selectWorkingSet(&i, &j) != 0)
                    break;
                counter = 1;
            }
            ++iter;
            takeStep(i, j);
        }
        if (iter >= maxIter && m_activeSize < l) {
            reconstructGradient();
            m_activeSize = l;
        }
        *rho = calculateRho();
        alphaOut->assign(std::size_t(l), 0.0);
        for (int i = 0; i < l; ++i)
            (*alphaOut)[std::size_t(m_active[std::size_t(i)])] = m_alpha[std::size_t(i)];
        return iter;
    }

private:
    void updateStatus(int i)
    {
        const double a = m_alpha[std::size_t(i)];
        m_status[std::size_t(i)] = a >= m_C ? kUpper : (a <= 0 ? kLower : kFree);
    }
    bool isUpper(int i) const { return m_status[std::size_t(i)] == kUpper; }
    bool isLower(int i) const { return m_status[std::size_t(i)] == kLower; }
    bool isFree(int i) const { return m_status[std::size_t(i)] == kFree; }

    void swapIndex(int i, int j)
    {
        if (i == j)
            return;
        std::swap(m_row[std::size_t(i)], m_row[std::size_t(j)]);
        for (int k = 0; k < m_l; ++k)
            std::swap(m_row[std::size_t(k)][i], m_row[std::size_t(k)][j]);
        std::swap(m_QD[std::size_t(i)], m_QD[std::size_t(j)]);
        std::swap(m_y[std::size_t(i)], m_y[std::size_t(j)]);
        std::swap(m_G[std::size_t(i)], m_G[std::size_t(j)]);
        std::swap(m_status[std::size_t(i)], m_status[std::size_t(j)]);
        std::swap(m_alpha[std::size_t(i)], m_alpha[std::size_t(j)]);
        std::swap(m_active[std::size_t(i)], m_active[std::size_t(j)]);
        std::swap(m_Gbar[std::size_t(i)], m_Gbar[std::size_t(j)]);
    }

    int selectWorkingSet(int* outI, int* outJ)
    {
        const double* G = m_G.data();
        const std::int8_t* y = m_y.data();
        const std::int8_t* st = m_status.data();
        Pick pi{-kInf, -1};
#ifdef DEEPSVM_HAVE_AVX512
        if (avx512())
            pi = pickIAvx512(G, y, st, m_activeSize);
        else
#endif
            pi = pickIPortable(G, y, st, 0, m_activeSize, pi);
        const double Gmax = pi.value;
        const int i = pi.index;
        double Gmax2 = -kInf;
        Pick pj{kInf, -1};
        if (i != -1) {
            const float* Qi = m_row[std::size_t(i)];
            const double QDi = m_QD[std::size_t(i)], twoYi = 2.0 * y[i];
#ifdef DEEPSVM_HAVE_AVX512
            if (avx512())
                pickJAvx512(G, y, st, m_QD.data(), Qi, QDi, twoYi, Gmax, m_activeSize, &pj, &Gmax2);
            else
#endif
                pickJPortable(G, y, st, m_QD.data(), Qi, QDi, twoYi, Gmax, 0, m_activeSize, &pj, &Gmax2);
        } else {
            // libsvm reads no Q row then (Gmax = -inf), but still scans for Gmax2.
            for (int j = 0; j < m_activeSize; ++j) {
                if (y[j] == +1) {
                    if (!isLower(j) && G[j] >= Gmax2)
                        Gmax2 = G[j];
                } else if (!isUpper(j) && -G[j] >= Gmax2) {
                    Gmax2 = -G[j];
                }
            }
        }
        if (Gmax + Gmax2 < m_eps || pj.index == -1)
            return 1;
        *outI = i;
        *outJ = pj.index;
        return 0;
    }

    void takeStep(int i, int j)
    {
        const float* Qi = m_row[std::size_t(i)];
        const float* Qj = m_row[std::size_t(j)];
        const double Ci = m_C, Cj = m_C;
        double& ai = m_alpha[std::size_t(i)];
        double& aj = m_alpha[std::size_t(j)];
        const double oldI = ai, oldJ = aj;
        const double* G = m_G.data();
        if (m_y[std::size_t(i)] != m_y[std::size_t(j)]) {
            double quad = m_QD[std::size_t(i)] + m_QD[std::size_t(j)] + 2 * Qi[j];
            if (quad <= 0)
                quad = kTau;
            const double delta = (-G[i] - G[j]) / quad;
            const double diff = ai - aj;
            ai += delta;
            aj += delta;
            if (diff > 0) {
                if (aj < 0) {
                    aj = 0;
                    ai = diff;
                }
            } else if (ai < 0) {
                ai = 0;
                aj = -diff;
            }
            if (diff > Ci - Cj) {
                if (ai > Ci) {
                    ai = Ci;
                    aj = Ci - diff;
                }
            } else if (aj > Cj) {
                aj = Cj;
                ai = Cj + diff;
            }
        } else {
            double quad = m_QD[std::size_t(i)] + m_QD[std::size_t(j)] - 2 * Qi[j];
            if (quad <= 0)
                quad = kTau;
            const double delta = (G[i] - G[j]) / quad;
            const double sum = ai + aj;
            ai -= delta;
            aj += delta;
            if (sum > Ci) {
                if (ai > Ci) {
                    ai = Ci;
                    aj = sum - Ci;
                }
            } else if (aj < 0) {
                aj = 0;
                ai = sum;
            }
            if (sum > Cj) {
                if (aj > Cj) {
                    aj = Cj;
                    ai = sum - Cj;
                }
            } else if (ai < 0) {
                ai = 0;
                aj = sum;
            }
        }
        const double dai = ai - oldI, daj = aj - oldJ;
#ifdef DEEPSVM_HAVE_AVX512
        if (avx512())
            updateGradientAvx512(m_G.data(), Qi, Qj, dai, daj, m_activeSize);
        else
#endif
            updateGradientPortable(m_G.data(), Qi, Qj, dai, daj, 0, m_activeSize);

        const bool ui = isUpper(i), uj = isUpper(j);
        updateStatus(i);
        updateStatus(j);
        if (ui != isUpper(i)) {
            if (ui)
                for (int k = 0; k < m_l; ++k)
                    m_Gbar[std::size_t(k)] -= Ci * Qi[k];
            else
                for (int k = 0; k < m_l; ++k)
                    m_Gbar[std::size_t(k)] += Ci * Qi[k];
        }
        if (uj != isUpper(j)) {
            if (uj)
                for (int k = 0; k < m_l; ++k)
                    m_Gbar[std::size_t(k)] -= Cj * Qj[k];
            else
                for (int k = 0; k < m_l; ++k)
                    m_Gbar[std::size_t(k)] += Cj * Qj[k];
        }
    }

    void reconstructGradient()
    {
        if (m_activeSize == m_l)
            return;
        const int l = m_l, active = m_activeSize;
        for (int j = active; j < l; ++j)
            m_G[std::size_t(j)] = m_Gbar[std::size_t(j)] + -1.0;
        int nrFree = 0;
        for (int j = 0; j < active; ++j)
            if (isFree(j))
                ++nrFree;
        if (int64_t(nrFree) * l > 2LL * active * (l - active)) {
            for (int i = active; i < l; ++i) {
                const float* Qi = m_row[std::size_t(i)];
                for (int j = 0; j < active; ++j)
                    if (isFree(j))
                        m_G[std::size_t(i)] += m_alpha[std::size_t(j)] * Qi[j];
            }
        } else {
            for (int i = 0; i < active; ++i)
                if (isFree(i)) {
                    const float* Qi = m_row[std::size_t(i)];
                    const double alphaI = m_alpha[std::size_t(i)];
                    for (int j = active; j < l; ++j)
                        m_G[std::size_t(j)] += alphaI * Qi[j];
                }
        }
    }

    bool beShrunk(int i, double Gmax1, double Gmax2) const
    {
        const double g = m_G[std::size_t(i)];
        if (isUpper(i))
            return m_y[std::size_t(i)] == +1 ? -g > Gmax1 : -g > Gmax2;
        if (isLower(i))
            return m_y[std::size_t(i)] == +1 ? g > Gmax2 : g > Gmax1;
        return false;
    }

    void doShrinking()
    {
        double Gmax1 = -kInf, Gmax2 = -kInf;
        for (int i = 0; i < m_activeSize; ++i) {
            const double g = m_G[std::size_t(i)];
            if (m_y[std::size_t(i)] == +1) {
                if (!isUpper(i) && -g >= Gmax1)
                    Gmax1 = -g;
                if (!isLower(i) && g >= Gmax2)
                    Gmax2 = g;
            } else {
                if (!isUpper(i) && -g >= Gmax2)
                    Gmax2 = -g;
                if (!isLower(i) && g >= Gmax1)
                    Gmax1 = g;
            }
        }
        if (!m_unshrink && Gmax1 + Gmax2 <= m_eps * 10) {
            m_unshrink = true;
            reconstructGradient();
            m_activeSize = m_l;
        }
        for (int i = 0; i < m_activeSize; ++i)
            if (beShrunk(i, Gmax1, Gmax2)) {
                --m_activeSize;
                while (m_activeSize > i) {
                    if (!beShrunk(m_activeSize, Gmax1, Gmax2)) {
                        swapIndex(i, m_activeSize);
                        break;
                    }
                    --m_activeSize;
                }
            }
    }

    double calculateRho() const
    {
        int nrFree = 0;
        double ub = kInf, lb = -kInf, sumFree = 0;
        for (int i = 0; i < m_activeSize; ++i) {
            const double yG = m_y[std::size_t(i)] * m_G[std::size_t(i)];
            if (isUpper(i)) {
                if (m_y[std::size_t(i)] == -1)
                    ub = std::min(ub, yG);
                else
                    lb = std::max(lb, yG);
            } else if (isLower(i)) {
                if (m_y[std::size_t(i)] == +1)
                    ub = std::min(ub, yG);
                else
                    lb = std::max(lb, yG);
            } else {
                ++nrFree;
                sumFree += yG;
            }
        }
        return nrFree > 0 ? sumFree / nrFree : (ub + lb) / 2;
    }

    int m_l;
    std::vector<float> m_q;
    std::vector<float*> m_row;
    std::vector<double> m_QD;
    std::vector<std::int8_t> m_y, m_status;
    std::vector<double> m_alpha, m_G, m_Gbar;
    std::vector<int> m_active;
    int m_activeSize = 0;
    double m_C, m_eps;
    bool m_shrinking, m_unshrink = false;
    const CancelCheck& m_cancelled;
};

}  // namespace

void DenseSvc::forcePortable(bool on)
{
    g_portable = on;
}

namespace {

/// One binary C-SVC (svm_train_one): rows `sub` with classes `y` (+1/-1), in this order.
/// Returns alpha times y, as svm_train stores it, and rho.
struct Binary {
    std::vector<double> alpha;
    double rho = 0;
    int64_t iterations = 0;
};

Binary solveBinary(const double* kernel, int64_t n, const std::vector<int64_t>& sub, const std::vector<std::int8_t>& y,
                   double C, double eps, bool shrinking, const CancelCheck& cancelled)
{
    const int l = int(sub.size());
    // Q[i][j] = (float)(y_i y_j K(x_i, x_j)), QD[i] = K(x_i, x_i), as SVC_Q computes them.
    std::vector<float> q(std::size_t(l) * std::size_t(l));
    std::vector<double> qd(static_cast<std::size_t>(l));
    for (int i = 0; i < l; ++i) {
        const double* krow = kernel + sub[std::size_t(i)] * n;
        float* qrow = q.data() + std::size_t(i) * std::size_t(l);
        const int yi = y[std::size_t(i)];
        for (int j = 0; j < l; ++j)
            qrow[j] = float(yi * y[std::size_t(j)] * krow[sub[std::size_t(j)]]);
        qd[std::size_t(i)] = krow[sub[std::size_t(i)]];
    }
    Binary b;
    Solver solver(l, std::move(q), std::move(qd), y, C, eps, shrinking, cancelled);
    b.iterations = solver.solve(&b.alpha, &b.rho);
    for (int k = 0; k < l; ++k)
        b.alpha[std::size_t(k)] *= y[std::size_t(k)];
    return b;
}

/// libsvm's sigmoid_train: Platt's sigmoid fitted by Newton's method with backtracking
/// (Lin, Lin and Weng's version), the same operations in the same order.
void sigmoidTrain(const std::vector<double>& dec, const std::vector<std::int8_t>& labels, double* outA, double* outB)
{
    const int l = int(dec.size());
    double prior1 = 0, prior0 = 0;
    for (int i = 0; i < l; ++i)
        if (labels[std::size_t(i)] > 0) prior1 += 1;
        else prior0 += 1;
    const int maxIter = 100;
    const double minStep = 1e-10, sigma = 1e-12, eps = 1e-5;
    const double hiTarget = (prior1 + 1.0) / (prior1 + 2.0), loTarget = 1 / (prior0 + 2.0);
    std::vector<double> t(static_cast<std::size_t>(l));
    double A = 0.0, B = std::log((prior0 + 1.0) / (prior1 + 1.0)), fval = 0.0;
    for (int i = 0; i < l; ++i) {
        t[std::size_t(i)] = labels[std::size_t(i)] > 0 ? hiTarget : loTarget;
        const double fApB = dec[std::size_t(i)] * A + B;
        if (fApB >= 0)
            fval += t[std::size_t(i)] * fApB + std::log(1 + std::exp(-fApB));
        else
            fval += (t[std::size_t(i)] - 1) * fApB + std::log(1 + std::exp(fApB));
    }
    for (int iter = 0; iter < maxIter; ++iter) {
        double h11 = sigma, h22 = sigma, h21 = 0.0, g1 = 0.0, g2 = 0.0;
        for (int i = 0; i < l; ++i) {
            const double fApB = dec[std::size_t(i)] * A + B;
            double p, q;
            if (fApB >= 0) {
                p = std::exp(-fApB) / (1.0 + std::exp(-fApB));
                q = 1.0 / (1.0 + std::exp(-fApB));
            } else {
                p = 1.0 / (1.0 + std::exp(fApB));
                q = std::exp(fApB) / (1.0 + std::exp(fApB));
            }
            const double d2 = p * q;
            h11 += dec[std::size_t(i)] * dec[std::size_t(i)] * d2;
            h22 += d2;
            h21 += dec[std::size_t(i)] * d2;
            const double d1 = t[std::size_t(i)] - p;
            g1 += dec[std::size_t(i)] * d1;
            g2 += d1;
        }
        if (std::fabs(g1) < eps && std::fabs(g2) < eps)
            break;
        const double det = h11 * h22 - h21 * h21;
        const double dA = -(h22 * g1 - h21 * g2) / det;
        const double dB = -(-h21 * g1 + h11 * g2) / det;
        const double gd = g1 * dA + g2 * dB;
        double stepsize = 1;
        while (stepsize >= minStep) {
            const double newA = A + stepsize * dA, newB = B + stepsize * dB;
            double newf = 0.0;
            for (int i = 0; i < l; ++i) {
                const double fApB = dec[std::size_t(i)] * newA + newB;
                if (fApB >= 0)
                    newf += t[std::size_t(i)] * fApB + std::log(1 + std::exp(-fApB));
                else
                    newf += (t[std::size_t(i)] - 1) * fApB + std::log(1 + std::exp(fApB));
            }
            if (newf < fval + 0.0001 * stepsize * gd) {
                A = newA;
                B = newB;
                fval = newf;
                break;
            }
            stepsize = stepsize / 2.0;
        }
        if (stepsize < minStep)
            break;  // libsvm: "Line search fails"
    }
    *outA = A;
    *outB = B;
}

/// svm_binary_svc_probability: 5-fold decision values on the binary problem (`sub`, `y`) with
/// libsvm's shuffle `perm`, then the sigmoid fitted to them.
void binaryProbability(const double* kernel, int64_t n, const std::vector<int64_t>& sub, const std::vector<std::int8_t>& y,
                       const std::vector<int>& perm, double C, double eps, bool shrinking, const CancelCheck& cancelled,
                       double* A, double* B, int64_t* iterations)
{
    const int l = int(sub.size()), folds = 5;
    std::vector<double> dec(static_cast<std::size_t>(l), 0.0);
    for (int f = 0; f < folds; ++f) {
        const int begin = f * l / folds, end = (f + 1) * l / folds;
        // The fold's training rows in perm order, then grouped as svm_group_classes groups
        // them: +1 first (libsvm puts a +1/-1 problem's +1 class first), stable.
        std::vector<int> positives, negatives;
        auto take = [&](int j) { (y[std::size_t(perm[std::size_t(j)])] > 0 ? positives : negatives).push_back(perm[std::size_t(j)]); };
        for (int j = 0; j < begin; ++j) take(j);
        for (int j = end; j < l; ++j) take(j);
        if (positives.empty() || negatives.empty()) {
            const double value = positives.empty() && negatives.empty() ? 0.0 : positives.empty() ? -1.0 : 1.0;
            for (int j = begin; j < end; ++j)
                dec[std::size_t(perm[std::size_t(j)])] = value;
            continue;
        }
        std::vector<int64_t> rows;
        std::vector<std::int8_t> ys;
        for (int k : positives) { rows.push_back(sub[std::size_t(k)]); ys.push_back(+1); }
        for (int k : negatives) { rows.push_back(sub[std::size_t(k)]); ys.push_back(-1); }
        const Binary b = solveBinary(kernel, n, rows, ys, C, eps, shrinking, cancelled);
        *iterations += b.iterations;
        // svm_predict_values of the two-class model: its support vectors in order, minus rho
        // (times label[0] = +1, which changes nothing).
        for (int j = begin; j < end; ++j) {
            const double* krow = kernel + sub[std::size_t(perm[std::size_t(j)])] * n;
            double sum = 0;
            for (std::size_t k = 0; k < rows.size(); ++k)
                if (b.alpha[k] != 0)
                    sum += b.alpha[k] * krow[rows[k]];
            sum -= b.rho;
            dec[std::size_t(perm[std::size_t(j)])] = sum;
        }
    }
    sigmoidTrain(dec, y, A, B);
}

}  // namespace

DenseSvc DenseSvc::train(const double* kernel, int64_t n, const std::vector<int64_t>& rows, const std::vector<int>& labels,
                         double C, const CancelCheck& cancelled, double eps, bool shrinking)
{
    return build(kernel, n, rows, labels, {C, eps, shrinking, nullptr, 1, cancelled});
}

DenseSvc DenseSvc::trainWithProbability(const double* kernel, int64_t n, const std::vector<int64_t>& rows,
                                        const std::vector<int>& labels, double C, unsigned seed, int threads,
                                        const CancelCheck& cancelled, double eps, bool shrinking)
{
    return build(kernel, n, rows, labels, {C, eps, shrinking, &seed, threads, cancelled});
}

std::mutex& DenseSvc::randMutex()
{
    static std::mutex m;
    return m;
}

/// One class pair's subproblem: its rows, libsvm's shuffle for the probability folds, and the fit.
struct DenseSvc::Pair {
    int a, b;
    std::vector<int> perm;
    Binary f;
    double probA = 0, probB = 0;
    int64_t iterations = 0;
};

DenseSvc DenseSvc::build(const double* kernel, int64_t n, const std::vector<int64_t>& rows, const std::vector<int>& labels,
                         const Fit& fit)
{
    if (rows.size() != labels.size() || rows.empty())
        throw std::invalid_argument("DenseSvc: rows and labels must be non-empty and of equal length");
    if (!(fit.C > 0))
        throw std::invalid_argument("DenseSvc: C must be positive");
    // Rows grouped by class, stable, classes ascending: what SvmModel hands libsvm.
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
    std::vector<int64_t> grouped(rows.size());
    for (std::size_t k = 0; k < order.size(); ++k)
        grouped[k] = rows[order[k]];
    DenseSvc m;
    std::vector<int> start, count;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const int label = labels[order[k]];
        if (m.m_labels.empty() || m.m_labels.back() != label) {
            m.m_labels.push_back(label);
            start.push_back(int(k));
            count.push_back(0);
        }
        ++count.back();
    }
    const int classes = int(m.m_labels.size());
    std::vector<Pair> pairs;
    for (int a = 0; a < classes; ++a)
        for (int b = a + 1; b < classes; ++b)
            pairs.push_back({a, b, {}, {}, 0, 0, 0});
    if (fit.seed) {
        // svm_binary_svc_probability's shuffles, drawn pair by pair from rand() as svm_train
        // draws them (nothing else in svm_train calls rand()), so the pairs can then run in
        // any order.
        std::lock_guard<std::mutex> lock(randMutex());
        std::srand(*fit.seed);
        for (Pair& p : pairs) {
            const int l = count[std::size_t(p.a)] + count[std::size_t(p.b)];
            p.perm.resize(std::size_t(l));
            std::iota(p.perm.begin(), p.perm.end(), 0);
            for (int i = 0; i < l; ++i)
                std::swap(p.perm[std::size_t(i)], p.perm[std::size_t(i + std::rand() % (l - i))]);
        }
    }
    auto solvePair = [&](int64_t index) {
        Pair& p = pairs[std::size_t(index)];
        const int ca = count[std::size_t(p.a)], cb = count[std::size_t(p.b)];
        std::vector<int64_t> sub;
        std::vector<std::int8_t> y;
        sub.reserve(std::size_t(ca + cb));
        for (int k = 0; k < ca; ++k) { sub.push_back(grouped[std::size_t(start[std::size_t(p.a)] + k)]); y.push_back(+1); }
        for (int k = 0; k < cb; ++k) { sub.push_back(grouped[std::size_t(start[std::size_t(p.b)] + k)]); y.push_back(-1); }
        if (fit.seed)
            binaryProbability(kernel, n, sub, y, p.perm, fit.C, fit.eps, fit.shrinking, fit.cancelled, &p.probA, &p.probB,
                              &p.iterations);
        p.f = solveBinary(kernel, n, sub, y, fit.C, fit.eps, fit.shrinking, fit.cancelled);
        p.iterations += p.f.iterations;
    };
    // The pairs are independent; the result does not depend on the thread count.
    parallelFor(int64_t(pairs.size()), std::min<int>(threadCount(fit.threads), int(pairs.size())), solvePair);
    m.collectSupportVectors(pairs, grouped, order, start, count, fit.seed != nullptr);
    return m;
}

void DenseSvc::collectSupportVectors(const std::vector<Pair>& pairs, const std::vector<int64_t>& grouped,
                                     const std::vector<std::size_t>& order, const std::vector<int>& start,
                                     const std::vector<int>& count, bool withProbability)
{
    const int classes = int(m_labels.size());
    std::vector<char> nonzero(grouped.size(), 0);
    for (const Pair& p : pairs) {
        m_stats.iterations += p.iterations;
        const int ca = count[std::size_t(p.a)], cb = count[std::size_t(p.b)];
        for (int k = 0; k < ca; ++k)
            if (p.f.alpha[std::size_t(k)] != 0)  // libsvm: fabs(alpha) > 0
                nonzero[std::size_t(start[std::size_t(p.a)] + k)] = 1;
        for (int k = 0; k < cb; ++k)
            if (p.f.alpha[std::size_t(ca + k)] != 0)
                nonzero[std::size_t(start[std::size_t(p.b)] + k)] = 1;
    }
    std::vector<int> nzStart(std::size_t(classes), 0);
    m_svCount.assign(std::size_t(classes), 0);
    for (int c = 0; c < classes; ++c) {
        for (int k = 0; k < count[std::size_t(c)]; ++k)
            if (nonzero[std::size_t(start[std::size_t(c)] + k)]) {
                ++m_svCount[std::size_t(c)];
                m_svRows.push_back(grouped[std::size_t(start[std::size_t(c)] + k)]);
                m_svPositions.push_back(int64_t(order[std::size_t(start[std::size_t(c)] + k)]));
            }
        if (c > 0)
            nzStart[std::size_t(c)] = nzStart[std::size_t(c - 1)] + m_svCount[std::size_t(c - 1)];
    }
    m_svStart = nzStart;
    const int nSV = int(m_svRows.size());
    m_coef.assign(std::size_t(std::max(classes - 1, 0)), std::vector<double>(std::size_t(nSV), 0.0));
    for (const Pair& p : pairs) {
        const int ca = count[std::size_t(p.a)], cb = count[std::size_t(p.b)];
        int q = nzStart[std::size_t(p.a)];
        for (int k = 0; k < ca; ++k)
            if (nonzero[std::size_t(start[std::size_t(p.a)] + k)])
                m_coef[std::size_t(p.b - 1)][std::size_t(q++)] = p.f.alpha[std::size_t(k)];
        q = nzStart[std::size_t(p.b)];
        for (int k = 0; k < cb; ++k)
            if (nonzero[std::size_t(start[std::size_t(p.b)] + k)])
                m_coef[std::size_t(p.a)][std::size_t(q++)] = p.f.alpha[std::size_t(ca + k)];
        m_rho.push_back(p.f.rho);
        if (withProbability) {
            m_probA.push_back(p.probA);
            m_probB.push_back(p.probB);
        }
    }
}

int DenseSvc::predict(const double* kernel, int64_t n, int64_t row, std::vector<double>* decisions) const
{
    const int classes = int(m_labels.size());
    if (classes == 1) {
        if (decisions)
            decisions->clear();
        return m_labels[0];
    }
    const double* krow = kernel + row * n;
    std::vector<double> kvalue(m_svRows.size());
    for (std::size_t s = 0; s < m_svRows.size(); ++s)
        kvalue[s] = krow[m_svRows[s]];
    std::vector<int> vote(std::size_t(classes), 0);
    if (decisions)
        decisions->assign(std::size_t(classes * (classes - 1) / 2), 0.0);
    int p = 0;
    for (int i = 0; i < classes; ++i)
        for (int j = i + 1; j < classes; ++j) {
            double sum = 0;
            const int si = m_svStart[std::size_t(i)], sj = m_svStart[std::size_t(j)];
            const std::vector<double>& coef1 = m_coef[std::size_t(j - 1)];
            const std::vector<double>& coef2 = m_coef[std::size_t(i)];
            for (int k = 0; k < m_svCount[std::size_t(i)]; ++k)
                sum += coef1[std::size_t(si + k)] * kvalue[std::size_t(si + k)];
            for (int k = 0; k < m_svCount[std::size_t(j)]; ++k)
                sum += coef2[std::size_t(sj + k)] * kvalue[std::size_t(sj + k)];
            sum -= m_rho[std::size_t(p)];
            if (decisions)
                (*decisions)[std::size_t(p)] = sum;
            ++vote[std::size_t(sum > 0 ? i : j)];
            ++p;
        }
    int best = 0;
    for (int i = 1; i < classes; ++i)
        if (vote[std::size_t(i)] > vote[std::size_t(best)])
            best = i;
    return m_labels[std::size_t(best)];
}

}  // namespace deepsvm
