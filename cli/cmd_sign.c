/*
 * cmd_sign.c - `la-receipt sign`: payload objects in, envelopes out, one per
 * line, byte-compatible with LiveAuthCore (SPEC §1.2, §1.4, §1.5).
 *
 * The secret used is the first unrevoked one of --key-id whose validity
 * window holds the payload's createdAt (or, when createdAt is not a valid
 * time, the first unrevoked one).  It is never printed.
 *
 * Not for: verification; sign checks no schema, so it can make test vectors.
 */
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "reader.h"
#include "receipt.h"

static const struct lar_key_entry *pick_key(const struct lar_keyring *kr, const char *id,
					    const struct lar_json *payload)
{
	const struct lar_json *c = lar_json_get(payload, "createdAt");
	lar_time t = 0;
	int have_t = c != NULL && c->type == LAR_JSON_STRING && lar_time_parse_instant(c->u.s, c->n, &t) == LAR_OK;
	const struct lar_key_entry *k, *first = NULL;
	size_t pos = 0;
	while ((k = lar_keyring_next(kr, id, strlen(id), &pos)) != NULL) {
		if (k->revoked)
			continue;
		if (first == NULL)
			first = k;
		if (have_t && t >= k->not_before && t < k->not_after)
			return k;
	}
	return have_t ? NULL : first;
}

struct signer {
	struct cli_ctx *ctx;
	const struct lar_keyring *kr;
	struct lar_verifier *v;
	const char *key_id;
	struct lar_arena *arena;
};

/* Sign one payload record; -1 (reported) when it cannot be signed. */
static int sign_one(void *arg, const char *name, struct lar_reader *rd, const struct lar_record *rec)
{
	struct signer *sg = arg;
	struct cli_ctx *ctx = sg->ctx;
	const struct lar_json *payload;
	char where[64];
	snprintf(where, sizeof where, "line %llu", (unsigned long long)rec->line);
	lar_arena_reset(sg->arena);
	if (rec->broken || lar_json_parse(rec->p, rec->len, sg->arena, &payload, NULL) != LAR_OK) {
		cli_error(ctx, name, "%s: not strict JSON, not signed", where);
		if (!rec->broken)
			lar_reader_fail(rd);
		return -1;
	}
	if (payload->type != LAR_JSON_OBJECT) {
		cli_error(ctx, name, "%s: a payload must be a JSON object, not signed", where);
		return -1;
	}
	const struct lar_key_entry *k = pick_key(sg->kr, sg->key_id, payload);
	if (k == NULL) {
		cli_error(ctx, name, "%s: no unrevoked secret of '%s' is valid at its createdAt", where, sg->key_id);
		return -1;
	}
	lar_status s = lar_receipt_sign(sg->v, k, sg->key_id, payload, cli_out(ctx));
	if (s != LAR_OK) {
		cli_error(ctx, name, "%s: cannot sign: %s", where, lar_strerror(s));
		return -1;
	}
	lar_buf_putc(cli_out(ctx), '\n');
	return 0;
}

int cmd_sign(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keyring", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, CLI_OPT_KEY },
		{ "insecure-keyring", no_argument, NULL, CLI_OPT_INSECURE },
		{ "key-id", required_argument, NULL, CLI_OPT_KEY_ID },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_keys keys = { 0 };
	const char *key_id = NULL;
	struct lar_keyring *kr = NULL;
	struct lar_verifier *v = NULL;
	struct lar_arena arena;
	struct lar_err e = { 0 };
	int opt, rc = CLI_EXIT_ERROR, error = 0;

	lar_arena_init(&arena, 256u * 1024 * 1024);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+k:h", longopts, NULL)) != -1) {
		int k = cli_keys_option(&keys, opt, optarg);
		if (k < 0) {
			cli_error(ctx, NULL, "out of memory");
			goto out;
		}
		if (k > 0)
			continue;
		switch (opt) {
		case CLI_OPT_KEY_ID:
			key_id = optarg;
			break;
		case 'h':
			rc = cmd_help(ctx, 2, (char *[]){ "help", "sign", NULL });
			goto out;
		default:
			rc = cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (key_id == NULL) {
		rc = cli_usage_error(ctx, "--key-id ID is required");
		goto out;
	}
	if (cli_keys_load(ctx, &keys, 1, &kr) != 0)
		goto out;
	size_t pos = 0;
	if (lar_keyring_next(kr, key_id, strlen(key_id), &pos) == NULL) {
		cli_error(ctx, key_id, "no secret with this key id in the keyring");
		goto out;
	}
	if (lar_verifier_new(kr, NULL, &v, &e) != LAR_OK) {
		cli_error_lar(ctx, NULL, &e);
		goto out;
	}
	struct signer sg = { ctx, kr, v, key_id, &arena };
	if (cli_each_record(ctx, argc - optind, argv + optind, sign_one, &sg) != 0)
		error = 1;
	if (cli_out_flush(ctx) != 0)
		error = 1;
	rc = error ? CLI_EXIT_ERROR : CLI_EXIT_OK;
out:
	lar_verifier_free(v);
	lar_keyring_free(kr);
	lar_arena_free(&arena);
	cli_keys_free(&keys);
	return rc;
}
