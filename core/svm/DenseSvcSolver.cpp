#include "svm/DenseSvc.h"
#include "svm/DenseSvcInternal.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DEEPSVM_HAVE_AVX512 1
#endif

// libsvm's Solver and one binary subproblem (solveBinary). The scans stay beside their only
// caller, the solver loop, so they inline into it as before.
//
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

    /// Q's buffer (its rows and columns permuted), for the next fit to fill and reuse.
    std::vector<float> takeQ()
    {
        m_row.clear();
        return std::move(m_q);
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
        updateGbar(i, ui, Qi, Ci);
        updateGbar(j, uj, Qj, Cj);
    }

    /// takeStep's G_bar update for alpha_i, its status set (`wasUpper`: before the step), as libsvm's.
    void updateGbar(int i, bool wasUpper, const float* Qi, double Ci)
    {
        if (wasUpper != isUpper(i)) {
            if (wasUpper)
                for (int k = 0; k < m_l; ++k)
                    m_Gbar[std::size_t(k)] -= Ci * Qi[k];
            else
                for (int k = 0; k < m_l; ++k)
                    m_Gbar[std::size_t(k)] += Ci * Qi[k];
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

namespace detail {

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
    return solvePrepared(q, std::move(qd), y, C, eps, shrinking, cancelled);
}

Binary solvePrepared(std::vector<float>& q, std::vector<double> qd, const std::vector<std::int8_t>& y, double C, double eps,
                     bool shrinking, const CancelCheck& cancelled)
{
    const int l = int(y.size());
    if (q.size() != std::size_t(l) * std::size_t(l) || qd.size() != std::size_t(l))
        throw std::invalid_argument("solvePrepared: Q must be l x l and QD l long");
    Binary b;
    Solver solver(l, std::move(q), std::move(qd), y, C, eps, shrinking, cancelled);
    struct GiveBack {  // the buffer returns to the caller even when the fit is cancelled
        Solver& s;
        std::vector<float>& q;
        ~GiveBack() { q = s.takeQ(); }
    } giveBack{solver, q};
    b.iterations = solver.solve(&b.alpha, &b.rho);
    for (int k = 0; k < l; ++k)
        b.alpha[std::size_t(k)] *= y[std::size_t(k)];
    return b;
}

}  // namespace detail

}  // namespace deepsvm
