/*
 * cmd_keyring.c - `la-receipt keyring list|check`: show keys by fingerprint
 * (never a secret) or check that a keyring loads (SPEC §3).
 *
 * Not for: editing keyrings.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "keyring.h"

static void put_time(struct lar_buf *o, const char *label, lar_time t)
{
	char b[21];
	lar_time_format_utc(t, b);
	lar_buf_putc(o, ' ');
	lar_buf_puts(o, label);
	lar_buf_putc(o, '=');
	lar_buf_puts(o, b);
}

int cmd_keyring(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keyring", required_argument, NULL, 'k' },
		{ "key", required_argument, NULL, CLI_OPT_KEY },
		{ "insecure-keyring", no_argument, NULL, CLI_OPT_INSECURE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_keys keys = { 0 };
	struct lar_keyring *kr = NULL;
	int opt, rc = CLI_EXIT_ERROR;

	if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "check") != 0)) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
			return cmd_help(ctx, 2, (char *[]){ "help", "keyring", NULL });
		return cli_usage_error(ctx, "expected 'list' or 'check'");
	}
	int list = strcmp(argv[1], "list") == 0;
	optind = 1;
	opterr = 0;
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "+k:h", longopts, NULL)) != -1) {
		int k = cli_keys_option(&keys, opt, optarg);
		if (k < 0) {
			cli_error(ctx, NULL, "out of memory");
			goto out;
		}
		if (k > 0)
			continue;
		if (opt == 'h') {
			rc = cmd_help(ctx, 2, (char *[]){ "help", "keyring", NULL });
			goto out;
		}
		rc = cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
		goto out;
	}
	if (optind < argc) {
		rc = cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (cli_keys_load(ctx, &keys, 1, &kr) != 0)
		goto out;
	size_t n = lar_keyring_count(kr);
	size_t revoked = 0, dup = 0, live = 0;
	struct lar_buf *o = cli_out(ctx);
	for (size_t i = 0; i < n; i++) {
		const struct lar_key_entry *k = lar_keyring_entry(kr, i);
		revoked += k->revoked != 0;
		for (size_t j = 0; j < i; j++) {
			const struct lar_key_entry *q = lar_keyring_entry(kr, j);
			if (strcmp(q->key_id, k->key_id) == 0 && memcmp(q->fingerprint, k->fingerprint, LAR_FPR_LEN) == 0) {
				dup++;
				cli_error(ctx, k->origin, "line %u: the same secret as line %u under '%s'", k->line,
					  q->line, k->key_id);
				break;
			}
		}
		/* a revoked secret still valid under another keyId: the keyId is
		 * not signed, so a receipt made with it verifies under that one */
		for (size_t j = 0; k->revoked && j < n; j++) {
			const struct lar_key_entry *q = lar_keyring_entry(kr, j);
			if (!q->revoked && strcmp(q->key_id, k->key_id) != 0 &&
			    memcmp(q->fingerprint, k->fingerprint, LAR_FPR_LEN) == 0) {
				live++;
				cli_error(ctx, k->origin,
					  "line %u: the secret revoked under '%s' is not revoked under '%s' (%s:%u): "
					  "receipts it signs still verify there",
					  k->line, k->key_id, q->key_id, q->origin, q->line);
				break;
			}
		}
		if (!list)
			continue;
		lar_json_write_string(o, k->key_id, k->key_id_len);
		lar_buf_putc(o, ' ');
		lar_buf_puts(o, k->fingerprint_hex);
		lar_buf_putc(o, ' ');
		lar_buf_puts(o, lar_secret_form_name(k->form));
		if (k->not_before != LAR_TIME_MIN)
			put_time(o, "not-before", k->not_before);
		if (k->not_after != LAR_TIME_MAX)
			put_time(o, "not-after", k->not_after);
		if (k->revoked)
			lar_buf_puts(o, " revoked");
		lar_buf_printf(o, " %s:%u\n", k->origin, k->line);
	}
	if (!list)
		fprintf(stderr, "la-receipt: keyring: %zu secret%s loaded (%zu revoked)%s%s\n", n, n == 1 ? "" : "s",
			revoked, dup ? ", with duplicates" : "", live ? ", a revoked secret still valid elsewhere" : "");
	rc = CLI_EXIT_OK;
out:
	lar_keyring_free(kr);
	cli_keys_free(&keys);
	return rc;
}
