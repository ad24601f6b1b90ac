#include "project/Archive.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <stdexcept>

namespace deepsvm {

namespace {

struct ReaderDeleter {
    void operator()(archive* a) const { archive_read_free(a); }
};

[[noreturn]] void fail(const QString& archivePath, const QString& why)
{
    throw std::runtime_error(QStringLiteral("%1: %2").arg(archivePath, why).toStdString());
}

/// A relative path that stays inside the destination, or an empty string.
QString safeRelativePath(const QString& name)
{
    if (name.isEmpty() || name.startsWith(QLatin1Char('/')) || name.contains(QLatin1Char('\\')) || name.contains(QLatin1Char(':')))
        return {};
    QStringList kept;
    for (const QString& part : name.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        if (part == QStringLiteral(".."))
            return {};
        if (part != QStringLiteral("."))
            kept << part;
    }
    return kept.join(QLatin1Char('/'));
}

}  // namespace

long long extractArchive(const QString& archivePath, const QString& destination, const std::function<bool(qint64, qint64)>& progress)
{
    const qint64 total = QFileInfo(archivePath).size();
    if (!QFileInfo(archivePath).isFile())
        fail(archivePath, QStringLiteral("no such file"));
    if (!QDir().mkpath(destination))
        fail(destination, QStringLiteral("cannot create the folder"));
    QTemporaryDir staging(destination + QStringLiteral("/.extracting-XXXXXX"));
    if (!staging.isValid())
        fail(destination, QStringLiteral("cannot create a temporary folder; check it is writable"));

    std::unique_ptr<archive, ReaderDeleter> reader(archive_read_new());
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_all(reader.get());
    const QByteArray nativePath = QFile::encodeName(archivePath);
    if (archive_read_open_filename(reader.get(), nativePath.constData(), 1 << 20) != ARCHIVE_OK)
        fail(archivePath, QString::fromUtf8(archive_error_string(reader.get())));

    long long files = 0;
    QStringList topLevel;
    archive_entry* entry = nullptr;
    std::vector<char> buffer(1 << 20);
    for (;;) {
        const int r = archive_read_next_header(reader.get(), &entry);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            fail(archivePath, QStringLiteral("damaged archive (%1)").arg(QString::fromUtf8(archive_error_string(reader.get()))));
        const QString name = QString::fromUtf8(archive_entry_pathname_utf8(entry) ? archive_entry_pathname_utf8(entry)
                                                                                  : archive_entry_pathname(entry));
        const QString relative = safeRelativePath(name);
        const mode_t type = archive_entry_filetype(entry);
        if (relative.isEmpty() && !(type == AE_IFDIR && (name == QStringLiteral("./") || name == QStringLiteral("."))))
            fail(archivePath, QStringLiteral("refused entry \"%1\": it would be written outside %2").arg(name, destination));
        if (relative.isEmpty())
            continue;
        if (type != AE_IFREG && type != AE_IFDIR)
            fail(archivePath, QStringLiteral("refused entry \"%1\": links and special files are not extracted").arg(name));
        const QString top = relative.section(QLatin1Char('/'), 0, 0);
        if (!topLevel.contains(top))
            topLevel << top;
        const QString target = staging.path() + QLatin1Char('/') + relative;
        if (type == AE_IFDIR) {
            QDir().mkpath(target);
            continue;
        }
        QDir().mkpath(QFileInfo(target).absolutePath());
        QFile out(target);
        if (!out.open(QIODevice::WriteOnly))
            fail(target, QStringLiteral("cannot write (%1)").arg(out.errorString()));
        for (;;) {
            const la_ssize_t n = archive_read_data(reader.get(), buffer.data(), buffer.size());
            if (n < 0)
                fail(archivePath, QStringLiteral("damaged data in \"%1\" (%2)").arg(name, QString::fromUtf8(archive_error_string(reader.get()))));
            if (n == 0)
                break;
            if (out.write(buffer.data(), n) != n)
                fail(target, QStringLiteral("cannot write (%1); check the disk has space").arg(out.errorString()));
            if (progress && !progress(archive_filter_bytes(reader.get(), -1), total))
                throw ExtractionCancelled{};
        }
        ++files;
    }
    // Everything unpacked: move the top-level entries into place, replacing older copies.
    for (const QString& top : topLevel) {
        const QString from = staging.path() + QLatin1Char('/') + top, to = destination + QLatin1Char('/') + top;
        if (QFileInfo(to).isDir())
            QDir(to).removeRecursively();
        else
            QFile::remove(to);
        if (!QDir().rename(from, to))
            fail(to, QStringLiteral("cannot move the extracted files into place"));
    }
    if (progress)
        progress(total, total);
    return files;
}

}  // namespace deepsvm
