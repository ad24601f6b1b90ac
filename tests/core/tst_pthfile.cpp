// Tests of the LibTorch-free .pth reader/writer (core/nets/PthFile.h).
// Fixtures come from tests/python/pth_fixtures.py run with /usr/bin/python3 (torch 1.13 +
// torchvision 0.14); tests that need them are skipped when that interpreter lacks torch.
// Crafted pickles and zips are built here, so the safety tests run without Python.

#include "nets/PthFile.h"
#include "nets/ZipReader.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <fstream>
#include <functional>
#include <random>

using namespace deepsvm;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");

QString fixtureScript()
{
    return QStringLiteral(DEEPSVM_SOURCE_DIR "/tests/python/pth_fixtures.py");
}

std::string readFile(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Runs `fn`; returns PthError::what(), or "<no error>" if it returned normally.
/// Any other exception escapes and fails the test.
std::string pthErrorOf(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const PthError& e) {
        return e.what();
    }
    return "<no error>";
}

#define EXPECT_PTH_ERROR(expr, needle)                                                              \
    do {                                                                                            \
        const std::string what_ = pthErrorOf([&] { expr; });                                        \
        QVERIFY2(what_.find(needle) != std::string::npos,                                           \
                 qPrintable(QStringLiteral("expected an error containing \"%1\", got \"%2\"")      \
                                .arg(QString::fromStdString(needle), QString::fromStdString(what_)))); \
    } while (false)

std::string le(std::uint64_t v, int bytes)
{
    std::string out;
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xFF);
    return out;
}

// Pickle building blocks (avoid "\x00f"-style literals: hex escapes swallow following letters).
std::string str(const std::string& s) { return "X" + le(s.size(), 4) + s; }
std::string int1(int v) { return "K" + le(static_cast<std::uint64_t>(v), 1); }

/// A legacy (non-zip) file: magic, protocol and sys_info pickles, then `mainPickle`, the storage
/// key list and raw storage records.
std::string legacyFile(const std::string& mainPickle, const std::string& keys = "\x80\x02].",
                       const std::string& records = {})
{
    const std::string magic = std::string("\x80\x02\x8a\x0a") + "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19" + ".";
    const std::string protocol = "\x80\x02M\xe9\x03.";
    const std::string sysInfo = "\x80\x02}" + str("little_endian") + "\x88s.";
    return magic + protocol + sysInfo + mainPickle + keys + records;
}

/// _rebuild_tensor_v2(storage '0' of two `cls` elements, 0, size, stride, False, OrderedDict())
/// as torch's pickler writes it; `size` and `stride` are pickled tuples.
std::string tensorExpr(const std::string& size = int1(2) + "\x85", const std::string& stride = int1(1) + "\x85",
                       const std::string& cls = "FloatStorage")
{
    return "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\n" + cls + "\n" + str("0") + str("cpu")
           + int1(2) + "tQ" + int1(0) + size + stride + "\x89" + "ccollections\nOrderedDict\n)RtR";
}

/// {'w': tensor} as a complete pickle.
std::string oneTensorPickle(const std::string& size = int1(2) + "\x85", const std::string& stride = int1(1) + "\x85")
{
    return "\x80\x02}" + str("w") + tensorExpr(size, stride) + "s.";
}

std::shared_ptr<const std::vector<unsigned char>> bytesOf(std::vector<unsigned char> v)
{
    return std::make_shared<const std::vector<unsigned char>>(std::move(v));
}

template <typename T>
std::shared_ptr<const std::vector<unsigned char>> storageOf(const std::vector<T>& values)
{
    std::vector<unsigned char> bytes(values.size() * sizeof(T));
    if (!bytes.empty())
        std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytesOf(std::move(bytes));
}

StoredTensor tensor(const std::string& name, ScalarType dtype, std::vector<int64_t> shape, std::vector<int64_t> stride,
                    int64_t offset, std::shared_ptr<const std::vector<unsigned char>> storage)
{
    StoredTensor t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.stride = std::move(stride);
    t.storageOffset = offset;
    t.storage = std::move(storage);
    return t;
}

/// A dict exercising the writer: shared storage with views, 0-dim, empty, >3 dims, several
/// dtypes, and offsets/strides that need BININT and LONG1.
StateDict sampleDict(bool withLargeStorage = true)
{
    std::vector<float> base(24);
    for (int i = 0; i < 24; ++i)
        base[static_cast<std::size_t>(i)] = static_cast<float>(i) * 0.5f - 3.0f;
    const auto shared = storageOf(base);
    StateDict d;
    d.tensors.push_back(tensor("base", ScalarType::Float32, {4, 6}, {6, 1}, 0, shared));
    d.tensors.push_back(tensor("slice", ScalarType::Float32, {4, 5}, {6, 1}, 1, shared));
    d.tensors.push_back(tensor("transposed", ScalarType::Float32, {6, 4}, {1, 6}, 0, shared));
    d.tensors.push_back(tensor("scalar", ScalarType::Float64, {}, {}, 0, storageOf(std::vector<double>{2.25})));
    d.tensors.push_back(tensor("empty", ScalarType::Float32, {0, 3}, {3, 1}, 0, storageOf(std::vector<float>{})));
    d.tensors.push_back(tensor("five_dims", ScalarType::Int32, {2, 1, 2, 1, 2}, {4, 4, 2, 2, 1}, 0,
                               storageOf(std::vector<int32_t>{1, -2, 3, -4, 5, -6, 7, -8})));
    d.tensors.push_back(tensor("counter", ScalarType::Int64, {}, {}, 0, storageOf(std::vector<int64_t>{-5000000000LL})));
    if (withLargeStorage) {
        std::vector<std::uint8_t> big(70001, 7);
        big.back() = 42;
        d.tensors.push_back(tensor("far_offset", ScalarType::UInt8, {1}, {1}, 70000, storageOf(big)));
    }
    // A size-1 dimension may carry any stride; 2^40 forces LONG1 in the pickle.
    d.tensors.push_back(tensor("huge_stride", ScalarType::Bool, {1, 3}, {int64_t(1) << 40, 1}, 0,
                               storageOf(std::vector<std::uint8_t>{1, 0, 1})));
    d.tensors.push_back(tensor("half", ScalarType::Float16, {2}, {1}, 0, storageOf(std::vector<std::uint16_t>{0x3c00, 0xc000})));
    return d;
}

/// Offsets of the central and local headers of a zip our writer produced (no comment).
struct ZipLayout {
    std::size_t eocd = 0;
    std::vector<std::size_t> central, local;
};

std::uint32_t get32(const std::string& s, std::size_t at)
{
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = v << 8 | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

std::uint16_t get16(const std::string& s, std::size_t at)
{
    return static_cast<std::uint16_t>(get32(s.substr(at, 2) + std::string(2, '\0'), 0));
}

void set16(std::string& s, std::size_t at, std::uint32_t v) { s.replace(at, 2, le(v, 2)); }
void set32(std::string& s, std::size_t at, std::uint32_t v) { s.replace(at, 4, le(v, 4)); }

ZipLayout layoutOf(const std::string& zip)
{
    ZipLayout l;
    l.eocd = zip.size() - 22;
    std::size_t p = get32(zip, l.eocd + 16);
    for (int i = 0; i < get16(zip, l.eocd + 10); ++i) {
        l.central.push_back(p);
        l.local.push_back(get32(zip, p + 42));
        p += 46 + get16(zip, p + 28) + get16(zip, p + 30) + get16(zip, p + 32);
    }
    return l;
}

std::size_t dataOffset(const std::string& zip, std::size_t local)
{
    return local + 30 + get16(zip, local + 26) + get16(zip, local + 28);
}

/// Recomputes entry `i`'s CRC in both headers after its data was changed.
void fixCrc(std::string& zip, const ZipLayout& l, std::size_t i)
{
    const std::size_t at = dataOffset(zip, l.local[i]);
    const std::uint32_t size = get32(zip, l.central[i] + 24);
    const std::uint32_t crc = crc32(reinterpret_cast<const unsigned char*>(zip.data()) + at, size);
    set32(zip, l.central[i] + 16, crc);
    set32(zip, l.local[i] + 14, crc);
}

void renameEntry(std::string& zip, const ZipLayout& l, std::size_t i, const std::string& name)
{
    zip.replace(l.central[i] + 46, name.size(), name);
    zip.replace(l.local[i] + 30, name.size(), name);
}

std::vector<std::string> tempFilesNextTo(const QString& path)
{
    std::vector<std::string> out;
    const QFileInfo info(path);
    for (const QString& f : info.dir().entryList({info.fileName() + QStringLiteral(".tmp-*")}, QDir::Files))
        out.push_back(f.toStdString());
    return out;
}

/// Reads every tensor's bytes, so a fuzzed file that parses is fully exercised.
void touchAll(const StateDict& d)
{
    for (const StoredTensor& t : d.tensors)
        (void)t.contiguousBytes();
}

}  // namespace

class TestPthFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    // No Python needed.
    void typeTable();
    void contiguousBytesOfViews();
    void writerRoundTrip();
    void writerRejectsBadDicts_data();
    void writerRejectsBadDicts();
    void writerReportsUnwritablePath();
    void rejectsCraftedPickles_data();
    void rejectsCraftedPickles();
    void readsCraftedLegacyFile();
    void rejectsCorruptZip_data();
    void rejectsCorruptZip();
    void rejectsNonPthFiles();
    void truncatedWriterOutputNeverCrashes();
    void fuzzedPickleNeverCrashes();

    // Python fixtures.
    void readMatchesPython_data();
    void readMatchesPython();
    void viewsShareStorage();
    void skipsNonTensorValues();
    void rejectsBadFixtures_data();
    void rejectsBadFixtures();
    void truncatedFixturesNeverCrash_data();
    void truncatedFixturesNeverCrash();
    void writerOutputLoadsInTorch_data();
    void writerOutputLoadsInTorch();

private:
    QString fixture(const QString& name) const { return m_fixtures.filePath(name); }

    QTemporaryDir m_tmp;
    QDir m_fixtures;
    QString m_skipReason;  // empty when the fixtures exist
};

#define REQUIRE_FIXTURES()                                                                           \
    do {                                                                                             \
        if (!m_skipReason.isEmpty())                                                                 \
            QSKIP(qPrintable(m_skipReason));                                                         \
    } while (false)

void TestPthFile::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_fixtures = QDir(m_tmp.filePath(QStringLiteral("fixtures")));
    QProcess probe;
    probe.start(kPython, {QStringLiteral("-c"), QStringLiteral("import torch, torchvision")});
    if (!probe.waitForFinished(120000) || probe.exitStatus() != QProcess::NormalExit || probe.exitCode() != 0) {
        // The traceback's last line says why (e.g. "ModuleNotFoundError: No module named 'torch'").
        const QStringList lines = QString::fromLocal8Bit(probe.readAllStandardError()).trimmed().split(u'\n');
        const QString why = probe.error() == QProcess::FailedToStart ? probe.errorString() : lines.last().left(200);
        m_skipReason = QStringLiteral("%1 cannot import torch + torchvision (%2); tests needing Python fixtures skipped")
                           .arg(kPython, why);
        return;
    }
    QProcess gen;
    gen.start(kPython, {fixtureScript(), m_fixtures.path()});
    QVERIFY2(gen.waitForFinished(600000), "pth_fixtures.py timed out");
    QVERIFY2(gen.exitStatus() == QProcess::NormalExit && gen.exitCode() == 0,
             qPrintable(QString::fromLocal8Bit(gen.readAllStandardError())));
}

void TestPthFile::typeTable()
{
    QCOMPARE(elementSize(ScalarType::Float32), std::size_t(4));
    QCOMPARE(elementSize(ScalarType::Float64), std::size_t(8));
    QCOMPARE(elementSize(ScalarType::BFloat16), std::size_t(2));
    QCOMPARE(elementSize(ScalarType::Bool), std::size_t(1));
    QCOMPARE(std::string(scalarTypeName(ScalarType::Float16)), std::string("float16"));
    QCOMPARE(std::string(scalarTypeName(ScalarType::UInt8)), std::string("uint8"));
    QCOMPARE(std::string(scalarTypeName(ScalarType::Int64)), std::string("int64"));
}

void TestPthFile::contiguousBytesOfViews()
{
    const StateDict d = sampleDict();
    auto floats = [](const StoredTensor& t) {
        const std::vector<unsigned char> b = t.contiguousBytes();
        std::vector<float> out(b.size() / 4);
        std::memcpy(out.data(), b.data(), b.size());
        return out;
    };
    const std::vector<float> slice = floats(*d.find("slice"));
    QCOMPARE(slice.size(), std::size_t(20));
    QCOMPARE(slice[0], -2.5f);   // base[0][1]
    QCOMPARE(slice[5], 0.5f);    // base[1][1]
    const std::vector<float> transposed = floats(*d.find("transposed"));
    QCOMPARE(transposed[1], 0.0f);  // base[1][0]
    QCOMPARE(transposed[4], -2.5f);  // base[0][1]
    QCOMPARE(d.find("far_offset")->contiguousBytes(), std::vector<unsigned char>{42});
    QCOMPARE(d.find("huge_stride")->contiguousBytes(), (std::vector<unsigned char>{1, 0, 1}));
    QCOMPARE(d.find("empty")->numel(), int64_t(0));
    QVERIFY(d.find("empty")->contiguousBytes().empty());
    QCOMPARE(d.find("scalar")->numel(), int64_t(1));
    QVERIFY(d.find("missing") == nullptr);

    StoredTensor bad = *d.find("slice");
    bad.shape = {4, 6};  // one element past the storage
    EXPECT_PTH_ERROR(bad.contiguousBytes(), std::string("tensor 'slice': needs 25 float32 elements but its storage holds 24"));
}

void TestPthFile::writerRoundTrip()
{
    const QString path = m_tmp.filePath(QStringLiteral("roundtrip.pth"));
    const StateDict d = sampleDict();
    writePth(path.toStdString(), d);
    QVERIFY(tempFilesNextTo(path).empty());
    const StateDict r = readPth(path.toStdString());
    QCOMPARE(r.tensors.size(), d.tensors.size());
    for (std::size_t i = 0; i < d.tensors.size(); ++i) {
        const StoredTensor &a = d.tensors[i], &b = r.tensors[i];
        QCOMPARE(b.name, a.name);
        QCOMPARE(int(b.dtype), int(a.dtype));
        QCOMPARE(b.shape, a.shape);
        QCOMPARE(b.stride, a.stride);
        QCOMPARE(b.storageOffset, a.storageOffset);
        QCOMPARE(*b.storage, *a.storage);
        QCOMPARE(b.contiguousBytes(), a.contiguousBytes());
    }
    QVERIFY(r.find("base")->storage == r.find("slice")->storage);  // sharing survives
    QVERIFY(r.find("base")->storage != r.find("scalar")->storage);

    // Like PyTorch's writer: stored entries under archive/, each record 64-byte aligned.
    const std::string zip = readFile(path);
    const ZipLayout l = layoutOf(zip);
    QVERIFY(l.local.size() >= 4);
    for (std::size_t i = 0; i < l.local.size(); ++i) {
        QCOMPARE(get16(zip, l.central[i] + 10), std::uint16_t(0));
        QCOMPARE(dataOffset(zip, l.local[i]) % 64, std::size_t(0));
        QCOMPARE(zip.compare(l.central[i] + 46, 8, "archive/"), 0);
    }

    // Overwriting an existing file replaces it atomically.
    StateDict small;
    small.tensors.push_back(d.tensors[3]);
    writePth(path.toStdString(), small);
    QCOMPARE(readPth(path.toStdString()).tensors.size(), std::size_t(1));
}

void TestPthFile::writerRejectsBadDicts_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("expected");
    QTest::newRow("storage shorter than shape") << 0 << QStringLiteral("tensor 'w': needs 10 float32 elements but its storage holds 4");
    QTest::newRow("no storage") << 1 << QStringLiteral("tensor 'w': has no storage");
    QTest::newRow("negative size") << 2 << QStringLiteral("tensor 'w': negative size or stride in dimension 0");
    QTest::newRow("negative stride") << 3 << QStringLiteral("negative size or stride");
    QTest::newRow("duplicate name") << 4 << QStringLiteral("tensor 'w': name appears twice");
    QTest::newRow("empty name") << 5 << QStringLiteral("name is empty or not UTF-8");
    QTest::newRow("invalid UTF-8 name") << 6 << QStringLiteral("name is empty or not UTF-8");
    QTest::newRow("shared storage, two dtypes") << 7 << QStringLiteral("shares its storage with 'w' but has a different dtype");
    QTest::newRow("storage not whole elements") << 8 << QStringLiteral("storage of 6 bytes is not a whole number of float32 elements");
    QTest::newRow("shape/stride rank mismatch") << 9 << QStringLiteral("shape and stride differ in length");
    QTest::newRow("overflowing shape") << 10 << QStringLiteral("tensor 'w': bad shape (negative or overflowing size)");
}

void TestPthFile::writerRejectsBadDicts()
{
    QFETCH(int, which);
    QFETCH(QString, expected);
    const auto four = storageOf(std::vector<float>{1, 2, 3, 4});
    StateDict d;
    d.tensors.push_back(tensor("w", ScalarType::Float32, {4}, {1}, 0, four));
    StoredTensor& w = d.tensors[0];
    switch (which) {
    case 0: w.shape = {10}; break;
    case 1: w.storage.reset(); break;
    case 2: w.shape = {-1}; break;
    case 3: w.stride = {-1}; break;
    case 4: d.tensors.push_back(w); break;
    case 5: w.name.clear(); break;
    case 6: w.name = "bad\xff"; break;
    case 7: d.tensors.push_back(tensor("v", ScalarType::Int32, {4}, {1}, 0, four)); break;
    case 8: w.storage = bytesOf(std::vector<unsigned char>(6)); w.shape = {1}; break;
    case 9: w.stride = {1, 1}; break;
    case 10: w.shape = {int64_t(1) << 40, int64_t(1) << 40}; w.stride = {0, 0}; break;
    }
    const QString path = m_tmp.filePath(QStringLiteral("reject.pth"));
    {
        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly | QIODevice::Truncate));
        old.write("old contents");
    }
    EXPECT_PTH_ERROR(writePth(path.toStdString(), d), path.toStdString() + ": ");
    EXPECT_PTH_ERROR(writePth(path.toStdString(), d), expected.toStdString());
    QCOMPARE(readFile(path), std::string("old contents"));  // the target is untouched
    QVERIFY(tempFilesNextTo(path).empty());
}

void TestPthFile::writerReportsUnwritablePath()
{
    const std::string path = m_tmp.filePath(QStringLiteral("no/such/dir/out.pth")).toStdString();
    EXPECT_PTH_ERROR(writePth(path, sampleDict()), path + ": cannot create");
}

void TestPthFile::rejectsCraftedPickles_data()
{
    QTest::addColumn<QByteArray>("pickle");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("withStorage");  // append storage '0' (two floats) after the pickle
    auto row = [](const char* name, const std::string& pkl, const char* expected, bool withStorage = false) {
        QTest::newRow(name) << QByteArray(pkl.data(), int(pkl.size())) << QString::fromUtf8(expected) << withStorage;
    };
    const std::string p2 = "\x80\x02", p4 = "\x80\x04";
    row("GLOBAL os.system", p2 + "cos\nsystem\n" + str("echo pwned") + "\x85R.", "refuses to load global os.system");
    row("GLOBAL posix.system", p2 + "cposix\nsystem\n" + str("echo pwned") + "\x85R.", "refuses to load global posix.system");
    row("STACK_GLOBAL builtins.eval", p4 + "\x8c\x08" "builtins" "\x8c\x04" "eval" "\x93.", "refuses to load global builtins.eval");
    row("GLOBAL torch.load", p2 + "ctorch\nload\n.", "refuses to load global torch.load");
    row("GLOBAL with control characters", p2 + "cos\x1b\nsystem\n.", "refuses to load global os?.system");
    row("INST", p2 + "(iposix\nsystem\n.", "unsupported pickle opcode INST (0x69)");
    row("OBJ", p2 + "(o.", "unsupported pickle opcode OBJ");
    row("EMPTY_SET", p4 + "\x8f.", "unsupported pickle opcode EMPTY_SET (0x8f)");
    row("unknown opcode", p2 + "\xff.", "unknown pickle opcode 0xff");
    row("huge BINUNICODE", p2 + "X\xff\xff\xff\x7f", "truncated pickle");
    row("huge BINUNICODE8", p2 + "\x8d" + std::string(8, '\xff'), "truncated pickle");
    row("frame beyond end", p4 + "\x95" + le(0xFFFFFFFF, 8) + "}.", "frame beyond end of data");
    row("overlong GLOBAL", p2 + "c" + std::string(300, 'a'), "overlong GLOBAL name");
    row("deep nesting", p2 + ")" + std::string(100, '\x85') + ".", "pickle nests too deeply");
    row("self-append cycle", p2 + "]q" + le(0, 1) + "h" + le(0, 1) + "a.", "reference cycles are not supported");
    row("indirect cycle", p2 + "]q" + le(0, 1) + "h" + le(0, 1) + "\x85" "a.", "reference cycles are not supported");
    row("undefined memo", p2 + "h\x05.", "memo entry 5 undefined");
    row("stack underflow", p2 + "R.", "stack underflow");
    row("pop across MARK", p2 + int1(1) + "(R.", "stack underflow");
    row("string beyond end of file", p2 + "X" + le(1000, 4) + "abc", "truncated pickle (string of 1000 bytes beyond end of data)");
    row("STOP with two values", p2 + int1(1) + int1(2) + ".", "STOP with 2 values");
    row("protocol 6", "\x80\x06}.", "unsupported pickle protocol");
    row("not a dict", p2 + int1(1) + ".", "not a state dict (the file holds a int");
    row("non-string key", p2 + "}" + int1(1) + "}s.", "not a state dict (a key is a int)");
    row("OrderedDict with arguments", p2 + "ccollections\nOrderedDict\n" + int1(1) + "\x85R.", "OrderedDict called with arguments");
    row("calling a storage class", p2 + "ctorch\nFloatStorage\n)R.", "refuses to call torch.FloatStorage");
    row("tensor from a str", p2 + "ctorch._utils\n_rebuild_tensor_v2\n(" + str("a") + int1(0) + "))\x89}tR.",
        "tensor built from a str instead of a storage");
    row("bad persistent id", p2 + "(" + str("foo") + int1(1) + "tQ.", "unsupported persistent id");
    row("BUILD on a list", p2 + "]}b.", "BUILD on a list is not supported");
    row("SETITEM on a list", p2 + "]" + int1(1) + int1(2) + "s.", "SETITEM on a list");
    row("nested tensors (checkpoint)", p2 + "}" + str("model") + oneTensorPickle().substr(2, oneTensorPickle().size() - 3) + "s.",
        "key 'model' holds a dict of tensors: this looks like a training checkpoint", true);
    row("storage used but missing", oneTensorPickle(), "storage '0' is used but missing from the file");
    row("storage shorter than shape", oneTensorPickle(int1(3) + "\x85"), "tensor 'w': needs 3 float32 elements but its storage holds 2", true);
    row("negative stride", oneTensorPickle(int1(2) + "\x85", "J" + le(0xFFFFFFFF, 4) + "\x85"),
        "tensor 'w': negative size or stride in dimension 0", true);
    row("zero strides expanding to 4 TiB", oneTensorPickle("J" + le(1 << 20, 4) + "J" + le(1 << 20, 4) + "\x86", int1(0) + int1(0) + "\x86"),
        "tensor 'w': views 4398046511104 bytes of a 8-byte storage (zero or overlapping strides); refusing to expand it", true);
    row("storage type mismatch", p2 + "}" + str("a") + tensorExpr() + "s" + str("b")
                                     + tensorExpr(int1(2) + "\x85", int1(1) + "\x85", "IntStorage") + "s.",
        "storage '0' is referenced with different types or sizes", true);
}

void TestPthFile::rejectsCraftedPickles()
{
    QFETCH(QByteArray, pickle);
    QFETCH(QString, expected);
    QFETCH(bool, withStorage);
    const std::string file = withStorage ? legacyFile(pickle.toStdString(), "\x80\x02]" + str("0") + "a.", le(2, 8) + std::string(8, '\0'))
                                         : legacyFile(pickle.toStdString());
    EXPECT_PTH_ERROR(readPthFromMemory(file, "crafted.pth"), std::string("crafted.pth: "));
    EXPECT_PTH_ERROR(readPthFromMemory(file, "crafted.pth"), expected.toStdString());
}

void TestPthFile::readsCraftedLegacyFile()
{
    const std::string records = le(2, 8) + le(0x3f800000, 4) + le(0xc0000000, 4);  // 1.0f, -2.0f
    const std::string keys = "\x80\x02]" + str("0") + "a.";
    const StateDict d = readPthFromMemory(legacyFile(oneTensorPickle(), keys, records), "crafted.pth");
    QCOMPARE(d.tensors.size(), std::size_t(1));
    QCOMPARE(d.tensors[0].name, std::string("w"));
    QCOMPARE(d.tensors[0].shape, std::vector<int64_t>{2});
    QCOMPARE(d.tensors[0].contiguousBytes(), (std::vector<unsigned char>{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}));

    EXPECT_PTH_ERROR(readPthFromMemory(legacyFile(oneTensorPickle(), keys, le(3, 8) + std::string(12, '\0')), "c.pth"),
                     std::string("c.pth: storage '0' holds 3 elements but the pickle says 2"));
    EXPECT_PTH_ERROR(readPthFromMemory(legacyFile(oneTensorPickle(), "\x80\x02](" + str("0") + str("0") + "e.", records), "c.pth"),
                     std::string("storage '0' is listed twice or never used"));
}

void TestPthFile::rejectsCorruptZip_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QString>("expected");
    QTest::newRow("compressed (central directory)") << 0 << QStringLiteral("zip entry 'archive/data.pkl' is compressed (method 8)");
    QTest::newRow("compressed (local header)") << 1 << QStringLiteral("is compressed (method 8 in its local header)");
    QTest::newRow("central directory beyond EOF") << 2 << QStringLiteral("truncated zip (central directory beyond end of file)");
    QTest::newRow("absurd entry count") << 3 << QStringLiteral("entry count 65534 does not fit");
    QTest::newRow("data beyond central directory") << 4 << QStringLiteral("beyond the central directory");
    QTest::newRow("overlapping entries") << 5 << QStringLiteral("overlapping entries");
    QTest::newRow("CRC mismatch") << 6 << QStringLiteral("CRC-32 mismatch in 'archive/data.pkl'");
    QTest::newRow("wrong local header") << 7 << QStringLiteral("local and central names differ");
    QTest::newRow("encrypted") << 8 << QStringLiteral("is encrypted");
    QTest::newRow("no data.pkl") << 9 << QStringLiteral("not a PyTorch file (zip archive without data.pkl)");
    QTest::newRow("storage record missing") << 10 << QStringLiteral("storage '0' is missing (no archive/data/0)");
    QTest::newRow("big-endian byteorder") << 11 << QStringLiteral("byte order 'bigend'");
    QTest::newRow("duplicate entry") << 12 << QStringLiteral("duplicate entry 'archive/data/0'");
    QTest::newRow("bad comment length") << 13 << QStringLiteral("no end-of-central-directory record");
    QTest::newRow("sizes differ") << 14 << QStringLiteral("stored but its sizes differ");
    QTest::newRow("TorchScript archive") << 15 << QStringLiteral("is a TorchScript archive");
}

void TestPthFile::rejectsCorruptZip()
{
    QFETCH(int, which);
    QFETCH(QString, expected);
    const QString path = m_tmp.filePath(QStringLiteral("corrupt.pth"));
    writePth(path.toStdString(), sampleDict());
    std::string z = readFile(path);
    const ZipLayout l = layoutOf(z);  // 0 data.pkl, 1 byteorder, 2 data/0, 3 data/1, ...
    switch (which) {
    case 0: set16(z, l.central[0] + 10, 8); break;
    case 1: set16(z, l.local[0] + 8, 8); break;
    case 2: set32(z, l.eocd + 16, static_cast<std::uint32_t>(z.size())); break;
    case 3: set16(z, l.eocd + 8, 0xFFFE); set16(z, l.eocd + 10, 0xFFFE); break;
    case 4: set32(z, l.central[3] + 20, 0x7FFFFFFF); set32(z, l.central[3] + 24, 0x7FFFFFFF); break;
    case 5: {
        const std::uint32_t grown = get32(z, l.central[0] + 24) + 64;
        set32(z, l.central[0] + 20, grown);
        set32(z, l.central[0] + 24, grown);
        break;
    }
    case 6: z[dataOffset(z, l.local[0]) + 5] ^= 0x40; break;
    case 7: set32(z, l.central[3] + 42, static_cast<std::uint32_t>(l.local[2])); break;
    case 8: set16(z, l.central[2] + 8, 1); break;
    case 9: renameEntry(z, l, 0, "archive/data.pkx"); break;
    case 10: renameEntry(z, l, 2, "archive/data/X"); break;
    case 11: z.replace(dataOffset(z, l.local[1]), 6, "bigend"); fixCrc(z, l, 1); break;
    case 12: renameEntry(z, l, 3, "archive/data/0"); break;
    case 13: set16(z, l.eocd + 20, 5); break;
    case 14: set32(z, l.central[2] + 20, get32(z, l.central[2] + 20) - 1); break;
    case 15: renameEntry(z, l, 1, "archive/code/ordr"); break;
    }
    EXPECT_PTH_ERROR(readPthFromMemory(z, "corrupt.pth"), std::string("corrupt.pth: "));
    EXPECT_PTH_ERROR(readPthFromMemory(z, "corrupt.pth"), expected.toStdString());
}

void TestPthFile::rejectsNonPthFiles()
{
    EXPECT_PTH_ERROR(readPthFromMemory("", "e.pth"), std::string("e.pth: empty file"));
    EXPECT_PTH_ERROR(readPthFromMemory("hello world", "t.pth"), std::string("t.pth: not a PyTorch file"));
    std::string tar(1024, '\0');
    tar.replace(257, 5, "ustar");
    EXPECT_PTH_ERROR(readPthFromMemory(tar, "old.pth"), std::string("old.pth: legacy tar-based PyTorch format"));
    EXPECT_PTH_ERROR(readPthFromMemory("\x80\x02" + int1(1) + ".", "p.pth"), std::string("p.pth: not a PyTorch file (bad magic number)"));
    const std::string missing = m_tmp.filePath(QStringLiteral("missing.pth")).toStdString();
    EXPECT_PTH_ERROR(readPth(missing), missing + ": cannot open (No such file or directory)");
    EXPECT_PTH_ERROR(readPth(m_tmp.path().toStdString()), m_tmp.path().toStdString() + ": ");  // a directory
}

void TestPthFile::truncatedWriterOutputNeverCrashes()
{
    const QString path = m_tmp.filePath(QStringLiteral("cut.pth"));
    writePth(path.toStdString(), sampleDict(false));
    const std::string whole = readFile(path);
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
        const std::string what = pthErrorOf([&] { readPthFromMemory(whole.substr(0, cut), "cut.pth"); });
        QVERIFY2(what.rfind("cut.pth: ", 0) == 0, qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(QString::fromStdString(what))));
    }
}

void TestPthFile::fuzzedPickleNeverCrashes()
{
    // Random byte changes inside data.pkl, with the CRC fixed so they reach the pickle VM.
    const QString path = m_tmp.filePath(QStringLiteral("fuzz.pth"));
    writePth(path.toStdString(), sampleDict(false));
    const std::string whole = readFile(path);
    const ZipLayout l = layoutOf(whole);
    const std::size_t begin = dataOffset(whole, l.local[0]), size = get32(whole, l.central[0] + 24);
    std::mt19937 rng(12345);
    int parsed = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        std::string z = whole;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f)
            z[begin + rng() % size] = static_cast<char>(rng() & 0xFF);
        fixCrc(z, l, 0);
        const std::string what = pthErrorOf([&] { touchAll(readPthFromMemory(z, "fuzz.pth")); });
        parsed += what == "<no error>";
        QVERIFY2(what == "<no error>" || what.rfind("fuzz.pth: ", 0) == 0, what.c_str());
    }
    qInfo("%d of 3000 mutated pickles still parsed", parsed);
}

void TestPthFile::readMatchesPython_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("group");
    QTest::newRow("resnet18 zip") << QStringLiteral("resnet18.pth") << QStringLiteral("resnet18");
    QTest::newRow("resnet18 legacy") << QStringLiteral("resnet18_legacy.pth") << QStringLiteral("resnet18");
    QTest::newRow("resnet18 parameters") << QStringLiteral("resnet18_parameters.pth") << QStringLiteral("resnet18");
    QTest::newRow("views zip") << QStringLiteral("views.pth") << QStringLiteral("views");
    QTest::newRow("views legacy") << QStringLiteral("views_legacy.pth") << QStringLiteral("views");
    QTest::newRow("views zip64") << QStringLiteral("views_zip64.pth") << QStringLiteral("views");
    QTest::newRow("dtypes zip") << QStringLiteral("dtypes.pth") << QStringLiteral("dtypes");
    QTest::newRow("dtypes legacy") << QStringLiteral("dtypes_legacy.pth") << QStringLiteral("dtypes");
    QTest::newRow("dtypes protocol 4") << QStringLiteral("dtypes_protocol4.pth") << QStringLiteral("dtypes");
    QTest::newRow("mixed values") << QStringLiteral("mixed.pth") << QStringLiteral("mixed");
}

void TestPthFile::readMatchesPython()
{
    REQUIRE_FIXTURES();
    QFETCH(QString, file);
    QFETCH(QString, group);
    const StateDict d = readPth(fixture(file).toStdString());
    QFile manifestFile(fixture(group + QStringLiteral(".json")));
    QVERIFY(manifestFile.open(QIODevice::ReadOnly));
    const QJsonArray expected = QJsonDocument::fromJson(manifestFile.readAll()).object().value(QStringLiteral("tensors")).toArray();
    const std::string blob = readFile(fixture(group + QStringLiteral(".bin")));
    QCOMPARE(d.tensors.size(), std::size_t(expected.size()));
    for (int i = 0; i < expected.size(); ++i) {
        const QJsonObject e = expected[i].toObject();
        const StoredTensor& t = d.tensors[std::size_t(i)];
        QCOMPARE(QString::fromStdString(t.name), e.value(QStringLiteral("name")).toString());  // file order
        QCOMPARE(QString::fromLatin1(scalarTypeName(t.dtype)), e.value(QStringLiteral("dtype")).toString());
        std::vector<int64_t> shape;
        for (const QJsonValue v : e.value(QStringLiteral("shape")).toArray())
            shape.push_back(v.toInteger());
        QCOMPARE(t.shape, shape);
        const std::vector<unsigned char> bytes = t.contiguousBytes();
        const auto offset = static_cast<std::size_t>(e.value(QStringLiteral("offset")).toInteger());
        QCOMPARE(bytes.size(), static_cast<std::size_t>(e.value(QStringLiteral("nbytes")).toInteger()));
        QVERIFY2(bytes.empty() || std::memcmp(bytes.data(), blob.data() + offset, bytes.size()) == 0, t.name.c_str());
    }
}

void TestPthFile::viewsShareStorage()
{
    REQUIRE_FIXTURES();
    for (const QString& file : {QStringLiteral("views.pth"), QStringLiteral("views_legacy.pth")}) {
        const StateDict d = readPth(fixture(file).toStdString());
        const StoredTensor* base = d.find("base");
        QVERIFY(base && d.find("slice") && d.find("row") && d.find("transposed"));
        QVERIFY(d.find("slice")->storage == base->storage);
        QVERIFY(d.find("transposed")->storage == base->storage);
        QCOMPARE(d.find("slice")->storageOffset, int64_t(1));
        QCOMPARE(d.find("slice")->stride, (std::vector<int64_t>{6, 1}));
        QCOMPARE(d.find("transposed")->stride, (std::vector<int64_t>{1, 6}));
        QCOMPARE(d.find("row")->storageOffset, int64_t(12));
        QCOMPARE(d.find("expanded")->stride, (std::vector<int64_t>{0, 1}));
        QCOMPARE(base->storage->size(), std::size_t(24 * 4));
    }
}

void TestPthFile::skipsNonTensorValues()
{
    REQUIRE_FIXTURES();
    const StateDict d = readPth(fixture(QStringLiteral("mixed.pth")).toStdString());
    QCOMPARE(d.tensors.size(), std::size_t(1));
    QCOMPARE(d.skippedKeys, (std::vector<std::string>{"note", "name", "nothing"}));
    // num_batches_tracked: int64 0-dim tensors are real tensors and returned.
    const StateDict r = readPth(fixture(QStringLiteral("resnet18.pth")).toStdString());
    const StoredTensor* n = r.find("bn1.num_batches_tracked");
    QVERIFY(n);
    QCOMPARE(int(n->dtype), int(ScalarType::Int64));
    QVERIFY(n->shape.empty());
    QVERIFY(r.skippedKeys.empty());
}

void TestPthFile::rejectsBadFixtures_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected");
    QTest::newRow("os.system via __reduce__") << QStringLiteral("evil_system.pth") << QStringLiteral("refuses to load global posix.system");
    QTest::newRow("os.system, legacy format") << QStringLiteral("evil_system_legacy.pth") << QStringLiteral("refuses to load global posix.system");
    QTest::newRow("eval, protocol 4") << QStringLiteral("evil_eval_protocol4.pth") << QStringLiteral("refuses to load global builtins.eval");
    QTest::newRow("a set (EMPTY_SET)") << QStringLiteral("set_protocol4.pth") << QStringLiteral("unsupported pickle opcode EMPTY_SET");
    QTest::newRow("training checkpoint") << QStringLiteral("checkpoint.pth") << QStringLiteral("key 'model' holds a dict of tensors");
    QTest::newRow("list of tensors") << QStringLiteral("list.pth") << QStringLiteral("not a state dict (the file holds a list");
    QTest::newRow("deflated zip") << QStringLiteral("compressed.pth") << QStringLiteral("is compressed (method 8)");
    QTest::newRow("storage shorter than shape") << QStringLiteral("short_storage.pth")
                                                << QStringLiteral("tensor 'w': needs 10 float32 elements but its storage holds 4");
}

void TestPthFile::rejectsBadFixtures()
{
    REQUIRE_FIXTURES();
    QFETCH(QString, file);
    QFETCH(QString, expected);
    const std::string path = fixture(file).toStdString();
    EXPECT_PTH_ERROR(readPth(path), path + ": ");
    EXPECT_PTH_ERROR(readPth(path), expected.toStdString());
    QVERIFY2(!QFile::exists(fixture(QStringLiteral("PWNED"))), "the pickled command ran");
}

void TestPthFile::truncatedFixturesNeverCrash_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("cuts");  // 0: every cut point
    QTest::newRow("views zip") << QStringLiteral("views.pth") << 0;
    QTest::newRow("views legacy") << QStringLiteral("views_legacy.pth") << 0;
    QTest::newRow("views zip64") << QStringLiteral("views_zip64.pth") << 0;
    QTest::newRow("dtypes protocol 4") << QStringLiteral("dtypes_protocol4.pth") << 0;
    QTest::newRow("resnet18 zip") << QStringLiteral("resnet18.pth") << 40;
    QTest::newRow("resnet18 legacy") << QStringLiteral("resnet18_legacy.pth") << 40;
}

void TestPthFile::truncatedFixturesNeverCrash()
{
    REQUIRE_FIXTURES();
    QFETCH(QString, file);
    QFETCH(int, cuts);
    const std::string whole = readFile(fixture(file));
    QVERIFY(!whole.empty());
    std::vector<std::size_t> points;
    if (cuts == 0) {
        for (std::size_t c = 0; c < whole.size(); ++c)
            points.push_back(c);
    } else {
        // Spread over the file, plus the tail where the zip directory and last storage live.
        for (int i = 0; i < cuts; ++i)
            points.push_back(whole.size() * std::size_t(i) / std::size_t(cuts));
        for (std::size_t back : {1, 21, 22, 23, 100, 1000, 5000})
            points.push_back(whole.size() - back);
    }
    for (const std::size_t cut : points) {
        const std::string what = pthErrorOf([&] { readPthFromMemory(whole.substr(0, cut), "cut.pth"); });
        QVERIFY2(what.rfind("cut.pth: ", 0) == 0, qPrintable(QStringLiteral("cut at %1: %2").arg(cut).arg(QString::fromStdString(what))));
    }
    // The legacy format has no checksums: random corruption must also fail cleanly or parse.
    std::mt19937 rng(7);
    for (int iter = 0; cuts == 0 && iter < 2000; ++iter) {
        std::string z = whole;
        z[rng() % z.size()] = static_cast<char>(rng() & 0xFF);
        const std::string what = pthErrorOf([&] { touchAll(readPthFromMemory(z, "fuzz.pth")); });
        QVERIFY2(what == "<no error>" || what.rfind("fuzz.pth: ", 0) == 0, what.c_str());
    }
}

void TestPthFile::writerOutputLoadsInTorch_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("model");
    QTest::newRow("resnet18 into torchvision") << QStringLiteral("resnet18.pth") << QStringLiteral("resnet18");
    QTest::newRow("resnet18 from legacy") << QStringLiteral("resnet18_legacy.pth") << QStringLiteral("resnet18");
    QTest::newRow("views sharing a storage") << QStringLiteral("views.pth") << QString();
    QTest::newRow("all dtypes") << QStringLiteral("dtypes_legacy.pth") << QString();
}

void TestPthFile::writerOutputLoadsInTorch()
{
    REQUIRE_FIXTURES();
    QFETCH(QString, source);
    QFETCH(QString, model);
    const QString out = m_tmp.filePath(QStringLiteral("written_") + source);
    writePth(out.toStdString(), readPth(fixture(source).toStdString()));
    QStringList args{fixtureScript(), QStringLiteral("--check"), out, fixture(source)};
    if (!model.isEmpty())
        args << QStringLiteral("--load-into") << model;
    QProcess check;
    check.start(kPython, args);
    QVERIFY2(check.waitForFinished(300000), "pth_fixtures.py --check timed out");
    const QString output = QString::fromLocal8Bit(check.readAllStandardOutput() + check.readAllStandardError());
    QVERIFY2(check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0, qPrintable(output));
    QVERIFY2(output.startsWith(QStringLiteral("OK:")), qPrintable(output));
}

QTEST_GUILESS_MAIN(TestPthFile)
#include "tst_pthfile.moc"
