#include "tasks/ProgressMeter.h"

#include <cmath>

namespace deepsvm {

void ProgressMeter::start(Clock::time_point now)
{
    m_start = now;
    m_last = now;
    m_samples.clear();
    m_samples.push_back({now, 0});
    m_done = 0;
}

void ProgressMeter::update(long long done, long long total, Clock::time_point now)
{
    if (m_samples.empty())
        start(now);
    m_done = done;
    m_total = total;
    m_last = now;
    m_samples.push_back({now, done});
    // Keep at least two samples so a rate exists even after a long pause.
    while (m_samples.size() > 2
           && std::chrono::duration<double>(now - m_samples.front().t).count() > m_window)
        m_samples.pop_front();
}

double ProgressMeter::ratePerSecond() const
{
    if (m_samples.size() < 2)
        return 0.0;
    const auto& a = m_samples.front();
    const auto& b = m_samples.back();
    const double dt = std::chrono::duration<double>(b.t - a.t).count();
    if (dt <= 0.0 || b.done <= a.done)
        return 0.0;
    return double(b.done - a.done) / dt;
}

double ProgressMeter::etaSeconds() const
{
    const double rate = ratePerSecond();
    if (rate <= 0.0 || m_total <= 0)
        return -1.0;
    return double(m_total - m_done) / rate;
}


QString ProgressMeter::formatDuration(double seconds)
{
    if (seconds < 0)
        return QStringLiteral("--:--");
    const long long s = std::llround(seconds);
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString ProgressMeter::format(const QString& unit) const
{
    const double pct = m_total > 0 ? 100.0 * double(m_done) / double(m_total) : 0.0;
    return QStringLiteral("%1/%2 (%3%) %4 %5/s ETA %6")
        .arg(m_done).arg(m_total).arg(pct, 0, 'f', 1)
        .arg(ratePerSecond(), 0, 'f', 1).arg(unit)
        .arg(formatDuration(etaSeconds()));
}

}  // namespace deepsvm
