#include "features/BatchReader.h"

#include "data/Dataset.h"

#include <torch/torch.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace deepsvm {

namespace {

/// A bounded single-producer single-consumer queue of decoded batches.
class BatchQueue {
public:
    explicit BatchQueue(std::size_t capacity) : m_capacity(capacity) {}
    bool push(Batch b)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [&] { return m_queue.size() < m_capacity || m_stopped; });
        if (m_stopped)
            return false;
        m_queue.push_back(std::move(b));
        m_cv.notify_all();
        return true;
    }
    /// False when the producer is done and the queue is empty.
    bool pop(Batch* out)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [&] { return !m_queue.empty() || m_done || m_stopped; });
        if (m_error)
            std::rethrow_exception(m_error);
        if (m_queue.empty())
            return false;
        *out = std::move(m_queue.front());
        m_queue.pop_front();
        m_cv.notify_all();
        return true;
    }
    void finish(std::exception_ptr error = nullptr)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_done = true;
        m_error = error;
        m_cv.notify_all();
    }
    void stop()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopped = true;
        m_cv.notify_all();
    }

private:
    std::size_t m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<Batch> m_queue;
    bool m_done = false;
    bool m_stopped = false;
    std::exception_ptr m_error;
};

/// Why one image could not be used, naming it: LibTorch's own messages carry a C++ stack
/// trace that no user should read, so only their first line is kept.
std::string imageFailure(const ImageSource& source, int64_t i, const std::exception& e)
{
    if (dynamic_cast<const ImageError*>(&e))
        return e.what();
    std::string what = e.what();
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e))
        what = c10->what_without_backtrace();
    what = what.substr(0, what.find('\n'));
    return source.id(i) + ": cannot be prepared for the network (" + what + ")";
}

/// The producer thread's work: rows [0, n) of `source`, batch by batch, into `queue`.
void produceBatches(BatchQueue& queue, const std::shared_ptr<const ImageSource>& source, int64_t n, int64_t batchSize,
                    const PreprocessOptions& preOpt)
{
    try {
        c10::InferenceMode guard;
        for (int64_t start = 0; start < n; start += batchSize) {
            Batch b;
            for (int64_t i = start; i < std::min(n, start + batchSize); ++i) {
                try {
                    b.images.push_back(preprocess(source->load(i), preOpt));
                    b.rows.push_back(i);
                    b.labels.push_back(source->label(i));
                    b.ids.push_back(source->id(i));
                } catch (const std::exception& e) {
                    b.skippedRows.push_back(i);
                    b.skipped.push_back(imageFailure(*source, i, e));
                }
            }
            if (!queue.push(std::move(b)))
                return;
        }
        queue.finish();
    } catch (...) {
        queue.finish(std::current_exception());
    }
}

}  // namespace

struct BatchReader::Impl {
    explicit Impl(std::size_t depth) : queue(depth) {}
    BatchQueue queue;
    std::thread producer;
};

BatchReader::BatchReader(std::shared_ptr<const ImageSource> source, int64_t n, int64_t batchSize,
                         PreprocessOptions options, std::size_t depth)
    : d(std::make_unique<Impl>(std::max<std::size_t>(depth, 1)))
{
    BatchQueue& queue = d->queue;
    d->producer = std::thread([&queue, source = std::move(source), n, batchSize, options] {
        produceBatches(queue, source, n, batchSize, options);
    });
}

BatchReader::~BatchReader()
{
    d->queue.stop();
    d->producer.join();
}

bool BatchReader::next(Batch* out)
{
    return d->queue.pop(out);
}

}  // namespace deepsvm
