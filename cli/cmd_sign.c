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
	int nfiles = argc - optind;
	for (int i = 0; i < (nfiles ? nfiles : 1) && !ctx->out_failed; i++) {
		const char *name = nfiles ? argv[optind + i] : "-";
		int fd = cli_open_input(ctx, name);
		if (fd < 0) {
			error = 1;
			continue;
		}
		struct lar_reader *rd = NULL;
		if (lar_reader_new(fd, name, 0, &rd, &e) != LAR_OK) {
			cli_error_lar(ctx, name, &e);
			error = 1;
		} else {
			struct lar_record rec;
			lar_status s;
			while ((s = lar_reader_next(rd, &rec, &e)) == LAR_OK && !ctx->out_failed) {
				const struct lar_json *payload;
				char where[64];
				snprintf(where, sizeof where, "line %llu", (unsigned long long)rec.line);
				lar_arena_reset(&arena);
				if (rec.broken || lar_json_parse(rec.p, rec.len, &arena, &payload, NULL) != LAR_OK) {
					cli_error(ctx, name, "%s: not strict JSON, not signed", where);
					if (!rec.broken)
						lar_reader_fail(rd);
					error = 1;
					continue;
				}
				if (payload->type != LAR_JSON_OBJECT) {
					cli_error(ctx, name, "%s: a payload must be a JSON object, not signed", where);
					error = 1;
					continue;
				}
				const struct lar_key_entry *k = pick_key(kr, key_id, payload);
				if (k == NULL) {
					cli_error(ctx, name, "%s: no unrevoked secret of '%s' is valid at its createdAt",
						  where, key_id);
					error = 1;
					continue;
				}
				lar_status ss = lar_receipt_sign(v, k, key_id, payload, cli_out(ctx));
				if (ss != LAR_OK) {
					cli_error(ctx, name, "%s: cannot sign: %s", where, lar_strerror(ss));
					error = 1;
					continue;
				}
				lar_buf_putc(cli_out(ctx), '\n');
				cli_out_maybe_flush(ctx);
			}
			if (s != LAR_OK && s != LAR_E_EOF) {
				cli_error_lar(ctx, name, &e);
				error = 1;
			}
		}
		lar_reader_free(rd);
		if (fd != STDIN_FILENO)
			close(fd);
	}
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
