/*
 * cmd_import.c - `la-receipt import`: verify records as verify does and keep
 * them in the SQLite ledger (SPEC §4.2): authentic receipts (ok, flag),
 * rejects (fail), conflicts, one import_run row.
 *
 * Each input file is one transaction: a file that cannot be read to its end
 * is rolled back whole, so a rerun completes it.  Records that failed, were
 * flagged or conflict are named on stderr (unless -q); the summary goes to
 * stdout, as text or one JSON object (schemas/import-summary.schema.json).
 *
 * A pipeline (cli/batch.h): a thread reads and verifies the next batch of
 * records while the main thread stores the one before, in input order, so
 * that SQLite has the main thread to itself.  The reading thread also
 * computes each receipt's lookup keys (lar_ledger_keys), work that needs
 * no ledger.  (Two threads verifying, taking turns at the batches, were
 * no faster: the main thread is the bound.)
 *
 * Not for: the checks (verify/receipt.c) or the SQL (ledger/ledger.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "ledger.h"
#include "reader.h"
#include "receipt.h"

struct import_run {
	struct cli_ctx *ctx;
	struct lar_ledger *l;
	struct batch_verifier bv;
	const char *ledger_path;
	int input_error; /* an input could not be read: exit 2 */
	int fatal; /* the ledger failed: stop */
};

static enum lar_reason fail_reason(uint32_t reasons)
{
	for (int r = 0; r < LAR_R_FIRST_FLAG; r++)
		if (reasons & (1u << r))
			return (enum lar_reason)r;
	return LAR_R_MALFORMED_INPUT;
}

/* One line on stderr about a record that needs a look. */
static void note(const struct import_run *ir, const char *name, uint64_t line, const char *what,
		 uint32_t reasons)
{
	char list[512];
	size_t n = 0;
	list[0] = 0;
	for (int r = 0; r < LAR_REASON_COUNT; r++) {
		if (!(reasons & (1u << r)))
			continue;
		int w = snprintf(list + n, sizeof list - n, "%s%s", n ? "," : "",
				 lar_reason_name((enum lar_reason)r));
		if (w < 0 || (size_t)w >= sizeof list - n)
			break;
		n += (size_t)w;
	}
	if (ir->ctx->quiet)
		return;
	fprintf(stderr, "la-receipt: import: '%s': line %llu: %s%s%s\n", name, (unsigned long long)line, what,
		n ? ": " : "", list);
}

/* The batch_fn of import, on the reading thread: keep the verdict, and an
 * authentic one's lookup keys. */
static lar_status keep_keyed(void *ctx, struct batch *b, size_t i, const struct lar_verdict *vd)
{
	struct batch_rec *r = &b->recs[i];
	lar_status s = batch_keep_verdict(ctx, b, i, vd);
	if (s != LAR_OK || (r->vd.status != LAR_V_OK && r->vd.status != LAR_V_FLAG))
		return s;
	/* a verdict that lar_ledger_add would refuse (LAR_E_INVAL) keeps no
	 * keys: storing it then fails as it would have; any other error fails
	 * the batch, as keys that are not the receipt's would miss it */
	s = lar_ledger_keys(&r->vd, &r->keys, NULL);
	return s == LAR_E_INVAL ? LAR_OK : s;
}

/* Store the verified records of b in the open file transaction, in input
 * order.  0, or -1 when the ledger failed (reported; ir->fatal set). */
static int store_batch(struct import_run *ir, struct batch *b, const char *name)
{
	struct lar_err e = { 0 };
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_rec *r = &b->recs[i];
		const struct lar_verdict *vd = &r->vd;
		enum lar_ledger_outcome oc;
		lar_status s = LAR_OK;
		switch (vd->status) {
		case LAR_V_SKIPPED:
			lar_ledger_note_skipped(ir->l);
			break;
		case LAR_V_FAIL:
			s = lar_ledger_add_reject(ir->l, fail_reason(vd->reasons), r->meta.line, batch_bytes(b, i),
						  r->meta.len, &e);
			note(ir, name, r->meta.line, "fail", vd->reasons);
			break;
		default:
			s = lar_ledger_add_keyed(ir->l, vd, &r->keys, r->meta.line, &oc, &e);
			if (s == LAR_OK && (oc == LAR_LEDGER_CONFLICT || oc == LAR_LEDGER_CONFLICT_PRESENT))
				note(ir, name, r->meta.line,
				     "conflict: receiptId stored with another signed payload",
				     vd->status == LAR_V_FLAG ? vd->reasons : 0);
			else if (vd->status == LAR_V_FLAG)
				note(ir, name, r->meta.line, "flag", vd->reasons);
			break;
		}
		if (s != LAR_OK) {
			cli_error_lar(ir->ctx, ir->ledger_path, &e);
			ir->fatal = 1;
			return -1;
		}
	}
	return 0;
}

/* Import one input.  Returns 0 when the file was committed, -1 otherwise
 * (reported; ir->fatal set when the ledger itself failed). */
static int import_stream(struct import_run *ir, int fd, const char *name)
{
	struct lar_reader *rd = NULL;
	struct lar_err e = { 0 };
	struct pipeline pl;
	struct batch *b;
	int unread = 0;

	if (lar_reader_new(fd, 0, &rd, &e) != LAR_OK) {
		cli_error_lar(ir->ctx, name, &e);
		ir->input_error = 1;
		return -1;
	}
	/* SPEC §4.2: each input file is one transaction; BEGIN IMMEDIATE waits
	 * here for a concurrent import */
	if (lar_ledger_file_begin(ir->l, name, &e) != LAR_OK) {
		cli_error_lar(ir->ctx, ir->ledger_path, &e);
		ir->fatal = 1;
		lar_reader_free(rd);
		return -1;
	}
	if (pipeline_start(&pl, rd, &ir->bv, &e) == 0) {
		while (!ir->fatal && (b = pipeline_next(&pl)) != NULL) {
			store_batch(ir, b, name);
			pipeline_release(&pl, b);
		}
	}
	if (pipeline_finish(&pl, &e) == LAR_OK) {
		/* the whole input was read and verified */
	} else if (pl.read_failed) {
		/* an input that cannot be read to its end is not imported at all:
		 * a rerun completes it */
		cli_error_lar(ir->ctx, name, &e);
		ir->input_error = 1;
		unread = 1;
	} else {
		cli_error_lar(ir->ctx, name, &e);
		ir->fatal = 1;
	}
	lar_reader_free(rd);
	if (ir->fatal || unread) {
		lar_ledger_file_rollback(ir->l);
		return -1;
	}
	if (lar_ledger_file_commit(ir->l, &e) != LAR_OK) {
		cli_error_lar(ir->ctx, ir->ledger_path, &e);
		ir->fatal = 1;
		return -1;
	}
	return 0;
}

static void summary(struct cli_ctx *ctx, int json, const struct lar_ledger_counts *c, uint64_t files)
{
	struct lar_buf *o = cli_out(ctx);
	if (json) {
		lar_buf_printf(
			o,
			"{\"imported\":%llu,\"alreadyPresent\":%llu,\"conflicts\":%llu,\"flagged\":%llu,"
			"\"rejected\":%llu,\"skipped\":%llu,\"files\":%llu}\n",
			(unsigned long long)c->imported, (unsigned long long)c->present,
			(unsigned long long)c->conflicts, (unsigned long long)c->flagged,
			(unsigned long long)c->rejected, (unsigned long long)c->skipped,
			(unsigned long long)files);
		return;
	}
	lar_buf_printf(o,
		       "%llu records from %llu file%s: %llu imported, %llu already present, %llu conflicts, "
		       "%llu rejected, %llu skipped; %llu flagged\n",
		       (unsigned long long)c->records, (unsigned long long)files, files == 1 ? "" : "s",
		       (unsigned long long)c->imported, (unsigned long long)c->present,
		       (unsigned long long)c->conflicts, (unsigned long long)c->rejected,
		       (unsigned long long)c->skipped, (unsigned long long)c->flagged);
}

int cmd_import(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ledger", required_argument, NULL, 'd' },
		{ "keyring", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, CLI_OPT_KEY },
		{ "insecure-keyring", no_argument, NULL, CLI_OPT_INSECURE },
		{ "format", required_argument, NULL, CLI_OPT_FORMAT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	struct cli_keys keys = { 0 };
	struct lar_keyring *kr = NULL;
	struct lar_verify_opts vopts = LAR_VERIFY_OPTS_DEFAULT;
	struct import_run ir;
	struct lar_err e = { 0 };
	const char *opt_d = NULL;
	int json = 0, opt, rc = CLI_EXIT_ERROR;
	uint64_t files = 0;

	memset(&ir, 0, sizeof ir);
	ir.ctx = ctx;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+d:k:qh", longopts, NULL)) != -1) {
		int k = cli_keys_option(&keys, opt, optarg);
		if (k < 0) {
			cli_error(ctx, NULL, "out of memory");
			goto out;
		}
		if (k > 0)
			continue;
		switch (opt) {
		case 'd':
			opt_d = optarg;
			break;
		case CLI_OPT_FORMAT: {
			int f = cli_parse_format(ctx, optarg, formats);
			if (f < 0)
				goto out;
			json = f == 1;
			break;
		}
		case 'q':
			ctx->quiet = 1;
			break;
		case 'h':
			cli_keys_free(&keys);
			return cmd_help(ctx, 2, (char *[]){ "help", "import", NULL });
		default:
			rc = cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if ((ir.ledger_path = cli_ledger_path(ctx, opt_d)) == NULL)
		goto out;
	if (cli_keys_load(ctx, &keys, 1, &kr) != 0)
		goto out;
	ir.bv.fn = keep_keyed;
	if (lar_verifier_new(kr, &vopts, &ir.bv.v, &e) != LAR_OK) {
		cli_error_lar(ctx, NULL, &e);
		goto out;
	}
	if (lar_ledger_open(ir.ledger_path, NULL, &ir.l, &e) != LAR_OK) {
		cli_error_lar(ctx, ir.ledger_path, &e);
		goto out;
	}
	if (lar_ledger_run_begin(ir.l, LAR_VERSION, &e) != LAR_OK) {
		cli_error_lar(ctx, ir.ledger_path, &e);
		goto out;
	}

	int nfiles = argc - optind;
	for (int i = 0; i < (nfiles ? nfiles : 1) && !ir.fatal; i++) {
		const char *name = nfiles ? argv[optind + i] : "-";
		int fd = cli_open_input(ctx, name);
		if (fd < 0) {
			ir.input_error = 1;
			continue; /* import the other files, exit 2 at the end */
		}
		if (import_stream(&ir, fd, name) == 0)
			files++;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	struct lar_ledger_counts c;
	lar_ledger_counts(ir.l, NULL, &c);
	if (lar_ledger_run_end(ir.l, &e) != LAR_OK) {
		cli_error_lar(ctx, ir.ledger_path, &e);
		ir.fatal = 1;
	}
	if (!ctx->quiet)
		summary(ctx, json, &c, files);
	/* SPEC §2.4, §4.2: 1 when a record failed or was flagged (the authentic
	 * ones are still stored); 2 when the ledger or an input could not be used */
	if (ir.fatal || ir.input_error)
		rc = CLI_EXIT_ERROR;
	else if (c.rejected || c.flagged)
		rc = CLI_EXIT_FINDINGS;
	else
		rc = CLI_EXIT_OK;
out:
	lar_ledger_close(ir.l);
	lar_verifier_free(ir.bv.v);
	lar_keyring_free(kr);
	cli_keys_free(&keys);
	return rc;
}
