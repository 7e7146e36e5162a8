/*
 * cli.h - what the la-receipt subcommands share: the dispatch table, exit
 * codes (SPEC §2.4, mapped here and nowhere else), messages to stderr,
 * buffered checked stdout, and the KEYS options (SPEC §4).
 *
 * Not for: anything a library user needs; verify/ and ledger/ never include it.
 */
#ifndef LAR_CLI_H
#define LAR_CLI_H

#include <stdio.h>

#include "keyring.h"
#include "lar.h"

/* SPEC §2.4: the only exit codes la-receipt uses. */
enum cli_exit {
	CLI_EXIT_OK = 0,       /* everything checked is ok */
	CLI_EXIT_FINDINGS = 1, /* a flag or fail, or a report found a discrepancy */
	CLI_EXIT_ERROR = 2,    /* usage, unreadable input, unusable keyring/ledger, internal */
};

/* Exit code for a library error that stopped a command. */
int cli_exit_for_status(lar_status s);

struct cli_ctx {
	const char *cmd;      /* subcommand name, for messages */
	int quiet;            /* -q: print nothing but errors */
	int out_failed;       /* a write to stdout failed */
	int out_epipe;        /* ... because the reader went away */
	struct lar_buf out;   /* stdout buffer */
};

/* Usage text, one source for `help CMD`, usage errors and the man page. */
struct cli_command {
	const char *name;
	int (*run)(struct cli_ctx *ctx, int argc, char **argv); /* argv[0] is the command name */
	const char *synopsis; /* one or more lines, each starting "la-receipt NAME" */
	const char *summary;  /* one line */
	const char *options;  /* option lines, "  -x, --long ARG  text\n" */
};
extern const struct cli_command cli_commands[];
const struct cli_command *cli_find_command(const char *name);

/* "la-receipt: CMD: SUBJECT: message" to stderr (subject may be NULL);
 * lowercase, no full stop. */
void cli_error(const struct cli_ctx *ctx, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As cli_error, for a struct lar_err from the library. */
void cli_error_lar(const struct cli_ctx *ctx, const char *subject, const struct lar_err *e);
/* Usage error: message, then the command's synopsis; returns CLI_EXIT_ERROR. */
int cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Buffered stdout.  cli_out_flush() returns 0, or -1 when a write failed
 * (and sets out_failed; a message is printed unless the pipe was closed). */
static inline struct lar_buf *cli_out(struct cli_ctx *ctx) { return &ctx->out; }
void cli_out_maybe_flush(struct cli_ctx *ctx); /* flush when the buffer is large */
int cli_out_flush(struct cli_ctx *ctx);

/* KEYS := [-k KEYRING]… [--key KEYID=SECRET]… [--insecure-keyring] */
struct cli_keys {
	const char **files;
	size_t nfiles;
	const char **specs;
	size_t nspecs;
	int insecure;
};
/* getopt_long option values for the KEYS options */
enum { CLI_OPT_KEY = 0x1000, CLI_OPT_INSECURE, CLI_OPT_FORMAT, CLI_OPT_MIN_FEE, CLI_OPT_JOBS,
       CLI_OPT_KEY_ID, CLI_OPT_FROM, CLI_OPT_TO, CLI_OPT_BY, CLI_OPT_MAX_RECORD };
/* Handle one of -k / --key / --insecure-keyring; 1 when consumed, 0 when not a KEYS option. */
int cli_keys_option(struct cli_keys *k, int opt, char *arg);
/* Load the keyring: the -k files, else $LA_RECEIPT_KEYRING, plus --key specs.
 * On failure prints the error and returns CLI_EXIT_ERROR; else 0 with *out set. */
int cli_keys_load(struct cli_ctx *ctx, struct cli_keys *k, int required, struct lar_keyring **out);
void cli_keys_free(struct cli_keys *k);

/* Open an input FILE ("-" is stdin).  Returns the fd or -1 after printing
 * "cannot open" with the reason; directories are refused. */
int cli_open_input(struct cli_ctx *ctx, const char *path);

/* Called for every record of every input, in order.  Return 0 to go on,
 * -1 when this record could not be handled (the run will exit 2). */
struct lar_reader;
struct lar_record;
typedef int (*cli_record_fn)(void *arg, const char *source, struct lar_reader *rd, const struct lar_record *rec);

/* Read the nfiles FILEs (standard input when there are none) record by
 * record through fn.  Open and read errors are reported with the file's
 * name and the other files are still read.  Returns 0 when every input was
 * read and every call returned 0, else -1.  Stops early when stdout failed. */
int cli_each_record(struct cli_ctx *ctx, int nfiles, char **files, cli_record_fn fn, void *arg);

/* Ledger path: -d value, else $LA_RECEIPT_LEDGER; NULL (after a usage error
 * message) when neither is given. */
const char *cli_ledger_path(struct cli_ctx *ctx, const char *opt_d);

/* Parse --format: returns index into names[] (NULL-terminated), or -1 after a usage error. */
int cli_parse_format(struct cli_ctx *ctx, const char *arg, const char *const *names);

/* Commands */
int cmd_verify(struct cli_ctx *ctx, int argc, char **argv);
int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_sign(struct cli_ctx *ctx, int argc, char **argv);
int cmd_keyring(struct cli_ctx *ctx, int argc, char **argv);
int cmd_import(struct cli_ctx *ctx, int argc, char **argv);
int cmd_report(struct cli_ctx *ctx, int argc, char **argv);
int cmd_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_help(struct cli_ctx *ctx, int argc, char **argv);

#endif
