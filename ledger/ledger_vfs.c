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
 * The WAL's writes are also taken off the thread that writes the ledger:
 * each is copied into a queue of 1 MiB chunks (contiguous writes, a frame's
 * header and its page, then the next frame, fill one chunk), which a thread
 * of the WAL file writes with one pwrite a chunk, and kicks.  Copying a page
 * costs a few microseconds; the write() into the page cache of a 100,000-
 * receipt import cost its writing thread about a tenth of its time.  What
 * SQLite sees is unchanged:
 *  - before xSync, xRead, xTruncate, xFileSize and xClose of the WAL, the
 *    queue is drained (every queued write done), so SQLite reads what it
 *    wrote and syncs what it wrote (SPEC §4.2: a commit is durable when it
 *    returns, as before);
 *  - before an xShmBarrier, which SQLite calls before it publishes frames
 *    in the wal-index (another connection then reads them from the file),
 *    every WAL queue of the process is drained too, so no reader sees a
 *    frame that is still queued, whatever the synchronous setting;
 *  - a failed queued write is reported by the next of these calls (as
 *    SQLITE_FULL or an I/O error), so the transaction it belonged to fails
 *    and is rolled back;
 *  - a kill loses only queued writes of a transaction not yet synced,
 *    which SQLite's recovery ignores as it ignores frames lost in a power
 *    cut (their checksums do not chain).
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
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* written-back bytes a kick: large enough that the calls cost nothing,
 * small enough that the disk starts early */
#define LEDGER_WB_BYTES (8 << 20)

/* The WAL's write queue: chunks of QCHUNK_BYTES, at most QCHUNKS queued
 * (the writing thread waits for room beyond that). */
#define QCHUNK_BYTES (1 << 20)
#define QCHUNKS 4

struct qchunk {
	struct qchunk *next;
	sqlite3_int64 off; /* of data[0] in the file */
	size_t len;
	unsigned char data[QCHUNK_BYTES];
};

/* A WAL file's queue and the thread that writes it.  Every field but th is
 * under mu.  Chunks are written in the order queued; the last one queued
 * (tail) still takes writes that continue it until the thread takes it,
 * which it does once it is full or not the last, or when asked to drain. */
struct wbqueue {
	pthread_mutex_t mu;
	pthread_cond_t work;  /* to the thread: a chunk to write, or stop */
	pthread_cond_t done;  /* from the thread: a chunk written */
	pthread_t th;
	struct qchunk *head, *tail, *spare; /* queued (oldest first), and free chunks */
	size_t queued;        /* chunks queued or being written */
	int draining;         /* someone waits for the queue to empty */
	int stop;
	uint64_t queued_seq;  /* chunks ever queued */
	uint64_t done_seq;    /* chunks ever written (in the order queued) */
	int rc;               /* first failed write since the last drain: SQLITE_OK or its code */
	struct wbqueue *next_open; /* in the list of queues (all_queues) */
};

struct wbfile {
	sqlite3_file base; /* pMethods: one of wb_methods[], or NULL when the open failed */
	int fd;            /* a descriptor of the same file for the kicks; -1: none */
	int own;           /* fd is ours (the WAL's); else SQLite's (the ledger's) */
	dev_t dev;         /* the file fd must still refer to (not own) */
	ino_t ino;
	sqlite3_int64 lo, hi; /* the range written since the last kick (lo == hi: none) */
	int queued;         /* writes go through a queue (the WAL's) */
	struct wbqueue *q;  /* that queue, from the first write; NULL: none yet, or none to be had */
	sqlite3_file *real; /* the default VFS's file, just after this struct */
};

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_real;

static sqlite3_file *R(sqlite3_file *f)
{
	return ((struct wbfile *)f)->real;
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

/* Note that [off, off + n) of w's file was written, and kick what was
 * written since the last kick once it spans LEDGER_WB_BYTES. */
static void written(struct wbfile *w, sqlite3_int64 off, int n)
{
	if (w->fd < 0)
		return;
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
}

/* ---- the WAL's write queue (see the top) ---- */

/* Every queue of the process, for wb_shm_barrier. */
static pthread_mutex_t queues_mu = PTHREAD_MUTEX_INITIALIZER;
static struct wbqueue *all_queues;

/* Write all n bytes at off, through our own descriptor: SQLite's xWrite
 * takes less than 128 KiB a call.  SQLITE_OK, SQLITE_FULL or an I/O error,
 * as SQLite's own would say. */
static int write_all(int fd, const unsigned char *p, size_t n, sqlite3_int64 off)
{
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno == ENOSPC || errno == EDQUOT ? SQLITE_FULL : SQLITE_IOERR_WRITE;
		if (k == 0)
			return SQLITE_FULL;
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return SQLITE_OK;
}

/* The thread of a WAL file: writes its queued chunks in order. */
static void *q_main(void *arg)
{
	struct wbfile *w = arg;
	struct wbqueue *q = w->q;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct qchunk *c = q->head;
		if (c == NULL || (c == q->tail && c->len < QCHUNK_BYTES && !q->draining && !q->stop)) {
			if (q->stop)
				break;
			pthread_cond_wait(&q->work, &q->mu);
			continue;
		}
		q->head = c->next;
		if (q->head == NULL)
			q->tail = NULL;
		/* after a failed write the rest waits for the drain that reports
		 * it: the transaction fails anyway */
		int skip = q->rc != SQLITE_OK;
		pthread_mutex_unlock(&q->mu);
		int rc = SQLITE_OK;
		if (!skip && (rc = write_all(w->fd, c->data, c->len, c->off)) == SQLITE_OK)
			written(w, c->off, (int)c->len);
		pthread_mutex_lock(&q->mu);
		if (rc != SQLITE_OK && q->rc == SQLITE_OK)
			q->rc = rc;
		c->next = q->spare;
		q->spare = c;
		q->queued--;
		q->done_seq++;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Wait until every chunk queued so far is written.  Returns the first
 * failed write since the last reporting drain (and forgets it when
 * `report`), or SQLITE_OK. */
static int q_drain(struct wbqueue *q, int report)
{
	int rc;
	if (q == NULL)
		return SQLITE_OK;
	pthread_mutex_lock(&q->mu);
	uint64_t want = q->queued_seq; /* only these: a writer that keeps on cannot starve us */
	q->draining++;
	pthread_cond_signal(&q->work);
	while (q->done_seq < want)
		pthread_cond_wait(&q->done, &q->mu);
	q->draining--;
	rc = q->rc;
	if (report)
		q->rc = SQLITE_OK;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

static void q_free_chunks(struct qchunk *c)
{
	while (c != NULL) {
		struct qchunk *next = c->next;
		free(c);
		c = next;
	}
}

/* Give w a queue and its thread.  0, or -1 when it cannot (w then writes
 * directly, as before). */
static int q_start(struct wbfile *w)
{
	struct wbqueue *q = calloc(1, sizeof *q);
	sigset_t all, old;
	if (q == NULL)
		return -1;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->done, NULL);
	q->rc = SQLITE_OK;
	w->q = q;
	/* the thread takes no signal meant for the application */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int err = pthread_create(&q->th, NULL, q_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		w->q = NULL;
		pthread_cond_destroy(&q->done);
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return -1;
	}
	pthread_mutex_lock(&queues_mu);
	q->next_open = all_queues;
	all_queues = q;
	pthread_mutex_unlock(&queues_mu);
	return 0;
}

/* Drain w's queue and end its thread; the drain's result. */
static int q_stop(struct wbfile *w)
{
	struct wbqueue *q = w->q;
	if (q == NULL)
		return SQLITE_OK;
	int rc = q_drain(q, 1);
	pthread_mutex_lock(&queues_mu);
	for (struct wbqueue **p = &all_queues; *p != NULL; p = &(*p)->next_open) {
		if (*p == q) {
			*p = q->next_open;
			break;
		}
	}
	pthread_mutex_unlock(&queues_mu);
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	q_free_chunks(q->head);
	q_free_chunks(q->spare);
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	free(q);
	w->q = NULL;
	return rc;
}

/* Queue a write of w's WAL.  SQLITE_OK, or the error of writing it
 * directly when it cannot be queued. */
static int q_write(struct wbfile *w, const void *buf, int n, sqlite3_int64 off)
{
	struct wbqueue *q = w->q;
	struct qchunk *c;
	int rc;
	if (n <= 0 || (size_t)n > QCHUNK_BYTES)
		goto direct;
	pthread_mutex_lock(&q->mu);
	c = q->tail;
	if (c != NULL && c->off + (sqlite3_int64)c->len == off && c->len + (size_t)n <= QCHUNK_BYTES) {
		/* continues the last chunk, which the thread has not taken yet */
		memcpy(c->data + c->len, buf, (size_t)n);
		c->len += (size_t)n;
		if (c->len == QCHUNK_BYTES)
			pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->mu);
		return SQLITE_OK;
	}
	/* room for one more (with QCHUNKS >= 2 the oldest is never the last,
	 * so the thread can always take it) */
	while (q->queued >= QCHUNKS)
		pthread_cond_wait(&q->done, &q->mu);
	if ((c = q->spare) != NULL)
		q->spare = c->next;
	else if ((c = malloc(sizeof *c)) == NULL) {
		pthread_mutex_unlock(&q->mu);
		goto direct;
	}
	c->next = NULL;
	c->off = off;
	c->len = (size_t)n;
	memcpy(c->data, buf, (size_t)n);
	if (q->tail != NULL)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->queued++;
	q->queued_seq++;
	pthread_cond_signal(&q->work); /* the chunk before is not the last now */
	pthread_mutex_unlock(&q->mu);
	return SQLITE_OK;
direct:
	/* what is queued goes first, so that the file gets the writes in order */
	if ((rc = q_drain(q, 1)) != SQLITE_OK)
		return rc;
	rc = w->real->pMethods->xWrite(w->real, buf, n, off);
	if (rc == SQLITE_OK)
		written(w, off, n);
	return rc;
}

/* ---- the methods ---- */

static int wb_close(sqlite3_file *f)
{
	struct wbfile *w = (struct wbfile *)f;
	int qrc = q_stop(w);
	if (w->fd >= 0 && w->own)
		close(w->fd);
	w->fd = -1;
	int rc = R(f)->pMethods->xClose(R(f));
	return qrc != SQLITE_OK ? qrc : rc;
}

static int wb_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	int rc = q_drain(((struct wbfile *)f)->q, 1);
	if (rc != SQLITE_OK)
		return rc;
	return R(f)->pMethods->xRead(R(f), buf, n, off);
}

static int wb_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct wbfile *w = (struct wbfile *)f;
	if (w->queued && w->q == NULL && q_start(w) != 0)
		w->queued = 0; /* no thread to be had: written here, as before */
	if (w->queued)
		return q_write(w, buf, n, off);
	int rc = R(f)->pMethods->xWrite(R(f), buf, n, off);
	if (rc == SQLITE_OK)
		written(w, off, n);
	return rc;
}

static int wb_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wbfile *w = (struct wbfile *)f;
	int rc = q_drain(w->q, 1);
	if (rc != SQLITE_OK)
		return rc;
	w->lo = w->hi = 0;
	return R(f)->pMethods->xTruncate(R(f), size);
}

static int wb_sync(sqlite3_file *f, int flags)
{
	struct wbfile *w = (struct wbfile *)f;
	int rc = q_drain(w->q, 1);
	if (rc != SQLITE_OK)
		return rc;
	w->lo = w->hi = 0;
	return R(f)->pMethods->xSync(R(f), flags);
}

static int wb_size(sqlite3_file *f, sqlite3_int64 *size)
{
	int rc = q_drain(((struct wbfile *)f)->q, 1);
	if (rc != SQLITE_OK)
		return rc;
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
	/* some change the file (a size hint may extend it): after the queued
	 * writes; a failed one is reported by the next sync */
	(void)q_drain(((struct wbfile *)f)->q, 0);
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
	/* SQLite is about to publish frames in the wal-index, or to read it:
	 * no frame may be published that is not in its file yet */
	pthread_mutex_lock(&queues_mu);
	for (struct wbqueue *q = all_queues; q != NULL; q = q->next_open)
		(void)q_drain(q, 0);
	pthread_mutex_unlock(&queues_mu);
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
		/* read-write when SQLite opened it so: the queue writes through it */
		int rw = (flags & SQLITE_OPEN_READWRITE) != 0;
		w->fd = open(name, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		w->own = 1;
		w->queued = rw && w->fd >= 0;
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
