/*
 * cmd_report.c - `la-receipt report reconcile` and `report dupes` (SPEC §4):
 * parse the options, compute the report (ledger/report.c) and print it.
 * Exit 1 when reconcile finds a discrepancy or dupes finds anything.
 *
 * `report check` (for operators and tests) runs SQLite's
 * integrity and foreign-key checks on the ledger and prints "ok".
 *
 * Not for: computing or formatting reports (ledger/report.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"
#include "report.h"
#include "timestamp.h"

static int open_ledger(struct cli_ctx *ctx, const char *opt_d, struct lar_ledger **l)
{
	struct lar_err e = { 0 };
	struct lar_ledger_opts o = { .flags = LAR_LEDGER_NOCREATE };
	const char *path = cli_ledger_path(ctx, opt_d);
	if (path == NULL)
		return -1;
	if (lar_ledger_open(path, &o, l, &e) != LAR_OK) {
		cli_error_lar(ctx, path, &e);
		return -1;
	}
	return 0;
}

static int run_reconcile(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ledger", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, CLI_OPT_FROM },
		{ "to", required_argument, NULL, CLI_OPT_TO },
		{ "by", required_argument, NULL, CLI_OPT_BY },
		{ "format", required_argument, NULL, CLI_OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", "csv", NULL };
	struct lar_reconcile_opts ro;
	struct lar_reconcile *r = NULL;
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	const char *opt_d = NULL;
	int fmt = 0, opt, rc = CLI_EXIT_ERROR;
	lar_time t;

	memset(&ro, 0, sizeof ro);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			opt_d = optarg;
			break;
		case CLI_OPT_FROM:
		case CLI_OPT_TO:
			/* SPEC §4: DAY is YYYY-MM-DD in UTC, both bounds inclusive */
			if (lar_time_parse_day(optarg, strlen(optarg), &t) != LAR_OK)
				return cli_usage_error(ctx, "--%s takes a day YYYY-MM-DD, not '%s'",
						       opt == CLI_OPT_FROM ? "from" : "to", optarg);
			if (opt == CLI_OPT_FROM)
				ro.range.from = optarg;
			else
				ro.range.to = optarg;
			break;
		case CLI_OPT_BY:
			if (lar_reconcile_parse_by(&ro, optarg, &e) != LAR_OK)
				return cli_usage_error(ctx, "--by: %s", e.msg);
			break;
		case CLI_OPT_FORMAT:
			if ((fmt = cli_parse_format(ctx, optarg, formats)) < 0)
				return CLI_EXIT_ERROR;
			break;
		case 'h':
			return cmd_help(ctx, 2, (char *[]){ "help", "report", NULL });
		default:
			return cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (open_ledger(ctx, opt_d, &l) != 0)
		return CLI_EXIT_ERROR;
	if (lar_report_reconcile(l, &ro, &r, &e) != LAR_OK) {
		cli_error_lar(ctx, NULL, &e);
		goto out;
	}
	if (fmt == 1)
		lar_reconcile_write_json(cli_out(ctx), r);
	else if (fmt == 2)
		lar_reconcile_write_csv(cli_out(ctx), r);
	else
		lar_reconcile_write_text(cli_out(ctx), r);
	/* SPEC §4: exit 1 when there is any discrepancy */
	rc = r->total.discrepancies > 0 ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
out:
	lar_reconcile_free(r);
	lar_ledger_close(l);
	return rc;
}

static int run_dupes(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ledger", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, CLI_OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	struct lar_dupes *d = NULL;
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	const char *opt_d = NULL;
	int fmt = 0, opt, rc = CLI_EXIT_ERROR;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			opt_d = optarg;
			break;
		case CLI_OPT_FORMAT:
			if ((fmt = cli_parse_format(ctx, optarg, formats)) < 0)
				return CLI_EXIT_ERROR;
			break;
		case 'h':
			return cmd_help(ctx, 2, (char *[]){ "help", "report", NULL });
		default:
			return cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (open_ledger(ctx, opt_d, &l) != 0)
		return CLI_EXIT_ERROR;
	if (lar_report_dupes(l, &d, &e) != LAR_OK) {
		cli_error_lar(ctx, NULL, &e);
		goto out;
	}
	if (fmt == 1)
		lar_dupes_write_json(cli_out(ctx), d);
	else
		lar_dupes_write_text(cli_out(ctx), d);
	/* SPEC §4: exit 1 when there is any finding */
	rc = d->ncharges || d->nconflicts ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
out:
	lar_dupes_free(d);
	lar_ledger_close(l);
	return rc;
}

static int run_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ledger", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	const char *opt_d = NULL;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+d:", longopts, NULL)) != -1) {
		if (opt != 'd')
			return cli_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
		opt_d = optarg;
	}
	if (optind < argc)
		return cli_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (open_ledger(ctx, opt_d, &l) != 0)
		return CLI_EXIT_ERROR;
	int rc = CLI_EXIT_OK;
	if (lar_ledger_check(l, &e) != LAR_OK) {
		cli_error_lar(ctx, NULL, &e);
		rc = CLI_EXIT_ERROR;
	} else {
		lar_buf_puts(cli_out(ctx), "ok\n");
	}
	lar_ledger_close(l);
	return rc;
}

int cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(ctx, "which report: reconcile or dupes");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(ctx, 2, (char *[]){ "help", "report", NULL });
	if (strcmp(argv[1], "reconcile") == 0)
		return run_reconcile(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "dupes") == 0)
		return run_dupes(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return run_check(ctx, argc - 1, argv + 1);
	return cli_usage_error(ctx, "unknown report '%s' (reconcile or dupes)", argv[1]);
}
