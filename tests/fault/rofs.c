/*
 * rofs.c - fault injection for tests/t_readonly.sh: an LD_PRELOAD shim that
 * makes the folder named by LAR_FAULT_ROFS_DIR (an absolute path) behave as
 * a read-only file system: statvfs() there reports ST_RDONLY, and open()
 * for writing or creating, access(W_OK), unlink() and mkdir() there fail
 * with EROFS.  Paths are matched as given (the tests give absolute ones;
 * SQLite makes its own absolute).  Not for: anything but tests.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int under(const char *path)
{
	const char *dir = getenv("LAR_FAULT_ROFS_DIR");
	size_t n = dir ? strlen(dir) : 0;
	return n > 0 && path != NULL && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static int writes(int flags)
{
	return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*statvfs_fn)(const char *, struct statvfs *);
typedef int (*statvfs64_fn)(const char *, struct statvfs64 *);
typedef int (*access_fn)(const char *, int);
typedef int (*unlink_fn)(const char *);
typedef int (*mkdir_fn)(const char *, mode_t);

/* the next definition of `name` (libc's), of pointer type `type` */
#define REAL(name, type) \
	static type real_##name; \
	if (real_##name == NULL) \
	real_##name = (type)dlsym(RTLD_NEXT, #name)

static int open_any(open_fn real, const char *path, int flags, mode_t mode)
{
	if (under(path) && writes(flags)) {
		errno = EROFS;
		return -1;
	}
	return real(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	REAL(open, open_fn);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
	va_end(ap);
	return open_any(real_open, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	REAL(open64, open_fn);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
	va_end(ap);
	return open_any(real_open64, path, flags, mode);
}

static int openat_any(openat_fn real, int dirfd, const char *path, int flags, mode_t mode)
{
	if (under(path) && writes(flags)) {
		errno = EROFS;
		return -1;
	}
	return real(dirfd, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	REAL(openat, openat_fn);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
	va_end(ap);
	return openat_any(real_openat, dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	REAL(openat64, openat_fn);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
	va_end(ap);
	return openat_any(real_openat64, dirfd, path, flags, mode);
}

int statvfs(const char *path, struct statvfs *buf)
{
	REAL(statvfs, statvfs_fn);
	int r = real_statvfs(path, buf);
	if (r == 0 && under(path))
		buf->f_flag |= ST_RDONLY;
	return r;
}

int statvfs64(const char *path, struct statvfs64 *buf)
{
	REAL(statvfs64, statvfs64_fn);
	int r = real_statvfs64(path, buf);
	if (r == 0 && under(path))
		buf->f_flag |= ST_RDONLY;
	return r;
}

int access(const char *path, int mode)
{
	REAL(access, access_fn);
	if (under(path) && (mode & W_OK)) {
		errno = EROFS;
		return -1;
	}
	return real_access(path, mode);
}

int unlink(const char *path)
{
	REAL(unlink, unlink_fn);
	if (under(path)) {
		errno = EROFS;
		return -1;
	}
	return real_unlink(path);
}

int mkdir(const char *path, mode_t mode)
{
	REAL(mkdir, mkdir_fn);
	if (under(path)) {
		errno = EROFS;
		return -1;
	}
	return real_mkdir(path, mode);
}
