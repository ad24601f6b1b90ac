// Barnes-Hut t-SNE (van der Maaten 2014) with sklearn's optimiser, and the public entry points. Parallel
// work is cut into fixed chunks whose partial results are combined in chunk order, so the output does not
// depend on how many threads ran it.
#include "analysis/Projection.h"

#include "analysis/Parallel.h"
#include "analysis/PrincipalComponents.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace deepsvm {
namespace {

using namespace detail;

void validate(const std::vector<float>& values, int64_t rows, int64_t cols, const char* function)
{
    const std::string where = std::string(function) + ": ";
    if (rows < 2)
        throw std::invalid_argument(where + "needs at least 2 rows, got " + std::to_string(rows));
    if (cols < 1)
        throw std::invalid_argument(where + "needs at least 1 column, got " + std::to_string(cols));
    if (rows > std::numeric_limits<int32_t>::max() || cols > int64_t(values.size()) / rows
        || rows * cols != int64_t(values.size()))
        throw std::invalid_argument(where + std::to_string(values.size()) + " values do not make " + std::to_string(rows)
                                    + " rows x " + std::to_string(cols) + " columns");
    const auto bad = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
    if (bad != values.end()) {
        const int64_t at = bad - values.begin();
        throw std::invalid_argument(where + "the value at row " + std::to_string(at / cols) + ", column "
                                    + std::to_string(at % cols) + " is not finite");
    }
}

/// Each row's k nearest other rows (ascending squared distance, ties by index), exact.
struct Neighbours {
    int64_t k = 0;
    std::vector<int32_t> index;
    std::vector<float> dist2;
};

Neighbours nearestNeighbours(const float* x, int64_t n, int64_t dims, int64_t k, int threads)
{
    // Column-major copy, so the inner loop runs over rows without a reduction and the compiler vectorises it.
    std::vector<float> columns(std::size_t(dims * n));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < dims; ++j) columns[j * n + i] = x[i * dims + j];
    Neighbours nb{k, std::vector<int32_t>(std::size_t(n * k)), std::vector<float>(std::size_t(n * k))};
    constexpr int64_t chunk = 32;
    parallelFor(chunkCount(n, chunk), threads, [&](int64_t c) {
        std::vector<float> dist(static_cast<std::size_t>(n));
        std::vector<std::pair<float, int32_t>> heap;  // max-heap of the k best so far
        for (int64_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) {
            std::fill(dist.begin(), dist.end(), 0.0f);
            for (int64_t j = 0; j < dims; ++j) {
                const float v = x[i * dims + j];
                const float* column = columns.data() + j * n;
                for (int64_t p = 0; p < n; ++p) dist[p] += (column[p] - v) * (column[p] - v);
            }
            heap.clear();
            for (int64_t p = 0; p < n; ++p) {
                const std::pair<float, int32_t> candidate{dist[p], int32_t(p)};
                if (p == i) continue;
                if (int64_t(heap.size()) < k) {
                    heap.push_back(candidate);
                    std::push_heap(heap.begin(), heap.end());
                } else if (candidate < heap.front()) {
                    std::pop_heap(heap.begin(), heap.end());
                    heap.back() = candidate;
                    std::push_heap(heap.begin(), heap.end());
                }
            }
            std::sort_heap(heap.begin(), heap.end());
            for (int64_t q = 0; q < k; ++q) {
                nb.index[i * k + q] = heap[q].second;
                nb.dist2[i * k + q] = heap[q].first;
            }
        }
    });
    return nb;
}

/// Symmetric joint probabilities P, summing to 1 over all ordered pairs, in compressed rows.
struct Affinities {
    std::vector<int64_t> start;
    std::vector<int32_t> column;
    std::vector<double> value;
};

/// p_{j|i} over each row's neighbours with the entropy matched to log(perplexity) by bisection on the
/// precision beta (sklearn's _binary_search_perplexity), then P = (p_{j|i} + p_{i|j}) / sum. Distances are
/// shifted by the nearest one, which cancels in the normalisation and keeps exp() from underflowing when
/// features are far apart.
Affinities jointProbabilities(const Neighbours& nb, int64_t n, double perplexity, int threads)
{
    const int64_t k = nb.k;
    std::vector<double> conditional(std::size_t(n * k));
    const double target = std::log(perplexity);
    parallelFor(chunkCount(n), threads, [&](int64_t c) {
        for (int64_t i = c * kChunkRows; i < std::min(n, (c + 1) * kChunkRows); ++i) {
            const float* dist = nb.dist2.data() + i * k;
            double* p = conditional.data() + i * k;
            double beta = 1, low = 0, high = std::numeric_limits<double>::infinity();
            for (int step = 0; step < 100; ++step) {
                double sum = 0, weighted = 0;
                for (int64_t q = 0; q < k; ++q) sum += (p[q] = std::exp(-beta * (double(dist[q]) - dist[0])));
                for (int64_t q = 0; q < k; ++q) weighted += (p[q] /= sum) * (double(dist[q]) - dist[0]);
                const double excess = std::log(sum) + beta * weighted - target;
                if (std::abs(excess) <= 1e-5)
                    break;
                if (excess > 0) {
                    low = beta;
                    beta = std::isinf(high) ? beta * 2 : (beta + high) / 2;
                } else {
                    high = beta;
                    beta = low == 0 ? beta / 2 : (beta + low) / 2;
                }
            }
        }
    });
    std::vector<int64_t> start(std::size_t(n + 1), 0);
    for (int64_t e = 0; e < n * k; ++e) {
        ++start[e / k + 1];
        ++start[nb.index[e] + 1];
    }
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<std::pair<int32_t, double>> entries(std::size_t(start[n]));
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t e = 0; e < n * k; ++e) {
        const int32_t i = int32_t(e / k), j = nb.index[e];
        entries[fill[i]++] = {j, conditional[e]};
        entries[fill[j]++] = {i, conditional[e]};
    }
    Affinities p;
    p.start.push_back(0);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
        std::sort(entries.begin() + start[i], entries.begin() + start[i + 1]);
        for (int64_t e = start[i]; e < start[i + 1]; ++e) {
            if (e > start[i] && entries[e].first == p.column.back())
                p.value.back() += entries[e].second;
            else {
                p.column.push_back(entries[e].first);
                p.value.push_back(entries[e].second);
            }
            total += entries[e].second;
        }
        p.start.push_back(int64_t(p.column.size()));
    }
    for (double& v : p.value) v /= total;
    return p;
}

/// Barnes-Hut quadtree over the embedding: a cell far enough away (width / distance < theta) acts as one
/// point of its mass at its centre of mass.
class QuadTree {
public:
    void build(const std::vector<double>& y, int64_t n)
    {
        m_y = y.data();
        m_order.resize(static_cast<std::size_t>(n));
        std::iota(m_order.begin(), m_order.end(), 0);
        double lo[2] = {y[0], y[1]}, hi[2] = {y[0], y[1]};
        for (int64_t i = 0; i < 2 * n; ++i) {
            lo[i % 2] = std::min(lo[i % 2], y[i]);
            hi[i % 2] = std::max(hi[i % 2], y[i]);
        }
        m_nodes.assign(1, Node{});
        fill(0, 0, int32_t(n), (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, std::max(hi[0] - lo[0], hi[1] - lo[1]) / 2, 0);
        m_points.resize(std::size_t(2 * n));
        for (std::size_t e = 0; e < m_order.size(); ++e) {
            m_points[2 * e] = y[2 * std::size_t(m_order[e])];
            m_points[2 * e + 1] = y[2 * std::size_t(m_order[e]) + 1];
        }
    }

    /// The points leaf by leaf: visiting them in this order, neighbours walk the same nodes while cached.
    const std::vector<int32_t>& order() const { return m_order; }

    /// Sets force to sum_j w_ij^2 (y_i - y_j) and z to sum_j w_ij, with w_ij = 1 / (1 + |y_i - y_j|^2), j != i.
    void repulsion(int32_t i, float theta2, double force[2], double& z) const
    {
        const double xi = m_y[2 * i], yi = m_y[2 * i + 1];
        Sums sums;  // locals, not force/z: through pointers every add() would go to memory
        int32_t stack[256];  // at most 3 pending siblings per level of the 48 levels, plus 4
        int top = 0;
        stack[top++] = 0;
        while (top > 0) {
            const Node& node = m_nodes[std::size_t(stack[--top])];
            const double dx = xi - node.comX, dy = yi - node.comY;
            // i is never inside a summarised cell: that needs width / distance > 1 / sqrt(2) > theta.
            if (node.width2 < theta2 * float(dx * dx + dy * dy)) {
                sums.add(dx, dy, node.count);
            } else if (node.child < 0) {
                for (int32_t e = node.begin; e < node.begin + node.count; ++e)
                    if (m_order[std::size_t(e)] != i)
                        sums.add(xi - m_points[2 * std::size_t(e)], yi - m_points[2 * std::size_t(e) + 1], 1.0);
            } else {
                for (int32_t c = node.child; c < node.child + 4; ++c)
                    if (m_nodes[std::size_t(c)].count > 0) stack[top++] = c;
            }
        }
        force[0] = sums.fx;
        force[1] = sums.fy;
        z = sums.z;
    }

private:
    static constexpr int32_t kLeafSize = 8;  // exact sums over a few points beat deeper trees

    struct Node {  // 32 bytes: two to a cache line
        double comX = 0, comY = 0;
        float width2 = 0;
        int32_t count = 0, child = -1, begin = 0;
    };

    struct Sums {
        double fx = 0, fy = 0, z = 0;
        void add(double dx, double dy, double mass)
        {
            const double w = 1.0 / (1.0 + dx * dx + dy * dy);
            z += mass * w;
            fx += mass * w * w * dx;
            fy += mass * w * w * dy;
        }
    };

    void fill(int32_t index, int32_t begin, int32_t end, double cx, double cy, double half, int depth)
    {
        Node node;
        node.count = end - begin;
        node.begin = begin;
        node.width2 = float(4 * half * half);
        for (int32_t e = begin; e < end; ++e) {
            node.comX += m_y[2 * m_order[std::size_t(e)]] / node.count;
            node.comY += m_y[2 * m_order[std::size_t(e)] + 1] / node.count;
        }
        if (node.count > kLeafSize && depth < 48) {  // below 2^-48 of the root's width, points count as one place
            int32_t* const b = m_order.data() + begin;
            int32_t* const e = m_order.data() + end;
            int32_t* const midX = std::partition(b, e, [&](int32_t p) { return m_y[2 * p] < cx; });
            int32_t* const lowLeft = std::partition(b, midX, [&](int32_t p) { return m_y[2 * p + 1] < cy; });
            int32_t* const lowRight = std::partition(midX, e, [&](int32_t p) { return m_y[2 * p + 1] < cy; });
            node.child = int32_t(m_nodes.size());
            m_nodes.resize(m_nodes.size() + 4);
            const double h = half / 2;
            const auto at = [&](int32_t* p) { return int32_t(p - m_order.data()); };
            fill(node.child, begin, at(lowLeft), cx - h, cy - h, h, depth + 1);
            fill(node.child + 1, at(lowLeft), at(midX), cx - h, cy + h, h, depth + 1);
            fill(node.child + 2, at(midX), at(lowRight), cx + h, cy - h, h, depth + 1);
            fill(node.child + 3, at(lowRight), end, cx + h, cy + h, h, depth + 1);
        }
        m_nodes[std::size_t(index)] = node;  // by index: the recursion may have moved m_nodes
    }

    const double* m_y = nullptr;
    std::vector<int32_t> m_order;
    std::vector<double> m_points;  // positions in m_order's order
    std::vector<Node> m_nodes;
};

/// Gradient steps [from, to) with sklearn's update: gains (+0.2 / *0.8, at least 0.01) and momentum, both
/// reset at the start of a phase as sklearn does.
void descend(std::vector<double>& y, const Affinities& p, int64_t n, int from, int to, double exaggeration,
             double momentum, int threads, const std::function<void(int)>& report)
{
    const double learningRate = std::max(double(n) / 12.0 / 4.0, 50.0);  // sklearn's 'auto'
    const float theta2 = 0.5f * 0.5f;
    std::vector<double> update(std::size_t(2 * n), 0.0), gains(std::size_t(2 * n), 1.0), attraction(std::size_t(2 * n)),
        repulsion(std::size_t(2 * n)), z(static_cast<std::size_t>(n));
    QuadTree tree;
    for (int step = from; step < to; ++step) {
        tree.build(y, n);
        parallelFor(chunkCount(n, 64), threads, [&](int64_t c) {
            for (int64_t slot = c * 64; slot < std::min(n, (c + 1) * 64); ++slot) {
                const int64_t i = tree.order()[std::size_t(slot)];
                tree.repulsion(int32_t(i), theta2, repulsion.data() + 2 * i, z[i]);
                double ax = 0, ay = 0;
                for (int64_t e = p.start[i]; e < p.start[i + 1]; ++e) {
                    const int64_t j = p.column[e];
                    const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                    const double w = p.value[e] / (1.0 + dx * dx + dy * dy);
                    ax += w * dx;
                    ay += w * dy;
                }
                attraction[2 * i] = ax;
                attraction[2 * i + 1] = ay;
            }
        });
        const double zSum = std::accumulate(z.begin(), z.end(), 0.0);  // in index order: thread-independent
        double centre[2] = {0, 0};
        for (int64_t e = 0; e < 2 * n; ++e) {
            const double gradient = 4.0 * (exaggeration * attraction[e] - repulsion[e] / zSum);
            gains[e] = update[e] * gradient < 0 ? gains[e] + 0.2 : std::max(gains[e] * 0.8, 0.01);
            update[e] = momentum * update[e] - learningRate * gains[e] * gradient;
            y[e] += update[e];
            centre[e % 2] += y[e] / double(n);
        }
        for (int64_t e = 0; e < 2 * n; ++e) y[e] -= centre[e % 2];
        if ((step + 1) % 10 == 0 || step + 1 == to)
            report(step + 1);
    }
}

/// Starting layout, scaled as sklearn does so the first coordinate has std 1e-4.
std::vector<double> initialLayout(const std::vector<float>& scores, int64_t stride, int64_t n, const TsneOptions& options)
{
    std::vector<double> y(std::size_t(2 * n), 0.0);
    Random random{options.seed};
    if (options.init == TsneInit::Pca) {
        double mean = 0, variance = 0;
        for (int64_t i = 0; i < n; ++i) mean += scores[i * stride] / double(n);
        for (int64_t i = 0; i < n; ++i) variance += (scores[i * stride] - mean) * (scores[i * stride] - mean) / double(n);
        if (variance > 0) {
            const double scale = 1e-4 / std::sqrt(variance);
            for (int64_t i = 0; i < n; ++i) {
                y[2 * i] = scores[i * stride] * scale;
                // One-column data has no second component; a line would stay a line, so jitter it.
                y[2 * i + 1] = stride > 1 ? scores[i * stride + 1] * scale : 1e-4 * random.normal();
            }
            return y;
        }
    }
    for (double& v : y) v = 1e-4 * random.normal();  // also when all rows are equal and PCA has nothing to say
    return y;
}

}  // namespace

std::vector<float> pca2d(const std::vector<float>& values, int64_t rows, int64_t cols)
{
    validate(values, rows, cols, "pca2d");
    // Residuals below 1e-8 of the top eigenvalue put the components far inside sklearn's tolerance (1e-7
    // apart on 10,000 x 2048 whose top variances differ by 0.6%); the step cap bounds the time when the
    // second and third variances are all but equal, and then the components are not well defined anyway.
    std::vector<float> scores = principalScores(values.data(), rows, cols, 2, 1e-8, 300, threadCount(0));
    if (cols > 1)
        return scores;
    std::vector<float> xy(std::size_t(2 * rows), 0.0f);  // one column: the second component carries nothing
    for (int64_t i = 0; i < rows; ++i) xy[2 * i] = scores[i];
    return xy;
}

std::vector<float> tsne2d(const std::vector<float>& values, int64_t rows, int64_t cols, const TsneOptions& options,
                          const std::function<bool(int, int)>& progress)
{
    validate(values, rows, cols, "tsne2d");
    if (!(options.perplexity > 0) || !std::isfinite(options.perplexity))
        throw std::invalid_argument("tsne2d: perplexity must be positive, got " + std::to_string(options.perplexity));
    if (options.iterations < 0)
        throw std::invalid_argument("tsne2d: iterations must not be negative, got " + std::to_string(options.iterations));
    const int threads = threadCount(options.threads);
    const int total = options.iterations;
    const std::function<void(int)> report = [&](int done) {
        if (progress && !progress(done, total))
            throw ProjectionCancelled{};
    };
    report(0);

    // Neighbours come from the leading components: cheaper, and less swamped by noise dimensions.
    const bool reduce = options.pcaDims > 0 && cols > options.pcaDims;
    const std::vector<float> reduced =
        reduce ? principalScores(values.data(), rows, cols, options.pcaDims, 1e-4, 2 * options.pcaDims, threads)
               : std::vector<float>();
    const int64_t dims = reduce ? options.pcaDims : cols;
    const float* data = reduce ? reduced.data() : values.data();

    const double perplexity = std::min(options.perplexity, double(rows - 1) / 3.0);
    const int64_t k = std::min<int64_t>(rows - 1, int64_t(3.0 * perplexity + 1));
    const Affinities p = jointProbabilities(nearestNeighbours(data, rows, dims, k, threads), rows, perplexity, threads);
    report(0);

    std::vector<double> y;
    if (reduce)
        y = initialLayout(reduced, dims, rows, options);
    else if (options.init == TsneInit::Pca)
        y = initialLayout(principalScores(data, rows, cols, 2, 1e-8, 300, threads), std::min<int64_t>(cols, 2), rows,
                          options);
    else
        y = initialLayout({}, 0, rows, options);

    const int exaggerated = std::min(250, total / 3);
    descend(y, p, rows, 0, exaggerated, 12.0, 0.5, threads, report);
    descend(y, p, rows, exaggerated, total, 1.0, 0.8, threads, report);
    return std::vector<float>(y.begin(), y.end());
}

}  // namespace deepsvm
