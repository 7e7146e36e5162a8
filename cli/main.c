/*
 * main.c - la-receipt's entry point: the git-style dispatch table with the
 * one source of every usage text (help, usage errors and the man page
 * SYNOPSIS say the same thing; tests/t_cli.sh checks the man page).
 *
 * Not for: command logic (cmd_*.c) or shared helpers (common.c).
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define KEYS_OPTS                                                                                   \
	"  -k, --keyring KEYRING      keyring file (repeatable; default $LA_RECEIPT_KEYRING)\n"         \
	"      --key KEYID=SECRET     add one secret (text:, hex:, base64:, env:, file:)\n"             \
	"      --insecure-keyring     accept keyring files readable by group or others\n"

const struct cli_command cli_commands[] = {
	{ "verify", cmd_verify,
	  "la-receipt verify [KEYS] [--format text|json] [-q] [--min-fee-sats N] [--jobs N] [FILE...]\n",
	  "verify receipts and give a verdict per record",
	  KEYS_OPTS
	  "      --format text|json     one line per record (json: one object per line)\n"
	  "  -q, --quiet                print nothing but errors\n"
	  "      --min-fee-sats N       operator's minimum platform fee (default 1)\n"
	  "  -j, --jobs N               verify with N threads, output in input order\n" },
	{ "inspect", cmd_inspect,
	  "la-receipt inspect [--format text|json] [FILE...]\n",
	  "decode and show payloads without verifying anything",
	  "      --format text|json     output format\n" },
	{ "sign", cmd_sign,
	  "la-receipt sign [KEYS] --key-id ID [FILE...]\n",
	  "sign payload objects as LiveAuthCore does, one envelope per line",
	  KEYS_OPTS
	  "      --key-id ID            keyId to sign under (a secret of that id must be in KEYS)\n" },
	{ "import", cmd_import,
	  "la-receipt import -d LEDGER [KEYS] [--format text|json] [-q] [FILE...]\n",
	  "verify receipts and store them in a SQLite ledger",
	  "  -d, --ledger LEDGER        ledger file (default $LA_RECEIPT_LEDGER)\n" KEYS_OPTS
	  "      --format text|json     summary format\n"
	  "  -q, --quiet                print nothing but errors\n" },
	{ "report", cmd_report,
	  "la-receipt report reconcile -d LEDGER [--from DAY] [--to DAY] [--by FIELD,...] [--format text|json|csv]\n"
	  "la-receipt report dupes -d LEDGER [--format text|json]\n"
	  "la-receipt report check -d LEDGER\n",
	  "reconcile totals, find double charges and conflicts, check a ledger",
	  "  -d, --ledger LEDGER        ledger file (default $LA_RECEIPT_LEDGER)\n"
	  "      --from DAY, --to DAY   inclusive UTC days (YYYY-MM-DD) of createdAt\n"
	  "      --by FIELD,...         day, month, tool, method, project, agent, key (default day,tool)\n"
	  "      --format FORMAT        text, json or csv\n" },
	{ "export", cmd_export,
	  "la-receipt export -d LEDGER [--from DAY] [--to DAY] [--format csv|jsonl] [-o FILE]\n",
	  "export stored receipts as CSV or JSON Lines",
	  "  -d, --ledger LEDGER        ledger file (default $LA_RECEIPT_LEDGER)\n"
	  "      --from DAY, --to DAY   inclusive UTC days (YYYY-MM-DD) of createdAt\n"
	  "      --format csv|jsonl     output format (default csv)\n"
	  "  -o, --output FILE          write FILE atomically instead of standard output\n" },
	{ "keyring", cmd_keyring,
	  "la-receipt keyring list|check [KEYS]\n",
	  "list keys by fingerprint, or check that a keyring loads",
	  KEYS_OPTS },
	{ "help", cmd_help,
	  "la-receipt help [COMMAND]\n",
	  "show the usage of la-receipt or of one command",
	  "" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct cli_command *cli_find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void overview(FILE *f)
{
	fprintf(f, "usage: la-receipt COMMAND [ARGS]\n\n");
	for (const struct cli_command *c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\n  KEYS := [-k KEYRING]... [--key KEYID=SECRET]... [--insecure-keyring]\n"
		   "  la-receipt --version\n\nRun 'la-receipt help COMMAND' for a command's options.\n");
}

int cmd_help(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		overview(stdout);
	} else {
		const struct cli_command *c = cli_find_command(argv[1]);
		if (c == NULL)
			return cli_usage_error(ctx, "unknown command '%s'", argv[1]);
		printf("usage: %s\n%s\n\n%s", c->synopsis, c->summary, c->options);
	}
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .cmd = "la-receipt" };

	/* a closed pipe is reported by write() as EPIPE, handled in cli_out_flush */
	signal(SIGPIPE, SIG_IGN);
	/* over a file-size limit, write() reports EFBIG and we fail cleanly
	 * (the transaction rolls back, the temporary export is removed) */
	signal(SIGXFSZ, SIG_IGN);
	/* secrets live in this process's memory: keep them out of core dumps
	 * (and out of reach of ptrace by the same user) */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc < 2) {
		overview(stderr);
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("la-receipt %s\n", LAR_VERSION);
		return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		overview(stdout);
		return CLI_EXIT_OK;
	}
	const struct cli_command *c = cli_find_command(argv[1]);
	if (c != NULL && argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) &&
	    c->run != cmd_keyring) {
		ctx.cmd = "help";
		return cmd_help(&ctx, 2, (char *[]){ "help", argv[1], NULL });
	}
	if (c == NULL) {
		fprintf(stderr, "la-receipt: unknown command '%s'\n", argv[1]);
		overview(stderr);
		return CLI_EXIT_ERROR;
	}
	ctx.cmd = c->name;
	lar_buf_init(&ctx.out, 0);
	int rc = c->run(&ctx, argc - 1, argv + 1);
	if (cli_out_flush(&ctx) != 0 && rc != CLI_EXIT_ERROR)
		rc = CLI_EXIT_ERROR; /* a failed write to stdout is an error */
	lar_buf_free(&ctx.out);
	return rc;
}
