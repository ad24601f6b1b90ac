#pragma once

#include <QString>

#include <chrono>
#include <deque>

namespace deepsvm {

/// Turns (done, total) samples into a rate and an ETA over a sliding window, so a slow
/// start (model load, first batch) does not distort the estimate for long.
class ProgressMeter {
public:
    using Clock = std::chrono::steady_clock;
    explicit ProgressMeter(double windowSeconds = 20.0) : m_window(windowSeconds) {}

    void start(Clock::time_point now = Clock::now());
    void update(long long done, long long total, Clock::time_point now = Clock::now());

    double ratePerSecond() const;      ///< units per second over the window; 0 if unknown
    double etaSeconds() const;         ///< -1 if unknown
    long long done() const { return m_done; }
    long long total() const { return m_total; }

    /// "1234/5000 (24.7%) 38.2 img/s ETA 1:39"
    QString format(const QString& unit) const;
    static QString formatDuration(double seconds);

private:
    struct Sample { Clock::time_point t; long long done; };
    double m_window;
    Clock::time_point m_start{};
    Clock::time_point m_last{};
    std::deque<Sample> m_samples;
    long long m_done = 0;
    long long m_total = 0;
};

}  // namespace deepsvm
