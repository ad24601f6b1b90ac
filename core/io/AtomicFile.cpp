#include "io/AtomicFile.h"

#include <QFile>
#include <QIODevice>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <random>

#include <unistd.h>

namespace deepsvm {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMarker = ".tmp-";

std::string errnoText() { return std::strerror(errno); }

bool allOf(const std::string& s, const char* chars) { return !s.empty() && s.find_first_not_of(chars) == std::string::npos; }

bool processIsGone(long pid) { return pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH; }

std::string freshName(const std::string& target)
{
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return target + kMarker + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1000000007ULL);
}

}  // namespace

bool isStaleTemporary(const std::string& folder, const std::string& name)
{
    const std::size_t at = name.rfind(kMarker);
    if (at == std::string::npos || at == 0)
        return false;
    const std::string rest = name.substr(at + std::strlen(kMarker));
    const std::size_t dash = rest.find('-');
    if (dash != std::string::npos) {  // TARGET.tmp-PID-N
        if (dash == 0 || !allOf(rest, "0123456789-") || rest.find('-', dash + 1) != std::string::npos)
            return false;
        const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
        return pid != long(::getpid()) && processIsGone(pid);
    }
    // TARGET.tmp-HEX (8 digits): an older version's archive writer, which recorded no PID.
    if (rest.size() != 8 || !allOf(rest, "0123456789abcdef"))
        return false;
    std::error_code ec;
    const auto written = fs::last_write_time(fs::path(folder) / name, ec);
    return !ec && fs::file_time_type::clock::now() - written > std::chrono::minutes(10);
}

void removeStaleTemporaries(const std::string& target)
{
    const fs::path path(target);
    const std::string folder = path.parent_path().empty() ? std::string(".") : path.parent_path().string();
    const std::string prefix = path.filename().string() + kMarker;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.compare(0, prefix.size(), prefix) == 0 && name.find(kMarker, prefix.size()) == std::string::npos
            && isStaleTemporary(folder, name)) {
            std::error_code ignored;
            fs::remove(it->path(), ignored);
        }
    }
}

int sweepStaleTemporaries(const std::string& folder)
{
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::error_code ignored;
        if (it->is_regular_file(ignored) && isStaleTemporary(folder, it->path().filename().string())
            && fs::remove(it->path(), ignored))
            ++removed;
    }
    return removed;
}

std::string temporaryPathFor(const std::string& target, AtomicFile::Folder folder)
{
    // The folder is made on demand (`--out new/folder/prefix`); if that fails, opening the
    // temporary reports why, naming the target.
    std::error_code ignored;
    const fs::path parent = fs::path(target).parent_path();
    if (!parent.empty() && folder == AtomicFile::Folder::Create)
        fs::create_directories(parent, ignored);
    removeStaleTemporaries(target);
    return freshName(target);
}

void commitFile(const std::string& tmp, const std::string& target)
{
    if (std::rename(tmp.c_str(), target.c_str()) != 0) {
        const std::string why = errnoText();
        std::remove(tmp.c_str());
        throw IoError(target + ": cannot move the finished file into place (" + why + ")");
    }
}

AtomicFile::AtomicFile(std::string target, Folder folder) : m_target(std::move(target))
{
    for (int attempt = 0; attempt < 8 && !m_file; ++attempt) {
        m_tmp = attempt == 0 ? temporaryPathFor(m_target, folder) : freshName(m_target);
        m_file = std::fopen(m_tmp.c_str(), "wbx");  // "x": never another writer's temporary
        if (!m_file && errno != EEXIST)
            break;
    }
    if (!m_file)
        throw IoError(m_target + ": cannot create (" + errnoText() + "); choose a writable folder");
}

AtomicFile::~AtomicFile()
{
    if (m_file) {
        std::fclose(m_file);
        std::remove(m_tmp.c_str());
    }
}

void AtomicFile::write(const void* data, std::size_t bytes)
{
    if (!m_file)
        throw IoError(m_target + ": written after it was committed");
    if (bytes && std::fwrite(data, 1, bytes, m_file) != bytes)
        throw IoError(m_target + ": write failed (" + errnoText() + "); is the disk full?");
}

void AtomicFile::commit()
{
    commitFile(release(), m_target);
}

std::string AtomicFile::release()
{
    if (!m_file)
        throw IoError(m_target + ": committed twice");
    errno = 0;
    bool ok = std::fflush(m_file) == 0 && !std::ferror(m_file);
    ok = ok && ::fdatasync(::fileno(m_file)) == 0;  // the data is on disk before the name points at it
    const std::string why = errno ? errnoText() : std::string("write error");
    ok = (std::fclose(m_file) == 0) && ok;
    m_file = nullptr;
    if (!ok) {
        std::remove(m_tmp.c_str());
        throw IoError(m_target + ": write failed (" + why + "); is the disk full?");
    }
    return m_tmp;
}

void writeAtomically(const std::string& target, const std::function<void(const std::string& tmp)>& write)
{
    const std::string tmp = temporaryPathFor(target);
    try {
        write(tmp);
    } catch (...) {
        std::remove(tmp.c_str());
        throw;
    }
    commitFile(tmp, target);
}

void writeFileAtomically(const std::string& path, const QByteArray& bytes)
{
    AtomicFile file(path);
    file.write(bytes.constData(), std::size_t(bytes.size()));
    file.commit();
}

bool writeAtomically(const QString& path, const std::function<bool(QIODevice*)>& write, QString* error)
{
    try {
        AtomicFile file(path.toStdString(), AtomicFile::Folder::MustExist);  // as QSaveFile: a missing folder is an error
        QFile device;
        bool ok = device.open(file.file(), QIODevice::WriteOnly, QFileDevice::DontCloseHandle) && write(&device);
        ok = ok && device.flush();
        device.close();
        if (!ok)
            throw IoError(path.toStdString() + ": cannot write (" + device.errorString().toStdString()
                          + "); is the folder writable and the disk not full?");
        file.commit();
        return true;
    } catch (const IoError& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
}

}  // namespace deepsvm
