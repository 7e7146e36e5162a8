/*
 * cmd_inspect.c - `la-receipt inspect`: decode and show payloads without a
 * key.  Nothing is verified, and the output says so on every record.
 *
 * Not for: verdicts (verify) or anything that needs a secret.
 */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "b64url.h"
#include "cli.h"
#include "json.h"
#include "reader.h"
#include "receipt.h"
#include "verdict.h"

#include <stdlib.h>

struct inspect {
	struct cli_ctx *ctx;
	int json;
	struct lar_arena arena;
	struct lar_verifier *v;
	uint64_t shown, undecodable;
};

/* Find the envelope of a record (SPEC §2.1), or NULL. */
static const struct lar_json *envelope_of(const struct lar_json *root, int *skipped)
{
	*skipped = 0;
	if (root->type != LAR_JSON_OBJECT)
		return NULL;
	if (lar_json_get(root, "payload") != NULL && lar_json_get(root, "signature") != NULL)
		return root;
	const struct lar_json *r = lar_json_get(root, "receipt");
	if (r != NULL && r->type == LAR_JSON_NULL)
		*skipped = 1;
	return r != NULL && r->type == LAR_JSON_OBJECT ? r : NULL;
}

static void field(struct lar_buf *o, const char *name, const struct lar_json *v)
{
	lar_buf_puts(o, "  ");
	lar_buf_puts(o, name);
	lar_buf_puts(o, ": ");
	if (v == NULL)
		lar_buf_puts(o, "(absent)");
	else
		lar_json_write(o, v);
	lar_buf_puts(o, "\n");
}

static int one(void *arg, const char *source, struct lar_reader *rd, const struct lar_record *rec)
{
	struct inspect *in = arg;
	struct lar_buf *o = cli_out(in->ctx);
	const struct lar_json *root = NULL, *env = NULL, *payload = NULL;
	const char *problem = NULL;
	uint8_t *dec = NULL;
	size_t declen = 0;
	int skipped = 0;
	struct lar_verdict vd;
	int checked = 0;

	lar_arena_reset(&in->arena);
	if (rec->broken) {
		problem = "not JSON (malformed_input)";
	} else if (lar_json_parse(rec->p, rec->len, &in->arena, &root, NULL) != LAR_OK) {
		problem = "not JSON (malformed_input)";
		lar_reader_fail(rd);
	} else if ((env = envelope_of(root, &skipped)) == NULL) {
		problem = skipped ? "receipt is null: a denied charge" : "no envelope (malformed_input)";
	} else {
		const struct lar_json *p = lar_json_get(env, "payload");
		if (p == NULL || p->type != LAR_JSON_STRING) {
			problem = "payload is not a string";
		} else if ((declen = lar_b64url_declen(p->n)) == SIZE_MAX ||
			   (dec = malloc(declen ? declen : 1)) == NULL ||
			   lar_b64url_decode(p->u.s, p->n, dec, &declen) != LAR_OK) {
			problem = "payload is not strict base64url";
		} else if (lar_json_parse(dec, declen, &in->arena, &payload, NULL) != LAR_OK) {
			problem = "payload is not strict JSON (malformed_payload)";
		} else if (lar_receipt_check_payload(in->v, dec, declen, &vd) == LAR_OK) {
			checked = 1;
		}
	}
	if (problem != NULL && !skipped)
		in->undecodable++;
	in->shown++;

	if (in->json) {
		lar_buf_puts(o, "{\"source\":");
		lar_json_write_string(o, source, strlen(source));
		lar_buf_puts(o, ",\"line\":");
		lar_buf_put_i64(o, (int64_t)rec->line);
		lar_buf_puts(o, ",\"verified\":false");
		if (env != NULL) {
			const struct lar_json *k = lar_json_get(env, "keyId");
			lar_buf_puts(o, ",\"keyId\":");
			if (k != NULL)
				lar_json_write(o, k);
			else
				lar_buf_puts(o, "null");
		}
		if (problem != NULL) {
			lar_buf_puts(o, ",\"problem\":");
			lar_json_write_string(o, problem, strlen(problem));
		}
		if (payload != NULL) {
			lar_buf_puts(o, ",\"payload\":");
			lar_json_write(o, payload);
		}
		if (checked) {
			lar_buf_puts(o, ",\"payloadFindings\":\"");
			if (vd.status == LAR_V_FAIL || vd.reasons)
				verdict_write_reasons(o, vd.reasons);
			lar_buf_puts(o, "\"");
		}
		lar_buf_puts(o, "}\n");
	} else {
		lar_buf_puts(o, source);
		lar_buf_putc(o, ':');
		lar_buf_put_i64(o, (int64_t)rec->line);
		lar_buf_puts(o, ": NOT VERIFIED (inspect checks no signature)\n");
		if (env != NULL) {
			field(o, "version (unsigned)", lar_json_get(env, "version"));
			field(o, "keyId (unsigned)", lar_json_get(env, "keyId"));
			field(o, "signatureAlgorithm (unsigned)", lar_json_get(env, "signatureAlgorithm"));
		}
		if (problem != NULL) {
			lar_buf_puts(o, "  problem: ");
			lar_buf_puts(o, problem);
			lar_buf_putc(o, '\n');
		}
		if (checked) {
			lar_buf_puts(o, "  payload findings (without the MAC): ");
			if (vd.reasons)
				verdict_write_reasons(o, vd.reasons);
			else
				lar_buf_puts(o, "none");
			lar_buf_putc(o, '\n');
		}
		if (payload != NULL) {
			lar_buf_puts(o, "  payload: ");
			lar_json_write_pretty(o, payload, 2);
			lar_buf_putc(o, '\n');
		}
	}
	free(dec);
	return 0;
}

int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, CLI_OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	struct inspect in = { .ctx = ctx };
	int opt, error = 0;
	struct lar_err e = { 0 };

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case CLI_OPT_FORMAT: {
			int f = cli_parse_format(ctx, optarg, formats);
			if (f < 0)
				return CLI_EXIT_ERROR;
			in.json = f == 1;
			break;
		}
		case 'h':
			return cmd_help(ctx, 2, (char *[]){ "help", "inspect", NULL });
		default:
			return cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	lar_arena_init(&in.arena, 256u * 1024 * 1024);
	if (lar_verifier_new(NULL, NULL, &in.v, &e) != LAR_OK) {
		cli_error_lar(ctx, NULL, &e);
		return CLI_EXIT_ERROR;
	}
	if (cli_each_record(ctx, argc - optind, argv + optind, one, &in) != 0)
		error = 1;
	lar_verifier_free(in.v);
	lar_arena_free(&in.arena);
	if (cli_out_flush(ctx) != 0 || error)
		return CLI_EXIT_ERROR;
	return in.undecodable ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}
