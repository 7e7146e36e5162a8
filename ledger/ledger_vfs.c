/*
 * ledger_vfs.c - the file layer a ledger is opened with: SQLite's default
 * VFS, plus early write-back of the WAL.  A file of an import is one
 * transaction of a few hundred MB (each receipt about 1.8 KB) written to the
 * WAL; left alone, Linux writes none of it to the disk before the fsync of
 * the commit (synchronous = FULL), which then waited about 0.1 s per 100,000
 * receipts with the CPU idle.  Here every LEDGER_WB_BYTES written to the WAL
 * start being written back at once (sync_file_range(SYNC_FILE_RANGE_WRITE),
 * which does not wait), so the fsync finds little left to do.  What is
 * durable, and when, is unchanged: SQLite still syncs exactly as before;
 * this only starts the disk sooner.
 *
 * The checkpoint then writes as much into the ledger file, and its fsync
 * waited as long; those writes are kicked the same way.
 *
 * A kick needs a descriptor of the file.  For the WAL it is one of our own.
 * Not for the ledger: closing any descriptor of a file drops every POSIX
 * lock the process holds on it, those of SQLite's connections to the
 * ledger too (SQLite keeps its own descriptors open for that reason), so
 * the ledger is kicked through SQLite's descriptor, found in /proc/self/fd
 * by the file's device and inode when the file is opened, checked again
 * before each kick and never closed here.  (SQLite locks no WAL file.)
 *
 * Everything else passes to the default VFS untouched.  Elsewhere than on
 * Linux there is no such call, and the default VFS is used as it is.
 *
 * Not for: anything but the ledger's own files (ledger.c opens with it).
 */
#define _GNU_SOURCE
#include "ledger_int.h"

#include <string.h>

#ifdef __linux__
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* written-back bytes a kick: large enough that the calls cost nothing,
 * small enough that the disk starts early */
#define LEDGER_WB_BYTES (8 << 20)

struct wbfile {
	sqlite3_file base; /* pMethods: one of wb_methods[], or NULL when the open failed */
	int fd;            /* a descriptor of the same file for the kicks; -1: none */
	int own;           /* fd is ours (the WAL's); else SQLite's (the ledger's) */
	dev_t dev;         /* the file fd must still refer to (not own) */
	ino_t ino;
	sqlite3_int64 lo, hi; /* the range written since the last kick (lo == hi: none) */
	sqlite3_file *real; /* the default VFS's file, just after this struct */
};

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_real;

static sqlite3_file *R(sqlite3_file *f)
{
	return ((struct wbfile *)f)->real;
}

static int wb_close(sqlite3_file *f)
{
	struct wbfile *w = (struct wbfile *)f;
	if (w->fd >= 0 && w->own)
		close(w->fd);
	w->fd = -1;
	return R(f)->pMethods->xClose(R(f));
}

/* Start writing back w's range, through a descriptor that still refers to
 * its file (SQLite's may have been closed and its number reused). */
static void kick(struct wbfile *w)
{
	struct stat sb;
	if (!w->own && (fstat(w->fd, &sb) != 0 || sb.st_dev != w->dev || sb.st_ino != w->ino)) {
		w->fd = -1;
		return;
	}
	(void)sync_file_range(w->fd, w->lo, w->hi - w->lo, SYNC_FILE_RANGE_WRITE);
}

/* A descriptor of SQLite's that refers to the file `name` (its device and
 * inode in *sb), or -1: the highest-numbered, most likely the one just
 * opened (any will do, as all reach the same pages). */
static int find_fd(const char *name, struct stat *sb)
{
	DIR *d;
	struct dirent *de;
	int found = -1;
	if (stat(name, sb) != 0 || !S_ISREG(sb->st_mode) || (d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		struct stat fb;
		if (*end == 0 && end != de->d_name && fd != dirfd(d) && fd > found && fd < 1L << 30 &&
		    fstat((int)fd, &fb) == 0 && fb.st_dev == sb->st_dev && fb.st_ino == sb->st_ino)
			found = (int)fd;
	}
	closedir(d);
	return found;
}

static int wb_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return R(f)->pMethods->xRead(R(f), buf, n, off);
}

static int wb_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct wbfile *w = (struct wbfile *)f;
	int rc = R(f)->pMethods->xWrite(R(f), buf, n, off);
	if (rc != SQLITE_OK || w->fd < 0)
		return rc;
	if (w->lo == w->hi) {
		w->lo = off;
		w->hi = off + n;
	} else {
		if (off < w->lo)
			w->lo = off;
		if (off + n > w->hi)
			w->hi = off + n;
	}
	/* what was written since the last kick is one run (the WAL grows at
	 * its end or starts again from its beginning; a checkpoint writes the
	 * ledger's pages in order) */
	if (w->hi - w->lo >= LEDGER_WB_BYTES) {
		kick(w);
		w->lo = w->hi = 0;
	}
	return rc;
}

static int wb_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wbfile *w = (struct wbfile *)f;
	w->lo = w->hi = 0;
	return R(f)->pMethods->xTruncate(R(f), size);
}

static int wb_sync(sqlite3_file *f, int flags)
{
	struct wbfile *w = (struct wbfile *)f;
	w->lo = w->hi = 0;
	return R(f)->pMethods->xSync(R(f), flags);
}

static int wb_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return R(f)->pMethods->xFileSize(R(f), size);
}

static int wb_lock(sqlite3_file *f, int lock)
{
	return R(f)->pMethods->xLock(R(f), lock);
}

static int wb_unlock(sqlite3_file *f, int lock)
{
	return R(f)->pMethods->xUnlock(R(f), lock);
}

static int wb_reserved(sqlite3_file *f, int *out)
{
	return R(f)->pMethods->xCheckReservedLock(R(f), out);
}

static int wb_control(sqlite3_file *f, int op, void *arg)
{
	return R(f)->pMethods->xFileControl(R(f), op, arg);
}

static int wb_sector(sqlite3_file *f)
{
	return R(f)->pMethods->xSectorSize(R(f));
}

static int wb_device(sqlite3_file *f)
{
	return R(f)->pMethods->xDeviceCharacteristics(R(f));
}

static int wb_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
	return R(f)->pMethods->xShmMap(R(f), page, size, extend, out);
}

static int wb_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return R(f)->pMethods->xShmLock(R(f), offset, n, flags);
}

static void wb_shm_barrier(sqlite3_file *f)
{
	R(f)->pMethods->xShmBarrier(R(f));
}

static int wb_shm_unmap(sqlite3_file *f, int del)
{
	return R(f)->pMethods->xShmUnmap(R(f), del);
}

static int wb_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	return R(f)->pMethods->xFetch(R(f), off, n, out);
}

static int wb_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return R(f)->pMethods->xUnfetch(R(f), off, p);
}

/* One table per io_methods version, so that SQLite calls only what the
 * default VFS's file has (index: its iVersion - 1). */
#define WB_METHODS(v)                                                                                   \
	{                                                                                               \
		v, wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_size, wb_lock, wb_unlock,         \
			wb_reserved, wb_control, wb_sector, wb_device, wb_shm_map, wb_shm_lock,           \
			wb_shm_barrier, wb_shm_unmap, wb_fetch, wb_unfetch,                                \
	}
static const sqlite3_io_methods wb_methods[3] = { WB_METHODS(1), WB_METHODS(2), WB_METHODS(3) };

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct wbfile *w = (struct wbfile *)f;
	(void)vfs;
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->real = (sqlite3_file *)(w + 1);
	int rc = wb_real->xOpen(wb_real, name, w->real, flags, out_flags);
	if (rc != SQLITE_OK || w->real->pMethods == NULL)
		return rc; /* base.pMethods stays NULL: SQLite will not close it */
	int v = w->real->pMethods->iVersion;
	w->base.pMethods = &wb_methods[(v < 1 ? 1 : v > 3 ? 3 : v) - 1];
	/* the two written by the megabyte (see the top for whose descriptor) */
	if (name != NULL && (flags & SQLITE_OPEN_WAL)) {
		w->fd = open(name, O_RDONLY | O_CLOEXEC);
		w->own = 1;
	} else if (name != NULL && (flags & SQLITE_OPEN_MAIN_DB)) {
		struct stat sb;
		if ((w->fd = find_fd(name, &sb)) >= 0) {
			w->dev = sb.st_dev;
			w->ino = sb.st_ino;
		}
	}
	return rc;
}

/* The rest of the VFS is the default one's. */
static int wb_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return wb_real->xDelete(wb_real, name, sync_dir);
}

static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return wb_real->xAccess(wb_real, name, flags, out);
}

static int wb_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return wb_real->xFullPathname(wb_real, name, n, out);
}

static void *wb_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return wb_real->xDlOpen(wb_real, name);
}

static void wb_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	wb_real->xDlError(wb_real, n, out);
}

static void (*wb_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return wb_real->xDlSym(wb_real, h, sym);
}

static void wb_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	wb_real->xDlClose(wb_real, h);
}

static int wb_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return wb_real->xRandomness(wb_real, n, out);
}

static int wb_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return wb_real->xSleep(wb_real, us);
}

static int wb_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return wb_real->xCurrentTime(wb_real, out);
}

static int wb_lasterror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return wb_real->xGetLastError ? wb_real->xGetLastError(wb_real, n, out) : 0;
}

static int wb_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return wb_real->xCurrentTimeInt64(wb_real, out);
}

static pthread_once_t wb_once = PTHREAD_ONCE_INIT;
static int wb_ready;

static void wb_register(void)
{
	sqlite3_vfs *d = sqlite3_vfs_find(NULL);
	/* a version-2 VFS at least (xCurrentTimeInt64), as every unix VFS is */
	if (d == NULL || d->iVersion < 2 || d->szOsFile < 0)
		return;
	wb_real = d;
	wb_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wbfile) + d->szOsFile,
		.mxPathname = d->mxPathname,
		.zName = "lar-writeback",
		.xOpen = wb_open,
		.xDelete = wb_delete,
		.xAccess = wb_access,
		.xFullPathname = wb_fullpath,
		.xDlOpen = wb_dlopen,
		.xDlError = wb_dlerror,
		.xDlSym = wb_dlsym,
		.xDlClose = wb_dlclose,
		.xRandomness = wb_random,
		.xSleep = wb_sleep,
		.xCurrentTime = wb_time,
		.xGetLastError = wb_lasterror,
		.xCurrentTimeInt64 = wb_time64,
	};
	wb_ready = sqlite3_vfs_register(&wb_vfs, 0) == SQLITE_OK;
}

const char *ledger_vfs_name(void)
{
	pthread_once(&wb_once, wb_register);
	return wb_ready ? wb_vfs.zName : NULL;
}

#else

const char *ledger_vfs_name(void)
{
	return NULL;
}

#endif
