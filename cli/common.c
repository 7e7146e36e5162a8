/*
 * common.c - what every subcommand shares: messages, exit codes, checked
 * stdout, the KEYS options, opening inputs (see cli.h).
 *
 * Not for: command logic.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "reader.h"

#define OUT_FLUSH_AT (256u * 1024)

int cli_exit_for_status(lar_status s)
{
	/* SPEC §2.4: every error that stopped a command is exit 2 */
	return s == LAR_OK ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

__attribute__((format(printf, 3, 0)))
static void vmsg(const struct cli_ctx *ctx, const char *subject, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (subject != NULL)
		fprintf(stderr, "la-receipt: %s: '%s': %s\n", ctx->cmd, subject, msg);
	else
		fprintf(stderr, "la-receipt: %s: %s\n", ctx->cmd, msg);
}

void cli_error(const struct cli_ctx *ctx, const char *subject, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(ctx, subject, fmt, ap);
	va_end(ap);
}

void cli_error_lar(const struct cli_ctx *ctx, const char *subject, const struct lar_err *e)
{
	const char *why = e->sys_errno != 0 ? strerror(e->sys_errno) : NULL;
	/* some library messages already end with the reason: say it once */
	if (why != NULL && e->msg[0] && strstr(e->msg, why) != NULL)
		why = NULL;
	if (why != NULL)
		cli_error(ctx, subject, "%s: %s", e->msg[0] ? e->msg : lar_strerror(e->code), why);
	else
		cli_error(ctx, subject, "%s", e->msg[0] ? e->msg : lar_strerror(e->code));
}

int cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(ctx, NULL, fmt, ap);
	va_end(ap);
	const struct cli_command *c = cli_find_command(ctx->cmd);
	if (c != NULL)
		fprintf(stderr, "usage: %s(run 'la-receipt help %s' for the options)\n", c->synopsis, c->name);
	return CLI_EXIT_ERROR;
}

int cli_out_flush(struct cli_ctx *ctx)
{
	struct lar_buf *b = &ctx->out;
	if (b->oom && !ctx->out_failed) {
		ctx->out_failed = 1;
		cli_error(ctx, NULL, "out of memory buffering output");
	}
	size_t off = 0;
	while (off < b->len && !ctx->out_failed) {
		ssize_t n = write(STDOUT_FILENO, b->p + off, b->len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		ctx->out_failed = 1;
		if (n < 0 && errno == EPIPE) {
			ctx->out_epipe = 1; /* the reader went away: end quietly */
		} else {
			cli_error(ctx, "stdout", "write error: %s", n < 0 ? strerror(errno) : "short write");
		}
	}
	lar_buf_reset(b);
	return ctx->out_failed ? -1 : 0;
}

void cli_out_maybe_flush(struct cli_ctx *ctx)
{
	if (ctx->out.len >= OUT_FLUSH_AT)
		cli_out_flush(ctx);
}

/* ---- KEYS ---- */

static int push(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof **v);
	if (nv == NULL)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

int cli_keys_option(struct cli_keys *k, int opt, char *arg)
{
	switch (opt) {
	case 'k':
		return push(&k->files, &k->nfiles, arg) == 0 ? 1 : -1;
	case CLI_OPT_KEY:
		return push(&k->specs, &k->nspecs, arg) == 0 ? 1 : -1;
	case CLI_OPT_INSECURE:
		k->insecure = 1;
		return 1;
	default:
		return 0;
	}
}

void cli_keys_free(struct cli_keys *k)
{
	free(k->files);
	free(k->specs);
	k->files = k->specs = NULL;
	k->nfiles = k->nspecs = 0;
}

static const char *env_lookup(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

int cli_keys_load(struct cli_ctx *ctx, struct cli_keys *k, int required, struct lar_keyring **out)
{
	struct lar_keyring *kr = NULL;
	struct lar_err e = { 0 };
	unsigned flags = k->insecure ? LAR_KEYRING_INSECURE : 0;

	if (lar_keyring_new(&kr) != LAR_OK) {
		cli_error(ctx, NULL, "out of memory");
		return CLI_EXIT_ERROR;
	}
	lar_keyring_set_env_lookup(kr, env_lookup, NULL);
	const char *deflt = getenv("LA_RECEIPT_KEYRING");
	if (k->nfiles == 0 && deflt != NULL && *deflt != 0) {
		if (lar_keyring_load_file(kr, deflt, flags, &e) != LAR_OK)
			goto fail;
	}
	for (size_t i = 0; i < k->nfiles; i++)
		if (lar_keyring_load_file(kr, k->files[i], flags, &e) != LAR_OK)
			goto fail;
	for (size_t i = 0; i < k->nspecs; i++)
		if (lar_keyring_add_spec(kr, k->specs[i], flags, &e) != LAR_OK)
			goto fail;
	if (required && lar_keyring_count(kr) == 0) {
		cli_error(ctx, NULL, "no keys: give -k KEYRING or --key KEYID=SECRET, or set LA_RECEIPT_KEYRING");
		lar_keyring_free(kr);
		return CLI_EXIT_ERROR;
	}
	*out = kr;
	return 0;
fail:
	/* the library's message names the file and line, never the secret */
	cli_error_lar(ctx, NULL, &e);
	lar_keyring_free(kr);
	return CLI_EXIT_ERROR;
}

int cli_open_input(struct cli_ctx *ctx, const char *path)
{
	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli_error(ctx, path, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		cli_error(ctx, path, "cannot read: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		cli_error(ctx, path, "cannot read: %s", strerror(EISDIR));
		close(fd);
		return -1;
	}
	return fd;
}

const char *cli_ledger_path(struct cli_ctx *ctx, const char *opt_d)
{
	if (opt_d != NULL && *opt_d != 0)
		return opt_d;
	const char *p = getenv("LA_RECEIPT_LEDGER");
	if (p != NULL && *p != 0)
		return p;
	cli_usage_error(ctx, "no ledger: give -d LEDGER or set LA_RECEIPT_LEDGER");
	return NULL;
}

int cli_parse_format(struct cli_ctx *ctx, const char *arg, const char *const *names)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	cli_usage_error(ctx, "unknown format '%s'", arg);
	return -1;
}

int cli_each_record(struct cli_ctx *ctx, int nfiles, char **files, cli_record_fn fn, void *arg)
{
	int error = 0;
	for (int i = 0; i < (nfiles ? nfiles : 1) && !ctx->out_failed; i++) {
		const char *name = nfiles ? files[i] : "-";
		int fd = cli_open_input(ctx, name);
		if (fd < 0) {
			error = 1;
			continue;
		}
		struct lar_reader *rd = NULL;
		struct lar_err e = { 0 };
		if (lar_reader_new(fd, 0, &rd, &e) != LAR_OK) {
			cli_error_lar(ctx, name, &e);
			error = 1;
		} else {
			struct lar_record rec;
			lar_status s;
			while ((s = lar_reader_next(rd, &rec, &e)) == LAR_OK && !ctx->out_failed) {
				if (fn(arg, name, rd, &rec) != 0)
					error = 1;
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
	return error || ctx->out_failed ? -1 : 0;
}
