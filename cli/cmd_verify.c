/*
 * cmd_verify.c - `la-receipt verify`: a verdict per record (SPEC §2, §4.1).
 *
 * One job: the main thread verifies each record straight from the reader's
 * buffer and writes its verdict; no copies, no threads.
 *
 * --jobs N: the main thread reads, N - 1 worker threads verify, and reading
 * overlaps verifying.  Records are read into two batches in turn: while the
 * workers verify one, the main thread reads the next, publishes it, then
 * joins the workers until the first is done, settles it and writes its
 * verdicts in input order:
 *
 *   main     read 1 | read 2, help 1, write 1 | read 3, help 2, write 2 | ...
 *   workers         | verify 1 ........ verify 2 ........ verify 3 ......
 *
 * Anyone free (a worker, or the main thread while it waits) claims the next
 * CHUNK records of the oldest published batch under the pool's mutex, so
 * with 2 jobs 2 cores stay busy.  A record's verdict line goes to a buffer
 * of the worker that verified it, in its batch; writing copies the lines
 * out in record order.
 *
 * SPEC §2.1: when a record turns out not to be JSON, reading resumes at the
 * next later line starting with '{' or '['.  Settling such a record first
 * looks for a record already read that starts there, outside an array (the
 * usual case: one value per line): the records from it on are what a
 * resynchronised reader would read, so those before it are dropped.  If
 * there is none, the reader is rewound (lar_reader_fail_at), the batch read
 * ahead is dropped, and reading goes on from there.
 *
 * Both need the bytes after the record, and the reader holds bytes only
 * from where it is when asked (lar_reader_hold).  So before reading the
 * next batch, the main thread pins the batch being verified: it notes, for
 * each record but the last, the record of the batch where reading would
 * resume (pin()); the last one needs only the bytes after it.  Then the
 * reader holds from there on.  A batch that cannot be pinned (a bad array
 * element resumes outside the array; a value can hold a line starting with
 * '{') keeps the hold where it was: the bytes held grow until the batches
 * are settled, or up to SPAN_BYTES, when reading waits for them (the one
 * time the workers wait for the reader; the next batch is small then).
 *
 * The main thread reads JSON Lines on trust, as one job does
 * (lar_reader_tentative): a line starting with '{' and ending with '}' is
 * taken whole without the structural scan, which would otherwise be most
 * of the main thread's reading.  Whether such a line is one value is known
 * only once a worker parsed it; settling a line the parser rejected writes
 * nothing for it and reads it again with the scan from its start
 * (lar_reader_retry_at), dropping the records read after it, as a rewind
 * does.  So a batch holding such lines is never pinned: its bytes stay
 * held until it is settled.  The hold could then move on only when nothing
 * read is left unsettled (at a SPAN_BYTES wait, the workers idle); instead,
 * once it spans TRUST_SPAN bytes, the next batch is read with the scan: it
 * can be pinned, and when it is, the hold moves to its end (about one batch
 * in five is scanned, on JSON Lines of receipts).  Going back to a line
 * the parser rejected throws away the work done on the records after it,
 * so after one the next records are scanned (TRUST_PAUSE_MIN of them,
 * twice as many after each further one, half as many after each batch
 * read on trust without one): input full of such lines is read about as
 * without trust, input with a few of them as with it.
 *
 * Memory is bounded whatever the input size: SPAN_BYTES plus one record in
 * the reader, and two batches.  After a rewind, batches restart no larger
 * than what the rewound batch kept (FIRST_BATCH at most, then doubling), so
 * input full of values that are not JSON is read about once, not once per
 * bad value.
 *
 * The output is the same whatever N (man page, --jobs), errors included.
 * A read error met while reading ahead is not reported at once: the
 * batches read before it are settled first, and one of them may rewind the
 * reader to bytes it still holds, which are then read again, up to the
 * same error, as one job would: the reader never reads its descriptor again
 * after an error (reader.h), so that second pass ends where the first did
 * even when the error would not recur (a socket reports a reset once, then
 * end of file).  Verdicts are written, counted and
 * flushed one record at a time, as one job does, so a write error stops at
 * the same record; and stdout is flushed before each error message, so
 * that the two interleave alike when they go to the same file.
 *
 * Not for: the checks themselves (verify/receipt.c).
 */
#include <assert.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "reader.h"
#include "receipt.h"
#include "verdict.h"

#define MAX_JOBS 64
#define BATCH_RECORDS 128          /* records in a batch at most */
#define BATCH_BYTES (256u << 10)   /* a batch ends at the record that reaches this */
#define SPAN_BYTES (2u << 20)      /* ... and so does a span (bytes the reader holds) */
#define TRUST_SPAN (SPAN_BYTES / 2) /* lines on trust only while the span is below this */
#define FIRST_BATCH 32             /* records in the first batch after a wait (two chunks: wakes a worker) */
#define CHUNK 16                   /* records claimed at a time at most, */
#define CHUNK_BYTES (32u << 10)    /* and no more after the one that reaches this */
#define TRUST_PAUSE_MIN BATCH_RECORDS /* records scanned after a line on trust that is not one value, */
#define TRUST_PAUSE_MAX (64u << 10)   /* and at most this many after many of them */

struct rec {
	struct lar_record meta; /* where it was read; meta.p is not used: bytes are at data + off */
	size_t off;
	size_t resume;           /* in a pinned batch: the record reading resumes at if this is not JSON */
	/* set by the worker that verified it */
	int worker;
	lar_status err;          /* it could not be verified: settling stops here */
	enum lar_vstatus status;
	int not_json;            /* SPEC §2.1: the reader must resynchronise after it */
	size_t out_off, out_len; /* its verdict line, in that worker's out[] of the batch */
};

struct batch {
	const char *source;
	struct lar_buf data;     /* the records' bytes */
	struct rec *recs;
	size_t n, cap;
	size_t first;            /* records before it are dropped (SPEC §2.1 skip from the batch before) */
	size_t trusted;          /* records read on trust (lar_reader_tentative) */
	size_t pin_end;          /* records from first to before this have resume set (pin()) */
	/* under the pool's mutex while published */
	size_t next;             /* the next record to claim */
	size_t done;             /* records verified (or dropped unverified) */
	lar_status err;          /* the first error of a worker on it (out of memory) */
	struct lar_buf out[MAX_JOBS]; /* verdict lines, per worker */
};

struct pool;
struct worker {
	struct pool *pool;
	int id;                  /* 0 is the main thread */
	pthread_t th;
	struct lar_verifier *v;
};

struct pool {
	struct worker w[MAX_JOBS];
	int jobs, started;
	enum verdict_format fmt;
	int quiet;
	pthread_mutex_t mu;
	pthread_cond_t work;     /* workers: a batch was published, or stop */
	pthread_cond_t progress; /* the main thread: a batch was done */
	struct batch *q[2];      /* published batches not yet done and settled, oldest first */
	int nq;
	int stop;
};

/* Verify records [lo, hi) of b on worker id (not under the mutex).  A
 * record that cannot be verified is marked (r->err): settling writes the
 * verdicts before it, then stops, as one job does, unless it is one that
 * resynchronisation skips (SPEC §2.1), which one job never reads, so the
 * records after it are verified all the same. */
static lar_status verify_chunk(struct pool *p, int id, struct batch *b, size_t lo, size_t hi)
{
	struct lar_buf *out = &b->out[id];
	struct lar_verdict vd;
	for (size_t i = lo; i < hi; i++) {
		struct rec *r = &b->recs[i];
		r->worker = id;
		if (r->meta.broken) {
			/* SPEC §2.1: not a complete value */
			memset(&vd, 0, sizeof vd);
			vd.status = LAR_V_FAIL;
			vd.reasons = 1u << LAR_R_MALFORMED_INPUT;
		} else {
			lar_status s = lar_receipt_verify(p->w[id].v, b->data.p + r->off, r->meta.len, &vd);
			if (s != LAR_OK) {
				r->err = s;
				continue;
			}
		}
		r->status = vd.status;
		r->not_json = vd.not_json;
		r->out_off = out->len;
		if (!p->quiet)
			verdict_write(out, p->fmt, b->source, r->meta.line, &vd);
		r->out_len = out->len - r->out_off;
	}
	return out->oom ? LAR_E_NOMEM : LAR_OK;
}

/* Under the mutex: claim the next records to verify, from the oldest
 * published batch that has some; NULL when none has. */
static struct batch *claim(struct pool *p, size_t *lo, size_t *hi)
{
	for (int k = 0; k < p->nq; k++) {
		struct batch *b = p->q[k];
		if (b->next < b->n) {
			size_t i = b->next, bytes = 0;
			while (i < b->n && i - b->next < CHUNK && bytes < CHUNK_BYTES)
				bytes += b->recs[i++].meta.len;
			*lo = b->next;
			*hi = b->next = i;
			return b;
		}
	}
	return NULL;
}

/* Under the mutex: records [lo, hi) of b were verified, with status s. */
static void finish(struct pool *p, struct batch *b, size_t lo, size_t hi, lar_status s)
{
	if (s != LAR_OK && b->err == LAR_OK)
		b->err = s;
	b->done += hi - lo;
	if (b->done == b->n)
		pthread_cond_signal(&p->progress);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		size_t lo, hi;
		struct batch *b = claim(p, &lo, &hi);
		if (b == NULL) {
			pthread_cond_wait(&p->work, &p->mu);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		lar_status s = verify_chunk(p, w->id, b, lo, hi);
		pthread_mutex_lock(&p->mu);
		finish(p, b, lo, hi, s);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hand a filled batch to the workers. */
static void publish(struct pool *p, struct batch *b)
{
	pthread_mutex_lock(&p->mu);
	assert(p->nq < 2);
	b->next = 0;
	b->done = 0;
	b->err = LAR_OK;
	p->q[p->nq++] = b;
	/* wake a worker per chunk; a batch of one chunk (as after a rewind)
	 * is left to the main thread: waking a worker costs about as much */
	size_t chunks = (b->n + CHUNK - 1) / CHUNK, by_bytes = (b->data.len + CHUNK_BYTES - 1) / CHUNK_BYTES;
	if (by_bytes > chunks)
		chunks = by_bytes;
	for (size_t c = 0; chunks > 1 && c < chunks && c < (size_t)p->jobs - 1; c++)
		pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

/* Under the mutex: take b off the queue (nobody works on it any more). */
static void unqueue(struct pool *p, struct batch *b)
{
	int k = 0;
	while (k < p->nq && p->q[k] != b)
		k++;
	assert(k < p->nq);
	for (; k + 1 < p->nq; k++)
		p->q[k] = p->q[k + 1];
	p->nq--;
}

/* Verify on the main thread alongside the workers until b is done, and
 * take it off the queue.  LAR_OK, or the first error of a worker on b. */
static lar_status help_until_done(struct pool *p, struct batch *b)
{
	pthread_mutex_lock(&p->mu);
	while (b->done < b->n) {
		size_t lo, hi;
		struct batch *c = claim(p, &lo, &hi);
		if (c == NULL) {
			pthread_cond_wait(&p->progress, &p->mu);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		lar_status s = verify_chunk(p, 0, c, lo, hi);
		pthread_mutex_lock(&p->mu);
		finish(p, c, lo, hi, s);
	}
	unqueue(p, b);
	lar_status s = b->err;
	pthread_mutex_unlock(&p->mu);
	return s;
}

/* Drop a published batch: nobody starts on its records any more, and once
 * the chunks already claimed are done it is off the queue. */
static void drop(struct pool *p, struct batch *b)
{
	pthread_mutex_lock(&p->mu);
	b->done += b->n - b->next;
	b->next = b->n;
	while (b->done < b->n)
		pthread_cond_wait(&p->progress, &p->mu);
	unqueue(p, b);
	pthread_mutex_unlock(&p->mu);
}

/* Start jobs - 1 worker threads (the main thread is worker 0), each with
 * its own verifier.  0, or -1 with e set (pool_free() is still to be called). */
static int pool_init(struct pool *p, int jobs, const struct lar_keyring *kr,
		     const struct lar_verify_opts *opts, struct lar_err *e)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->progress, NULL);
	p->jobs = jobs;
	for (int i = 0; i < jobs; i++) {
		p->w[i].pool = p;
		p->w[i].id = i;
		if (lar_verifier_new(kr, opts, &p->w[i].v, e) != LAR_OK)
			return -1;
	}
	for (int i = 1; i < jobs; i++) {
		if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]) != 0) {
			lar_err_set(e, LAR_E_NOMEM, "cannot start worker thread %d", i);
			return -1;
		}
		p->started = i;
	}
	return 0;
}

static void pool_free(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i <= p->started; i++)
		pthread_join(p->w[i].th, NULL);
	for (int i = 0; i < MAX_JOBS; i++)
		lar_verifier_free(p->w[i].v);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->progress);
}

static void batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
	lar_buf_init(&b->data, 0);
	for (int i = 0; i < MAX_JOBS; i++)
		lar_buf_init(&b->out[i], 0);
}

static void batch_free(struct batch *b)
{
	lar_buf_free(&b->data);
	free(b->recs);
	for (int i = 0; i < MAX_JOBS; i++)
		lar_buf_free(&b->out[i]);
}

/* Empty b and read the next records of rd into it: at most limit records,
 * and none after the one that reaches BATCH_BYTES in b or SPAN_BYTES from
 * span_start, nor after a long run of blanks or of lines skipped (the
 * reader's LAR_E_AGAIN: the next batch goes on from there, so what is held
 * stays bounded).  LAR_OK; LAR_E_EOF at the end of the input; LAR_E_IO or
 * LAR_E_NOMEM with e set.  b keeps the records read (none when out of
 * memory). */
static lar_status fill(struct batch *b, int jobs, struct lar_reader *rd, size_t limit, uint64_t span_start,
		       struct lar_err *e)
{
	lar_status s = LAR_OK;
	lar_buf_reset(&b->data);
	for (int i = 0; i < jobs; i++)
		lar_buf_reset(&b->out[i]);
	b->n = 0;
	b->first = 0;
	b->trusted = 0;
	b->pin_end = 0;
	while (b->n < limit && b->data.len < BATCH_BYTES && lar_reader_offset(rd) - span_start < SPAN_BYTES) {
		struct lar_record rec;
		if ((s = lar_reader_next(rd, &rec, e)) != LAR_OK) {
			if (s == LAR_E_AGAIN)
				s = LAR_OK;
			break;
		}
		if (b->n == b->cap) {
			size_t ncap = b->cap ? b->cap * 2 : 64;
			struct rec *nr = realloc(b->recs, ncap * sizeof *nr);
			if (nr == NULL) {
				s = lar_err_set(e, LAR_E_NOMEM, "out of memory");
				break;
			}
			b->recs = nr;
			b->cap = ncap;
		}
		struct rec *r = &b->recs[b->n++];
		memset(r, 0, sizeof *r);
		r->meta = rec;
		r->meta.p = NULL;
		r->off = b->data.len;
		b->trusted += rec.tentative != 0;
		lar_buf_put(&b->data, rec.p, rec.len);
	}
	if (b->data.oom) {
		b->n = 0;
		s = lar_err_set(e, LAR_E_NOMEM, "out of memory");
	}
	return s;
}

/* The first record of b from index `from` on that starts at stream offset
 * off outside an array: what a reader resynchronised to off reads first
 * (SPEC §2.1).  b->n when there is none. */
static size_t find_start(const struct batch *b, size_t from, uint64_t off)
{
	if (off == UINT64_MAX)
		return b->n;
	for (size_t j = from; j < b->n; j++) {
		const struct lar_record *m = &b->recs[j].meta;
		if (!m->broken && !m->in_array && m->start_off == off)
			return j;
	}
	return b->n;
}

/* Make settling b need as few of its bytes as can be told now, so that the
 * reader may let go of the others: find now, while they are held, where
 * reading resumes if a record turns out not to be JSON (SPEC §2.1), for
 * each record up to the first line taken on trust (which may have to be
 * read again from its start).  Returns the stream offset from which
 * settling b needs the bytes: that line's start; the reader's offset when b
 * holds none and its last record can be resumed after from its end alone
 * (the next line starting with '{' or '[' is not inside it); UINT64_MAX
 * when a record's resumption is not a record of b (the hold must stay). */
static uint64_t pin(const struct lar_reader *rd, struct batch *b)
{
	if (b->n == 0)
		return UINT64_MAX;
	for (size_t i = b->first; i < b->n; i++) {
		struct rec *r = &b->recs[i];
		if (r->meta.tentative) {
			b->pin_end = i;
			return r->meta.start_off;
		}
		if (r->meta.broken)
			continue; /* the reader resynchronised after it already */
		if (i + 1 == b->n) {
			if (r->meta.cand_off != 0)
				return UINT64_MAX;
			break;
		}
		r->resume = find_start(b, i + 1, lar_reader_resume_offset(rd, &r->meta));
		if (r->resume == b->n)
			return UINT64_MAX;
	}
	b->pin_end = b->n - 1;
	return lar_reader_offset(rd);
}

struct verify_run {
	struct cli_ctx *ctx;
	struct pool pool;
	struct batch b[2];
	struct verdict_counts counts;
	int error;
};

/* Error messages about input name come after the verdicts written before
 * them: stdout is flushed first (see the top of the file). */
static void report_lar(struct verify_run *vr, const char *name, const struct lar_err *e)
{
	cli_out_flush(vr->ctx);
	cli_error_lar(vr->ctx, name, e);
}

static void report_unverified(struct verify_run *vr, const char *name, lar_status s)
{
	cli_out_flush(vr->ctx);
	cli_error(vr->ctx, name, "cannot verify: %s", lar_strerror(s));
}

/* A line taken on trust was rejected, and rd could not read it again. */
static void report_no_retry(struct verify_run *vr, const char *name)
{
	cli_out_flush(vr->ctx);
	cli_error(vr->ctx, name, "internal error: cannot read a line again");
}

enum settled {
	SETTLED,
	REWOUND,  /* rd goes back to bytes before the batch read after */
	RETRIED,  /* the same, to a line taken on trust that is not one value */
	STOPPED,  /* an error stops this input (already reported) */
};

/* Write the verdicts of b, which is done, in input order, resynchronising
 * after records that are not JSON (SPEC §2.1): skip to a record of b or of
 * nb (the batch read after b, or NULL) where reading resumes, or rewind rd;
 * a line taken on trust that is not JSON gets no verdict: rd goes back to
 * read it again with the scan.  Each record is written, counted and
 * flushed as one job does it, so that a write error, or a record that
 * could not be verified, stops at the same record.  REWOUND or RETRIED
 * (nb is then to be dropped) with *kept the number of records of b written
 * (0 when the first is read again), STOPPED, or SETTLED. */
static enum settled settle(struct verify_run *vr, struct lar_reader *rd, struct batch *b, struct batch *nb,
			   size_t *kept)
{
	struct cli_ctx *ctx = vr->ctx;
	for (size_t i = b->first; i < b->n; i++) {
		const struct rec *r = &b->recs[i];
		if (r->err != LAR_OK) {
			report_unverified(vr, b->source, r->err);
			return STOPPED;
		}
		if (r->not_json && r->meta.tentative) {
			/* not one value on its line: only the scan's reading of
			 * it counts (b is not pinned, so its bytes are held) */
			if (lar_reader_retry_at(rd, &r->meta) != LAR_OK) {
				report_no_retry(vr, b->source);
				return STOPPED;
			}
			*kept = i - b->first;
			return RETRIED;
		}
		if (r->out_len > 0) /* none with -q */
			lar_buf_put(cli_out(ctx), b->out[r->worker].p + r->out_off, r->out_len);
		verdict_count(&vr->counts, r->status);
		cli_out_maybe_flush(ctx);
		if (ctx->out_failed)
			return STOPPED;
		if (!r->not_json)
			continue;
		uint64_t resume = UINT64_MAX;
		size_t j;
		if (i < b->pin_end) {
			j = r->resume;
		} else {
			resume = lar_reader_resume_offset(rd, &r->meta);
			j = find_start(b, i + 1, resume);
		}
		if (j < b->n) {
			i = j - 1;
			continue;
		}
		if (nb != NULL && (j = find_start(nb, nb->first, resume)) < nb->n) {
			nb->first = j;
			return SETTLED;
		}
		lar_reader_fail_at(rd, &r->meta);
		*kept = i + 1 - b->first;
		return REWOUND;
	}
	return SETTLED;
}

/* One job: verify as the reader reads.  0, or -1 on an error that stops
 * this input (already reported). */
static int verify_serial(struct verify_run *vr, struct lar_reader *rd, const char *name)
{
	struct worker *w = &vr->pool.w[0];
	struct lar_verdict vd;
	struct lar_record rec;
	struct lar_err e = { 0 };
	lar_status s;
	int rc = 0;
	/* JSON Lines on trust: a line that the parser rejects is read again
	 * with the structural scan, and only that reading gets a verdict */
	lar_reader_tentative(rd, 1);
	while ((s = lar_reader_next(rd, &rec, &e)) == LAR_OK) {
		if (rec.broken) {
			memset(&vd, 0, sizeof vd);
			vd.status = LAR_V_FAIL;
			vd.reasons = 1u << LAR_R_MALFORMED_INPUT;
		} else if ((s = lar_receipt_verify(w->v, rec.p, rec.len, &vd)) != LAR_OK) {
			report_unverified(vr, name, s);
			return -1;
		}
		if (vd.not_json && rec.tentative) {
			if (lar_reader_retry(rd, &rec) != LAR_OK) {
				report_no_retry(vr, name);
				return -1;
			}
			continue;
		}
		if (!vr->pool.quiet)
			verdict_write(cli_out(vr->ctx), vr->pool.fmt, name, rec.line, &vd);
		verdict_count(&vr->counts, vd.status);
		if (vd.not_json)
			lar_reader_fail(rd); /* SPEC §2.1 */
		cli_out_maybe_flush(vr->ctx);
		if (vr->ctx->out_failed)
			return -1;
	}
	if (s != LAR_E_EOF) {
		report_lar(vr, name, &e);
		rc = -1;
	}
	return rc;
}

/* Several jobs: read, verify and write in overlapping batches (see the top
 * of the file).  0, or -1 on an error that stops this input (already
 * reported). */
static int verify_parallel(struct verify_run *vr, struct lar_reader *rd, const char *name)
{
	struct pool *p = &vr->pool;
	struct batch *cur = NULL; /* published, the next to settle */
	int which = 0;            /* vr->b[which] is the one to fill next */
	size_t limit = FIRST_BATCH;
	int eof = 0, rc = 0;
	struct lar_err e = { 0 };
	struct lar_err read_err = { 0 }; /* the first read error, reported after all before it */
	int read_failed = 0;
	uint64_t span_start = 0;  /* the reader holds every byte from here */
	size_t scan_left = 0;     /* records to read with the scan before lines on trust again */
	size_t pause = TRUST_PAUSE_MIN; /* scan_left after the next line on trust that is not one value */

	for (;;) {
		struct batch *nb = NULL;
		int read_on = !eof;
		uint64_t from = UINT64_MAX;
		if (cur == NULL) {
			lar_reader_release(rd);
			lar_reader_hold(rd);
			span_start = lar_reader_offset(rd);
		} else if (read_on && (from = pin(rd, cur)) != UINT64_MAX) {
			/* settling cur needs no byte read before from */
			if (lar_reader_hold_from(rd, from) != LAR_OK) {
				report_no_retry(vr, name);
				rc = -1;
				drop(p, cur);
				break;
			}
			span_start = from;
		} else if (lar_reader_offset(rd) - span_start >= SPAN_BYTES) {
			/* held enough: settle cur before reading on, then read
			 * a small batch first, as the workers wait for it */
			read_on = 0;
			limit = FIRST_BATCH;
		}
		if (read_on) {
			nb = &vr->b[which];
			which ^= 1;
			nb->source = name;
			/* lines on trust, as one job reads (see the top of the
			 * file: pin() and settle() know them) */
			lar_reader_tentative(rd, scan_left == 0 && lar_reader_offset(rd) - span_start < TRUST_SPAN);
			lar_status s = fill(nb, p->jobs, rd, limit, span_start, &e);
			scan_left -= scan_left < nb->n ? scan_left : nb->n;
			if (s == LAR_E_EOF) {
				eof = 1;
			} else if (s != LAR_OK) {
				/* settle what was read first; a rewind reads
				 * held bytes again, up to the same error (which a
				 * second pass meets again: not reported twice) */
				if (!read_failed) {
					read_err = e;
					read_failed = 1;
				}
				eof = 1;
			}
			limit = limit < BATCH_RECORDS / 2 ? 2 * limit : BATCH_RECORDS;
			if (nb->n > 0)
				publish(p, nb);
			else
				nb = NULL;
		}
		if (cur != NULL) {
			lar_status s = help_until_done(p, cur);
			enum settled st = STOPPED;
			size_t kept = 0;
			if (s != LAR_OK) /* no memory for verdict lines */
				report_unverified(vr, name, s);
			else
				st = settle(vr, rd, cur, nb, &kept);
			if (st == STOPPED) {
				rc = -1;
				if (nb != NULL)
					drop(p, nb);
				break;
			}
			if (st == SETTLED && cur->trusted > 0)
				pause = pause / 2 < TRUST_PAUSE_MIN ? TRUST_PAUSE_MIN : pause / 2;
			if (st == RETRIED) {
				scan_left = pause;
				pause = pause < TRUST_PAUSE_MAX / 2 ? 2 * pause : TRUST_PAUSE_MAX;
			}
			if (st == REWOUND || st == RETRIED) {
				/* the records of nb were read past the point where
				 * reading now resumes: read them again from there, in
				 * batches no larger than what cur kept (one at least:
				 * a line read again is scanned, so its verdict is final) */
				if (nb != NULL)
					drop(p, nb);
				nb = NULL;
				eof = 0;
				limit = kept < 1 ? 1 : kept < FIRST_BATCH ? kept : FIRST_BATCH;
			}
		}
		cur = nb;
		if (cur == NULL && eof)
			break;
	}
	if (rc == 0 && read_failed) {
		report_lar(vr, name, &read_err);
		rc = -1;
	}
	lar_reader_release(rd);
	return rc;
}

/* Verify one input: returns 0, or -1 on an error that stops this input
 * (already reported). */
static int verify_stream(struct verify_run *vr, int fd, const char *name)
{
	struct lar_reader *rd = NULL;
	struct lar_err e = { 0 };
	if (lar_reader_new(fd, 0, &rd, &e) != LAR_OK) {
		report_lar(vr, name, &e);
		return -1;
	}
	int rc = vr->pool.jobs == 1 ? verify_serial(vr, rd, name) : verify_parallel(vr, rd, name);
	lar_reader_free(rd);
	return rc;
}

int cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keyring", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, CLI_OPT_KEY },
		{ "insecure-keyring", no_argument, NULL, CLI_OPT_INSECURE },
		{ "format", required_argument, NULL, CLI_OPT_FORMAT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "min-fee-sats", required_argument, NULL, CLI_OPT_MIN_FEE },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	struct cli_keys keys = { 0 };
	struct lar_verify_opts opts = LAR_VERIFY_OPTS_DEFAULT;
	enum verdict_format fmt = VF_TEXT;
	long jobs = 1;
	int opt, rc = CLI_EXIT_ERROR;
	struct lar_keyring *kr = NULL;
	struct verify_run vr;

	memset(&vr, 0, sizeof vr);
	vr.ctx = ctx;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+k:qj:h", longopts, NULL)) != -1) {
		int k = cli_keys_option(&keys, opt, optarg);
		if (k < 0) {
			cli_error(ctx, NULL, "out of memory");
			goto out;
		}
		if (k > 0)
			continue;
		char *end;
		switch (opt) {
		case CLI_OPT_FORMAT: {
			int f = cli_parse_format(ctx, optarg, formats);
			if (f < 0)
				goto out;
			fmt = f == 1 ? VF_JSON : VF_TEXT;
			break;
		}
		case 'q':
			ctx->quiet = 1;
			break;
		case CLI_OPT_MIN_FEE:
			opts.min_fee_sats = strtoll(optarg, &end, 10);
			if (*optarg == 0 || *end != 0 || opts.min_fee_sats < 0 || opts.min_fee_sats > INT32_MAX) {
				rc = cli_usage_error(ctx, "--min-fee-sats takes a whole number of sats, not '%s'", optarg);
				goto out;
			}
			break;
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*optarg == 0 || *end != 0 || jobs < 1 || jobs > MAX_JOBS) {
				rc = cli_usage_error(ctx, "--jobs takes a number from 1 to %d, not '%s'", MAX_JOBS, optarg);
				goto out;
			}
			break;
		case 'h':
			cli_keys_free(&keys);
			return cmd_help(ctx, 2, (char *[]){ "help", "verify", NULL });
		default:
			rc = cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (cli_keys_load(ctx, &keys, 1, &kr) != 0)
		goto out;

	struct lar_err e = { 0 };
	batch_init(&vr.b[0]);
	batch_init(&vr.b[1]);
	if (pool_init(&vr.pool, (int)jobs, kr, &opts, &e) != 0) {
		cli_error_lar(ctx, NULL, &e);
		goto out_pool;
	}
	vr.pool.fmt = fmt;
	vr.pool.quiet = ctx->quiet;

	if (optind >= argc) {
		if (verify_stream(&vr, STDIN_FILENO, "-") != 0)
			vr.error = 1;
	}
	for (int i = optind; i < argc && !ctx->out_failed; i++) {
		/* a message about this file comes after the verdicts before it */
		if (i > optind && cli_out_flush(ctx) != 0)
			break;
		int fd = cli_open_input(ctx, argv[i]);
		if (fd < 0) {
			vr.error = 1;
			continue; /* check the other files, exit 2 at the end */
		}
		if (verify_stream(&vr, fd, argv[i]) != 0)
			vr.error = 1;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	if (cli_out_flush(ctx) != 0)
		vr.error = 1;
	if (!ctx->quiet && !ctx->out_epipe)
		fprintf(stderr, "la-receipt: verify: %llu record%s: %llu ok, %llu flag, %llu fail, %llu skipped\n",
			(unsigned long long)vr.counts.records, vr.counts.records == 1 ? "" : "s",
			(unsigned long long)vr.counts.ok,
			(unsigned long long)vr.counts.flag, (unsigned long long)vr.counts.fail,
			(unsigned long long)vr.counts.skipped);
	/* SPEC §2.4 */
	if (vr.error)
		rc = CLI_EXIT_ERROR;
	else if (vr.counts.flag || vr.counts.fail)
		rc = CLI_EXIT_FINDINGS;
	else
		rc = CLI_EXIT_OK;
out_pool:
	pool_free(&vr.pool);
	batch_free(&vr.b[0]);
	batch_free(&vr.b[1]);
out:
	lar_keyring_free(kr);
	cli_keys_free(&keys);
	return rc;
}
