/*
 * cmd_export.c - `la-receipt export`: the stored receipts as CSV (SPEC §4.3)
 * or JSON Lines (SPEC §4), ordered by createdAt then receiptId, optionally
 * limited to inclusive UTC days.
 *
 * -o FILE is written atomically: into a temporary file in FILE's folder
 * (mode 0600, as the ledger: receipts are business records), flushed to
 * disk, then renamed over FILE; on any failure the temporary file is
 * removed and FILE is left as it was.  When FILE exists and is not a
 * regular file (a device such as /dev/null, a pipe), it is written in place:
 * renaming over it would replace the device or pipe with a file.
 *
 * Not for: the rows' format (ledger/export.c) or the query (ledger/ledger.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "ledger.h"
#include "timestamp.h"

#define EXPORT_FLUSH_AT (256u * 1024)

struct export_out {
	struct cli_ctx *ctx;
	int fd; /* -o: the temporary file; -1: stdout through ctx */
	const char *tmpname; /* for messages */
	struct lar_buf buf; /* -o only */
	int jsonl;
	struct lar_export_jsonl x;
	struct lar_err err; /* a row that could not be written */
	int write_failed;
};

static struct lar_buf *outbuf(struct export_out *o)
{
	return o->fd >= 0 ? &o->buf : cli_out(o->ctx);
}

static int flush_file(struct export_out *o)
{
	size_t off = 0;
	while (off < o->buf.len) {
		ssize_t n = write(o->fd, o->buf.p + off, o->buf.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_error(o->ctx, o->tmpname, "write error: %s",
				  n < 0 ? strerror(errno) : "short write");
			o->write_failed = 1;
			return -1;
		}
		off += (size_t)n;
	}
	lar_buf_reset(&o->buf);
	return 0;
}

/* Hand the buffered rows on when there are enough of them. */
static lar_status maybe_flush(struct export_out *o)
{
	struct lar_buf *b = outbuf(o);
	if (b->oom) {
		cli_error(o->ctx, NULL, "out of memory");
		o->write_failed = 1;
		return LAR_E_NOMEM;
	}
	if (o->fd < 0) {
		cli_out_maybe_flush(o->ctx);
		if (o->ctx->out_failed) {
			o->write_failed = 1;
			return LAR_E_IO;
		}
		return LAR_OK;
	}
	if (b->len >= EXPORT_FLUSH_AT && flush_file(o) != 0)
		return LAR_E_IO;
	return LAR_OK;
}

static lar_status row(void *ctx, const struct lar_ledger_receipt *r)
{
	struct export_out *o = ctx;
	if (o->jsonl) {
		lar_status s = lar_export_jsonl_row(&o->x, outbuf(o), r, &o->err);
		if (s != LAR_OK)
			return s;
	} else {
		lar_export_csv_row(outbuf(o), r);
	}
	return maybe_flush(o);
}

/* Make a temporary file beside path; returns its fd and sets *tmp. */
static int make_temp(struct cli_ctx *ctx, const char *path, char **tmp)
{
	size_t n = strlen(path);
	char *t = malloc(n + 16);
	if (t == NULL) {
		cli_error(ctx, NULL, "out of memory");
		return -1;
	}
	/* same folder as path, so the rename cannot cross file systems */
	snprintf(t, n + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(t);
	if (fd < 0) {
		cli_error(ctx, path, "cannot create a temporary file beside it: %s", strerror(errno));
		free(t);
		return -1;
	}
	*tmp = t;
	return fd;
}

/* fsync the folder holding path, so the rename itself is durable. */
static void sync_dir(const char *path)
{
	char *d = strdup(path);
	if (d == NULL)
		return;
	char *slash = strrchr(d, '/');
	const char *dir = ".";
	if (slash == d)
		dir = "/";
	else if (slash != NULL) {
		*slash = 0;
		dir = d;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(d);
}

int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ledger", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, CLI_OPT_FROM },
		{ "to", required_argument, NULL, CLI_OPT_TO },
		{ "format", required_argument, NULL, CLI_OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "csv", "jsonl", NULL };
	const char *opt_d = NULL, *output = NULL, *path;
	struct lar_day_range range = { NULL, NULL };
	struct lar_ledger *l = NULL;
	struct lar_ledger_opts lopts = { .flags = LAR_LEDGER_NOCREATE };
	struct lar_err e = { 0 };
	struct export_out o;
	char *tmp = NULL;
	int opt, rc = CLI_EXIT_ERROR;
	lar_time t;

	memset(&o, 0, sizeof o);
	o.ctx = ctx;
	o.fd = -1;
	lar_buf_init(&o.buf, 0);
	lar_export_jsonl_init(&o.x);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+d:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			opt_d = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case CLI_OPT_FROM:
		case CLI_OPT_TO:
			/* SPEC §4: DAY is YYYY-MM-DD in UTC */
			if (lar_time_parse_day(optarg, strlen(optarg), &t) != LAR_OK) {
				rc = cli_usage_error(ctx, "--%s takes a day YYYY-MM-DD, not '%s'",
						     opt == CLI_OPT_FROM ? "from" : "to", optarg);
				goto out;
			}
			if (opt == CLI_OPT_FROM)
				range.from = optarg;
			else
				range.to = optarg;
			break;
		case CLI_OPT_FORMAT: {
			int f = cli_parse_format(ctx, optarg, formats);
			if (f < 0)
				goto out;
			o.jsonl = f == 1;
			break;
		}
		case 'h':
			return cmd_help(ctx, 2, (char *[]){ "help", "export", NULL });
		default:
			rc = cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if ((path = cli_ledger_path(ctx, opt_d)) == NULL)
		goto out;
	if (lar_ledger_open(path, &lopts, &l, &e) != LAR_OK) {
		cli_error_lar(ctx, path, &e);
		goto out;
	}
	struct stat st;
	int in_place = 0; /* -o names a device or a pipe: written as it is */
	if (output != NULL && strcmp(output, "-") != 0) {
		if (stat(output, &st) == 0 && !S_ISREG(st.st_mode)) {
			in_place = 1;
			o.tmpname = output;
			if ((o.fd = open(output, O_WRONLY | O_CLOEXEC)) < 0) {
				cli_error(ctx, output, "cannot open: %s", strerror(errno));
				goto out;
			}
		} else {
			if ((o.fd = make_temp(ctx, output, &tmp)) < 0)
				goto out;
			o.tmpname = tmp;
		}
	}
	if (!o.jsonl)
		lar_export_csv_header(outbuf(&o));
	lar_status s = lar_ledger_export(l, &range, row, &o, &e);
	if (s != LAR_OK) {
		if (!o.write_failed)
			cli_error_lar(ctx, path, o.err.msg[0] ? &o.err : &e);
		goto out;
	}
	if (o.fd >= 0) {
		if (outbuf(&o)->oom) {
			cli_error(ctx, NULL, "out of memory");
			goto out;
		}
		if (flush_file(&o) != 0)
			goto out;
		if (in_place) {
			int fd = o.fd;
			o.fd = -1;
			if (close(fd) != 0) {
				cli_error(ctx, output, "write error: %s", strerror(errno));
				goto out;
			}
			rc = CLI_EXIT_OK;
			goto out;
		}
		if (fsync(o.fd) != 0) {
			cli_error(ctx, tmp, "cannot sync: %s", strerror(errno));
			goto out;
		}
		int fd = o.fd;
		o.fd = -1;
		if (close(fd) != 0) {
			cli_error(ctx, tmp, "write error: %s", strerror(errno));
			goto out;
		}
		if (rename(tmp, output) != 0) {
			cli_error(ctx, output, "cannot replace: %s", strerror(errno));
			goto out;
		}
		free(tmp);
		tmp = NULL;
		sync_dir(output);
	} else if (cli_out_flush(ctx) != 0) {
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	if (o.fd >= 0)
		close(o.fd);
	if (tmp != NULL) {
		unlink(tmp); /* never leave a partial export behind */
		free(tmp);
	}
	lar_buf_free(&o.buf);
	lar_export_jsonl_free(&o.x);
	lar_ledger_close(l);
	return rc;
}
