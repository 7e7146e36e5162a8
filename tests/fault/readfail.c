/*
 * readfail.c - fault injection for tests/t_faults.sh: an LD_PRELOAD shim
 * whose read() fails with EIO once LAR_FAULT_READ_AFTER bytes have been read
 * from the file named by LAR_FAULT_READ_PATH (matched on the fd's
 * /proc/self/fd link).  Not for: anything but tests.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t (*real_read)(int, void *, size_t);
static long long seen;

static int is_target(int fd)
{
	const char *want = getenv("LAR_FAULT_READ_PATH");
	char link[64], path[4096];
	if (want == NULL)
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n <= 0)
		return 0;
	path[n] = 0;
	return strcmp(path, want) == 0;
}

ssize_t read(int fd, void *buf, size_t count)
{
	if (real_read == NULL)
		real_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (is_target(fd)) {
		const char *after = getenv("LAR_FAULT_READ_AFTER");
		long long limit = after ? atoll(after) : 0;
		if (seen >= limit) {
			errno = EIO;
			return -1;
		}
		if ((long long)count > limit - seen)
			count = (size_t)(limit - seen);
		ssize_t n = real_read(fd, buf, count);
		if (n > 0)
			seen += n;
		return n;
	}
	return real_read(fd, buf, count);
}
