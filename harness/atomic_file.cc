// Output files appear whole or not at all: contents go to a temp file in the target's directory
// (same file system, so the final rename is atomic), are fsynced, then renamed into place. An
// existing file is never replaced unless asked: results from an earlier run are kept.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "fabric_model/errors.h"
#include "harness/report.h"
#include "harness/report_rows.h"

namespace fb {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// "a/b/c.json" -> "a/b"; "c.json" -> "."; "/c.json" -> "/".
std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string overwrite_refusal(const std::string& path) {
  return "refusing to overwrite existing file " + path;
}

// Creates an empty temp file next to `path`; returns its fd and name, or -1 with errno set.
int make_temp_beside(const std::string& path, std::string& tmp_name) {
  tmp_name = parent_dir(path) + "/." + base_name(path) + ".tmp.XXXXXX";
  return mkstemp(tmp_name.data());
}

// Renames without replacing an existing `to`: renameat2(RENAME_NOREPLACE) where the file system
// supports it, else link + unlink (link never replaces either). Returns 0 or an errno value.
int rename_no_replace(const std::string& from, const std::string& to) {
#ifdef RENAME_NOREPLACE
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
#endif
  if (::link(from.c_str(), to.c_str()) == 0) {
    ::unlink(from.c_str());
    return 0;
  }
  if (errno == EEXIST) return EEXIST;
  // Neither is supported here (some network and FUSE file systems): check, then rename; the
  // window between the two is the best such a file system allows.
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

void sync_dir(const std::string& dir) {
  // Makes the rename itself durable; failure here loses nothing already written, so it is ignored.
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string check_output_path(const std::string& path) {
  if (path.empty()) return "empty output file name";
  if (path.back() == '/') return path + " is a directory name, not a file name";
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return path + " is a directory, not a file";
    return overwrite_refusal(path);
  }
  if (errno != ENOENT && errno != ENOTDIR) return "cannot check " + path + ": " + errno_text(errno);
  const std::string dir = parent_dir(path);
  if (::stat(dir.c_str(), &st) != 0) {
    return "directory " + dir + " of " + path + " does not exist";
  }
  if (!S_ISDIR(st.st_mode)) return dir + " (in " + path + ") is not a directory";
  // Creating a probe file answers for permissions, read-only mounts and ACLs alike (access()
  // says yes to root even on a read-only file system).
  std::string probe;
  const int fd = make_temp_beside(path, probe);
  if (fd < 0) return "cannot create files in directory " + dir + ": " + errno_text(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return "";
}

namespace {

// The common path: temp file beside `path`, `write(fd)` fills it (false: errno says why), fsync,
// rename without replacing unless asked, directory synced.
void write_atomically_with(const std::string& path, bool replace_existing,
                           const std::function<bool(int)>& write) {
  struct stat st;
  if (!replace_existing && ::lstat(path.c_str(), &st) == 0) {
    throw UsageError(overwrite_refusal(path));
  }
  std::string tmp;
  const int fd = make_temp_beside(path, tmp);
  if (fd < 0) {
    throw RunError("cannot write " + path + ": cannot create a temp file in " + parent_dir(path) +
                   ": " + errno_text(errno));
  }
  auto fail = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    throw RunError("cannot write " + path + ": " + what + ": " + errno_text(err));
  };
  // mkstemp makes 0600; results are for everyone to read.
  bool written = false;
  try {
    written = ::fchmod(fd, 0644) == 0 && write(fd) && ::fsync(fd) == 0;
  } catch (...) {  // the writer's own error (e.g. reading spooled rows): leave nothing behind
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (!written) {
    const int err = errno;
    ::close(fd);
    fail("writing " + tmp, err);
  }
  if (::close(fd) != 0) fail("closing " + tmp, errno);
  if (replace_existing) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("renaming " + tmp, errno);
  } else {
    const int err = rename_no_replace(tmp, path);
    if (err == EEXIST) {
      ::unlink(tmp.c_str());
      throw UsageError(overwrite_refusal(path));
    }
    if (err != 0) fail("renaming " + tmp, err);
  }
  sync_dir(parent_dir(path));
}

bool write_all(int fd, const char* p, std::size_t left) {
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& contents,
                           bool replace_existing) {
  write_atomically_with(path, replace_existing,
                        [&](int fd) { return write_all(fd, contents.data(), contents.size()); });
}

RowSpool::~RowSpool() {
  if (fd_ >= 0) ::close(fd_);
}

void RowSpool::append(const std::string& text) {
  buffer_ += text;
  if (buffer_.size() < kBufferBytes) return;
  if (fd_ < 0) {
    std::string name;
    fd_ = make_temp_beside(output_path_ + ".rows", name);
    if (fd_ < 0) {
      throw RunError("cannot write " + output_path_ + ": cannot create a temp file in " +
                     parent_dir(output_path_) + ": " + errno_text(errno));
    }
    ::unlink(name.c_str());  // unnamed from now on: nothing is left behind, whatever happens
  }
  if (!write_all(fd_, buffer_.data(), buffer_.size())) {
    throw RunError("cannot write " + output_path_ + ": spooling rows: " + errno_text(errno));
  }
  spilled_ += buffer_.size();
  buffer_.clear();
}

void RowSpool::replay(const std::function<void(const char*, std::size_t)>& sink) const {
  std::string chunk(1 << 16, '\0');
  for (std::size_t off = 0; off < spilled_;) {
    const ssize_t n = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw RunError("cannot write " + output_path_ + ": reading spooled rows: " +
                     (n < 0 ? errno_text(errno) : std::string("file shrank")));
    }
    sink(chunk.data(), static_cast<std::size_t>(n));
    off += static_cast<std::size_t>(n);
  }
  if (!buffer_.empty()) sink(buffer_.data(), buffer_.size());
}

void write_spooled_atomically(
    const std::string& path, const std::string& head, const RowSpool& rows, const std::string& tail,
    const std::function<void(const char*, std::size_t, const PieceSink&)>& filter,
    bool replace_existing) {
  write_atomically_with(path, replace_existing, [&](int fd) {
    bool ok = write_all(fd, head.data(), head.size());
    const PieceSink out = [&](const char* p, std::size_t n) { ok = ok && write_all(fd, p, n); };
    rows.replay(filter ? PieceSink([&](const char* p, std::size_t n) { filter(p, n, out); }) : out);
    return ok && write_all(fd, tail.data(), tail.size());
  });
}

}  // namespace fb
