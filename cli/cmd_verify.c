/*
 * cmd_verify.c - `la-receipt verify`: a verdict per record (SPEC §2, §4.1).
 *
 * Records are read in batches by the main thread and verified by N workers
 * (--jobs), each with its own verifier (pre-keyed MAC contexts, arena);
 * output is written in input order.  When a record turns out not to be JSON
 * the reader is rewound to resynchronise after it (SPEC §2.1) and the rest of
 * the batch is read again.  Memory is bounded by the batch byte cap plus the
 * reader's record cap, whatever the input size.
 *
 * Not for: the checks themselves (verify/receipt.c).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "reader.h"
#include "receipt.h"
#include "verdict.h"

#define BATCH_RECORDS 1024
#define BATCH_BYTES (4u * 1024 * 1024)
#define MAX_JOBS 64

struct rec {
	struct lar_record meta; /* meta.p is not used: bytes are at data + off */
	size_t off;
	/* results */
	enum lar_vstatus status;
	int not_json;
	size_t out_off, out_len; /* in the worker's output buffer */
	int worker;
};

struct batch {
	struct lar_buf data;
	struct rec *recs;
	size_t n;
	const char *source;
	enum verdict_format fmt;
	int quiet;
};

struct worker {
	pthread_t th;
	int id, jobs;
	struct lar_verifier *v;
	struct lar_buf out;
	struct batch *b;
	lar_status err;
	pthread_barrier_t *start, *done;
	int *stop;
};

static lar_status run_range(struct worker *w)
{
	struct batch *b = w->b;
	size_t lo = b->n * (size_t)w->id / (size_t)w->jobs, hi = b->n * (size_t)(w->id + 1) / (size_t)w->jobs;
	struct lar_verdict vd;
	lar_buf_reset(&w->out);
	for (size_t i = lo; i < hi; i++) {
		struct rec *r = &b->recs[i];
		r->worker = w->id;
		if (r->meta.broken) {
			memset(&vd, 0, sizeof vd);
			vd.status = LAR_V_FAIL;
			vd.reasons = 1u << LAR_R_MALFORMED_INPUT;
		} else {
			lar_status s = lar_receipt_verify(w->v, b->data.p + r->off, r->meta.len, &vd);
			if (s != LAR_OK)
				return s;
		}
		r->status = vd.status;
		r->not_json = vd.not_json;
		r->out_off = w->out.len;
		if (!b->quiet)
			verdict_write(&w->out, b->fmt, b->source, r->meta.line, &vd);
		r->out_len = w->out.len - r->out_off;
	}
	return w->out.oom ? LAR_E_NOMEM : LAR_OK;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		pthread_barrier_wait(w->start);
		if (*w->stop)
			break;
		w->err = run_range(w);
		pthread_barrier_wait(w->done);
	}
	return NULL;
}

struct pool {
	struct worker w[MAX_JOBS];
	int jobs, started;
	pthread_barrier_t start, done;
	int stop;
};

/* Run the batch on every worker (the main thread is worker 0). */
static lar_status pool_run(struct pool *p, struct batch *b)
{
	for (int i = 0; i < p->jobs; i++)
		p->w[i].b = b;
	if (p->jobs > 1)
		pthread_barrier_wait(&p->start);
	p->w[0].err = run_range(&p->w[0]);
	if (p->jobs > 1)
		pthread_barrier_wait(&p->done);
	for (int i = 0; i < p->jobs; i++)
		if (p->w[i].err != LAR_OK)
			return p->w[i].err;
	return LAR_OK;
}

static int pool_init(struct pool *p, int jobs, const struct lar_keyring *kr, const struct lar_verify_opts *opts,
		     struct lar_err *e)
{
	memset(p, 0, sizeof *p);
	p->jobs = jobs;
	for (int i = 0; i < jobs; i++) {
		struct worker *w = &p->w[i];
		w->id = i;
		w->jobs = jobs;
		lar_buf_init(&w->out, 0);
		if (lar_verifier_new(kr, opts, &w->v, e) != LAR_OK)
			return -1;
	}
	if (jobs > 1) {
		pthread_barrier_init(&p->start, NULL, (unsigned)jobs);
		pthread_barrier_init(&p->done, NULL, (unsigned)jobs);
		for (int i = 1; i < jobs; i++) {
			p->w[i].start = &p->start;
			p->w[i].done = &p->done;
			p->w[i].stop = &p->stop;
			if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]) != 0) {
				/* run with the threads we have */
				p->jobs = i;
				for (int j = 0; j < i; j++)
					p->w[j].jobs = i;
				lar_err_set(e, LAR_E_NOMEM, "cannot start thread %d", i);
				/* barriers were sized for jobs: rebuild is not possible with
				 * threads waiting, so stop here */
				return -1;
			}
			p->started = i;
		}
	}
	return 0;
}

static void pool_free(struct pool *p)
{
	if (p->jobs > 1 && p->started == p->jobs - 1) {
		p->stop = 1;
		pthread_barrier_wait(&p->start);
		for (int i = 1; i < p->jobs; i++)
			pthread_join(p->w[i].th, NULL);
		pthread_barrier_destroy(&p->start);
		pthread_barrier_destroy(&p->done);
	}
	for (int i = 0; i < MAX_JOBS; i++) {
		lar_verifier_free(p->w[i].v);
		lar_buf_free(&p->w[i].out);
	}
}

struct verify_run {
	struct cli_ctx *ctx;
	struct pool pool;
	struct batch b;
	size_t cap;
	struct verdict_counts counts;
	int error;
};

/* Verify one input: returns 0, or -1 on an error that stops this file
 * (already reported). */
static int verify_stream(struct verify_run *vr, int fd, const char *name)
{
	struct lar_reader *rd = NULL;
	struct lar_err e = { 0 };
	struct batch *b = &vr->b;
	int rc = 0;

	if (lar_reader_new(fd, name, 0, &rd, &e) != LAR_OK) {
		cli_error_lar(vr->ctx, name, &e);
		return -1;
	}
	b->source = name;
	if (vr->pool.jobs == 1) {
		/* one thread: verify straight from the reader's buffer, no batch copy */
		struct worker *w = &vr->pool.w[0];
		struct lar_verdict vd;
		struct lar_record rec;
		lar_status s;
		while ((s = lar_reader_next(rd, &rec, &e)) == LAR_OK) {
			if (rec.broken) {
				memset(&vd, 0, sizeof vd);
				vd.status = LAR_V_FAIL;
				vd.reasons = 1u << LAR_R_MALFORMED_INPUT;
			} else if ((s = lar_receipt_verify(w->v, rec.p, rec.len, &vd)) != LAR_OK) {
				cli_error(vr->ctx, name, "cannot verify: %s", lar_strerror(s));
				rc = -1;
				break;
			}
			if (!b->quiet)
				verdict_write(cli_out(vr->ctx), b->fmt, name, rec.line, &vd);
			verdict_count(&vr->counts, vd.status);
			if (vd.not_json)
				lar_reader_fail(rd); /* SPEC §2.1 */
			cli_out_maybe_flush(vr->ctx);
			if (vr->ctx->out_failed) {
				rc = -1;
				break;
			}
		}
		if (s != LAR_OK && s != LAR_E_EOF && rc == 0) {
			cli_error_lar(vr->ctx, name, &e);
			rc = -1;
		}
		lar_reader_free(rd);
		return rc;
	}
	for (int done = 0; !done;) {
		lar_buf_reset(&b->data);
		b->n = 0;
		lar_reader_hold(rd);
		uint64_t batch_start = lar_reader_offset(rd);
		/* the reader keeps every byte since the hold: bound that too, or
		 * records over the cap would pile up in memory */
		while (b->n < BATCH_RECORDS && b->data.len < BATCH_BYTES &&
		       lar_reader_offset(rd) - batch_start < BATCH_BYTES) {
			struct lar_record rec;
			lar_status s = lar_reader_next(rd, &rec, &e);
			if (s == LAR_E_EOF) {
				done = 1;
				break;
			}
			if (s != LAR_OK) {
				cli_error_lar(vr->ctx, name, &e);
				rc = -1;
				done = 1;
				break;
			}
			if (b->n == vr->cap) {
				size_t ncap = vr->cap ? vr->cap * 2 : 64;
				struct rec *nr = realloc(b->recs, ncap * sizeof *nr);
				if (nr == NULL) {
					cli_error(vr->ctx, name, "out of memory");
					rc = -1;
					done = 1;
					break;
				}
				b->recs = nr;
				vr->cap = ncap;
			}
			struct rec *r = &b->recs[b->n++];
			memset(r, 0, sizeof *r);
			r->meta = rec;
			r->off = b->data.len;
			lar_buf_put(&b->data, rec.p, rec.len);
		}
		if (b->data.oom) {
			cli_error(vr->ctx, name, "out of memory");
			lar_reader_release(rd);
			rc = -1;
			break;
		}
		lar_status s = pool_run(&vr->pool, b);
		if (s != LAR_OK) {
			cli_error(vr->ctx, name, "cannot verify: %s", lar_strerror(s));
			lar_reader_release(rd);
			rc = -1;
			break;
		}
		for (size_t i = 0; i < b->n; i++) {
			struct rec *r = &b->recs[i];
			struct lar_buf *wo = &vr->pool.w[r->worker].out;
			lar_buf_put(cli_out(vr->ctx), wo->p + r->out_off, r->out_len);
			verdict_count(&vr->counts, r->status);
			if (!r->not_json)
				continue;
			/* SPEC §2.1: reading resumes at the next later line starting
			 * with '{' or '['.  When a record of this batch starts there
			 * (outside an array), the records from it on are what a
			 * resynchronised reader reads: skip to it.  Otherwise rewind. */
			uint64_t resume = lar_reader_resume_offset(rd, &r->meta);
			size_t j = i + 1;
			while (j < b->n && !(resume != UINT64_MAX && !b->recs[j].meta.broken &&
					     !b->recs[j].meta.in_array && b->recs[j].meta.start_off == resume))
				j++;
			if (j < b->n) {
				i = j - 1;
				continue;
			}
			lar_reader_fail_at(rd, &r->meta);
			if (rc == 0)
				done = 0;
			break;
		}
		lar_reader_release(rd);
		cli_out_maybe_flush(vr->ctx);
		if (vr->ctx->out_failed) {
			rc = -1;
			break;
		}
	}
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
	if (pool_init(&vr.pool, (int)jobs, kr, &opts, &e) != 0) {
		cli_error_lar(ctx, NULL, &e);
		goto out_pool;
	}
	vr.b.fmt = fmt;
	vr.b.quiet = ctx->quiet;
	lar_buf_init(&vr.b.data, 0);

	if (optind >= argc) {
		if (verify_stream(&vr, STDIN_FILENO, "-") != 0)
			vr.error = 1;
	}
	for (int i = optind; i < argc && !ctx->out_failed; i++) {
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
	lar_buf_free(&vr.b.data);
	free(vr.b.recs);
out:
	lar_keyring_free(kr);
	cli_keys_free(&keys);
	return rc;
}
