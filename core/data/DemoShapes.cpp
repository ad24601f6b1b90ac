// The procedural image classes of the demo data set (see DemoData.h).
//
// Every class draws on a random background, at a random position, scale and rotation, then
// gets random lighting, blur and pixel noise. Shape and texture/structure tell the classes
// apart; colour helps as it does in photographs (sea is usually blue, grass green): seven
// images in ten paint the foreground in a hue typical of the class, the rest in any hue.
// Untrained CNN features pick up colour far better than shape, so without this cue a random
// network + SVM managed only ~30% on ten classes.

#include "data/DemoData.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace deepsvm {

namespace {

constexpr int kSide = kDemoSide;
constexpr double kPi = 3.14159265358979323846;
// Polygons are drawn with 4 fractional bits so sub-pixel positions survive the antialiasing.
constexpr int kShift = 4;
constexpr double kFixed = 16.0;
// Minimum luminance difference between a shape and its background (0..255): every picture
// stays readable, however its colours fall.
constexpr float kMinContrast = 90.f;

/// std::uniform_*_distribution is implementation-defined; this mapping is ours, so the same
/// seed gives the same picture with every standard library.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_engine(seed) {}
    double uniform() { return double(m_engine() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    int range(int lo, int hi) { return lo + int(m_engine() % uint64_t(hi - lo + 1)); }  // inclusive
    bool chance(double p) { return uniform() < p; }
    /// An approximately standard normal value: the sum of four 16-bit uniforms from one draw
    /// (Irwin-Hall), rescaled. Plenty for noise textures and 27648 noise samples per picture,
    /// and several times cheaper than Box-Muller's log/sin/cos.
    double normal()
    {
        const uint64_t bits = m_engine();
        double sum = 0.0;
        for (int i = 0; i < 4; ++i)
            sum += double((bits >> (16 * i)) & 0xFFFF) + 0.5;
        return (sum / 65536.0 - 2.0) * 1.7320508075688772;  // variance 4/12 -> 1
    }

private:
    std::mt19937_64 m_engine;
};

using Colour = cv::Vec3f;  // RGB, 0..255

float luminance(const Colour& c) { return 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2]; }

Colour hsvToRgb(double h, double s, double v)
{
    const double k[3] = {5.0, 3.0, 1.0};
    Colour out;
    for (int i = 0; i < 3; ++i) {
        const double t = std::fmod(k[i] + h * 6.0, 6.0);
        const double f = v - v * s * std::max(0.0, std::min({t, 4.0 - t, 1.0}));
        out[i] = float(255.0 * f);
    }
    return out;
}

/// Moderate saturations and some near-greys, as in photos. (Fully saturated colours made the
/// colour nuisance dominate untrained CNN features even more.)
double randomSaturation(Rng& rng) { return rng.chance(0.2) ? rng.uniform(0.0, 0.15) : rng.uniform(0.2, 0.65); }

Colour randomColour(Rng& rng)
{
    const double h = rng.uniform(), s = randomSaturation(rng);
    return hsvToRgb(h, s, rng.uniform(0.08, 1.0));
}

/// A random hue and saturation at a luminance `minContrast`..`minContrast`+40 away from `bg`'s,
/// on the lighter or darker side at random: colour and polarity stay random while the edge
/// strength stays within a band, so no class is systematically fainter than another.
Colour contrastingColour(Rng& rng, const Colour& bg, float minContrast, double hue = -1.0)
{
    const float from = luminance(bg);
    const float delta = minContrast + float(rng.uniform(0.0, 40.0));
    float target = rng.chance(0.5) ? from + delta : from - delta;
    if (target < 0.f || target > 255.f)
        target = target < 0.f ? from + delta : from - delta;
    target = std::clamp(target, 0.f, 255.f);

    const double s = randomSaturation(rng);
    const double h = rng.uniform();
    Colour c = hsvToRgb(hue >= 0.0 ? hue : h, s, 1.0);
    const float full = luminance(c);  // > 0: V = 1 and S <= 1 leave one channel at 255
    if (target <= full)
        return c * (target / full);
    const float t = (target - full) / (255.f - full + 1e-6f);  // brighter than this hue allows: towards white
    return c + (Colour(255, 255, 255) - c) * std::min(t, 1.f);
}

Colour jitter(Rng& rng, const Colour& c, double amount)
{
    Colour out;
    for (int i = 0; i < 3; ++i)
        out[i] = float(std::clamp(c[i] + rng.uniform(-amount, amount), 0.0, 255.0));
    return out;
}

/// A unit ramp in [-1, 1] across the image in a random direction.
cv::Mat1f randomRamp(Rng& rng)
{
    const double a = rng.uniform(0.0, 2.0 * kPi);
    const double dx = std::cos(a) / (kSide / 2.0), dy = std::sin(a) / (kSide / 2.0);
    cv::Mat1f ramp(kSide, kSide);
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x)
            ramp(y, x) = float(((x - kSide / 2.0) * dx + (y - kSide / 2.0) * dy) / std::sqrt(2.0));
    return ramp;
}

/// Solid, gradient, blotchy or grainy backgrounds in a second colour close to the first.
cv::Mat3f makeBackground(Rng& rng, const Colour& base)
{
    cv::Mat3f img(kSide, kSide, base);
    const Colour other = jitter(rng, base, 40.0);
    cv::Mat1f t;  // how much of `other` each pixel gets, 0..1
    switch (rng.range(0, 3)) {
    case 0:
        return img;
    case 1:
        t = randomRamp(rng) * 0.5f + 0.5f;
        break;
    case 2: {
        const int grid = rng.range(3, 8);
        cv::Mat1f coarse(grid, grid);
        for (auto& v : coarse)
            v = float(rng.uniform());
        cv::resize(coarse, t, cv::Size(kSide, kSide), 0, 0, cv::INTER_CUBIC);
        break;
    }
    default: {
        // A fine grain (paper, fabric, sand): blurred white noise, renormalised.
        cv::Mat1f noise(kSide, kSide);
        for (auto& v : noise)
            v = float(rng.normal());
        const double sigma = rng.uniform(0.8, 2.0);
        cv::GaussianBlur(noise, noise, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
        t = noise * float(0.35 * sigma) + 0.5f;
        break;
    }
    }
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
            const float w = std::clamp(t(y, x), 0.f, 1.f);
            img(y, x) = base * (1.f - w) + other * w;
        }
    return img;
}

/// Alpha-blends `colour` over `img` through `alpha` (0..1). Without a `light` map (a brightness
/// factor per pixel) a soft random ramp sometimes shades the shape so it looks a little lit.
void paint(cv::Mat3f& img, const cv::Mat1f& alpha, const Colour& colour, Rng& rng, const cv::Mat1f* light = nullptr)
{
    const float shade = rng.chance(0.5) ? float(rng.uniform(0.0, 0.25)) : 0.f;
    const cv::Mat1f ramp = randomRamp(rng);
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
            const float a = alpha(y, x);
            if (a <= 0.f)
                continue;
            Colour c = colour * (light ? (*light)(y, x) : 1.f + shade * ramp(y, x));
            for (int i = 0; i < 3; ++i)
                c[i] = std::min(c[i], 255.f);
            img(y, x) = img(y, x) * (1.f - a) + c * a;
        }
}

cv::Mat1f toAlpha(const cv::Mat1b& mask)
{
    cv::Mat1f alpha;
    mask.convertTo(alpha, CV_32F, 1.0 / 255.0);
    return alpha;
}

/// Lambert shading of a ball of radius `r` at `c` lit from `light` (unit vector, z towards the
/// viewer): circles are balls more often than flat discs, which also gives them a smooth
/// interior gradient no other class has.
cv::Mat1f sphereLight(cv::Point2d c, double r, const cv::Vec3d& light)
{
    cv::Mat1f out(kSide, kSide, 1.f);
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
            const double nx = (x - c.x) / r, ny = (y - c.y) / r, q = 1.0 - nx * nx - ny * ny;
            const double nz = std::sqrt(std::max(q, 0.0));
            const double lambert = std::max(0.0, nx * light[0] + ny * light[1] + nz * light[2]);
            out(y, x) = float(0.3 + 0.85 * lambert + 1.2 * std::pow(lambert, 24.0));  // + specular spot
        }
    return out;
}

/// A soft dark offset copy of the shapes under them: cheap depth cue.
void dropShadow(cv::Mat3f& img, const cv::Mat1f& alpha, Rng& rng)
{
    const double dx = rng.uniform(-4, 4), dy = rng.uniform(1, 5);
    const cv::Matx23d shift(1, 0, dx, 0, 1, dy);
    cv::Mat1f shadow;
    cv::warpAffine(alpha, shadow, shift, alpha.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    cv::GaussianBlur(shadow, shadow, cv::Size(0, 0), 2.0);
    const float strength = float(rng.uniform(0.25, 0.5));
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x)
            img(y, x) *= 1.f - strength * shadow(y, x);
}

cv::Point fixedPoint(double x, double y) { return {int(std::lround(x * kFixed)), int(std::lround(y * kFixed))}; }

void fillPolygon(cv::Mat1b& mask, const std::vector<cv::Point2d>& pts)
{
    std::vector<cv::Point> fixed;
    for (const auto& p : pts)
        fixed.push_back(fixedPoint(p.x, p.y));
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{fixed}, cv::Scalar(255), cv::LINE_AA, kShift);
}

void fillDisc(cv::Mat1b& mask, cv::Point2d c, double r)
{
    cv::circle(mask, fixedPoint(c.x, c.y), int(std::lround(r * kFixed)), cv::Scalar(255), cv::FILLED,
               cv::LINE_AA, kShift);
}

/// `local` points (around the origin) rotated by `angle` and moved to `centre`.
std::vector<cv::Point2d> place(const std::vector<cv::Point2d>& local, cv::Point2d centre, double angle)
{
    const double c = std::cos(angle), s = std::sin(angle);
    std::vector<cv::Point2d> out;
    for (const auto& p : local)
        out.emplace_back(centre.x + c * p.x - s * p.y, centre.y + s * p.x + c * p.y);
    return out;
}

/// Object count (minCount..maxCount) and sizes: a lone object is big, several are smaller.
std::vector<double> objectSizes(Rng& rng, int minCount, int maxCount, double bigLo, double bigHi, double smallLo,
                                double smallHi)
{
    const int count = rng.range(minCount, maxCount);
    std::vector<double> sizes;
    for (int i = 0; i < count; ++i)
        sizes.push_back(count == 1 ? rng.uniform(bigLo, bigHi) : rng.uniform(smallLo, smallHi));
    return sizes;
}

/// Centres for objects of the given radii that overlap little and may leave the frame a bit.
std::vector<cv::Point2d> placeCentres(Rng& rng, const std::vector<double>& radii)
{
    std::vector<cv::Point2d> centres;
    for (double r : radii) {
        const double margin = std::min(0.7 * r, kSide / 2.0 - 1.0);
        cv::Point2d best;
        double bestGap = -1e9;
        for (int tries = 0; tries < 24; ++tries) {  // keep the candidate farthest from the others
            const cv::Point2d c(rng.uniform(margin, kSide - margin), rng.uniform(margin, kSide - margin));
            double gap = 1e9;
            for (std::size_t i = 0; i < centres.size(); ++i)
                gap = std::min(gap, cv::norm(c - centres[i]) - r - radii[i]);
            if (gap > bestGap) {
                bestGap = gap;
                best = c;
            }
            if (gap > 0)
                break;
        }
        centres.push_back(best);
    }
    return centres;
}

std::vector<cv::Point2d> starPoints(int points, double outer, double inner)
{
    std::vector<cv::Point2d> pts;
    for (int i = 0; i < 2 * points; ++i) {
        const double r = i % 2 ? inner : outer, a = kPi * i / points - kPi / 2;
        pts.emplace_back(r * std::cos(a), r * std::sin(a));
    }
    return pts;
}

std::vector<cv::Point2d> squarePoints(double h) { return {{-h, -h}, {h, -h}, {h, h}, {-h, h}}; }

std::vector<cv::Point2d> crossPoints(double arm, double half)
{
    return {{-half, -arm}, {half, -arm}, {half, -half}, {arm, -half}, {arm, half},   {half, half},
            {half, arm},   {-half, arm}, {-half, half}, {-arm, half}, {-arm, -half}, {-half, -half}};
}

/// Solid objects of class circles/squares/triangles/crosses/stars, one mask per object so
/// each may have its own colour.
void drawObjects(cv::Mat3f& img, int label, const Colour& bg, Rng& rng, double hue)
{
    std::vector<double> sizes;  // circumradius-like extent
    switch (label) {
    // The count ranges differ a little per class on purpose: "how many things, how much edge"
    // is a structure statistic that even untrained CNN features pick up.
    case 0: sizes = objectSizes(rng, 1, 2, 18, 34, 12, 22); break;   // circles
    case 1: sizes = objectSizes(rng, 1, 3, 20, 38, 12, 22); break;   // squares (half diagonal)
    case 2: sizes = objectSizes(rng, 1, 3, 22, 40, 14, 24); break;   // triangles
    case 6: sizes = objectSizes(rng, 2, 4, 18, 30, 11, 20); break;   // crosses
    default: sizes = objectSizes(rng, 1, 3, 22, 40, 13, 24); break;  // stars
    }
    const auto centres = placeCentres(rng, sizes);
    const bool shadow = rng.chance(0.35), ownColours = rng.chance(0.5);
    const Colour shared = contrastingColour(rng, bg, kMinContrast, hue);
    const bool balls = rng.chance(0.75), tiles = rng.chance(0.75), hollow = rng.chance(0.6);
    const double lightAngle = rng.uniform(0.0, 2.0 * kPi), lightTilt = rng.uniform(0.3, 0.7);
    const cv::Vec3d light(lightTilt * std::cos(lightAngle), lightTilt * std::sin(lightAngle),
                          std::sqrt(1.0 - lightTilt * lightTilt));
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const double r = sizes[i];
        const double angle = rng.uniform(0.0, 2.0 * kPi);
        cv::Mat1b mask(kSide, kSide, uchar(0));
        switch (label) {
        case 0:
            fillDisc(mask, centres[i], r);
            break;
        case 1:
            fillPolygon(mask, place(squarePoints(r / std::sqrt(2.0)), centres[i], angle));
            break;
        case 2: {
            std::vector<cv::Point2d> tri;
            for (int k = 0; k < 3; ++k) {
                const double a = 2.0 * kPi * k / 3 + rng.uniform(-0.25, 0.25), rr = r * rng.uniform(0.85, 1.1);
                tri.emplace_back(rr * std::cos(a), rr * std::sin(a));
            }
            fillPolygon(mask, place(tri, centres[i], angle));
            if (hollow) {
                // Hollow road-sign triangles: the same outline shrunk towards its centroid.
                std::vector<cv::Point2d> in;
                const double keep = 1.0 - rng.uniform(0.3, 0.45);
                for (const auto& p : tri)
                    in.push_back(p * keep);
                cv::Mat1b hole(kSide, kSide, uchar(0));
                fillPolygon(hole, place(in, centres[i], angle));
                mask -= hole;
            }
            break;
        }
        case 6:
            fillPolygon(mask, place(crossPoints(r, r * rng.uniform(0.16, 0.26)), centres[i], angle));
            break;
        default:
            fillPolygon(mask, place(starPoints(rng.range(5, 6), r, r * rng.uniform(0.3, 0.42)), centres[i], angle));
            break;
        }
        const cv::Mat1f alpha = toAlpha(mask);
        if (shadow)
            dropShadow(img, alpha, rng);
        const Colour colour = ownColours ? contrastingColour(rng, bg, kMinContrast, hue) : jitter(rng, shared, 12.0);
        if (label == 0 && balls) {
            const cv::Mat1f shading = sphereLight(centres[i], r, light);
            paint(img, alpha, colour, rng, &shading);
        } else {
            paint(img, alpha, colour, rng);
        }
        if (label == 1 && tiles) {
            // A bevelled tile / box lid: an inset square in a lighter or darker tone.
            cv::Mat1b inner(kSide, kSide, uchar(0));
            fillPolygon(inner, place(squarePoints(r / std::sqrt(2.0) * rng.uniform(0.55, 0.75)), centres[i], angle));
            const float tone = luminance(colour) > 127.f ? 0.7f : 1.45f;
            Colour toned = colour * tone;
            for (int k = 0; k < 3; ++k)
                toned[k] = std::min(toned[k] + (tone > 1.f ? 25.f : 0.f), 255.f);
            paint(img, toAlpha(inner), toned, rng);
        }
    }
}

/// Antialiased coverage of a band of half-width `half` around distance 0 (one-pixel ramp).
inline float band(double distance, double half) { return float(std::clamp(half + 0.5 - std::abs(distance), 0.0, 1.0)); }

/// The periodic/structured classes as analytic coverage maps: stripes, checkerboard, rings,
/// dots, waves.
cv::Mat1f patternAlpha(int label, Rng& rng)
{
    cv::Mat1f alpha(kSide, kSide, 0.f);
    const double angle = rng.uniform(0.0, kPi);
    const double ca = std::cos(angle), sa = std::sin(angle);
    switch (label) {
    case 3: {  // stripes: straight bands, one orientation
        const double period = rng.uniform(14, 24), half = period * rng.uniform(0.2, 0.3), phase = rng.uniform(0, period);
        for (int y = 0; y < kSide; ++y)
            for (int x = 0; x < kSide; ++x) {
                const double u = x * ca + y * sa + phase;
                alpha(y, x) = band(u - period * std::round(u / period), half);
            }
        break;
    }
    case 4: {  // checkerboard: two orthogonal edge directions, alternating cells
        const double cell = rng.uniform(5, 9), pu = rng.uniform(0, cell), pv = rng.uniform(0, cell);
        for (int y = 0; y < kSide; ++y)
            for (int x = 0; x < kSide; ++x) {
                const double u = x * ca + y * sa + pu, v = -x * sa + y * ca + pv;
                const bool odd = (int64_t(std::floor(u / cell)) + int64_t(std::floor(v / cell))) & 1;
                const double du = std::abs(u - cell * std::round(u / cell)), dv = std::abs(v - cell * std::round(v / cell));
                const double edge = std::min(std::min(du, dv), 0.5);  // distance to the nearest cell edge
                alpha(y, x) = float(odd ? 0.5 + edge : 0.5 - edge);
            }
        break;
    }
    case 5: {  // rings: concentric outlines around one or two centres
        const int sets = rng.chance(0.3) ? 2 : 1;
        for (int s = 0; s < sets; ++s) {
            const cv::Point2d c(rng.uniform(18, kSide - 18), rng.uniform(18, kSide - 18));
            const double spacing = rng.uniform(5, 8), half = rng.uniform(0.9, 1.6);
            const int count = sets == 1 ? rng.range(5, 9) : rng.range(3, 5);
            const double first = rng.uniform(2.0, spacing);
            for (int y = 0; y < kSide; ++y)
                for (int x = 0; x < kSide; ++x) {
                    const double d = std::hypot(x - c.x, y - c.y);
                    const double k = std::clamp(std::round((d - first) / spacing), 0.0, double(count - 1));
                    alpha(y, x) = std::max(alpha(y, x), band(d - first - k * spacing, half));
                }
        }
        break;
    }
    case 7: {  // dots: many small discs scattered, or on a jittered grid
        cv::Mat1b mask(kSide, kSide, uchar(0));
        const double r = rng.uniform(1.8, 3.2);
        if (rng.chance(0.4)) {
            const double step = rng.uniform(3.2, 4.5) * r, jit = rng.uniform(0, 0.25) * step;
            const double ox = rng.uniform(0, step), oy = rng.uniform(0, step);
            for (double gy = -0.25 * kSide; gy < 1.25 * kSide; gy += step)
                for (double gx = -0.25 * kSide; gx < 1.25 * kSide; gx += step) {
                    // Grid points rotated about the image centre so the lattice has any orientation.
                    const double px = gx + ox + rng.uniform(-jit, jit) - kSide / 2.0;
                    const double py = gy + oy + rng.uniform(-jit, jit) - kSide / 2.0;
                    fillDisc(mask, {kSide / 2.0 + px * ca - py * sa, kSide / 2.0 + px * sa + py * ca},
                             r * rng.uniform(0.85, 1.15));
                }
        } else {
            const int count = rng.range(40, 90);
            for (int i = 0; i < count; ++i)
                fillDisc(mask, {rng.uniform(0, kSide), rng.uniform(0, kSide)}, r * rng.uniform(0.7, 1.3));
        }
        alpha = toAlpha(mask);
        break;
    }
    default: {  // waves: thin sinusoidal lines
        const double period = rng.uniform(9, 14), half = rng.uniform(0.9, 1.6);
        const double amp = rng.uniform(3, 8), wavelength = rng.uniform(22, 45), phase = rng.uniform(0, 2 * kPi);
        const double k = 2 * kPi / wavelength;
        for (int y = 0; y < kSide; ++y)
            for (int x = 0; x < kSide; ++x) {
                const double u = x * ca + y * sa, v = -x * sa + y * ca;
                const double w = u + amp * std::sin(k * v + phase);
                const double slope = amp * k * std::cos(k * v + phase);  // true distance = offset / |grad w|
                alpha(y, x) = band((w - period * std::round(w / period)) / std::sqrt(1 + slope * slope), half);
            }
        break;
    }
    }
    return alpha;
}

}  // namespace

std::vector<unsigned char> renderDemoImage(int label, uint64_t seed)
{
    if (label < 0 || label >= kDemoClassCount)
        throw std::out_of_range("renderDemoImage: label " + std::to_string(label) + " is outside 0..9");
    Rng rng(seed);
    const Colour bgColour = randomColour(rng);
    cv::Mat3f img = makeBackground(rng, bgColour);

    // The class's typical hue (spread evenly round the colour wheel) in seven images of ten.
    const double jitterHue = rng.uniform(-0.04, 0.04);
    const double hue = rng.chance(0.7) ? std::fmod(1.0 + 0.1 * label + jitterHue, 1.0) : -1.0;
    const bool objects = label == 0 || label == 1 || label == 2 || label == 6 || label == 9;
    if (objects) {
        drawObjects(img, label, bgColour, rng, hue);
    } else {
        cv::Mat1f alpha = patternAlpha(label, rng);
        // Not always the whole frame: sometimes the pattern fades out across the picture.
        if (rng.chance(0.3)) {
            const cv::Mat1f ramp = randomRamp(rng);
            for (int y = 0; y < kSide; ++y)
                for (int x = 0; x < kSide; ++x)
                    alpha(y, x) *= std::clamp(0.9f + 0.9f * ramp(y, x), 0.f, 1.f);
        }
        paint(img, alpha, contrastingColour(rng, bgColour, kMinContrast, hue), rng);
    }

    // Camera-ish finish: uneven lighting, slight defocus, sensor noise.
    if (rng.chance(0.4)) {
        const float strength = float(rng.uniform(0.1, 0.3));
        const cv::Mat1f ramp = randomRamp(rng);
        for (int y = 0; y < kSide; ++y)
            for (int x = 0; x < kSide; ++x)
                img(y, x) *= 1.f + strength * ramp(y, x);
    }
    if (rng.chance(0.3)) {
        const double sigma = rng.uniform(0.5, 1.1);
        cv::GaussianBlur(img, img, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT);
    }
    const double noise = rng.uniform(1.0, 6.0);
    const bool greyNoise = rng.chance(0.3);
    std::vector<unsigned char> out(static_cast<std::size_t>(kDemoImageBytes));
    std::size_t i = 0;
    for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
            const double shared = greyNoise ? rng.normal() * noise : 0.0;
            for (int c = 0; c < 3; ++c) {
                const double v = img(y, x)[c] + (greyNoise ? shared : rng.normal() * noise);
                out[i++] = (unsigned char)(std::clamp(v, 0.0, 255.0) + 0.5);
            }
        }
    return out;
}

}  // namespace deepsvm
