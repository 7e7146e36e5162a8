/*
 * batch.h - records read from one input in batches and verified as they
 * are read (SPEC §2), for import: a pipeline, whose thread reads and
 * verifies the next batches while the caller's thread stores the one before.
 * (verify --jobs has its own pool of workers: cli/cmd_verify.c.)
 *
 * A batch owns copies of the bytes of its records that are not authentic
 * (for their reject rows), so the reader can move on.
 * Each record is verified as soon as it is read, on the thread reading it
 * (import was no faster with a thread verifying apart).  The verdict of
 * every record goes to the command's batch_fn and is valid only during
 * that call: batch_keep_verdict() is the batch_fn that copies it (strings
 * and all) into the batch, for a command that uses verdicts after reading
 * moved on.
 *
 * SPEC §2.1 resynchronisation: batch_fill() holds the reader's bytes from
 * the start of the batch (lar_reader_hold) and stops after the first record
 * whose verdict says it is not JSON; batch_settle() then cuts the batch
 * after that record and rewinds the reader to resume after it.  With
 * b->trust, batch_fill() takes a value starting with '{' whose line ends
 * with '}' with the rest of its line, without the structural scan
 * (lar_reader_tentative; most of the reading thread's work otherwise); such
 * a line that the parser rejects is cut before instead, and read again with
 * the scan, which alone decides what it holds.  Nothing may read from the
 * reader between the two calls.
 *
 *   batch_fill(b, rd, bv)      read and verify up to BATCH_RECORDS / BATCH_BYTES
 *   batch_settle(b, rd)        SPEC §2.1 cut, release the reader
 *
 * Memory is bounded by the batch caps plus the reader's record cap,
 * whatever the input size.
 *
 * Not for: the checks (verify/receipt.c), output, storing.
 */
#ifndef LAR_CLI_BATCH_H
#define LAR_CLI_BATCH_H

#include <pthread.h>

#include "lar.h"
#include "ledger.h"
#include "reader.h"
#include "receipt.h"

#define BATCH_RECORDS 1024
#define BATCH_BYTES (4u * 1024 * 1024)

struct batch_rec {
	struct lar_record meta; /* where the record was read; meta.p is not used */
	size_t off;             /* its bytes are batch data + off, meta.len of them, when its
	                         * verdict is neither ok nor flag (batch_fill keeps no others) */
	enum lar_vstatus status; /* its verdict's status */
	int not_json;           /* its verdict said the text is not JSON (SPEC §2.1) */
	struct lar_verdict vd;  /* filled by batch_keep_verdict() */
	struct lar_ledger_keys keys; /* free for a batch_fn (import's lookup keys) */
};

struct batch {
	struct lar_buf data;    /* the records' bytes */
	struct batch_rec *recs;
	size_t n, cap;
	int eof;                /* batch_fill() reached the end of the input */
	int trust;              /* batch_fill() reads JSON Lines on trust (lar_reader_tentative) */
	size_t limit;           /* records batch_fill() reads at most; 0 = BATCH_RECORDS */
	struct lar_arena arena; /* kept verdicts' strings */
	int primed;             /* the arena has its large first block (batch_keep_verdict) */
};

void batch_init(struct batch *b);
void batch_free(struct batch *b); /* accepts NULL */

/* The bytes of record i, whose verdict is neither ok nor flag. */
static inline const uint8_t *batch_bytes(const struct batch *b, size_t i)
{
	return b->data.p + b->recs[i].off;
}

/* Called for record i of b with its verdict vd (valid only during the
 * call).  LAR_OK, or an error that fails the batch. */
typedef lar_status (*batch_fn)(void *ctx, struct batch *b, size_t i, const struct lar_verdict *vd);

/* What batch_fill() verifies with: a verifier of the keyring, and the
 * batch_fn it gives each verdict to, with ctx. */
struct batch_verifier {
	struct lar_verifier *v;
	batch_fn fn;
	void *ctx;
};

/* Empty b and read the next records of rd into it (holding the reader),
 * up to b->limit records, and none after the one that reaches BATCH_BYTES
 * read (whitespace between records too: the reader holds it), nor after
 * a long run of blanks or skipped lines (the reader's LAR_E_AGAIN: the next
 * batch goes on from there), verifying each as it is read with bv; after a record whose verdict says it is not
 * JSON, read no more (batch_settle cuts there).  LAR_OK, with b->eof set when the input ended
 * (b->n may then be 0).  Otherwise, with e set, *reading says what failed:
 * 1 reading (LAR_E_IO, a read error: rd is finished; LAR_E_NOMEM), 0
 * verifying (LAR_E_NOMEM, LAR_E_CRYPTO: could not check, or the batch_fn's
 * error).
 *
 * After a cut (batch_settle), the records read past it are read and
 * verified again; a caller that keeps BATCH_RECORDS after cuts makes input
 * full of values that are not JSON cost about BATCH_RECORDS times as much.
 * The pipeline sets the limit to the records kept after a cut, and
 * doubles it after a batch without one. */
lar_status batch_fill(struct batch *b, struct lar_reader *rd, const struct batch_verifier *bv, int *reading,
		      struct lar_err *e);

/* After batch_fill: cut b after its first record whose verdict says it
 * is not JSON, rewinding rd to resume after it (SPEC §2.1), or before it
 * when it is a line taken on trust (b->trust), rewinding rd to read that
 * line again with the structural scan (lar_reader_retry_at); then release
 * the reader.  Returns 1 when it cut (the input then goes on, even if
 * b->eof was set, which it clears), 0 otherwise, -1 when the line cannot
 * be read again (a bug: the reader holds it since batch_fill). */
int batch_settle(struct batch *b, struct lar_reader *rd);

/* A batch_fn: copy vd into b->recs[i].vd, its strings and its decoded
 * payload (payload_json) into b's arena (payload_tree is not kept: NULL).
 * ctx is unused.  LAR_OK or LAR_E_NOMEM. */
lar_status batch_keep_verdict(void *ctx, struct batch *b, size_t i, const struct lar_verdict *vd);

/*
 * A pipeline runs the reading side of one input on a thread of its own:
 * fill a batch (reading and verifying), settle it, hand it over; a ring of
 * PIPELINE_BATCHES batches, so the caller's thread uses one while the next
 * ones are made.  With two (one ahead), import's storing thread waited for
 * its next batch about a tenth of the time on a machine whose two cores the
 * import's threads share with other work: the reading side is faster
 * on average but loses the core in turns; more batches ahead let it get
 * ahead when it has the core.
 *
 *   pipeline_start(pl, rd, bv)
 *   while ((b = pipeline_next(pl)) != NULL) { use b; pipeline_release(pl, b); }
 *   pipeline_finish(pl, &e)
 *
 * Batches come in input order.  pipeline_finish() may be called early (the
 * caller gave up); it stops the thread and returns the first error of the
 * reading side, with e set: pl->read_failed says that the input could not
 * be read to its end (LAR_E_IO, LAR_E_NOMEM), otherwise verification
 * failed (LAR_E_NOMEM, LAR_E_CRYPTO).
 */
#define PIPELINE_BATCHES 4

struct pipeline {
	struct lar_reader *rd;
	const struct batch_verifier *bv;
	struct batch b[PIPELINE_BATCHES];
	int ready[PIPELINE_BATCHES]; /* batch i is verified and not yet released */
	int next;        /* the batch pipeline_next() returns next */
	int done;        /* the thread made its last batch */
	int stop;        /* the caller asked the thread to stop */
	int started;
	lar_status err;  /* first error of the reading side */
	int read_failed; /* ... and it was reading the input, not verifying */
	struct lar_err e;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Start reading rd (which must outlive the pipeline) and verifying with bv
 * (which the pipeline's thread alone uses until pipeline_finish()).  0, or
 * -1 with e set (pipeline_finish() is still to be called). */
int pipeline_start(struct pipeline *pl, struct lar_reader *rd, const struct batch_verifier *bv,
		   struct lar_err *e);

/* The next verified batch, or NULL when there are no more (the end of the
 * input, or an error: see pipeline_finish). */
struct batch *pipeline_next(struct pipeline *pl);

/* Give back the batch pipeline_next() returned, for the next records. */
void pipeline_release(struct pipeline *pl, struct batch *b);

/* Stop and free.  LAR_OK when the whole input was read and verified. */
lar_status pipeline_finish(struct pipeline *pl, struct lar_err *e);

#endif
