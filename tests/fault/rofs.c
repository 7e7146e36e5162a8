/*
 * rofs.c - fault injection for tests/t_readonly.sh: an LD_PRELOAD shim that
 * makes the folder named by LAR_FAULT_ROFS_DIR (an absolute path) behave as
 * a read-only file system to what la-receipt does there: opening a file for
 * writing or creating fails with EROFS.  Paths are matched as given (the
 * tests give absolute ones).  Not for: anything but tests.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
