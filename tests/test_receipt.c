/*
 * test_receipt.c - unit tests of the verdict core (verify/receipt.c) against
 * SPEC §1 and §2.3: every reason code, the order of the checks, the payload
 * view, key selection among several secrets of one keyId, the fee model of
 * §1.6 with --min-fee-sats, signing, lar_receipt_check_payload(), and that no
 * secret reaches anything a verdict points to.
 *
 * Receipts are built here, independently of the module: canonical JSON by a
 * small writer following the table of §1.4, base64url by lar_b64url_encode
 * (tested on RFC 4648 vectors in test_b64url.c) and HMAC by lar_mac_oneshot
 * (RFC 4231 in test_mac.c).
 * Not for: splitting input into records (test_reader.c) or the CLI.
 */
#define _GNU_SOURCE /* memmem, vasprintf */
#include "b64url.h"
#include "json.h"
#include "keyring.h"
#include "mac.h"
#include "receipt.h"
#include "tap.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define R(x) (1u << LAR_R_##x)
#define KID "liveauth-mcp-receipt-v1"
#define SECRET_A "SENTINEL-alpha-secret-7d1c0e9b44"
#define SECRET_ROT_OLD "SENTINEL-rot-old-0a5b"
#define SECRET_ROT_NEW "SENTINEL-rot-new-91fe"
#define SECRET_REV "SENTINEL-revoked-3c3c"
#define SECRET_WIN "SENTINEL-window-6f6f"
#define SECRET_REVWIN "SENTINEL-revwin-8e8e"
#define SECRET_MIXED "SENTINEL-mixed-5a5a"
#define SECRET_TWICE "SENTINEL-twice-4b4b"

/* ---- a pool so the many strings built below are freed at the end ---- */
static void *pool[8192];
static size_t npool;

static char *keep(char *p)
{
	if (npool < sizeof pool / sizeof pool[0])
		pool[npool++] = p;
	return p;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return keep(s);
}

/* ---- canonical JSON strings, SPEC §1.4 ---- */
static void put_u(struct lar_buf *b, unsigned u)
{
	lar_buf_printf(b, "\\u%04X", u);
}

/* s is UTF-8 (assumed valid); output is quoted canonical text. */
static char *cstr(const char *s)
{
	struct lar_buf b;
	const uint8_t *p = (const uint8_t *)s;

	lar_buf_init(&b, 0);
	lar_buf_putc(&b, '"');
	while (*p) {
		uint32_t c = *p;
		int extra = 0;
		if (c >= 0xF0) {
			c &= 0x07;
			extra = 3;
		} else if (c >= 0xE0) {
			c &= 0x0F;
			extra = 2;
		} else if (c >= 0xC0) {
			c &= 0x1F;
			extra = 1;
		}
		p++;
		for (int i = 0; i < extra && *p; i++)
			c = (c << 6) | (*p++ & 0x3F);
		if (c >= 0x10000) {
			c -= 0x10000;
			put_u(&b, 0xD800 + (c >> 10));
			put_u(&b, 0xDC00 + (c & 0x3FF));
		} else if (c >= 0x80 || c == 0x7F) {
			put_u(&b, c);
		} else if (strchr("\"&'+<>`", (int)c) != NULL) {
			put_u(&b, c);
		} else if (c == '\\') {
			lar_buf_puts(&b, "\\\\");
		} else if (c == '\n') {
			lar_buf_puts(&b, "\\n");
		} else if (c == '\r') {
			lar_buf_puts(&b, "\\r");
		} else if (c == '\t') {
			lar_buf_puts(&b, "\\t");
		} else if (c == '\b') {
			lar_buf_puts(&b, "\\b");
		} else if (c == '\f') {
			lar_buf_puts(&b, "\\f");
		} else if (c < 0x20) {
			put_u(&b, c);
		} else {
			lar_buf_putc(&b, (int)c);
		}
	}
	lar_buf_putc(&b, '"');
	lar_buf_putc(&b, 0);
	return keep((char *)b.p);
}

/* ---- payloads: members with raw JSON values ---- */
#define PL_MAX 40
struct pl {
	const char *k[PL_MAX];
	const char *v[PL_MAX];
	int n;
};

static void pl_set(struct pl *p, const char *k, const char *raw)
{
	for (int i = 0; i < p->n; i++) {
		if (strcmp(p->k[i], k) == 0) {
			if (raw == NULL) {
				p->k[i] = p->k[p->n - 1];
				p->v[i] = p->v[p->n - 1];
				p->n--;
			} else {
				p->v[i] = raw;
			}
			return;
		}
	}
	if (raw != NULL && p->n < PL_MAX) {
		p->k[p->n] = k;
		p->v[p->n++] = raw;
	}
}

static void pl_int(struct pl *p, const char *k, long long v)
{
	pl_set(p, k, fmt("%lld", v));
}

static void pl_str(struct pl *p, const char *k, const char *s)
{
	pl_set(p, k, cstr(s));
}

#define GUID_TOOL "e3e70682-c209-4cac-a29f-6fbed82c07cd"
#define GUID_EVENT "7fd6900a-8cce-4e6b-8bfc-bb79d2a6d643"
#define GUID_TOKEN "dd8c700f-95f3-416e-a10f-9de0d271fd54"
#define GUID_PROJECT "8b56177d-fb51-44f7-bd21-b22d3dfd013f"
#define RECEIPT_ID "mcp_receipt_7fd6900a8cce4e6b8bfcbb79d2a6d643"
#define CREATED "2026-05-07T02:05:01.1234567Z"

static struct pl pl_default(void)
{
	struct pl p = {.n = 0};

	pl_str(&p, "agentId", "agent_1");
	pl_str(&p, "createdAt", CREATED);
	pl_int(&p, "feeBasisPoints", 500);
	pl_int(&p, "grossSats", 100);
	pl_str(&p, "idempotencyKey", "idem+1");
	pl_set(&p, "mcpGateSessionId", "null");
	pl_str(&p, "mcpGateTokenId", GUID_TOKEN);
	pl_str(&p, "mcpToolId", GUID_TOOL);
	pl_int(&p, "netSats", 95);
	pl_str(&p, "payingProjectId", GUID_PROJECT);
	pl_int(&p, "platformFeeSats", 5);
	pl_str(&p, "receiptId", RECEIPT_ID);
	pl_set(&p, "requestId", "null");
	pl_str(&p, "revenueEventId", GUID_EVENT);
	pl_str(&p, "status", "Charged");
	pl_str(&p, "toolMethodName", "search");
	pl_str(&p, "toolName", "Weather <API> & \"more\" caf\xc3\xa9 \xf0\x9f\x98\x80");
	pl_str(&p, "toolSlug", "weather-api");
	pl_str(&p, "version", "mcp-call-receipt-v1");
	return p;
}

static int cmpk(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* mode 0: canonical; 1: spaces and newlines; 2: members in reverse order */
static char *pl_json(const struct pl *p, int mode)
{
	const char *pairs[PL_MAX][2];
	struct lar_buf b;
	int n = p->n;

	for (int i = 0; i < n; i++) {
		pairs[i][0] = p->k[i];
		pairs[i][1] = p->v[i];
	}
	qsort(pairs, (size_t)n, sizeof pairs[0], cmpk);
	lar_buf_init(&b, 0);
	lar_buf_puts(&b, mode == 1 ? "{\n  " : "{");
	for (int j = 0; j < n; j++) {
		int i = mode == 2 ? n - 1 - j : j;
		if (j)
			lar_buf_puts(&b, mode == 1 ? ",\n  " : ",");
		lar_buf_printf(&b, "\"%s\":%s%s", pairs[i][0], mode == 1 ? " " : "", pairs[i][1]);
	}
	lar_buf_puts(&b, mode == 1 ? "\n}" : "}");
	lar_buf_putc(&b, 0);
	return keep((char *)b.p);
}

static char *b64(const void *p, size_t n)
{
	char *s = malloc(lar_b64url_enclen(n) + 1);
	size_t k = lar_b64url_encode(p, n, s);

	s[k] = 0;
	return keep(s);
}

static char *mac_b64(const char *secret, const void *msg, size_t n)
{
	uint8_t m[LAR_MAC_LEN];

	CHECK(lar_mac_oneshot((const uint8_t *)secret, strlen(secret), msg, n, m) == LAR_OK);
	return b64(m, sizeof m);
}

/* An envelope from raw JSON member values; NULL omits a member. */
struct env {
	const char *version, *payload, *signature, *alg, *key_id, *body;
};

static char *env_json(const struct env *e)
{
	struct lar_buf b;
	const char *names[] = {"version", "payload", "signature", "signatureAlgorithm", "keyId", "body"};
	const char *vals[] = {e->version, e->payload, e->signature, e->alg, e->key_id, e->body};
	int first = 1;

	lar_buf_init(&b, 0);
	lar_buf_putc(&b, '{');
	for (int i = 0; i < 6; i++) {
		if (vals[i] == NULL)
			continue;
		lar_buf_printf(&b, "%s\"%s\":%s", first ? "" : ",", names[i], vals[i]);
		first = 0;
	}
	lar_buf_putc(&b, '}');
	lar_buf_putc(&b, 0);
	return keep((char *)b.p);
}

static char *q(const char *s)
{
	return fmt("\"%s\"", s);
}

/* A correctly signed envelope for payload bytes json[0..n). */
static struct env env_for(const void *json, size_t n, const char *secret, const char *kid)
{
	char *p = b64(json, n);
	struct env e = {
		.version = q(LAR_RECEIPT_VERSION),
		.payload = q(p),
		.signature = q(mac_b64(secret, p, strlen(p))),
		.alg = q(LAR_RECEIPT_ALGORITHM),
		.key_id = q(kid),
	};
	return e;
}

static char *signed_rec(const char *json, const char *secret, const char *kid)
{
	struct env e = env_for(json, strlen(json), secret, kid);
	return env_json(&e);
}

static char *signed_pl(const struct pl *p)
{
	return signed_rec(pl_json(p, 0), SECRET_A, KID);
}

/* ---- the verifier under test ---- */
static struct lar_keyring *KR;
static struct lar_verifier *V;

static const char ring_text[] =
	"# test keyring\n"
	"liveauth-mcp-receipt-v1  text:" SECRET_A "\n"
	"rot  text:" SECRET_ROT_OLD "  not-after=2026-01-01T00:00:00Z\n"
	"rot  text:" SECRET_ROT_NEW "  not-before=2026-01-01T00:00:00Z\n"
	"revoked-k  text:" SECRET_REV "  revoked\n"
	"win  text:" SECRET_WIN "  not-before=2026-01-01T00:00:00Z not-after=2026-06-01T00:00:00Z\n"
	"revwin  text:" SECRET_REVWIN "  revoked not-after=2020-01-01T00:00:00Z\n"
	"mixed  text:" SECRET_REV "  revoked\n"
	"mixed  text:" SECRET_MIXED "\n"
	"twice  text:" SECRET_TWICE "  not-after=2026-01-01T00:00:00Z\n"
	"twice  text:" SECRET_TWICE "  not-before=2026-01-01T00:00:00Z\n";

static void reasons_str(uint32_t m, char *out, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < LAR_REASON_COUNT; i++)
		if (m & (1u << i)) {
			const char *nm = lar_reason_name((enum lar_reason)i);
			int k = snprintf(out + o, n - o, "%s%s", o ? "," : "", nm ? nm : "?");
			if (k > 0 && (size_t)k < n - o)
				o += (size_t)k;
		}
}

static int verify_with(struct lar_verifier *v, const char *name, const char *rec, size_t len,
		       enum lar_vstatus st, uint32_t reasons, struct lar_verdict *out)
{
	struct lar_verdict vd;
	lar_status s;
	char got[200], want[200];

	memset(&vd, 0xA5, sizeof vd);
	s = lar_receipt_verify(v, (const uint8_t *)rec, len, &vd);
	reasons_str(vd.reasons, got, sizeof got);
	reasons_str(reasons, want, sizeof want);
	int ok = s == LAR_OK && vd.status == st && vd.reasons == reasons;
	CHECKM(ok, "%s: got %s [%s] (status %d), expected %s [%s]", name,
	       s == LAR_OK ? lar_vstatus_name(vd.status) : "error", got, (int)s, lar_vstatus_name(st), want);
	if (s == LAR_OK && (vd.status == LAR_V_FAIL || vd.status == LAR_V_SKIPPED)) {
		/* receipt.h: payload view and key only for ok and flag */
		CHECKM(vd.key == NULL, "%s: a failed verdict has no key", name);
		CHECKM(vd.payload_json == NULL || vd.payload_json_len == 0,
		       "%s: a failed verdict has no payload", name);
		CHECKM(vd.p.receipt_id.p == NULL && vd.p.created_at.p == NULL && vd.p.gross_sats == 0,
		       "%s: a failed verdict has no payload values", name);
	}
	if (s == LAR_OK && vd.status == LAR_V_FAIL) {
		int one = vd.reasons != 0 && (vd.reasons & (vd.reasons - 1)) == 0;
		CHECKM(one && vd.reasons < (1u << LAR_R_FIRST_FLAG), "%s: a fail has exactly one fail reason",
		       name);
	}
	if (s == LAR_OK && vd.status == LAR_V_FLAG)
		CHECKM(vd.reasons != 0 && vd.reasons >= (1u << LAR_R_FIRST_FLAG) &&
			       (vd.reasons & ((1u << LAR_R_FIRST_FLAG) - 1)) == 0,
		       "%s: a flag lists flag reasons only", name);
	if (out)
		*out = vd;
	return ok;
}

static int expect(const char *name, const char *rec, enum lar_vstatus st, uint32_t reasons)
{
	return verify_with(V, name, rec, strlen(rec), st, reasons, NULL);
}

static void setup(void)
{
	struct lar_err e = {0};
	struct lar_verify_opts o = LAR_VERIFY_OPTS_DEFAULT;

	CHECK(lar_keyring_new(&KR) == LAR_OK);
	lar_status s = lar_keyring_load_text(KR, ring_text, strlen(ring_text), "test-ring", NULL, 0, &e);
	CHECKM(s == LAR_OK, "keyring loads: %.300s", e.msg);
	s = lar_keyring_add_spec(KR, "spec-key=text:spec", 0, &e);
	CHECKM(s == LAR_OK, "add_spec: %.300s", e.msg);
	CHECK(lar_keyring_count(KR) == 11);
	s = lar_verifier_new(KR, &o, &V, &e);
	CHECKM(s == LAR_OK && V != NULL, "verifier: %.300s", e.msg);
	if (V == NULL)
		tap_skip("no verifier");
}

/* ---- the tests ---- */

static void test_names(void)
{
	static const char *const names[LAR_REASON_COUNT] = {
		"malformed_input",  "unsupported_version",   "unsupported_algorithm", "malformed_envelope",
		"unknown_key",	    "bad_signature",	     "key_revoked",	      "malformed_payload",
		"schema_violation", "key_not_valid_at_time", "noncanonical_payload",  "body_mismatch",
		"amount_mismatch",  "fee_mismatch",	     "id_mismatch",	      "attestation_mismatch",
		"test_receipt",	    "unexpected_status",
	};
	for (int i = 0; i < LAR_REASON_COUNT; i++) {
		const char *n = lar_reason_name((enum lar_reason)i);
		CHECKM(n != NULL && strcmp(n, names[i]) == 0, "reason %d is %s", i, names[i]);
		CHECK(lar_reason_from_name(names[i], strlen(names[i])) == i);
	}
	CHECK(lar_reason_name(LAR_REASON_COUNT) == NULL);
	CHECK(lar_reason_from_name("ok", 2) == -1);
	CHECK(lar_reason_from_name("malformed_inputx", 16) == -1);
	CHECK(lar_reason_from_name("malformed_input", 9) == -1); /* a prefix is not a name */
	CHECK(strcmp(lar_vstatus_name(LAR_V_OK), "ok") == 0);
	CHECK(strcmp(lar_vstatus_name(LAR_V_FLAG), "flag") == 0);
	CHECK(strcmp(lar_vstatus_name(LAR_V_FAIL), "fail") == 0);
	CHECK(strcmp(lar_vstatus_name(LAR_V_SKIPPED), "skipped") == 0);
}

static int strs_eq(struct lar_str s, const char *lit)
{
	return s.p != NULL && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static void test_ok_and_view(void)
{
	struct pl p = pl_default();
	char *json = pl_json(&p, 0);
	struct env en = env_for(json, strlen(json), SECRET_A, KID);
	char *rec = env_json(&en);
	struct lar_verdict vd;

	if (!verify_with(V, "ok: default payload", rec, strlen(rec), LAR_V_OK, 0, &vd))
		return;
	CHECK(vd.not_json == 0);
	CHECK(vd.key != NULL && vd.key->index == 0 && strcmp(vd.key->key_id, KID) == 0);
	CHECK(strs_eq(vd.key_id, KID));
	char *b = b64(json, strlen(json));
	CHECK(strs_eq(vd.payload_b64, b));
	CHECK(vd.signature.n == 43 && memcmp(vd.signature.p, en.signature + 1, 43) == 0);
	CHECK(vd.payload_json_len == strlen(json) && memcmp(vd.payload_json, json, strlen(json)) == 0);
	CHECK(vd.payload_tree != NULL && vd.payload_tree->type == LAR_JSON_OBJECT &&
	      vd.payload_tree->n == 19);
	CHECK(strs_eq(vd.p.agent_id, "agent_1"));
	CHECK(strs_eq(vd.p.created_at, CREATED));
	CHECK(strs_eq(vd.p.idempotency_key, "idem+1")); /* decoded, not "\u002B" */
	CHECK(vd.p.mcp_gate_session_id.p == NULL);
	CHECK(strs_eq(vd.p.mcp_gate_token_id, GUID_TOKEN));
	CHECK(strs_eq(vd.p.mcp_tool_id, GUID_TOOL));
	CHECK(strs_eq(vd.p.paying_project_id, GUID_PROJECT));
	CHECK(strs_eq(vd.p.receipt_id, RECEIPT_ID));
	CHECK(vd.p.request_id.p == NULL);
	CHECK(strs_eq(vd.p.revenue_event_id, GUID_EVENT));
	CHECK(strs_eq(vd.p.status, "Charged"));
	CHECK(strs_eq(vd.p.tool_method_name, "search"));
	CHECK(strs_eq(vd.p.tool_name, "Weather <API> & \"more\" caf\xc3\xa9 \xf0\x9f\x98\x80"));
	CHECK(strs_eq(vd.p.tool_slug, "weather-api"));
	CHECK(strs_eq(vd.p.version, "mcp-call-receipt-v1"));
	CHECK(vd.p.fee_basis_points == 500 && vd.p.gross_sats == 100 && vd.p.net_sats == 95 &&
	      vd.p.platform_fee_sats == 5);
	CHECK(vd.p.has_attestation == 0);
	struct tm tm = {
		.tm_year = 2026 - 1900, .tm_mon = 4, .tm_mday = 7, .tm_hour = 2, .tm_min = 5, .tm_sec = 1};
	lar_time want = (lar_time)timegm(&tm) * LAR_TICKS_PER_SEC + 1234567;
	CHECKM(vd.p.created == want, "created %lld == %lld", (long long)vd.p.created, (long long)want);
	/* the fingerprint is SPEC §3's, computed here from the secret */
	uint8_t fp[LAR_MAC_LEN];
	lar_mac_oneshot((const uint8_t *)SECRET_A, strlen(SECRET_A), "la-receipt fingerprint v1", 25, fp);
	CHECK(memcmp(vd.key->fingerprint, fp, LAR_FPR_LEN) == 0);
	char hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);
	CHECK(strcmp(vd.key->fingerprint_hex, hex) == 0);

	/* the oldest payloads have no toolName: 18 members */
	pl_set(&p, "toolName", NULL);
	CHECK(verify_with(V, "ok: no toolName", signed_pl(&p), strlen(signed_pl(&p)), LAR_V_OK, 0, &vd) &&
	      vd.p.tool_name.p == NULL);
	/* future members are allowed */
	p = pl_default();
	pl_set(&p, "zzFuture", "{\"x\":[1,2]}");
	pl_set(&p, "aaFuture", "null");
	expect("ok: unknown members", signed_pl(&p), LAR_V_OK, 0);
	/* a full attestation group */
	p = pl_default();
	const char *claims = "{\"sub\":\"x\"}";
	uint8_t h[32];
	char hh[65];
	lar_sha256(claims, strlen(claims), h);
	for (int i = 0; i < 32; i++)
		snprintf(hh + 2 * i, 3, "%02x", h[i]);
	pl_str(&p, "attestationClaims", claims);
	pl_str(&p, "attestationClaimsSha256", hh);
	pl_str(&p, "attestationKind", "kyc");
	pl_str(&p, "attestationNetwork", "lightning");
	pl_str(&p, "attestationObservedAt", "2026-05-07T02:05:00.0000000Z");
	pl_str(&p, "attestationOperation", "verify");
	pl_str(&p, "attestationSource", "oracle");
	pl_set(&p, "attestationSubjectId", "null");
	char *r = signed_pl(&p);
	if (verify_with(V, "ok: attestation group", r, strlen(r), LAR_V_OK, 0, &vd))
		CHECK(vd.p.has_attestation == 1 && strs_eq(vd.p.attestation_claims, claims) &&
		      strs_eq(vd.p.attestation_claims_sha256, hh) && strs_eq(vd.p.attestation_kind, "kyc") &&
		      vd.p.attestation_subject_id.p == NULL);
	pl_str(&p, "attestationClaimsSha256",
	       "00000000000000000000000000000000000000000000000000000000000000ff");
	expect("attestation_mismatch", signed_pl(&p), LAR_V_FLAG, R(ATTESTATION_MISMATCH));
	pl_str(&p, "attestationClaimsSha256", hh);
	pl_set(&p, "attestationSource", NULL);
	expect("partial attestation group", signed_pl(&p), LAR_V_FAIL, R(SCHEMA_VIOLATION));
	pl_set(&p, "attestationSource", "\"oracle\"");
	pl_set(&p, "attestationSubjectId", NULL);
	expect("attestation group without attestationSubjectId", signed_pl(&p), LAR_V_FAIL,
	       R(SCHEMA_VIOLATION));
	pl_set(&p, "attestationSubjectId", "\"subj-1\"");
	pl_str(&p, "attestationObservedAt", "2026-05-07T02:05:00Z");
	expect("attestationObservedAt not in createdAt form", signed_pl(&p), LAR_V_FAIL, R(SCHEMA_VIOLATION));
	pl_str(&p, "attestationObservedAt", "2026-05-07T02:05:00.1200000Z");
	{
		/* the body's nested attestation (SPEC §1.5) */
		char *aj = pl_json(&p, 0);
		struct env e = env_for(aj, strlen(aj), SECRET_A, KID);
		const char *att =
			fmt("{\"kind\":\"kyc\",\"operation\":\"verify\",\"observedAt\":"
			    "\"2026-05-07T02:05:00.12Z\",\"source\":\"oracle\",\"network\":\"lightning\","
			    "\"subjectId\":\"subj-1\",\"canonicalClaims\":%s,\"claimsSha256\":\"%s\"}",
			    cstr(claims), hh);
		e.body = fmt("{\"attestation\":%s}", att);
		expect("body attestation equal", env_json(&e), LAR_V_OK, 0);
		e.body = fmt("{\"attestation\":%s}", fmt("{\"kind\":\"other\"}"));
		expect("body attestation kind differs", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
		e.body = "{\"attestation\":null}";
		expect("body attestation null, payload has one", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	}
	p = pl_default();
	pl_str(&p, "attestationKind", "kyc");
	expect("attestation group of one", signed_pl(&p), LAR_V_FAIL, R(SCHEMA_VIOLATION));
}

static void test_wrappers(void)
{
	struct pl p = pl_default();
	char *env = signed_pl(&p);
	expect("charge response", fmt("{\"status\":\"ok\",\"grossSats\":100,\"receipt\":%s}", env), LAR_V_OK,
	       0);
	expect("tool result", fmt("{\"text\":\"hello\",\"receipt\":%s,\"more\":[1]}", env), LAR_V_OK, 0);
	expect("pretty whitespace around the record", fmt("\n  %s \n", env), LAR_V_OK, 0);
	expect("denied charge (receipt null) is skipped", "{\"status\":\"denied\",\"receipt\":null}",
	       LAR_V_SKIPPED, 0);
	expect("receipt member a string", "{\"receipt\":\"abc\"}", LAR_V_FAIL, R(MALFORMED_INPUT));
	expect("receipt member an array", fmt("{\"receipt\":[%s]}", env), LAR_V_FAIL, R(MALFORMED_INPUT));
	expect("empty object", "{}", LAR_V_FAIL, R(MALFORMED_INPUT));
	expect("payload without signature", "{\"payload\":\"e30\",\"keyId\":\"k\"}", LAR_V_FAIL,
	       R(MALFORMED_INPUT));
	expect("array", fmt("[%s]", env), LAR_V_FAIL, R(MALFORMED_INPUT));
	expect("number", "42", LAR_V_FAIL, R(MALFORMED_INPUT));
	expect("string", "\"x\"", LAR_V_FAIL, R(MALFORMED_INPUT));
	expect("null", "null", LAR_V_FAIL, R(MALFORMED_INPUT));

	struct lar_verdict vd;
	const char *bad[] = {"{\"a\":", "{\"a\":tru}", "hello", "{\"a\":1} x", "", "{\"a\":1,}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		verify_with(V, fmt("not JSON: '%s'", bad[i]), bad[i], strlen(bad[i]), LAR_V_FAIL,
			    R(MALFORMED_INPUT), &vd);
		CHECKM(vd.not_json == 1, "not_json set for '%s'", bad[i]);
	}
	verify_with(V, "JSON but no envelope", "[1]", 3, LAR_V_FAIL, R(MALFORMED_INPUT), &vd);
	CHECK(vd.not_json == 0);
	/* not NUL-terminated: the verifier reads len bytes only */
	char *copy = malloc(strlen(env));
	memcpy(copy, env, strlen(env));
	verify_with(V, "record without a NUL after it", copy, strlen(env), LAR_V_OK, 0, NULL);
	verify_with(V, "record cut one byte short", copy, strlen(env) - 1, LAR_V_FAIL, R(MALFORMED_INPUT),
		    NULL);
	free(copy);
}

static void test_envelope_checks(void)
{
	struct pl p = pl_default();
	char *json = pl_json(&p, 0);
	struct env good = env_for(json, strlen(json), SECRET_A, KID), e;
	const char *sig = good.signature; /* quoted */

	e = good;
	e.version = q("mcp-call-receipt-v2");
	expect("unsupported_version", env_json(&e), LAR_V_FAIL, R(UNSUPPORTED_VERSION));
	e.alg = q("HMAC-SHA512");
	expect("unknown version + bad algorithm -> unsupported_version", env_json(&e), LAR_V_FAIL,
	       R(UNSUPPORTED_VERSION));
	e = good;
	e.alg = q("HMAC-SHA512");
	expect("unsupported_algorithm", env_json(&e), LAR_V_FAIL, R(UNSUPPORTED_ALGORITHM));
	e.alg = q("hmac-sha256");
	expect("algorithm compared exactly", env_json(&e), LAR_V_FAIL, R(UNSUPPORTED_ALGORITHM));
	e.key_id = q("nope");
	e.signature = q("short");
	expect("bad algorithm + bad envelope + unknown key -> unsupported_algorithm", env_json(&e),
	       LAR_V_FAIL, R(UNSUPPORTED_ALGORITHM));

	/* malformed_envelope */
	struct {
		const char *name;
		const char *payload, *signature, *key_id;
	} me[] = {
		{"payload a number", "42", NULL, NULL},
		{"payload null", "null", NULL, NULL},
		{"signature a number", NULL, "7", NULL},
		{"keyId missing", NULL, NULL, ""},
		{"keyId a number", NULL, NULL, "7"},
		{"keyId null", NULL, NULL, "null"},
		{"signature of 42 characters", NULL, fmt("\"%.42s\"", sig + 1), NULL},
		{"signature of 44 characters", NULL, fmt("\"%.43sA\"", sig + 1), NULL},
		{"signature with = padding", NULL, fmt("\"%.43s=\"", sig + 1), NULL},
		{"signature with '+'", NULL, fmt("\"+%.42s\"", sig + 2), NULL},
		{"signature with a space", NULL, fmt("\" %.42s\"", sig + 2), NULL},
		{"signature empty", NULL, "\"\"", NULL},
	};
	for (size_t i = 0; i < sizeof me / sizeof me[0]; i++) {
		e = good;
		if (me[i].payload)
			e.payload = me[i].payload;
		if (me[i].signature)
			e.signature = me[i].signature;
		if (me[i].key_id)
			e.key_id = *me[i].key_id ? me[i].key_id : NULL;
		expect(fmt("malformed_envelope: %s", me[i].name), env_json(&e), LAR_V_FAIL,
		       R(MALFORMED_ENVELOPE));
	}
	/* the 43rd character carries 2 bits of the MAC and 4 zero bits */
	{
		char s43[44];
		memcpy(s43, sig + 1, 43);
		s43[43] = 0;
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		int v = (int)(strchr(alpha, s43[42]) - alpha);
		s43[42] = alpha[v | 1];
		e = good;
		e.signature = q(s43);
		expect("malformed_envelope: signature with non-zero trailing bits", env_json(&e), LAR_V_FAIL,
		       R(MALFORMED_ENVELOPE));
	}
	/* payload text that is not strict base64url, but correctly MACed as sent */
	{
		const char *b = b64(json, strlen(json));
		size_t n = strlen(b);
		const char *variants[4];
		variants[0] = fmt("%s%s", b, n % 4 == 2 ? "==" : n % 4 == 3 ? "=" : "====");
		variants[1] = fmt("%.10s %s", b, b + 10);
		char *plus = fmt("%s", b);
		for (char *c = plus; *c; c++) {
			if (*c == '-')
				*c = '+';
			else if (*c == '_')
				*c = '/';
		}
		variants[2] = plus;
		variants[3] = fmt("%sA", n % 4 == 0 ? b : fmt("%.*s", (int)(n - n % 4), b));
		for (int i = 0; i < 4; i++) {
			if (i == 2 && strcmp(plus, b) == 0)
				continue; /* no - or _ in this text */
			e = good;
			e.payload = q(variants[i]);
			e.signature = q(mac_b64(SECRET_A, variants[i], strlen(variants[i])));
			expect(fmt("malformed_envelope: payload variant %d", i), env_json(&e), LAR_V_FAIL,
			       R(MALFORMED_ENVELOPE));
		}
	}
	e = good;
	e.key_id = q("nope");
	e.signature = q("tooshort");
	expect("bad envelope + unknown key -> malformed_envelope", env_json(&e), LAR_V_FAIL,
	       R(MALFORMED_ENVELOPE));

	/* unknown_key */
	e = good;
	e.key_id = q("nope");
	expect("unknown_key", env_json(&e), LAR_V_FAIL, R(UNKNOWN_KEY));
	e.key_id = q("LiveAuth-MCP-Receipt-v1");
	expect("keyId compared byte for byte", env_json(&e), LAR_V_FAIL, R(UNKNOWN_KEY));
	e.key_id = q("");
	expect("empty keyId", env_json(&e), LAR_V_FAIL, R(UNKNOWN_KEY));

	/* bad_signature */
	{
		char s43[44];
		memcpy(s43, sig + 1, 43);
		s43[43] = 0;
		s43[5] = s43[5] == 'A' ? 'B' : 'A';
		e = good;
		e.signature = q(s43);
		expect("bad_signature: one character changed", env_json(&e), LAR_V_FAIL, R(BAD_SIGNATURE));
	}
	e = good;
	e.signature = q(mac_b64(SECRET_A, json, strlen(json)));
	expect("bad_signature: MAC over the JSON, not the text", env_json(&e), LAR_V_FAIL, R(BAD_SIGNATURE));
	e = env_for(json, strlen(json), "another secret", KID);
	expect("bad_signature: foreign secret", env_json(&e), LAR_V_FAIL, R(BAD_SIGNATURE));
	e = env_for(json, strlen(json), SECRET_A, "rot");
	expect("bad_signature: keyId of another key", env_json(&e), LAR_V_FAIL, R(BAD_SIGNATURE));
	{
		struct pl p2 = pl_default();
		pl_int(&p2, "grossSats", 101);
		char *j2 = pl_json(&p2, 0);
		e = good;
		e.payload = q(b64(j2, strlen(j2)));
		expect("bad_signature: payload edited", env_json(&e), LAR_V_FAIL, R(BAD_SIGNATURE));
	}
	e = good;
	e.payload = q(b64("[]", 2));
	expect("bad signature + bad schema -> bad_signature", env_json(&e), LAR_V_FAIL, R(BAD_SIGNATURE));
	e.payload = q(b64("{\"a\":", 5));
	expect("bad signature + malformed payload -> bad_signature", env_json(&e), LAR_V_FAIL,
	       R(BAD_SIGNATURE));

	/* key_revoked, before malformed_payload, schema and the window */
	e = env_for(json, strlen(json), SECRET_REV, "revoked-k");
	expect("key_revoked", env_json(&e), LAR_V_FAIL, R(KEY_REVOKED));
	e = env_for(json, strlen(json), SECRET_REVWIN, "revwin");
	expect("revoked + outside window -> key_revoked", env_json(&e), LAR_V_FAIL, R(KEY_REVOKED));
	e = env_for("[", 1, SECRET_REV, "revoked-k");
	expect("revoked + malformed payload -> key_revoked", env_json(&e), LAR_V_FAIL, R(KEY_REVOKED));

	/* the body, keyId and algorithm are hints: changing the body only flags */
	e = good;
	e.body = "{\"grossSats\":999}";
	expect("body_mismatch", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	/* envelope members in another order, and extra envelope members */
	const char *reordered = fmt("{\"keyId\":%s,\"extra\":1,\"signature\":%s,\"payload\":%s,"
				    "\"signatureAlgorithm\":%s,\"version\":%s}",
				    good.key_id, good.signature, good.payload, good.alg, good.version);
	expect("envelope members in any order", reordered, LAR_V_OK, 0);
}

static void test_payload_checks(void)
{
	/* malformed_payload: signed, but the decoded bytes are not acceptable JSON */
	struct {
		const char *name;
		const char *bytes;
		size_t len;
	} mp[] = {
		{"not JSON", "{\"a\":", 5},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", 9},
		{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", 10},
		{"duplicate member", "{\"a\":1,\"a\":1}", 13},
		{"lone surrogate", "{\"a\":\"\\ud800\"}", 14},
		{"escaped U+0000", "{\"a\":\"\\u0000\"}", 14},
		{"byte-order mark", "\xef\xbb\xbf{}", 5},
		{"trailing bytes", "{} x", 4},
		{"two values", "{}{}", 4},
		{"single quotes", "{'a':1}", 7},
		{"empty", "", 0},
	};
	for (size_t i = 0; i < sizeof mp / sizeof mp[0]; i++) {
		struct env e = env_for(mp[i].bytes, mp[i].len, SECRET_A, KID);
		expect(fmt("malformed_payload: %s", mp[i].name), env_json(&e), LAR_V_FAIL,
		       R(MALFORMED_PAYLOAD));
	}
	{
		/* nesting: 64 levels are allowed by the parser, 65 are not */
		struct lar_buf b;
		lar_buf_init(&b, 0);
		lar_buf_puts(&b, "{\"a\":");
		for (int i = 0; i < 64; i++)
			lar_buf_putc(&b, '[');
		for (int i = 0; i < 64; i++)
			lar_buf_putc(&b, ']');
		lar_buf_putc(&b, '}');
		struct env e = env_for(b.p, b.len, SECRET_A, KID);
		expect("malformed_payload: nesting 65 deep", env_json(&e), LAR_V_FAIL, R(MALFORMED_PAYLOAD));
		lar_buf_reset(&b);
		lar_buf_puts(&b, "{\"a\":");
		for (int i = 0; i < 62; i++)
			lar_buf_putc(&b, '[');
		for (int i = 0; i < 62; i++)
			lar_buf_putc(&b, ']');
		lar_buf_putc(&b, '}');
		e = env_for(b.p, b.len, SECRET_A, KID);
		expect("nesting 63 deep is JSON (schema_violation)", env_json(&e), LAR_V_FAIL,
		       R(SCHEMA_VIOLATION));
		lar_buf_free(&b);
	}
	/* malformed payload before key_not_valid_at_time */
	{
		struct env e = env_for("{\"a\":", 5, SECRET_WIN, "win");
		expect("malformed payload + window key -> malformed_payload", env_json(&e), LAR_V_FAIL,
		       R(MALFORMED_PAYLOAD));
	}

	/* schema_violation */
	struct {
		const char *name, *member, *raw; /* raw NULL: remove */
	} sv[] = {
		{"missing grossSats", "grossSats", NULL},
		{"missing createdAt", "createdAt", NULL},
		{"missing status", "status", NULL},
		{"missing requestId (nullable, not optional)", "requestId", NULL},
		{"missing version", "version", NULL},
		{"missing mcpToolId", "mcpToolId", NULL},
		{"grossSats a string", "grossSats", "\"100\""},
		{"grossSats a fraction", "grossSats", "100.0"},
		{"grossSats an exponent", "grossSats", "1e2"},
		{"grossSats true", "grossSats", "true"},
		{"grossSats null", "grossSats", "null"},
		{"grossSats over int32", "grossSats", "2147483648"},
		{"netSats under int32", "netSats", "-2147483649"},
		{"feeBasisPoints a string", "feeBasisPoints", "\"500\""},
		{"mcpToolId upper case", "mcpToolId", "\"E3E70682-C209-4CAC-A29F-6FBED82C07CD\""},
		{"mcpToolId without hyphens", "mcpToolId", "\"e3e70682c2094caca29f6fbed82c07cd\""},
		{"mcpToolId null", "mcpToolId", "null"},
		{"mcpGateTokenId empty", "mcpGateTokenId", "\"\""},
		{"payingProjectId braces", "payingProjectId", "\"{8b56177d-fb51-44f7-bd21-b22d3dfd013f}\""},
		{"createdAt with 6 digits", "createdAt", "\"2026-05-07T02:05:01.123456Z\""},
		{"createdAt without fraction", "createdAt", "\"2026-05-07T02:05:01Z\""},
		{"createdAt with an offset", "createdAt", "\"2026-05-07T02:05:01.1234567+00:00\""},
		{"createdAt bad date", "createdAt", "\"2026-02-30T02:05:01.1234567Z\""},
		{"createdAt null", "createdAt", "null"},
		{"agentId a number", "agentId", "7"},
		{"toolName null", "toolName", "null"},
		{"status null", "status", "null"},
		{"receiptId a number", "receiptId", "7"},
		{"receiptId without the prefix", "receiptId", "\"7fd6900a8cce4e6b8bfcbb79d2a6d643\""},
		{"version differs from the envelope", "version", "\"mcp-call-receipt-v2\""},
		{"toolSlug an object", "toolSlug", "{}"},
	};
	for (size_t i = 0; i < sizeof sv / sizeof sv[0]; i++) {
		struct pl p = pl_default();
		pl_set(&p, sv[i].member, sv[i].raw);
		expect(fmt("schema_violation: %s", sv[i].name), signed_pl(&p), LAR_V_FAIL,
		       R(SCHEMA_VIOLATION));
	}
	expect("schema_violation: payload an array", signed_rec("[]", SECRET_A, KID), LAR_V_FAIL,
	       R(SCHEMA_VIOLATION));
	expect("schema_violation: payload a string", signed_rec("\"x\"", SECRET_A, KID), LAR_V_FAIL,
	       R(SCHEMA_VIOLATION));
	/* int32 bounds themselves are fine (fee flags aside) */
	{
		struct pl p = pl_default();
		pl_int(&p, "grossSats", 2147483647);
		pl_int(&p, "feeBasisPoints", 0);
		pl_int(&p, "platformFeeSats", 0);
		pl_int(&p, "netSats", 2147483647);
		expect("grossSats at INT32_MAX", signed_pl(&p), LAR_V_OK, 0);
	}

	/* key_not_valid_at_time: [not-before, not-after) of the matching secret */
	struct {
		const char *created;
		int ok;
	} w[] = {
		{"2025-12-31T23:59:59.9999999Z", 0}, {"2026-01-01T00:00:00.0000000Z", 1},
		{"2026-05-31T23:59:59.9999999Z", 1}, {"2026-06-01T00:00:00.0000000Z", 0},
		{"2030-01-01T00:00:00.0000000Z", 0},
	};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		struct pl p = pl_default();
		pl_str(&p, "createdAt", w[i].created);
		char *r = signed_rec(pl_json(&p, 0), SECRET_WIN, "win");
		expect(fmt("window: createdAt %s", w[i].created), r, w[i].ok ? LAR_V_OK : LAR_V_FAIL,
		       w[i].ok ? 0 : R(KEY_NOT_VALID_AT_TIME));
	}
	{
		struct pl p = pl_default();
		pl_str(&p, "createdAt", "2030-01-01T00:00:00.0000000Z");
		pl_set(&p, "grossSats", NULL);
		expect("schema + outside window -> schema_violation",
		       signed_rec(pl_json(&p, 0), SECRET_WIN, "win"), LAR_V_FAIL, R(SCHEMA_VIOLATION));
		pl_int(&p, "grossSats", 100);
		pl_str(&p, "status", "Test");
		expect("flag reasons are not reached outside the window",
		       signed_rec(pl_json(&p, 0), SECRET_WIN, "win"), LAR_V_FAIL, R(KEY_NOT_VALID_AT_TIME));
	}
}

static void test_rotation(void)
{
	struct pl p = pl_default();
	char *json = pl_json(&p, 0);
	struct lar_verdict vd;
	char *r;

	/* two secrets under one keyId: the second one matches */
	r = signed_rec(json, SECRET_ROT_NEW, "rot");
	if (verify_with(V, "rotation: second secret of a keyId", r, strlen(r), LAR_V_OK, 0, &vd)) {
		CHECK(vd.key != NULL && vd.key->index == 2 && strcmp(vd.key->key_id, "rot") == 0);
		uint8_t fp[LAR_MAC_LEN];
		lar_mac_oneshot((const uint8_t *)SECRET_ROT_NEW, strlen(SECRET_ROT_NEW),
				"la-receipt fingerprint v1", 25, fp);
		CHECK(memcmp(vd.key->fingerprint, fp, LAR_FPR_LEN) == 0);
	}
	/* the first secret matches, but its window ends before createdAt */
	r = signed_rec(json, SECRET_ROT_OLD, "rot");
	expect("rotation: old secret after its not-after", r, LAR_V_FAIL, R(KEY_NOT_VALID_AT_TIME));
	pl_str(&p, "createdAt", "2025-11-01T00:00:00.0000000Z");
	r = signed_rec(pl_json(&p, 0), SECRET_ROT_OLD, "rot");
	if (verify_with(V, "rotation: old secret inside its window", r, strlen(r), LAR_V_OK, 0, &vd))
		CHECK(vd.key != NULL && vd.key->index == 1);
	/* the --key entry */
	r = signed_rec(json, "spec", "spec-key");
	if (verify_with(V, "--key entry", r, strlen(r), LAR_V_OK, 0, &vd))
		CHECK(vd.key != NULL && vd.key->index == 10 && strcmp(vd.key->origin, "--key") == 0);
	/* a revoked secret before a good one of the same keyId: the good one matches */
	r = signed_rec(json, SECRET_MIXED, "mixed");
	if (verify_with(V, "revoked secret first, the valid one signs", r, strlen(r), LAR_V_OK, 0, &vd))
		CHECK(vd.key != NULL && vd.key->index == 7 && !vd.key->revoked);
	r = signed_rec(json, SECRET_REV, "mixed");
	expect("revoked secret first, and it signs", r, LAR_V_FAIL, R(KEY_REVOKED));
	/* one secret listed twice with adjacent windows: the line whose window
	 * holds createdAt is the match (each line is tried, SPEC §3) */
	r = signed_rec(json, SECRET_TWICE, "twice");
	if (verify_with(V, "one secret on two lines, second window", r, strlen(r), LAR_V_OK, 0, &vd))
		CHECK(vd.key != NULL && vd.key->index == 9);
}

/* The verifier keeps the entries of the last keyId (receipt.c keys_for): ids
 * of one length that differ only at the end, ids at and past the 64 bytes it
 * remembers, and an unknown id between known ones get their own secrets. */
static void test_keyid_switch(void)
{
	char k64[65], k65[66], text[600];
	memset(k64, 'k', 64);
	k64[64] = 0;
	memset(k65, 'k', 65);
	k65[65] = 0;
	snprintf(text, sizeof text,
		 "abc text:secret-abc\nabd text:secret-abd\n%s text:secret-64\n%s text:secret-65\n"
		 "abd text:secret-abd-2  revoked\n", k64, k65);
	struct lar_keyring *kr = NULL;
	struct lar_verifier *v = NULL;
	struct lar_err e = {0};
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	CHECKM(lar_keyring_load_text(kr, text, strlen(text), "switch-ring", NULL, 0, &e) == LAR_OK, "%s", e.msg);
	CHECK(lar_verifier_new(kr, NULL, &v, &e) == LAR_OK);
	if (v == NULL)
		goto out;
	struct pl p = pl_default();
	char *json = pl_json(&p, 0);
	const struct {
		const char *secret, *kid;
		enum lar_vstatus st;
		uint32_t reasons;
	} seq[] = {
		{ "secret-abc", "abc", LAR_V_OK, 0 },
		{ "secret-abd", "abd", LAR_V_OK, 0 },
		{ "secret-abd", "abc", LAR_V_FAIL, R(BAD_SIGNATURE) },
		{ "secret-abc", "abc", LAR_V_OK, 0 },
		{ "secret-abc", "abe", LAR_V_FAIL, R(UNKNOWN_KEY) },
		{ "secret-abd-2", "abd", LAR_V_FAIL, R(KEY_REVOKED) },
		{ "secret-64", k64, LAR_V_OK, 0 },
		{ "secret-65", k65, LAR_V_OK, 0 },
		{ "secret-64", k65, LAR_V_FAIL, R(BAD_SIGNATURE) },
		{ "secret-65", k65, LAR_V_OK, 0 },
		{ "secret-65", k64, LAR_V_FAIL, R(BAD_SIGNATURE) },
		{ "secret-64", k64, LAR_V_OK, 0 },
		{ "secret-abc", "", LAR_V_FAIL, R(UNKNOWN_KEY) },
		{ "secret-abd", "abd", LAR_V_OK, 0 },
	};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		char *r = signed_rec(json, seq[i].secret, seq[i].kid);
		char *name = fmt("keyId switch %zu (%.8s, %zu bytes)", i, seq[i].kid, strlen(seq[i].kid));
		verify_with(v, name, r, strlen(r), seq[i].st, seq[i].reasons, NULL);
	}
out:
	lar_verifier_free(v);
	lar_keyring_free(kr);
}

static void test_flags(void)
{
	struct pl p;

	/* noncanonical_payload */
	p = pl_default();
	{
		char *j = pl_json(&p, 1);
		expect("noncanonical: spaces and newlines", signed_rec(j, SECRET_A, KID), LAR_V_FLAG,
		       R(NONCANONICAL_PAYLOAD));
		j = pl_json(&p, 2);
		expect("noncanonical: members unsorted", signed_rec(j, SECRET_A, KID), LAR_V_FLAG,
		       R(NONCANONICAL_PAYLOAD));
	}
	struct {
		const char *name, *member, *raw;
	} nc[] = {
		{"escaped slash", "toolMethodName", "\"a\\/b\""},
		{"lower-case hex escape", "idempotencyKey", "\"idem\\u002b1\""},
		{"raw plus", "idempotencyKey", "\"idem+1\""},
		{"raw UTF-8", "toolName", "\"caf\xc3\xa9\""},
		{"\\u escape of a plain letter", "toolMethodName", "\"\\u0073earch\""},
		{"backslash-quote", "toolName", "\"a\\\"b\""},
	};
	for (size_t i = 0; i < sizeof nc / sizeof nc[0]; i++) {
		p = pl_default();
		pl_set(&p, nc[i].member, nc[i].raw);
		expect(fmt("noncanonical: %s", nc[i].name), signed_pl(&p), LAR_V_FLAG,
		       R(NONCANONICAL_PAYLOAD));
	}
	/* canonical escapes of every class of §1.4 are not flagged */
	p = pl_default();
	pl_str(&p, "toolName",
	       "q\" a& s' p+ l< g> b` bs\\ nl\n cr\r t\t b\b f\f c\x01 del\x7f / \xe2\x82\xac");
	expect("canonical escapes", signed_pl(&p), LAR_V_OK, 0);

	/* amount_mismatch */
	p = pl_default();
	pl_int(&p, "netSats", 94);
	expect("amount_mismatch: net wrong", signed_pl(&p), LAR_V_FLAG, R(AMOUNT_MISMATCH));
	p = pl_default();
	pl_int(&p, "grossSats", -5);
	pl_int(&p, "platformFeeSats", 0);
	pl_int(&p, "netSats", -5);
	expect("amount_mismatch: negative gross", signed_pl(&p), LAR_V_FLAG, R(AMOUNT_MISMATCH));
	p = pl_default();
	pl_int(&p, "feeBasisPoints", 0);
	pl_int(&p, "grossSats", 5);
	pl_int(&p, "platformFeeSats", -1);
	pl_int(&p, "netSats", 6);
	expect("amount_mismatch + fee_mismatch: negative fee", signed_pl(&p), LAR_V_FLAG,
	       R(AMOUNT_MISMATCH) | R(FEE_MISMATCH));

	/* id_mismatch */
	p = pl_default();
	pl_str(&p, "receiptId", "mcp_receipt_00000000000000000000000000000001");
	expect("id_mismatch", signed_pl(&p), LAR_V_FLAG, R(ID_MISMATCH));
	/* one digit off, in each group of the guid */
	for (size_t i = 0; i < 32; i++) {
		char rid[] = RECEIPT_ID, name[64];
		size_t at = sizeof "mcp_receipt_" - 1 + i;
		rid[at] = rid[at] == 'a' ? 'b' : 'a';
		p = pl_default();
		pl_str(&p, "receiptId", rid);
		snprintf(name, sizeof name, "id_mismatch at digit %zu", i);
		expect(name, signed_pl(&p), LAR_V_FLAG, R(ID_MISMATCH));
	}

	/* status */
	p = pl_default();
	pl_str(&p, "status", "Test");
	expect("test_receipt", signed_pl(&p), LAR_V_FLAG, R(TEST_RECEIPT));
	const char *other[] = {"Refunded", "charged", "Denied", ""};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		pl_str(&p, "status", other[i]);
		expect(fmt("unexpected_status '%s'", other[i]), signed_pl(&p), LAR_V_FLAG,
		       R(UNEXPECTED_STATUS));
	}

	/* several flags at once: every one is listed */
	p = pl_default();
	pl_str(&p, "status", "Test");
	pl_str(&p, "receiptId", "mcp_receipt_00000000000000000000000000000001");
	pl_int(&p, "platformFeeSats", 7);
	pl_int(&p, "netSats", 93);
	{
		struct env e = env_for(pl_json(&p, 1), strlen(pl_json(&p, 1)), SECRET_A, KID);
		e.body = "{\"toolSlug\":\"other\"}";
		expect("five flags", env_json(&e), LAR_V_FLAG,
		       R(NONCANONICAL_PAYLOAD) | R(BODY_MISMATCH) | R(FEE_MISMATCH) | R(ID_MISMATCH) |
			       R(TEST_RECEIPT));
	}
}

static char *body_default(const char *created_body)
{
	return fmt(
		"{\"receiptId\":\"%s\",\"revenueEventId\":\"%s\",\"mcpToolId\":\"%s\",\"toolSlug\":\"weather-"
		"api\","
		"\"toolName\":\"Weather <API> & \\\"more\\\" caf\xc3\xa9 \xf0\x9f\x98\x80\","
		"\"toolMethodName\":\"search\",\"mcpGateTokenId\":\"%s\",\"mcpGateSessionId\":null,"
		"\"payingProjectId\":\"%s\",\"agentId\":\"agent_1\",\"grossSats\":100,\"platformFeeSats\":5,"
		"\"netSats\":95,\"feeBasisPoints\":500,\"status\":\"Charged\",\"idempotencyKey\":\"idem+1\","
		"\"requestId\":null,\"createdAt\":\"%s\",\"attestation\":null}",
		RECEIPT_ID, GUID_EVENT, GUID_TOOL, GUID_TOKEN, GUID_PROJECT, created_body);
}

static void test_body(void)
{
	struct pl p = pl_default();
	char *json = pl_json(&p, 0);
	struct env e = env_for(json, strlen(json), SECRET_A, KID);

	e.body = body_default("2026-05-07T02:05:01.1234567Z");
	expect("body: full and equal", env_json(&e), LAR_V_OK, 0);
	e.body = body_default("2026-05-07T02:05:01.1234568Z");
	expect("body: createdAt one tick later", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = body_default("2026-05-07T04:05:01.1234567+02:00");
	expect("body: createdAt as the same instant with an offset", env_json(&e), LAR_V_OK, 0);
	e.body = "{}";
	expect("body: empty object (nothing to compare)", env_json(&e), LAR_V_OK, 0);
	e.body = "{\"somethingNew\":[1,2,3],\"grossSats\":100}";
	expect("body: unknown members ignored", env_json(&e), LAR_V_OK, 0);
	e.body = fmt("{\"mcpToolId\":\"%s\"}", "E3E70682-C209-4CAC-A29F-6FBED82C07CD");
	expect("body: guid in upper case", env_json(&e), LAR_V_OK, 0);
	e.body = fmt("{\"mcpToolId\":\"%s\"}", "e3e70682-c209-4cac-a29f-6fbed82c07ce");
	expect("body: another guid", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"toolName\":\"Weather <API> & \\u0022more\\\" caf\\u00e9 \\ud83d\\ude00\"}";
	expect("body: strings compared decoded", env_json(&e), LAR_V_OK, 0);
	e.body = "{\"agentId\":null}";
	expect("body: null vs value", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"requestId\":\"r\"}";
	expect("body: value vs null", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"createdAt\":\"yesterday\"}";
	expect("body: createdAt not a time", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"netSats\":96}";
	expect("body: netSats", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"grossSats\":\"100\"}";
	expect("body: number as a string", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));

	/* trimmed fractions (SPEC §1.5) */
	pl_str(&p, "createdAt", "2026-05-07T02:05:01.1230000Z");
	json = pl_json(&p, 0);
	e = env_for(json, strlen(json), SECRET_A, KID);
	e.body = "{\"createdAt\":\"2026-05-07T02:05:01.123Z\"}";
	expect("body: trailing fraction zeros trimmed", env_json(&e), LAR_V_OK, 0);
	pl_str(&p, "createdAt", "2026-05-07T02:05:01.0000000Z");
	json = pl_json(&p, 0);
	e = env_for(json, strlen(json), SECRET_A, KID);
	e.body = "{\"createdAt\":\"2026-05-07T02:05:01Z\"}";
	expect("body: zero fraction omitted", env_json(&e), LAR_V_OK, 0);
	e.body = "{\"createdAt\":\"2026-05-07T02:05:02Z\"}";
	expect("body: another second", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));

	/* containers where the body repeats a field: never equal to the field's
	 * value (the envelope parse leaves them out, json.h) */
	p = pl_default();
	json = pl_json(&p, 0);
	e = env_for(json, strlen(json), SECRET_A, KID);
	e.body = "{\"grossSats\":[100]}";
	expect("body: a field as an array", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"agentId\":{}}";
	expect("body: a field as an empty object", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"mcpGateSessionId\":[]}";
	expect("body: a null field as an empty array", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"attestation\":{}}";
	expect("body: an attestation the payload has not", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "[]";
	expect("body: an array", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "\"x\"";
	expect("body: a string", env_json(&e), LAR_V_FLAG, R(BODY_MISMATCH));
	e.body = "{\"x\":{\"a\":1,\"a\":2},\"grossSats\":100}";
	expect("body: a duplicate name in a member nobody reads", env_json(&e), LAR_V_FAIL, R(MALFORMED_INPUT));

	/* members the payload has beyond SPEC §1.3 are compared whole, the
	 * others ignored, whatever the records around them held */
	pl_set(&p, "zzFuture", "{\"x\":[1,2],\"y\":null}");
	pl_set(&p, "aaFuture", "7");
	json = pl_json(&p, 0);
	e = env_for(json, strlen(json), SECRET_A, KID);
	const char *future[][2] = {
		{ "{\"zzFuture\":{\"y\":null,\"x\":[1,2]},\"grossSats\":100}", "" },
		{ "{\"zzFuture\":{\"x\":[1,3],\"y\":null}}", "mismatch" },
		{ "{\"grossSats\":100,\"zzFuture\":{\"x\":[1,2]}}", "mismatch" },
		{ "{\"zzFuture\":[1,2]}", "mismatch" },
		{ "{\"zzOther\":[1,2],\"grossSats\":100}", "" },
		{ "{\"grossSats\":101,\"zzFuture\":{\"x\":[1,2],\"y\":null}}", "mismatch" },
		{ "{\"aaFuture\":7,\"zzOther\":{\"a\":[1]}}", "" },
		{ "{\"aaFuture\":7.0}", "" },
		{ "{\"aaFuture\":[7]}", "mismatch" },
		{ "{\"aaFuture\":{\"7\":7},\"zzFuture\":{\"x\":[1,2],\"y\":null}}", "mismatch" },
		{ "{\"aaFuture\":\"7\"}", "mismatch" },
	};
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof future / sizeof *future; i++) {
			e.body = future[i][0];
			int mismatch = future[i][1][0] != 0;
			expect(fmt("body with a future member, round %d: %s", round, future[i][0]), env_json(&e),
			       mismatch ? LAR_V_FLAG : LAR_V_OK, mismatch ? R(BODY_MISMATCH) : 0);
		}
	}
	/* and a payload without them ignores the body's */
	p = pl_default();
	json = pl_json(&p, 0);
	e = env_for(json, strlen(json), SECRET_A, KID);
	e.body = "{\"zzFuture\":{\"x\":[1,3]},\"grossSats\":100}";
	expect("body: a future member the payload has not", env_json(&e), LAR_V_OK, 0);
}

struct fee_case {
	long long bps, gross, fee, net;
	int ok;
};

static void fee_run(struct lar_verifier *v, const char *label, const struct fee_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pl p = pl_default();
		pl_int(&p, "feeBasisPoints", c[i].bps);
		pl_int(&p, "grossSats", c[i].gross);
		pl_int(&p, "platformFeeSats", c[i].fee);
		pl_int(&p, "netSats", c[i].net);
		char *r = signed_pl(&p);
		verify_with(v,
			    fmt("%s: bps %lld gross %lld -> %lld/%lld", label, c[i].bps, c[i].gross, c[i].fee,
				c[i].net),
			    r, strlen(r), c[i].ok ? LAR_V_OK : LAR_V_FLAG, c[i].ok ? 0 : R(FEE_MISMATCH),
			    NULL);
	}
}

static void test_fee_model(void)
{
	/* SPEC §1.6 table at 500 bps, minimum fee 1 */
	static const struct fee_case def[] = {
		{500, 1, 1, 0, 1},
		{500, 5, 1, 4, 1},
		{500, 39, 1, 38, 1},
		{500, 40, 2, 38, 1},
		{500, 100, 5, 95, 1},
		{500, 1, 0, 1, 0},
		{500, 40, 1, 39, 0},
		{500, 100, 6, 94, 0},
		{500, 0, 0, 0, 1},
		{500, 0, 1, -1, 0},
		{0, 100, 0, 100, 1},
		{0, 100, 1, 99, 0},
		{-5, 100, 0, 100, 1},
		{10000, 7, 7, 0, 1},
		{100, 99, 1, 98, 1},
		{100, 250, 2, 248, 1},
		{1, 2147483647, 214748, 2147268899, 1},
	};
	fee_run(V, "fee (min 1)", def, sizeof def / sizeof def[0]);

	struct lar_verify_opts o = LAR_VERIFY_OPTS_DEFAULT;
	struct lar_verifier *v = NULL;
	struct lar_err e = {0};
	CHECK(o.min_fee_sats == 1);
	o.min_fee_sats = 3;
	CHECK(lar_verifier_new(KR, &o, &v, &e) == LAR_OK);
	if (v != NULL) {
		static const struct fee_case m3[] = {
			{500, 5, 3, 2, 1},    {500, 5, 1, 4, 0}, {500, 40, 3, 37, 1}, {500, 40, 2, 38, 0},
			{500, 100, 5, 95, 1}, {500, 0, 0, 0, 1}, {0, 100, 0, 100, 1}, {500, 2, 3, -1, 1},
		};
		fee_run(v, "fee (min 3)", m3, sizeof m3 / sizeof m3[0]);
	}
	lar_verifier_free(v);
	v = NULL;
	o.min_fee_sats = 0;
	CHECK(lar_verifier_new(KR, &o, &v, &e) == LAR_OK);
	if (v != NULL) {
		static const struct fee_case m0[] = {
			{500, 5, 0, 5, 1},
			{500, 5, 1, 4, 0},
			{500, 40, 2, 38, 1},
			{500, 19, 0, 19, 1},
		};
		fee_run(v, "fee (min 0)", m0, sizeof m0 / sizeof m0[0]);
	}
	lar_verifier_free(v);
}

/* No secret byte string reaches anything a verdict points to. */
static void scan(const char *what, const void *p, size_t n, int *found)
{
	static const char *const secrets[] = {SECRET_A,	  SECRET_ROT_OLD, SECRET_ROT_NEW, SECRET_REV,
					      SECRET_WIN, SECRET_REVWIN,  "SENTINEL"};
	if (p == NULL || n == 0)
		return;
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		if (memmem(p, n, secrets[i], strlen(secrets[i])) != NULL) {
			fprintf(stderr, "  secret text found in %s\n", what);
			*found = 1;
		}
}

static void scan_verdict(const char *name, const struct lar_verdict *vd)
{
	int found = 0;
	const struct lar_str *strs = &vd->p.agent_id;
	size_t nstr = (size_t)((const struct lar_str *)&vd->p.fee_basis_points - strs);

	scan("key_id", vd->key_id.p, vd->key_id.n, &found);
	scan("payload_b64", vd->payload_b64.p, vd->payload_b64.n, &found);
	scan("signature", vd->signature.p, vd->signature.n, &found);
	scan("payload_json", vd->payload_json, vd->payload_json_len, &found);
	for (size_t i = 0; i < nstr; i++)
		scan("payload string", strs[i].p, strs[i].n, &found);
	const struct lar_str *att = &vd->p.attestation_claims;
	for (size_t i = 0; i < 8; i++)
		scan("attestation string", att[i].p, att[i].n, &found);
	if (vd->key != NULL) {
		scan("key entry", vd->key, sizeof *vd->key, &found);
		scan("key->key_id", vd->key->key_id, vd->key->key_id_len, &found);
		scan("key->origin", vd->key->origin, strlen(vd->key->origin), &found);
		scan("key->fingerprint_hex", vd->key->fingerprint_hex, sizeof vd->key->fingerprint_hex,
		     &found);
	}
	scan("verdict", vd, sizeof *vd, &found);
	CHECKM(!found, "%s: no secret in what the verdict points to", name);
}

static void test_no_secret(void)
{
	struct pl p = pl_default();
	char *json = pl_json(&p, 0);
	const struct {
		const char *secret, *kid;
	} k[] = {{SECRET_A, KID},
		 {SECRET_ROT_NEW, "rot"},
		 {SECRET_ROT_OLD, "rot"},
		 {SECRET_REV, "revoked-k"},
		 {"wrong", KID}};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		char *r = signed_rec(json, k[i].secret, k[i].kid);
		struct lar_verdict vd;
		CHECK(lar_receipt_verify(V, (const uint8_t *)r, strlen(r), &vd) == LAR_OK);
		scan_verdict(fmt("secret scan %zu", i), &vd);
	}
	/* keyring errors name the line, never the secret */
	struct lar_keyring *kr = NULL;
	struct lar_err e = {0};
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	const char bad[] = "k text:SENTINEL-in-an-error not-befor=2026-01-01T00:00:00Z\n";
	CHECK(lar_keyring_load_text(kr, bad, strlen(bad), "bad-ring", NULL, 0, &e) != LAR_OK);
	CHECKM(strstr(e.msg, "SENTINEL") == NULL, "keyring error has no secret: %.300s", e.msg);
	CHECKM(strstr(e.msg, "bad-ring") != NULL && strstr(e.msg, "1") != NULL, "names file and line: %.300s",
	       e.msg);
	memset(&e, 0, sizeof e);
	if (lar_keyring_add_spec(kr, "k=text:SENTINEL-spec not-after=junk", 0, &e) != LAR_OK)
		CHECKM(strstr(e.msg, "SENTINEL") == NULL, "add_spec error has no secret: %.300s", e.msg);
	lar_keyring_free(kr);
}

static void test_sign(void)
{
	struct pl p = pl_default();
	char *canon = pl_json(&p, 0);
	struct lar_arena a;
	const struct lar_json *tree = NULL;
	size_t pos = 0;
	const struct lar_key_entry *k = lar_keyring_next(KR, KID, strlen(KID), &pos);
	struct lar_buf out;

	CHECK(k != NULL);
	if (k == NULL)
		return;
	lar_arena_init(&a, 0);
	lar_buf_init(&out, 0);
	for (int mode = 0; mode < 3; mode++) {
		char *src = pl_json(&p, mode);
		CHECK(lar_json_parse((const uint8_t *)src, strlen(src), &a, &tree, NULL) == LAR_OK);
		lar_buf_reset(&out);
		CHECK(lar_receipt_sign(V, k, KID, tree, &out) == LAR_OK && !out.oom);
		char *line = keep(strndup((const char *)out.p, out.len));
		CHECKM(memchr(line, '\n', strlen(line)) == NULL, "sign writes one line without newline");
		expect(fmt("sign (payload form %d) -> verify ok", mode), line, LAR_V_OK, 0);
		/* byte-compatible with LiveAuthCore: payload is the canonical text */
		struct env want = env_for(canon, strlen(canon), SECRET_A, KID);
		CHECKM(strstr(line, want.payload) != NULL, "sign form %d: payload is canonical", mode);
		CHECKM(strstr(line, want.signature) != NULL, "sign form %d: signature as LiveAuthCore", mode);
		CHECK(strstr(line, "\"body\":{") != NULL);
		scan("sign output", line, strlen(line), &(int){0});
		CHECK(strstr(line, "SENTINEL") == NULL);
	}
	/* sign with the second secret of a keyId, under its label */
	pos = 0;
	const struct lar_key_entry *k1 = lar_keyring_next(KR, "rot", 3, &pos);
	const struct lar_key_entry *k2 = lar_keyring_next(KR, "rot", 3, &pos);
	CHECK(k1 != NULL && k2 != NULL && k1 != k2);
	CHECK(lar_keyring_next(KR, "rot", 3, &pos) == NULL);
	if (k2 != NULL) {
		lar_buf_reset(&out);
		CHECK(lar_json_parse((const uint8_t *)canon, strlen(canon), &a, &tree, NULL) == LAR_OK);
		CHECK(lar_receipt_sign(V, k2, "rot", tree, &out) == LAR_OK);
		char *line = keep(strndup((const char *)out.p, out.len));
		struct lar_verdict vd;
		if (verify_with(V, "sign with the second rot secret", line, strlen(line), LAR_V_OK, 0, &vd))
			CHECK(vd.key == k2);
	}
	/* a payload that is not an object is refused */
	CHECK(lar_json_parse((const uint8_t *)"[1]", 3, &a, &tree, NULL) == LAR_OK);
	lar_buf_reset(&out);
	CHECK(lar_receipt_sign(V, k, KID, tree, &out) == LAR_E_INVAL);
	/* a flagged payload signs, and verifies as the same flag */
	pl_str(&p, "status", "Test");
	char *t = pl_json(&p, 0);
	CHECK(lar_json_parse((const uint8_t *)t, strlen(t), &a, &tree, NULL) == LAR_OK);
	lar_buf_reset(&out);
	CHECK(lar_receipt_sign(V, k, KID, tree, &out) == LAR_OK);
	expect("sign of a Test payload -> test_receipt", keep(strndup((const char *)out.p, out.len)),
	       LAR_V_FLAG, R(TEST_RECEIPT));
	lar_buf_free(&out);
	lar_arena_free(&a);
}

static void check_payload(const char *name, const char *json, enum lar_vstatus st, uint32_t reasons)
{
	struct lar_verdict vd;
	char got[200], want[200];
	lar_status s = lar_receipt_check_payload(V, (const uint8_t *)json, strlen(json), &vd);

	reasons_str(vd.reasons, got, sizeof got);
	reasons_str(reasons, want, sizeof want);
	CHECKM(s == LAR_OK && vd.status == st && vd.reasons == reasons,
	       "check_payload %s: got %s [%s], expected %s [%s]", name,
	       s == LAR_OK ? lar_vstatus_name(vd.status) : "error", got, lar_vstatus_name(st), want);
	if (s == LAR_OK && vd.status != LAR_V_FAIL)
		CHECK(strs_eq(vd.p.receipt_id, RECEIPT_ID) || vd.p.receipt_id.p != NULL);
}

static void test_check_payload(void)
{
	struct pl p = pl_default();

	check_payload("canonical", pl_json(&p, 0), LAR_V_OK, 0);
	check_payload("pretty", pl_json(&p, 1), LAR_V_FLAG, R(NONCANONICAL_PAYLOAD));
	check_payload("not JSON", "{\"a\":", LAR_V_FAIL, R(MALFORMED_PAYLOAD));
	check_payload("duplicate", "{\"a\":1,\"a\":2}", LAR_V_FAIL, R(MALFORMED_PAYLOAD));
	check_payload("array", "[]", LAR_V_FAIL, R(SCHEMA_VIOLATION));
	pl_str(&p, "status", "Test");
	check_payload("Test", pl_json(&p, 0), LAR_V_FLAG, R(TEST_RECEIPT));
	pl_int(&p, "netSats", 1);
	check_payload("Test + amount", pl_json(&p, 0), LAR_V_FLAG, R(TEST_RECEIPT) | R(AMOUNT_MISMATCH));
	p = pl_default();
	pl_set(&p, "grossSats", NULL);
	check_payload("missing grossSats", pl_json(&p, 0), LAR_V_FAIL, R(SCHEMA_VIOLATION));
	/* no key window applies: a createdAt far away is fine */
	p = pl_default();
	pl_str(&p, "createdAt", "1999-01-01T00:00:00.0000000Z");
	check_payload("any createdAt", pl_json(&p, 0), LAR_V_OK, 0);
}

int main(void)
{
	setup();
	test_names();
	test_ok_and_view();
	test_wrappers();
	test_envelope_checks();
	test_payload_checks();
	test_rotation();
	test_keyid_switch();
	test_flags();
	test_body();
	test_fee_model();
	test_no_secret();
	test_sign();
	test_check_payload();
	lar_verifier_free(V);
	lar_keyring_free(KR);
	for (size_t i = 0; i < npool; i++)
		free(pool[i]);
	return tap_done();
}
