/*
 * mkledger.c - build a large benchmark ledger fast: N synthetic receipts
 * stored through the library's own import path (lar_ledger_add, one
 * transaction per "file" of --per-file receipts), without generating,
 * signing and verifying gigabytes of input first.
 *
 * Each receipt is a real mcp-call-receipt-v1 payload in canonical form
 * (SPEC §1.4), base64url-encoded and signed with the bench key of
 * bench/gen.py, so export and the reports see what an import of genuine
 * records would have stored.  The spread is realistic for a busy tool
 * server: createdAt increases evenly over --days days from --start (so a
 * later import of bench/gen.py's records lands after them), 12 tools, 20
 * paying projects and null, 50 agents and null, an idempotency key on two
 * receipts in three, attestation on one in ten, a Test charge in 200.
 * Planted findings: a double charge every 250,000 receipts, an
 * amount_mismatch flag every 500,000, a conflicting re-signed payload every
 * 1,000,000.  Deterministic for given options.
 *
 * usage: mkledger [--per-file M] [--days D] [--start YYYY-MM-DD] LEDGER [N]
 * (N defaults to 1,000,000; bench/run.py calls `mkledger LEDGER N`.)
 * Prints the import counts and records/s (wall and CPU) to stderr.
 *
 * Not for: tests (it checks nothing) or anything but benchmarks.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64url.h"
#include "keyring.h"
#include "ledger.h"
#include "mac.h"
#include "receipt.h"
#include "timestamp.h"

#define BENCH_KEY "bench-key=text:bench-secret-not-a-real-key-0123456789" /* bench/gen.py's */
#define NTOOLS 12
#define NPROJECTS 20
#define NAGENTS 50
#define HISTORY 64 /* recent receipts remembered for planting double charges */

static uint64_t rng_state = 20261126;

/* splitmix64 */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* a version-4 guid, lower case, 36 characters + NUL */
static void guid(char out[37])
{
	uint8_t v[16];
	uint64_t a = rnd(), b = rnd();
	a = (a & ~0xf000ull) | 0x4000ull;
	b = (b & ~(3ull << 62)) | (2ull << 62);
	for (int i = 0; i < 8; i++) {
		v[i] = (uint8_t)(a >> (56 - 8 * i));
		v[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
	for (int i = 0, o = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = "0123456789abcdef"[v[i] >> 4];
		out[o++] = "0123456789abcdef"[v[i] & 15];
	}
	out[36] = 0;
}

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON string in the canonical form of SPEC §1.4 (ASCII input only). */
static void put_jstr(struct lar_buf *b, const char *s)
{
	lar_buf_putc(b, '"');
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = c >= 0x20 && c != 0x7f && c != '\\' && c != '"' && c != '&' && c != '\'' &&
			    c != '+' && c != '<' && c != '>' && c != '`';
		if (plain)
			continue;
		lar_buf_put(b, run, (size_t)(s - run));
		run = s + 1;
		if (c == 0)
			break;
		if (c == '\\')
			lar_buf_puts(b, "\\\\");
		else
			lar_buf_printf(b, "\\u%04X", c);
	}
	lar_buf_putc(b, '"');
}

/* ,"name": (no comma before the first member) */
static void member_name(struct lar_buf *b, const char *name)
{
	if (b->len > 1)
		lar_buf_putc(b, ',');
	lar_buf_putc(b, '"');
	lar_buf_puts(b, name);
	lar_buf_puts(b, "\":");
}

static void member(struct lar_buf *b, const char *name, const char *v)
{
	member_name(b, name);
	if (v == NULL)
		lar_buf_puts(b, "null");
	else
		put_jstr(b, v);
}

static void member_int(struct lar_buf *b, const char *name, int64_t v)
{
	member_name(b, name);
	lar_buf_put_i64(b, v);
}

static struct lar_str S(const char *s)
{
	struct lar_str r = { s, s ? strlen(s) : 0 };
	return r;
}

struct past {
	int tool, project;
	uint64_t key; /* idempotency key number, 0 = none */
};

static void usage(void)
{
	fprintf(stderr, "usage: mkledger [--per-file M] [--days D] [--start YYYY-MM-DD] LEDGER [N]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "per-file", required_argument, NULL, 'f' },
		{ "days", required_argument, NULL, 'D' },
		{ "start", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const slugs[NTOOLS][2] = {
		{ "weather-api", "Weather" },   { "web-fetch", "Web fetch" },   { "paid-research-tool", "Research" },
		{ "geo-lookup", "Geo lookup" }, { "btc-fees", "Bitcoin fees" }, { "translate", "Translate" },
		{ "ocr", "OCR" },               { "stock-quote", "Stock quote" }, { "pdf-extract", "PDF extract" },
		{ "image-tag", "Image tagging" }, { "dns-lookup", "DNS lookup" }, { "summarize", "Summarize" },
	};
	static const int64_t grosses[] = { 1, 5, 10, 40, 100, 250, 1000 };
	static const int64_t bpss[] = { 0, 250, 500, 1000 };
	const char *claims = "{\"estimates\":[{\"targetBlocks\":1,\"satPerVbyte\":8.4}],\"cached\":false}";
	uint64_t n = 1000000, per_file = 1000000, days = 365;
	const char *start_day = "2025-10-01";
	char tools[NTOOLS][37], projects[NPROJECTS][37], agents[NAGENTS][16], claims_sha[65];
	struct lar_keyring *kr = NULL;
	struct lar_mac_ctx *mac = NULL;
	struct lar_ledger *l = NULL;
	struct lar_err e = { 0 };
	struct lar_buf json, b64;
	struct past hist[HISTORY];
	lar_time start;
	int opt, rc = 1;

	lar_buf_init(&json, 0);
	lar_buf_init(&b64, 0);
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			per_file = strtoull(optarg, NULL, 10);
			break;
		case 'D':
			days = strtoull(optarg, NULL, 10);
			break;
		case 's':
			start_day = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind + 2 == argc)
		n = strtoull(argv[optind + 1], NULL, 10);
	if (optind + 1 > argc || optind + 2 < argc || n == 0 || per_file == 0 || days == 0 ||
	    lar_time_parse_day(start_day, strlen(start_day), &start) != LAR_OK) {
		usage();
		return 2;
	}
	for (int i = 0; i < NTOOLS; i++)
		guid(tools[i]);
	for (int i = 0; i < NPROJECTS; i++)
		guid(projects[i]);
	for (int i = 0; i < NAGENTS; i++)
		snprintf(agents[i], sizeof agents[i], "agent_%d", i);
	uint8_t sha[32];
	lar_sha256(claims, strlen(claims), sha);
	lar_hex_lower(sha, 32, claims_sha);
	claims_sha[64] = 0;
	memset(hist, 0, sizeof hist);

	if (lar_keyring_new(&kr) != LAR_OK || lar_keyring_add_spec(kr, BENCH_KEY, 0, &e) != LAR_OK)
		goto fail;
	const struct lar_key_entry *key = lar_keyring_entry(kr, 0);
	if (lar_mac_ctx_new(key->mac, &mac, &e) != LAR_OK)
		goto fail;
	if (lar_ledger_open(argv[optind], NULL, &l, &e) != LAR_OK ||
	    lar_ledger_run_begin(l, "mkledger", &e) != LAR_OK)
		goto fail;

	double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t span = days * (uint64_t)LAR_TICKS_PER_DAY;
	for (uint64_t i = 0; i < n; i++) {
		char rev[37], session[37], token[37], rid[45], created[29], idem[32], req[32], subject[16];
		char sig[44], source[64];
		uint8_t mac_out[LAR_MAC_LEN];
		struct lar_verdict v;
		struct lar_payload *p = &v.p;

		if (i % per_file == 0) {
			if (i > 0 && lar_ledger_file_commit(l, &e) != LAR_OK)
				goto fail;
			snprintf(source, sizeof source, "mkledger-%06llu.jsonl",
				 (unsigned long long)(i / per_file));
			if (lar_ledger_file_begin(l, source, &e) != LAR_OK)
				goto fail;
		}
		memset(&v, 0, sizeof v);
		guid(rev);
		guid(session);
		guid(token);
		memcpy(rid, "mcp_receipt_", 12);
		for (size_t k = 0, o = 12; k < 36; k++)
			if (rev[k] != '-')
				rid[o++] = rev[k];
		rid[44] = 0;
		lar_time t = start + (lar_time)((unsigned __int128)i * span / n);
		lar_time_format_payload(t, created);
		struct past *me = &hist[i % HISTORY];
		me->tool = (int)(rnd() % NTOOLS);
		uint64_t r = rnd();
		me->project = (int)(r % (NPROJECTS + 1)); /* NPROJECTS: null */
		me->key = i % 3 ? i : 0;
		int agent = (int)((r >> 32) % (NAGENTS + 1));
		if (i % 250000 == 1234) {
			/* planted double charge: a new revenue event under the key
			 * of a recent charge of the same tool and project */
			struct past *was = &hist[(i - 3) % HISTORY];
			*me = *was;
			if (me->key == 0)
				me->key = i - 3 + 1000000000000ull;
		}
		int64_t gross = grosses[rnd() % 7], bps = bpss[rnd() % 4];
		int64_t fee = gross <= 0 || bps <= 0 ? 0 : gross * bps / 10000;
		if (bps > 0 && gross > 0 && fee < 1)
			fee = 1;
		int64_t net = gross - fee;
		uint32_t reasons = 0;
		if (i % 500000 == 4321) {
			net += 1; /* planted amount_mismatch */
			reasons |= 1u << LAR_R_AMOUNT_MISMATCH;
		}
		const char *status = i % 200 == 7 ? "Test" : "Charged";
		if (i % 200 == 7)
			reasons |= 1u << LAR_R_TEST_RECEIPT;
		int att = i % 10 == 0;
		snprintf(idem, sizeof idem, "req_%llu", (unsigned long long)me->key);
		snprintf(req, sizeof req, "0HN7Q2B1K3L4M:%08llX", (unsigned long long)(i & 0xffffffffu));
		snprintf(subject, sizeof subject, "tx_%08llx", (unsigned long long)(i & 0xffffffffu));

		/* SPEC §1.4: members in ordinal order */
		lar_buf_reset(&json);
		lar_buf_putc(&json, '{');
		member(&json, "agentId", agent == NAGENTS ? NULL : agents[agent]);
		if (att) {
			member(&json, "attestationClaims", claims);
			member(&json, "attestationClaimsSha256", claims_sha);
			member(&json, "attestationKind", "execution");
			member(&json, "attestationNetwork", "mainnet");
			member(&json, "attestationObservedAt", created);
			member(&json, "attestationOperation", "bitcoin.get_fee_estimates");
			member(&json, "attestationSource", "liveauth-bitcoin-node");
			member(&json, "attestationSubjectId", subject);
		}
		member(&json, "createdAt", created);
		member_int(&json, "feeBasisPoints", bps);
		member_int(&json, "grossSats", gross);
		member(&json, "idempotencyKey", me->key ? idem : NULL);
		member(&json, "mcpGateSessionId", session);
		member(&json, "mcpGateTokenId", token);
		member(&json, "mcpToolId", tools[me->tool]);
		member_int(&json, "netSats", net);
		member(&json, "payingProjectId", me->project == NPROJECTS ? NULL : projects[me->project]);
		member_int(&json, "platformFeeSats", fee);
		member(&json, "receiptId", rid);
		member(&json, "requestId", req);
		member(&json, "revenueEventId", rev);
		member(&json, "status", status);
		member(&json, "toolMethodName", "search");
		member(&json, "toolName", slugs[me->tool][1]);
		member(&json, "toolSlug", slugs[me->tool][0]);
		member(&json, "version", LAR_RECEIPT_VERSION);
		lar_buf_putc(&json, '}');
		lar_buf_reset(&b64);
		if (lar_buf_reserve(&b64, lar_b64url_enclen(json.len)) != 0 || json.oom)
			goto nomem;
		b64.len = lar_b64url_encode(json.p, json.len, (char *)b64.p);
		if (lar_mac_compute(mac, b64.p, b64.len, mac_out) != LAR_OK)
			goto fail;
		sig[lar_b64url_encode(mac_out, sizeof mac_out, sig)] = 0;

		v.status = reasons ? LAR_V_FLAG : LAR_V_OK;
		v.reasons = reasons;
		v.key = key;
		v.key_id = S(key->key_id);
		v.payload_b64.p = (const char *)b64.p;
		v.payload_b64.n = b64.len;
		v.signature = S(sig);
		v.payload_json = json.p;
		v.payload_json_len = json.len;
		p->agent_id = S(agent == NAGENTS ? NULL : agents[agent]);
		p->created_at = S(created);
		p->created = t;
		p->idempotency_key = S(me->key ? idem : NULL);
		p->mcp_gate_session_id = S(session);
		p->mcp_gate_token_id = S(token);
		p->mcp_tool_id = S(tools[me->tool]);
		p->paying_project_id = S(me->project == NPROJECTS ? NULL : projects[me->project]);
		p->receipt_id = S(rid);
		p->request_id = S(req);
		p->revenue_event_id = S(rev);
		p->status = S(status);
		p->tool_method_name = S("search");
		p->tool_name = S(slugs[me->tool][1]);
		p->tool_slug = S(slugs[me->tool][0]);
		p->version = S(LAR_RECEIPT_VERSION);
		p->fee_basis_points = bps;
		p->gross_sats = gross;
		p->net_sats = net;
		p->platform_fee_sats = fee;
		if (att) {
			p->has_attestation = 1;
			p->attestation_claims = S(claims);
			p->attestation_claims_sha256 = S(claims_sha);
			p->attestation_kind = S("execution");
			p->attestation_network = S("mainnet");
			p->attestation_observed_at = S(created);
			p->attestation_operation = S("bitcoin.get_fee_estimates");
			p->attestation_source = S("liveauth-bitcoin-node");
			p->attestation_subject_id = S(subject);
		}
		if (lar_ledger_add(l, &v, i % per_file + 1, NULL, &e) != LAR_OK)
			goto fail;
		if (i % 1000000 == 999999) {
			/* planted conflict: the same receiptId re-signed with
			 * other amounts (the payload text differs, so does the MAC) */
			char *q = strstr((char *)json.p, "\"grossSats\":");
			if (q == NULL)
				goto nomem;
			q[12] = q[12] == '9' ? '8' : '9';
			p->gross_sats = 0; /* not read back for a conflict's stored amounts check */
			lar_buf_reset(&b64);
			if (lar_buf_reserve(&b64, lar_b64url_enclen(json.len)) != 0)
				goto nomem;
			b64.len = lar_b64url_encode(json.p, json.len, (char *)b64.p);
			v.payload_b64.p = (const char *)b64.p;
			v.payload_b64.n = b64.len;
			if (lar_mac_compute(mac, b64.p, b64.len, mac_out) != LAR_OK)
				goto fail;
			sig[lar_b64url_encode(mac_out, sizeof mac_out, sig)] = 0;
			if (lar_ledger_add(l, &v, i % per_file + 1, NULL, &e) != LAR_OK)
				goto fail;
		}
		if (i % per_file == per_file - 1 || i + 1 == n) {
			double w = now(CLOCK_MONOTONIC) - w0;
			fprintf(stderr, "mkledger: %llu receipts, %.1f s, %.0f/s\n", (unsigned long long)i + 1, w,
				(double)(i + 1) / w);
		}
	}
	if (lar_ledger_file_commit(l, &e) != LAR_OK || lar_ledger_run_end(l, &e) != LAR_OK)
		goto fail;
	double wall = now(CLOCK_MONOTONIC) - w0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	struct lar_ledger_counts c;
	lar_ledger_counts(l, NULL, &c);
	fprintf(stderr,
		"mkledger: %s: %llu records (%llu imported, %llu conflicts, %llu flagged) in %.2f s wall, "
		"%.2f s CPU: %.0f records/s wall, %.0f/s CPU\n",
		argv[optind], (unsigned long long)c.records, (unsigned long long)c.imported,
		(unsigned long long)c.conflicts, (unsigned long long)c.flagged, wall, cpu, (double)n / wall,
		(double)n / cpu);
	rc = 0;
	goto out;
nomem:
	lar_err_set(&e, LAR_E_NOMEM, "out of memory");
fail:
	fprintf(stderr, "mkledger: %s\n", e.msg[0] ? e.msg : "failed");
out:
	lar_ledger_close(l);
	lar_mac_ctx_free(mac);
	lar_keyring_free(kr);
	lar_buf_free(&json);
	lar_buf_free(&b64);
	return rc;
}
