#include "nets/FusedResNet.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace deepsvm {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Type = memory::data_type;

/// Activation buffers 0-3 rotate through the blocks; the others have one role each.
enum BufferIndex : int {
    kActivations = 4,
    kInput = kActivations,   ///< the image batch converted to what the stem reads (when it differs)
    kFinal,                  ///< the last block's output as NCHW float32
    kScratchpad,             ///< oneDNN's temporary space, shared by every primitive
    kBufferCount,
    kCallerInput = -1,       ///< the caller's own input pointer
};

class AlignedBuffer {
public:
    AlignedBuffer() = default;
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    ~AlignedBuffer() { std::free(m_data); }
    void reserve(std::size_t bytes)
    {
        if (bytes <= m_size)
            return;
        std::free(m_data);
        m_data = nullptr;
        m_size = 0;
        const std::size_t rounded = (bytes + 63) / 64 * 64;
        m_data = std::aligned_alloc(64, rounded);
        if (!m_data)
            throw std::bad_alloc();
        m_size = rounded;
    }
    void* data() const { return m_data; }
    std::size_t size() const { return m_size; }

private:
    void* m_data = nullptr;
    std::size_t m_size = 0;
};

struct Step {
    dnnl::primitive primitive;
    std::unordered_map<int, memory> args;
    std::vector<std::pair<int, int>> bound;  ///< (argument, buffer index) rebound before each run
    std::string implementation;
};

struct Plan {
    int n = 0, h = 0, w = 0;
    std::vector<Step> steps;
    std::size_t needs[kBufferCount] = {};
    int channels = 0, outH = 0, outW = 0;  ///< of the final NCHW float32 buffer
};

int outSide(int side, const FusedConv& c)
{
    return (side + 2 * c.padding - c.kernel) / c.stride + 1;
}

}  // namespace

struct FusedResNet::Impl {
    FusedConv stem;
    std::vector<FusedBlock> blocks;
    Options options;
    Type type = Type::f32;
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};

    /// Prepacked weights per convolution, one per layout a plan asked for (usually one).
    std::unordered_map<const FusedConv*, std::vector<std::pair<memory::desc, memory>>> packed;
    std::vector<Plan> plans;  ///< most recent last
    AlignedBuffer buffers[kBufferCount];
    std::mutex mutex;
    std::vector<std::string> lastImplementations;

    memory packedWeights(const FusedConv& c, const memory::desc& want)
    {
        auto& list = packed[&c];
        for (const auto& entry : list)
            if (entry.first == want)
                return entry.second;
        const memory::desc user({c.outChannels, c.inChannels, c.kernel, c.kernel}, Type::f32, Tag::oihw);
        memory from(user, engine, const_cast<float*>(c.weight.data()));
        memory to(want, engine);
        dnnl::reorder(from, to).execute(stream, from, to);
        stream.wait();
        list.emplace_back(want, to);
        return to;
    }

    static void need(Plan& plan, int buffer, const memory::desc& desc)
    {
        plan.needs[buffer] = std::max(plan.needs[buffer], desc.get_size());
    }

    static memory unbound(const memory::desc& desc, const dnnl::engine& engine)
    {
        return memory(desc, engine, DNNL_MEMORY_NONE);
    }

    void addScratchpad(Plan& plan, Step& step, const memory::desc& desc)
    {
        if (desc.get_size() == 0)
            return;
        need(plan, kScratchpad, desc);
        step.args.emplace(DNNL_ARG_SCRATCHPAD, unbound(desc, engine));
        step.bound.emplace_back(DNNL_ARG_SCRATCHPAD, kScratchpad);
    }

    dnnl::convolution_forward::primitive_desc convDesc(const FusedConv& c, const memory::desc& src,
                                                       const memory::desc& dst, bool relu, bool sum,
                                                       dnnl::algorithm algorithm)
    {
        dnnl::post_ops ops;
        if (sum)
            ops.append_sum(1.f);
        if (relu)
            ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
        dnnl::primitive_attr attr;
        attr.set_post_ops(ops);
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        const memory::desc weights({c.outChannels, c.inChannels, c.kernel, c.kernel}, type, Tag::any);
        const memory::desc bias({c.outChannels}, Type::f32, Tag::x);
        const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src, weights, bias,
                                                   dst, {c.stride, c.stride}, {c.padding, c.padding},
                                                   {c.padding, c.padding});
        return dnnl::convolution_forward::primitive_desc(desc, attr, engine);
    }

    /// Appends `c` reading `src` from buffer `from` and writing buffer `to` (adding to what is
    /// there first when `sum`); returns the output's layout. A `src` of layout `any` lets the
    /// primitive choose, and what is in `from` (laid out as `callerInput`) is converted to it.
    memory::desc addConv(Plan& plan, const FusedConv& c, const memory::desc& src, int from, int to, bool relu, bool sum,
                         const memory::desc& callerInput = memory::desc())
    {
        const memory::dims srcDims = src.dims();
        const int oh = outSide(int(srcDims[2]), c), ow = outSide(int(srcDims[3]), c);
        const memory::desc dst({srcDims[0], c.outChannels, oh, ow}, type, Tag::nChw16c);
        dnnl::convolution_forward::primitive_desc pd;
        bool chosen = false;
        if (options.algorithm == ConvAlgorithm::Winograd && type == Type::f32 && c.kernel == 3 && c.stride == 1) {
            try {
                pd = convDesc(c, src, dst, relu, sum, dnnl::algorithm::convolution_winograd);
                chosen = true;
            } catch (const dnnl::error&) {
                // no Winograd kernel for this shape or CPU: the direct one below
            }
        }
        if (!chosen)
            pd = convDesc(c, src, dst, relu, sum, dnnl::algorithm::convolution_direct);

        int readFrom = from;
        if (pd.src_desc() != src && pd.src_desc() != callerInput) {
            // only the stem, whose input layout and type the primitive chose
            Step convert;
            convert.primitive = dnnl::reorder(dnnl::reorder::primitive_desc(engine, callerInput, engine, pd.src_desc()));
            convert.args.emplace(DNNL_ARG_FROM, unbound(callerInput, engine));
            convert.args.emplace(DNNL_ARG_TO, unbound(pd.src_desc(), engine));
            convert.bound = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, kInput}};
            convert.implementation = "reorder";
            need(plan, kInput, pd.src_desc());
            plan.steps.push_back(std::move(convert));
            readFrom = kInput;
        }
        Step step;
        step.primitive = dnnl::convolution_forward(pd);
        step.implementation = pd.impl_info_str();
        step.args.emplace(DNNL_ARG_SRC, unbound(pd.src_desc(), engine));
        step.args.emplace(DNNL_ARG_DST, unbound(pd.dst_desc(), engine));
        step.args.emplace(DNNL_ARG_WEIGHTS, packedWeights(c, pd.weights_desc()));
        step.args.emplace(DNNL_ARG_BIAS, memory(pd.bias_desc(), engine, const_cast<float*>(c.bias.data())));
        step.bound = {{DNNL_ARG_SRC, readFrom}, {DNNL_ARG_DST, to}};
        addScratchpad(plan, step, pd.scratchpad_desc());
        need(plan, to, pd.dst_desc());
        plan.steps.push_back(std::move(step));
        return pd.dst_desc();
    }

    Plan build(int n, int h, int w)
    {
        Plan plan;
        plan.n = n;
        plan.h = h;
        plan.w = w;
        const memory::desc input({n, 3, h, w}, Type::f32, Tag::nchw);
        memory::desc x = addConv(plan, stem, memory::desc(input.dims(), type, Tag::any), kCallerInput, 0, true, false,
                                 input);

        // 3x3 stride-2 max pool, padding 1 (padded cells never win).
        const memory::dims sd = x.dims();
        const memory::dim ph = (sd[2] + 2 - 3) / 2 + 1, pw = (sd[3] + 2 - 3) / 2 + 1;
        const memory::desc pooledDesc({sd[0], sd[1], ph, pw}, type, Tag::nChw16c);
        {
            dnnl::primitive_attr attr;
            attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
            // padding_r makes oneDNN's size formula agree with PyTorch's floor for odd sides.
            const memory::dim rh = (ph - 1) * 2 + 3 - sd[2] - 1, rw = (pw - 1) * 2 + 3 - sd[3] - 1;
            const dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
                                                   x, pooledDesc, {2, 2}, {3, 3}, {1, 1}, {rh, rw});
            const dnnl::pooling_forward::primitive_desc pd(desc, attr, engine);
            Step step;
            step.primitive = dnnl::pooling_forward(pd);
            step.implementation = pd.impl_info_str();
            step.args.emplace(DNNL_ARG_SRC, unbound(x, engine));
            step.args.emplace(DNNL_ARG_DST, unbound(pd.dst_desc(), engine));
            step.bound = {{DNNL_ARG_SRC, 0}, {DNNL_ARG_DST, 1}};
            addScratchpad(plan, step, pd.scratchpad_desc());
            need(plan, 1, pd.dst_desc());
            plan.steps.push_back(std::move(step));
            x = pd.dst_desc();
        }

        int current = 1;
        for (const FusedBlock& b : blocks) {
            int spare[3], k = 0;
            for (int i = 0; i < kActivations; ++i)
                if (i != current)
                    spare[k++] = i;
            const int residual = b.hasDownsample ? spare[2] : current;
            memory::desc residualDesc = x;
            if (b.hasDownsample)
                residualDesc = addConv(plan, b.downsample, x, current, residual, false, false);
            memory::desc t = x;
            int at = current;
            const std::size_t last = b.convs.size() - 1;
            for (std::size_t i = 0; i < last; ++i) {
                const int to = spare[i % 2];
                t = addConv(plan, b.convs[i], t, at, to, true, false);
                at = to;
            }
            const memory::desc out = addConv(plan, b.convs[last], t, at, residual, true, true);
            if (out != residualDesc)
                throw std::logic_error("residual layouts differ inside a block");
            x = out;
            current = residual;
        }

        const memory::dims fd = x.dims();
        const memory::desc final({fd[0], fd[1], fd[2], fd[3]}, Type::f32, Tag::nchw);
        Step toFinal;
        toFinal.primitive = dnnl::reorder(dnnl::reorder::primitive_desc(engine, x, engine, final));
        toFinal.args.emplace(DNNL_ARG_FROM, unbound(x, engine));
        toFinal.args.emplace(DNNL_ARG_TO, unbound(final, engine));
        toFinal.bound = {{DNNL_ARG_FROM, current}, {DNNL_ARG_TO, kFinal}};
        toFinal.implementation = "reorder";
        need(plan, kFinal, final);
        plan.steps.push_back(std::move(toFinal));
        plan.channels = int(fd[1]);
        plan.outH = int(fd[2]);
        plan.outW = int(fd[3]);
        return plan;
    }

    Plan& planFor(int n, int h, int w)
    {
        for (std::size_t i = 0; i < plans.size(); ++i) {
            if (plans[i].n == n && plans[i].h == h && plans[i].w == w) {
                if (i + 1 != plans.size())
                    std::swap(plans[i], plans.back());
                return plans.back();
            }
        }
        // A full batch and the last, shorter one of a run are the usual pair; keep a few.
        constexpr std::size_t kKept = 3;
        if (plans.size() >= kKept)
            plans.erase(plans.begin());
        plans.push_back(build(n, h, w));
        Plan& plan = plans.back();
        for (int i = 0; i < kBufferCount; ++i)
            buffers[i].reserve(plan.needs[i]);
        return plan;
    }
};

FusedResNet::FusedResNet(FusedConv stem, std::vector<FusedBlock> blocks, Options options) : d(std::make_unique<Impl>())
{
    if (blocks.empty())
        throw std::invalid_argument("a fused ResNet needs at least one block");
    if (options.bf16 && !bf16Supported())
        throw std::invalid_argument("this CPU cannot run bf16 convolutions in oneDNN (needs AVX-512 BW/VL/DQ)");
    d->stem = std::move(stem);
    d->blocks = std::move(blocks);
    d->options = options;
    d->type = options.bf16 ? Type::bf16 : Type::f32;
}

FusedResNet::~FusedResNet() = default;

int FusedResNet::featureDim() const
{
    return d->blocks.back().convs.back().outChannels;
}

void FusedResNet::forward(const float* input, int n, int h, int w, float* pooled) const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    if (d->options.threads > 0 && omp_get_max_threads() != d->options.threads)
        omp_set_num_threads(d->options.threads);
    Plan& plan = d->planFor(n, h, w);
    for (Step& step : plan.steps) {
        for (const auto& [arg, buffer] : step.bound) {
            void* p = buffer == kCallerInput ? const_cast<float*>(input) : d->buffers[buffer].data();
            step.args.at(arg).set_data_handle(p);
        }
        step.primitive.execute(d->stream, step.args);
    }
    d->stream.wait();
    d->lastImplementations.clear();
    for (const Step& step : plan.steps)
        d->lastImplementations.push_back(step.implementation);

    const float* final = static_cast<const float*>(d->buffers[kFinal].data());
    const int area = plan.outH * plan.outW;
    const long long rows = static_cast<long long>(n) * plan.channels;
#pragma omp parallel for num_threads(d->options.threads > 0 ? d->options.threads : omp_get_max_threads())
    for (long long r = 0; r < rows; ++r) {
        const float* p = final + r * area;
        double sum = 0;
        for (int i = 0; i < area; ++i)
            sum += p[i];
        pooled[r] = static_cast<float>(sum / area);
    }
}

std::vector<std::string> FusedResNet::implementations() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    return d->lastImplementations;
}

std::size_t FusedResNet::bytesHeld() const
{
    std::lock_guard<std::mutex> lock(d->mutex);
    std::size_t bytes = 0;
    for (const AlignedBuffer& b : d->buffers)
        bytes += b.size();
    for (const auto& entry : d->packed)
        for (const auto& p : entry.second)
            bytes += p.first.get_size();
    return bytes;
}

bool FusedResNet::bf16Supported()
{
    static const bool ok = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                           && __builtin_cpu_supports("avx512dq");
    return ok;
}

}  // namespace deepsvm
