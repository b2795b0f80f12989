/*
 * LD_PRELOAD fault shim for the real-fault tests (compiled at test time by support.ts).
 * Fails the calls named in NORI_FAULT_OPS (fsync, fdatasync, write: write/pwrite/writev/pwritev)
 * with NORI_FAULT_ERRNO (default EIO) on descriptors whose path contains NORI_FAULT_PATH, but only
 * while the file NORI_FAULT_ARM exists. Calls of the ops in NORI_FAULT_OPS or NORI_FAULT_TRACE
 * (traced only, never failed) on a matching path are logged to NORI_FAULT_LOG as
 * "<op> <ok|fail> <path>". libuv's thread pool calls these libc functions too.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int listed(const char *variable, const char *op) {
  const char *ops = getenv(variable);
  if (ops == NULL) return 0;
  size_t n = strlen(op);
  for (const char *p = ops; (p = strstr(p, op)) != NULL; p += n) {
    if ((p == ops || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
  }
  return 0;
}

/* 1: fail this call, 0: pass it through (logged if the path matches), -1: not ours. */
static int decide(int fd, const char *op, char *path, size_t size) {
  const char *pattern = getenv("NORI_FAULT_PATH");
  int failing = listed("NORI_FAULT_OPS", op);
  if (pattern == NULL || (!failing && !listed("NORI_FAULT_TRACE", op))) return -1;
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, path, size - 1);
  if (len < 0) return -1;
  path[len] = '\0';
  if (strstr(path, pattern) == NULL) return -1;
  const char *arm = getenv("NORI_FAULT_ARM");
  return failing && arm != NULL && access(arm, F_OK) == 0 ? 1 : 0;
}

static void record(const char *op, int failed, const char *path) {
  const char *log = getenv("NORI_FAULT_LOG");
  if (log == NULL) return;
  char line[4200];
  int n = snprintf(line, sizeof line, "%s %s %s\n", op, failed ? "fail" : "ok", path);
  int fd = (int)syscall(SYS_open, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  syscall(SYS_write, fd, line, (size_t)n);
  syscall(SYS_close, fd);
}

static int fault_errno(void) {
  const char *value = getenv("NORI_FAULT_ERRNO");
  return value == NULL ? EIO : atoi(value);
}

#define CHECK(op, fd, failure)                   \
  char path[4096];                               \
  int verdict = decide((fd), (op), path, sizeof path); \
  if (verdict >= 0) record((op), verdict, path); \
  if (verdict == 1) {                            \
    errno = fault_errno();                       \
    return (failure);                            \
  }

typedef int (*sync_fn)(int);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef ssize_t (*pwritev2_fn)(int, const struct iovec *, int, off_t, int);

#define REAL(name, type)                 \
  static type real_##name = NULL;        \
  if (real_##name == NULL) real_##name = (type)dlsym(RTLD_NEXT, #name)

int fsync(int fd) {
  REAL(fsync, sync_fn);
  CHECK("fsync", fd, -1);
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync, sync_fn);
  CHECK("fdatasync", fd, -1);
  return real_fdatasync(fd);
}

ssize_t write(int fd, const void *buf, size_t count) {
  REAL(write, write_fn);
  CHECK("write", fd, -1);
  return real_write(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
  REAL(pwrite, pwrite_fn);
  CHECK("write", fd, -1);
  return real_pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
  REAL(pwrite64, pwrite_fn);
  CHECK("write", fd, -1);
  return real_pwrite64(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  REAL(writev, writev_fn);
  CHECK("write", fd, -1);
  return real_writev(fd, iov, iovcnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
  REAL(pwritev, pwritev_fn);
  CHECK("write", fd, -1);
  return real_pwritev(fd, iov, iovcnt, offset);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
  REAL(pwritev64, pwritev_fn);
  CHECK("write", fd, -1);
  return real_pwritev64(fd, iov, iovcnt, offset);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags) {
  REAL(pwritev2, pwritev2_fn);
  CHECK("write", fd, -1);
  return real_pwritev2(fd, iov, iovcnt, offset, flags);
}
