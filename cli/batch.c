/*
 * batch.c - batches of records, verified as they are read, and the
 * pipeline that makes them on a thread of its own (batch.h).
 *
 * Verdicts point into the verifier's scratch memory and the record's bytes,
 * so whatever a command keeps of them is copied before the next record is
 * verified (batch_keep_verdict).  A record is verified right after it is
 * read, on the thread that read it.  (Until 2026-11-27 a batch of 1,024
 * records was read first and handed to a worker thread of a pool that
 * import only ever ran with one worker; verifying as reading goes is as
 * fast - paired runs of an import of 100,000 receipts: faster in 11 of 21
 * and 14 of 31 rounds, median ratio 0.999 and 1.022 - with a thread and
 * the pool less.)
 *
 * Not for: the checks (verify/receipt.c), formatting, storing.
 */
#include "batch.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
	lar_buf_init(&b->data, 0);
	lar_arena_init(&b->arena, 0);
}

void batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	lar_buf_free(&b->data);
	free(b->recs);
	lar_arena_free(&b->arena);
	memset(b, 0, sizeof *b);
}

/* Verify record i of b, whose bytes are p, and give the verdict to bv's batch_fn. */
static lar_status verify_rec(const struct batch_verifier *bv, struct batch *b, size_t i, const uint8_t *p)
{
	struct batch_rec *r = &b->recs[i];
	struct lar_verdict vd;
	if (r->meta.broken) {
		/* SPEC §2.1: not a complete value */
		memset(&vd, 0, sizeof vd);
		vd.status = LAR_V_FAIL;
		vd.reasons = 1u << LAR_R_MALFORMED_INPUT;
	} else {
		lar_status s = lar_receipt_verify(bv->v, p, r->meta.len, &vd);
		if (s != LAR_OK)
			return s;
	}
	r->status = vd.status;
	r->not_json = vd.not_json;
	return bv->fn(bv->ctx, b, i, &vd);
}

lar_status batch_fill(struct batch *b, struct lar_reader *rd, const struct batch_verifier *bv, int *reading,
		      struct lar_err *e)
{
	lar_buf_reset(&b->data);
	b->n = 0;
	b->eof = 0;
	lar_arena_reset(&b->arena);
	lar_reader_hold(rd);
	lar_reader_tentative(rd, b->trust);
	*reading = 1;
	size_t limit = b->limit > 0 && b->limit < BATCH_RECORDS ? b->limit : BATCH_RECORDS;
	/* the reader holds every byte from here on, whitespace between records
	 * too: a batch ends past BATCH_BYTES of them, not of its records */
	uint64_t start = lar_reader_offset(rd);
	while (b->n < limit && lar_reader_offset(rd) - start < BATCH_BYTES) {
		struct lar_record rec;
		lar_status s = lar_reader_next(rd, &rec, e);
		if (s == LAR_E_EOF) {
			b->eof = 1;
			break;
		}
		if (s == LAR_E_AGAIN)
			break; /* a long run skipped: the next batch goes on from here */
		if (s != LAR_OK)
			return s;
		if (b->n == b->cap) {
			size_t ncap = b->cap ? b->cap * 2 : 64;
			struct batch_rec *nr = realloc(b->recs, ncap * sizeof *nr);
			if (nr == NULL)
				return lar_err_set(e, LAR_E_NOMEM, "out of memory");
			b->recs = nr;
			b->cap = ncap;
		}
		struct batch_rec *r = &b->recs[b->n++];
		memset(r, 0, sizeof *r);
		r->meta = rec;
		r->meta.p = NULL;
		/* from the reader's buffer, which holds rec until the next read */
		if ((s = verify_rec(bv, b, b->n - 1, rec.p)) != LAR_OK) {
			*reading = 0;
			return lar_err_set(e, s, "cannot verify: %s", lar_strerror(s));
		}
		/* the bytes of a record that is not authentic, for its reject
		 * row; an authentic one's verdict holds all that is stored */
		r->off = b->data.len;
		if (r->status != LAR_V_OK && r->status != LAR_V_FLAG) {
			lar_buf_put(&b->data, rec.p, rec.len);
			if (b->data.oom)
				return lar_err_set(e, LAR_E_NOMEM, "out of memory");
		}
		if (r->not_json)
			break; /* batch_settle() cuts here: what follows is read again */
	}
	return LAR_OK;
}

int batch_settle(struct batch *b, struct lar_reader *rd)
{
	int cut = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct lar_record *meta = &b->recs[i].meta;
		if (!b->recs[i].not_json)
			continue;
		if (meta->tentative) {
			/* a line on trust that is not one value: only the scan's
			 * reading of it counts, so it is dropped with what came
			 * after it and read again (held since the batch began) */
			if (lar_reader_retry_at(rd, meta) != LAR_OK) {
				lar_reader_release(rd);
				return -1;
			}
			b->n = i;
		} else {
			/* SPEC §2.1: resume after this record; what was read past
			 * it is read again from there */
			lar_reader_fail_at(rd, meta);
			b->n = i + 1;
		}
		b->eof = 0;
		cut = 1;
		break;
	}
	lar_reader_release(rd);
	return cut;
}

/* ---- keeping verdicts ---- */

/* The string members of struct lar_payload. */
static const size_t payload_strs[] = {
	offsetof(struct lar_payload, agent_id),
	offsetof(struct lar_payload, created_at),
	offsetof(struct lar_payload, idempotency_key),
	offsetof(struct lar_payload, mcp_gate_session_id),
	offsetof(struct lar_payload, mcp_gate_token_id),
	offsetof(struct lar_payload, mcp_tool_id),
	offsetof(struct lar_payload, paying_project_id),
	offsetof(struct lar_payload, receipt_id),
	offsetof(struct lar_payload, request_id),
	offsetof(struct lar_payload, revenue_event_id),
	offsetof(struct lar_payload, status),
	offsetof(struct lar_payload, tool_method_name),
	offsetof(struct lar_payload, tool_name),
	offsetof(struct lar_payload, tool_slug),
	offsetof(struct lar_payload, version),
	offsetof(struct lar_payload, attestation_claims),
	offsetof(struct lar_payload, attestation_claims_sha256),
	offsetof(struct lar_payload, attestation_kind),
	offsetof(struct lar_payload, attestation_network),
	offsetof(struct lar_payload, attestation_observed_at),
	offsetof(struct lar_payload, attestation_operation),
	offsetof(struct lar_payload, attestation_source),
	offsetof(struct lar_payload, attestation_subject_id),
};
#define NPAYLOAD_STRS (sizeof payload_strs / sizeof payload_strs[0])
#define NSTRS (NPAYLOAD_STRS + 3) /* and key_id, payload_b64, signature */

/* The string slices of a verdict, in a fixed order. */
static void verdict_strs(struct lar_verdict *v, struct lar_str *s[NSTRS])
{
	for (size_t i = 0; i < NPAYLOAD_STRS; i++)
		s[i] = (struct lar_str *)((char *)&v->p + payload_strs[i]);
	s[NPAYLOAD_STRS] = &v->key_id;
	s[NPAYLOAD_STRS + 1] = &v->payload_b64;
	s[NPAYLOAD_STRS + 2] = &v->signature;
}

/* The first block of a batch's arena, which every batch_fill()
 * keeps (lar_arena_reset keeps the oldest block): about a batch's strings
 * and decoded payloads (1,024 charge responses keep 2.2 MB), so that later
 * batches allocate nothing.  With the arena's 64 KiB blocks, freed and
 * allocated again every batch, the verifying thread of an import took about
 * 9,600 page faults per 100,000 records (perf record -e page-faults). */
#define KEEP_FIRST_BLOCK (3u << 20)

lar_status batch_keep_verdict(void *ctx, struct batch *b, size_t i, const struct lar_verdict *vd)
{
	struct lar_verdict *d = &b->recs[i].vd;
	struct lar_str *s[NSTRS];
	size_t total = 0;
	(void)ctx;
	*d = *vd;
	d->payload_json = NULL;
	d->payload_json_len = 0;
	d->payload_tree = NULL;
	if (vd->status != LAR_V_OK && vd->status != LAR_V_FLAG)
		return LAR_OK; /* no payload values (SPEC §4.1) */
	/* the decoded payload too, which the ledger stores (schemas/ledger.sql,
	 * version 5), so that the storing thread need not decode it again */
	if (vd->payload_json != NULL)
		total += vd->payload_json_len;
	/* one allocation for all of them: strings of a verdict are bounded by
	 * its record, so this cannot overflow */
	verdict_strs(d, s);
	for (size_t k = 0; k < NSTRS; k++)
		if (s[k]->p != NULL)
			total += s[k]->n;
	if (!b->primed) {
		/* only an empty arena keeps this block as its first; on failure
		 * the arena goes on with small blocks */
		if (lar_arena_alloc(&b->arena, KEEP_FIRST_BLOCK) != NULL)
			lar_arena_reset(&b->arena);
		b->primed = 1;
	}
	char *c = lar_arena_alloc(&b->arena, total ? total : 1);
	if (c == NULL)
		return LAR_E_NOMEM;
	for (size_t k = 0; k < NSTRS; k++) {
		if (s[k]->p == NULL)
			continue;
		memcpy(c, s[k]->p, s[k]->n);
		s[k]->p = c;
		c += s[k]->n;
	}
	if (vd->payload_json != NULL) {
		memcpy(c, vd->payload_json, vd->payload_json_len);
		d->payload_json = (const uint8_t *)c;
		d->payload_json_len = vd->payload_json_len;
	}
	return LAR_OK;
}

/* ---- the pipeline ---- */

static void *pipeline_main(void *arg)
{
	struct pipeline *pl = arg;
	size_t limit = BATCH_RECORDS;
	for (int i = 0;; i = (i + 1) % PIPELINE_BATCHES) {
		pthread_mutex_lock(&pl->mu);
		while (!pl->stop && pl->ready[i])
			pthread_cond_wait(&pl->cv, &pl->mu);
		int stop = pl->stop;
		pthread_mutex_unlock(&pl->mu);
		if (stop)
			break;
		struct batch *b = &pl->b[i];
		struct lar_err e = { 0 };
		b->limit = limit;
		b->trust = limit == BATCH_RECORDS;
		int reading = 0;
		lar_status s = batch_fill(b, pl->rd, pl->bv, &reading, &e);
		int last = 0, read_failed = s != LAR_OK && reading;
		if (s == LAR_OK) {
			int cut = batch_settle(b, pl->rd);
			if (cut < 0)
				s = lar_err_set(&e, LAR_E_INVAL, "cannot read a line again (internal error)");
			last = b->eof && !cut;
			/* what was read past a cut is read again, and a value that
			 * never closes is costly to scan: after a cut, read only as
			 * far as the cut came (a batch of at least one record), so
			 * that input full of bad values is read about once; grow back
			 * by doubling.  Lines are taken on trust only in batches of
			 * full size: after a cut, values are found by the scan until
			 * the batches have grown back. */
			limit = cut ? (b->n > 0 ? b->n : 1) : limit < BATCH_RECORDS ? 2 * limit : BATCH_RECORDS;
		}
		pthread_mutex_lock(&pl->mu);
		if (s != LAR_OK) {
			pl->err = s;
			pl->e = e;
			pl->read_failed = read_failed;
			last = 1;
		} else {
			pl->ready[i] = 1;
		}
		pl->done = last;
		pthread_cond_broadcast(&pl->cv);
		pthread_mutex_unlock(&pl->mu);
		if (last)
			break;
	}
	return NULL;
}

int pipeline_start(struct pipeline *pl, struct lar_reader *rd, const struct batch_verifier *bv,
		   struct lar_err *e)
{
	memset(pl, 0, sizeof *pl);
	pl->rd = rd;
	pl->bv = bv;
	for (int i = 0; i < PIPELINE_BATCHES; i++)
		batch_init(&pl->b[i]);
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->cv, NULL);
	if (pthread_create(&pl->th, NULL, pipeline_main, pl) != 0) {
		pl->err = lar_err_set(&pl->e, LAR_E_NOMEM, "cannot start the reading thread");
		if (e != NULL)
			*e = pl->e;
		return -1;
	}
	pl->started = 1;
	return 0;
}

struct batch *pipeline_next(struct pipeline *pl)
{
	struct batch *b = NULL;
	pthread_mutex_lock(&pl->mu);
	while (!pl->ready[pl->next] && !pl->done)
		pthread_cond_wait(&pl->cv, &pl->mu);
	if (pl->ready[pl->next]) {
		b = &pl->b[pl->next];
		pl->next = (pl->next + 1) % PIPELINE_BATCHES;
	}
	pthread_mutex_unlock(&pl->mu);
	return b;
}

void pipeline_release(struct pipeline *pl, struct batch *b)
{
	pthread_mutex_lock(&pl->mu);
	pl->ready[b - pl->b] = 0;
	pthread_cond_broadcast(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
}

lar_status pipeline_finish(struct pipeline *pl, struct lar_err *e)
{
	if (pl->started) {
		pthread_mutex_lock(&pl->mu);
		pl->stop = 1;
		pthread_cond_broadcast(&pl->cv);
		pthread_mutex_unlock(&pl->mu);
		pthread_join(pl->th, NULL);
	}
	lar_status s = pl->err;
	if (s != LAR_OK && e != NULL)
		*e = pl->e;
	for (int i = 0; i < PIPELINE_BATCHES; i++)
		batch_free(&pl->b[i]);
	pthread_mutex_destroy(&pl->mu);
	pthread_cond_destroy(&pl->cv);
	return s;
}
