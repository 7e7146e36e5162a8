/*
 * receipt.c - the verdict on one record (SPEC §1, §2); see receipt.h.
 *
 * Checks run in the order of SPEC §2.3 and the first fail ends the record.
 * The MAC is computed over the payload text exactly as received, before
 * anything is decoded (SPEC §1.2).  Every reported value comes from the
 * signed payload; keyId, signatureAlgorithm and body are only hints.
 *
 * Not for: splitting streams into records (reader.c) or output (cli/).
 */
#include "receipt.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "b64url.h"
#include "mac.h"

/*
 * The most a verifier's arena - one record's envelope and payload trees - and
 * each scratch stack of the parser may hold (json_parse.c).  It is kept as
 * large as it was before the envelope parse was filtered, because SPEC §2.3
 * bounds neither the body nor the payload, whose unknown members "are
 * allowed and kept" (§1.3).  A record under the 16 MiB cap (reader.h) reaches
 * it only through the arena's waste: a payload holding thousands of arrays of
 * about 1,400 numbers (32 KB each, half a 64 KiB block wasted) fails as
 * malformed_payload, as it did before (noted, not fixed).  What keeps a
 * record's memory small is that the envelope parse builds only what
 * lar_receipt_verify reads (env_keep).
 */
#define ARENA_MAX (256u * 1024 * 1024)

static const char *const reason_names[LAR_REASON_COUNT] = {
	[LAR_R_MALFORMED_INPUT] = "malformed_input",
	[LAR_R_UNSUPPORTED_VERSION] = "unsupported_version",
	[LAR_R_UNSUPPORTED_ALGORITHM] = "unsupported_algorithm",
	[LAR_R_MALFORMED_ENVELOPE] = "malformed_envelope",
	[LAR_R_UNKNOWN_KEY] = "unknown_key",
	[LAR_R_BAD_SIGNATURE] = "bad_signature",
	[LAR_R_KEY_REVOKED] = "key_revoked",
	[LAR_R_MALFORMED_PAYLOAD] = "malformed_payload",
	[LAR_R_SCHEMA_VIOLATION] = "schema_violation",
	[LAR_R_KEY_NOT_VALID_AT_TIME] = "key_not_valid_at_time",
	[LAR_R_NONCANONICAL_PAYLOAD] = "noncanonical_payload",
	[LAR_R_BODY_MISMATCH] = "body_mismatch",
	[LAR_R_AMOUNT_MISMATCH] = "amount_mismatch",
	[LAR_R_FEE_MISMATCH] = "fee_mismatch",
	[LAR_R_ID_MISMATCH] = "id_mismatch",
	[LAR_R_ATTESTATION_MISMATCH] = "attestation_mismatch",
	[LAR_R_TEST_RECEIPT] = "test_receipt",
	[LAR_R_UNEXPECTED_STATUS] = "unexpected_status",
};

const char *lar_reason_name(enum lar_reason r)
{
	if ((unsigned)r >= LAR_REASON_COUNT)
		return NULL;
	return reason_names[r];
}

int lar_reason_from_name(const char *s, size_t n)
{
	for (int i = 0; i < LAR_REASON_COUNT; i++)
		if (strlen(reason_names[i]) == n && memcmp(reason_names[i], s, n) == 0)
			return i;
	return -1;
}

const char *lar_vstatus_name(enum lar_vstatus s)
{
	switch (s) {
	case LAR_V_OK:
		return "ok";
	case LAR_V_FLAG:
		return "flag";
	case LAR_V_FAIL:
		return "fail";
	case LAR_V_SKIPPED:
		return "skipped";
	}
	return "?";
}

/*
 * Which fields[] entry each position of an object held, in the last records
 * of two shapes (struct lar_json; a payload with and one without the
 * attestation members, interleaved, keep one way each).  An object of a
 * shape a way holds takes its answers without looking at a name; any other
 * takes the least recent way, whose entries serve as guesses checked with
 * one comparison (records from one producer repeat their member order).
 */
#define LAYOUT_MAX 48
#define LAYOUT_WAYS 2
struct layout {
	int8_t at[LAYOUT_WAYS][LAYOUT_MAX];
	uint32_t shape[LAYOUT_WAYS]; /* nonzero: at[w] answers every member of
				      * objects of this shape */
	unsigned last;               /* the way used last */
};

/* The way for an object of shape `shape`: *known when it holds the answers. */
static unsigned layout_way(struct layout *l, uint32_t shape, int *known)
{
	unsigned w;
	for (w = 0; w < LAYOUT_WAYS; w++)
		if (shape != 0 && l->shape[w] == shape)
			break;
	*known = w < LAYOUT_WAYS;
	if (!*known) {
		w = (l->last + 1) % LAYOUT_WAYS;
		l->shape[w] = 0; /* until every member is answered */
	}
	l->last = w;
	return w;
}

/* The members of an envelope (or of a response holding one) that
 * lar_receipt_verify reads, found in one pass: NULL when absent.  Names are
 * unique (the parser rejects duplicates, SPEC §2.3). */
enum { E_PAYLOAD, E_SIGNATURE, E_RECEIPT, E_VERSION, E_ALG, E_KEY_ID, E_BODY, ENV_MEMBERS };
struct env_members {
	const struct lar_json *m[ENV_MEMBERS];
};

/* Where env_members found them in the last object of a shape (struct
 * lar_json): member indexes, -1 when absent.  Parses without a memo give
 * no shape, so a layout of their own never answers. */
struct env_layout {
	uint32_t shape;
	int64_t at[ENV_MEMBERS];
};

#define KID_KEPT 64 /* keyIds up to this long are remembered (keys_for) */

struct lar_verifier {
	const struct lar_keyring *kr;
	struct lar_verify_opts opts;
	struct lar_mac_ctx **ctx; /* per keyring entry, made on first use */
	size_t nctx;
	struct lar_arena arena;
	uint8_t *dec;             /* decoded payload */
	size_t deccap;
	struct lar_buf canon;     /* canonical form scratch (sign) */
	int payload_canonical;    /* the decoded payload is its own canonical form */
	const struct lar_json *slot[32]; /* the payload's known members, by fields[] index */
	lar_time time[32];               /* and the instants of its K_TIME members */
	struct layout pay_layout, body_layout;
	struct env_layout env_root, env_rcpt; /* of the record, and of a response's receipt member */
	size_t pay_future; /* the payload's members beyond SPEC §1.3 (check_schema) */
	struct lar_json_memo *env_memo, *pay_memo; /* names of the last envelope and payload */
	/* the keyring's entries for the last keyId (keys_for): the records of a
	 * file nearly always name one key; kid_n is SIZE_MAX when none is kept */
	char kid[KID_KEPT];
	size_t kid_n;
	const struct lar_key_entry **kents;
	size_t nkents, capkents;
};

static void fields_init(void);

lar_status lar_verifier_new(const struct lar_keyring *kr, const struct lar_verify_opts *opts,
			    struct lar_verifier **out, struct lar_err *e)
{
	struct lar_verifier *v = calloc(1, sizeof *v);
	if (v == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	fields_init();
	v->kr = kr;
	struct lar_verify_opts def = LAR_VERIFY_OPTS_DEFAULT;
	v->opts = opts ? *opts : def;
	v->nctx = kr ? lar_keyring_count(kr) : 0;
	if (v->nctx > 0) {
		v->ctx = calloc(v->nctx, sizeof *v->ctx);
		if (v->ctx == NULL) {
			free(v);
			return lar_err_set(e, LAR_E_NOMEM, "out of memory");
		}
	}
	lar_arena_init(&v->arena, ARENA_MAX);
	lar_buf_init(&v->canon, 0);
	v->kid_n = SIZE_MAX;
	if (lar_json_memo_new(&v->env_memo) != LAR_OK || lar_json_memo_new(&v->pay_memo) != LAR_OK) {
		lar_verifier_free(v);
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	}
	*out = v;
	return LAR_OK;
}

void lar_verifier_free(struct lar_verifier *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nctx; i++)
		lar_mac_ctx_free(v->ctx[i]);
	free(v->ctx);
	lar_arena_free(&v->arena);
	free(v->dec);
	lar_buf_free(&v->canon);
	lar_json_memo_free(v->env_memo);
	lar_json_memo_free(v->pay_memo);
	free(v->kents);
	free(v);
}

/* v->kents[0..v->nkents) = the keyring's entries for keyId id, in keyring
 * order (what lar_keyring_next gives); kept for the next record when it
 * names the same keyId (the keyring does not change under a verifier: its
 * MAC contexts are counted from it, lar_verifier_new). */
static lar_status keys_for(struct lar_verifier *v, struct lar_str id)
{
	if (v->kid_n == id.n && lar_mem_eq(v->kid, id.p, id.n))
		return LAR_OK;
	v->kid_n = SIZE_MAX;
	v->nkents = 0;
	size_t pos = 0;
	const struct lar_key_entry *k;
	while ((k = lar_keyring_next(v->kr, id.p, id.n, &pos)) != NULL) {
		if (v->nkents == v->capkents) {
			size_t ncap = v->capkents ? 2 * v->capkents : 4;
			const struct lar_key_entry **nk = realloc(v->kents, ncap * sizeof *nk);
			if (nk == NULL)
				return LAR_E_NOMEM;
			v->kents = nk;
			v->capkents = ncap;
		}
		v->kents[v->nkents++] = k;
	}
	if (id.n <= KID_KEPT) {
		if (id.n > 0)
			memcpy(v->kid, id.p, id.n);
		v->kid_n = id.n;
	}
	return LAR_OK;
}

static struct lar_mac_ctx *ctx_for(struct lar_verifier *v, const struct lar_key_entry *k)
{
	if (k->index >= v->nctx)
		return NULL;
	if (v->ctx[k->index] == NULL && lar_mac_ctx_new(k->mac, &v->ctx[k->index], NULL) != LAR_OK)
		return NULL;
	return v->ctx[k->index];
}

/* ---- formats of SPEC §1.3 ---- */

#if !defined(__SSE2__)
/* Lower-case hex digits (SPEC §1.3 guid and receiptId formats). */
static const uint8_t lhex[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

static int all_lhex(const char *s, size_t n)
{
	unsigned ok = 1;
	for (size_t i = 0; i < n; i++)
		ok &= lhex[(uint8_t)s[i]];
	return (int)ok;
}
#endif

#if defined(__SSE2__)
/* Bit i set when s[i] (of 16) is a lower-case hex digit. */
static inline unsigned lhex16(const char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i dig = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
				    _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
	__m128i let = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
				    _mm_cmplt_epi8(x, _mm_set1_epi8('f' + 1)));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(dig, let));
}

static inline unsigned dash16(const char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
}
#endif

/* guid: 8-4-4-4-12 lower-case hex digits */
static int is_guid(const char *s, size_t n)
{
	if (n != 36)
		return 0;
#if defined(__SSE2__)
	/* bytes 0..35 as three overlapping 16-byte steps (at 0, 16 and 20) */
	const uint64_t dashes = 1ull << 8 | 1ull << 13 | 1ull << 18 | 1ull << 23, all = (1ull << 36) - 1;
	uint64_t hex = lhex16(s) | (uint64_t)lhex16(s + 16) << 16 | (uint64_t)lhex16(s + 20) << 20;
	uint64_t dash = dash16(s) | (uint64_t)dash16(s + 16) << 16 | (uint64_t)dash16(s + 20) << 20;
	return dash == dashes && (hex | dashes) == all;
#else
	return s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' && all_lhex(s, 8) &&
	       all_lhex(s + 9, 4) && all_lhex(s + 14, 4) && all_lhex(s + 19, 4) && all_lhex(s + 24, 12);
#endif
}

#define RECEIPT_PREFIX "mcp_receipt_"
#define RECEIPT_PREFIX_LEN 12

static int is_receipt_id(const char *s, size_t n)
{
	if (n != RECEIPT_PREFIX_LEN + 32 || !lar_mem_eq(s, RECEIPT_PREFIX, RECEIPT_PREFIX_LEN))
		return 0;
#if defined(__SSE2__)
	return (lhex16(s + RECEIPT_PREFIX_LEN) & lhex16(s + RECEIPT_PREFIX_LEN + 16)) == 0xFFFF;
#else
	return all_lhex(s + RECEIPT_PREFIX_LEN, 32);
#endif
}

/*
 * The payload members of SPEC §1.3, as a table: name, kind, and where the
 * value goes in struct lar_payload.
 */
enum kind {
	K_STR,       /* string */
	K_STR_NULL,  /* string or null */
	K_STR_OPT,   /* string, or absent (toolName in the oldest payloads) */
	K_GUID,      /* guid */
	K_GUID_NULL, /* guid or null */
	K_INT,       /* 32-bit integer */
	K_TIME,      /* yyyy-MM-ddTHH:mm:ss.fffffffZ */
	K_RID,       /* mcp_receipt_ + 32 hex */
};

struct field {
	const char *name;
	enum kind kind;
	size_t off;     /* offset of a struct lar_str or int64_t in struct lar_payload */
	int attestation; /* member of the optional attestation group */
};

/* Every payload member of SPEC §1.3, sorted by name (ordinal) for bsearch. */
#define F(name, kind, member, att) { name, kind, offsetof(struct lar_payload, member), att }
static const struct field fields[] = {
	F("agentId", K_STR_NULL, agent_id, 0),
	F("attestationClaims", K_STR, attestation_claims, 1),
	F("attestationClaimsSha256", K_STR, attestation_claims_sha256, 1),
	F("attestationKind", K_STR, attestation_kind, 1),
	F("attestationNetwork", K_STR, attestation_network, 1),
	F("attestationObservedAt", K_TIME, attestation_observed_at, 1),
	F("attestationOperation", K_STR, attestation_operation, 1),
	F("attestationSource", K_STR, attestation_source, 1),
	F("attestationSubjectId", K_STR_NULL, attestation_subject_id, 1),
	F("createdAt", K_TIME, created_at, 0),
	F("feeBasisPoints", K_INT, fee_basis_points, 0),
	F("grossSats", K_INT, gross_sats, 0),
	F("idempotencyKey", K_STR_NULL, idempotency_key, 0),
	F("mcpGateSessionId", K_GUID_NULL, mcp_gate_session_id, 0),
	F("mcpGateTokenId", K_GUID_NULL, mcp_gate_token_id, 0),
	F("mcpToolId", K_GUID, mcp_tool_id, 0),
	F("netSats", K_INT, net_sats, 0),
	F("payingProjectId", K_GUID_NULL, paying_project_id, 0),
	F("platformFeeSats", K_INT, platform_fee_sats, 0),
	F("receiptId", K_RID, receipt_id, 0),
	F("requestId", K_STR_NULL, request_id, 0),
	F("revenueEventId", K_GUID, revenue_event_id, 0),
	F("status", K_STR, status, 0),
	F("toolMethodName", K_STR, tool_method_name, 0),
	F("toolName", K_STR_OPT, tool_name, 0),
	F("toolSlug", K_STR, tool_slug, 0),
	F("version", K_STR, version, 0),
};
#undef F
#define NFIELDS (sizeof fields / sizeof fields[0])
#define NATT 8
_Static_assert(NFIELDS <= 32, "struct lar_verifier.slot is too small");

/* Body member names of the attestation object (SPEC §1.5) and the payload
 * member each repeats. */
static const struct {
	const char *body, *payload;
} att_body[] = {
	{ "kind", "attestationKind" },
	{ "operation", "attestationOperation" },
	{ "observedAt", "attestationObservedAt" },
	{ "source", "attestationSource" },
	{ "network", "attestationNetwork" },
	{ "subjectId", "attestationSubjectId" },
	{ "canonicalClaims", "attestationClaims" },
	{ "claimsSha256", "attestationClaimsSha256" },
};

/*
 * What the envelope parse builds (json.h, lar_json_parse_kept): of the record,
 * of the envelope in it, of the body and of its attestation object, every
 * member that is not an object or array (one node each, no name looked up),
 * and of the objects and arrays only those lar_receipt_verify reads - the
 * receipt, the body, the attestation object - with nothing inside the values
 * read as strings or compared with a field of SPEC §1.3 (an object or array
 * equals no value of §1.3).  The rest - a tool's result, say, or a body
 * member's tree - is checked as strictly but held nowhere; the body members
 * the payload has beyond §1.3 are compared from a second parse that keeps
 * them, made only when the payload has such members (future_body_agrees).
 * body_names and att_names are filled by ftab_build.
 */
#define KEPT(s, sub) { s, sizeof s - 1, sub }
static const struct lar_json_keep nothing = { 0, NULL, 0 };
static struct lar_json_kept body_names[NFIELDS + 1];
static struct lar_json_kept att_names[sizeof att_body / sizeof att_body[0]];
static struct lar_json_keep body_keep = { 0, body_names, 1 };
static struct lar_json_keep att_keep = { 0, att_names, 1 };
static const struct lar_json_keep env_keep;
static const struct lar_json_kept env_names[] = {
	/* the two objects first: only objects and arrays are looked up */
	KEPT("receipt", &env_keep),  KEPT("body", &body_keep),		   KEPT("payload", &nothing),
	KEPT("signature", &nothing), KEPT("signatureAlgorithm", &nothing), KEPT("keyId", &nothing),
	KEPT("version", &nothing),
};
static const struct lar_json_keep env_keep = { sizeof env_names / sizeof env_names[0], env_names, 1 };
_Static_assert(NFIELDS + 1 <= LAR_JSON_KEEP_MAX, "body_keep names too many members");

/*
 * Index in fields[] of the member named key[0..n), or -1: an open-addressing
 * hash table over the names, built once (every payload and body member is
 * looked up, so this is on the hot path).
 */
#define FTAB 128
static int8_t ftab[FTAB];
static uint8_t flen[NFIELDS];
static pthread_once_t ftab_once = PTHREAD_ONCE_INIT;
static int f_created_at; /* fields[] index of createdAt */
static int8_t att_field[sizeof att_body / sizeof att_body[0]]; /* and of each att_body[].payload */
static int field_index(const char *key, size_t n);

static unsigned fhash(const char *k, size_t n)
{
	return ((unsigned)n * 31u + (uint8_t)k[0] * 7u + (uint8_t)k[n / 2] * 3u + (uint8_t)k[n - 1]) % FTAB;
}

static void ftab_build(void)
{
	memset(ftab, -1, sizeof ftab);
	for (size_t i = 0; i < NFIELDS; i++) {
		flen[i] = (uint8_t)strlen(fields[i].name);
		unsigned h = fhash(fields[i].name, flen[i]);
		while (ftab[h] >= 0)
			h = (h + 1) % FTAB;
		ftab[h] = (int8_t)i;
	}
	f_created_at = field_index("createdAt", 9);
	for (size_t j = 0; j < sizeof att_body / sizeof att_body[0]; j++) {
		att_field[j] = (int8_t)field_index(att_body[j].payload, strlen(att_body[j].payload));
		att_names[j] = (struct lar_json_kept){ att_body[j].body, strlen(att_body[j].body), &nothing };
	}
	att_keep.n = sizeof att_body / sizeof att_body[0];
	/* the attestation first: the one object a body holds */
	body_names[0] = (struct lar_json_kept){ "attestation", 11, &att_keep };
	for (size_t i = 0; i < NFIELDS; i++)
		body_names[i + 1] = (struct lar_json_kept){ fields[i].name, flen[i], &nothing };
	body_keep.n = NFIELDS + 1;
}

/* Build ftab once per process (lar_verifier_new calls it, so field_index
 * does not pay for the check on every name). */
static void fields_init(void)
{
	pthread_once(&ftab_once, ftab_build);
}

/* ftab must be built: lar_verifier_new does it. */
static int field_index(const char *key, size_t n)
{
	if (n == 0 || n > 64)
		return -1;
	for (unsigned h = fhash(key, n);; h = (h + 1) % FTAB) {
		int i = ftab[h];
		if (i < 0)
			return -1;
		if (flen[i] == n && lar_mem_eq(fields[i].name, key, n))
			return i;
	}
}

/* field_index of member i of an object, guessed from at[i] (a layout's way)
 * first, and kept there. */
static int field_at(int8_t *at, size_t i, const char *key, size_t n)
{
	if (i < LAYOUT_MAX) {
		int g = at[i];
		if (g >= 0 && flen[g] == n && lar_mem_eq(fields[g].name, key, n))
			return g;
	}
	int idx = field_index(key, n);
	if (i < LAYOUT_MAX)
		at[i] = (int8_t)idx;
	return idx;
}


static struct lar_str *str_at(struct lar_payload *p, size_t off)
{
	return (struct lar_str *)((char *)p + off);
}

static int64_t *int_at(struct lar_payload *p, size_t off)
{
	return (int64_t *)((char *)p + off);
}

/* Check one member against its kind and store it (a time's instant in *t).
 * 0 ok, -1 violation. */
static int take(struct lar_payload *p, const struct field *f, const struct lar_json *m, lar_time *t)
{
	if (m == NULL)
		return f->kind == K_STR_OPT ? 0 : -1;
	switch (f->kind) {
	case K_INT:
		/* SPEC §1.3: integer grammar, 32-bit signed (the C# fields are int) */
		return lar_json_int(m, INT32_MIN, INT32_MAX, int_at(p, f->off)) == LAR_OK ? 0 : -1;
	case K_STR_NULL:
	case K_GUID_NULL:
		if (m->type == LAR_JSON_NULL)
			return 0; /* p == NULL already */
		break;
	default:
		break;
	}
	if (m->type != LAR_JSON_STRING)
		return -1;
	if ((f->kind == K_GUID || f->kind == K_GUID_NULL) && !is_guid(m->u.s, m->n))
		return -1;
	if (f->kind == K_RID && !is_receipt_id(m->u.s, m->n))
		return -1;
	if (f->kind == K_TIME && lar_time_parse_payload(m->u.s, m->n, t) != LAR_OK)
		return -1;
	struct lar_str *s = str_at(p, f->off);
	s->p = m->u.s;
	s->n = m->n;
	return 0;
}

static int str_is(struct lar_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.p != NULL && s.n == n && lar_mem_eq(s.p, lit, n);
}

/*
 * SPEC §2.3 schema_violation.  One pass over the payload's members fills
 * slot[] (the value of each known member, for the body comparison too), then
 * each member is checked by kind.  0 ok, -1 violation.
 */
static int check_schema(const struct lar_json *root, struct lar_str env_version, struct lar_payload *p,
			const struct lar_json **slot, lar_time *time, struct layout *layout, size_t *future)
{
	*future = 0;
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < NFIELDS; i++)
		slot[i] = NULL;
	if (root->type != LAR_JSON_OBJECT)
		return -1;
	size_t present = 0;
	/* the names of the last payload of this shape: the same answers */
	int known;
	unsigned w = layout_way(layout, root->shape, &known);
	int8_t *at = layout->at[w];
	for (size_t i = 0; i < root->n; i++) {
		const struct lar_json_member *m = &root->u.members[i];
		int idx = known ? at[i] : field_at(at, i, m->key, m->keylen);
		if (idx < 0) {
			(*future)++; /* SPEC §1.3: future members are allowed and kept */
			continue;
		}
		slot[idx] = &m->value; /* names are unique: the parser rejects duplicates */
		present += fields[idx].attestation;
	}
	layout->shape[w] = root->n <= LAYOUT_MAX ? root->shape : 0; /* at[] answers each of them now */
	if (present != 0 && present != NATT)
		return -1; /* SPEC §1.3: all eight attestation members or none */
	p->has_attestation = present == NATT;
	for (size_t i = 0; i < NFIELDS; i++) {
		if (fields[i].attestation && !p->has_attestation)
			continue;
		if (take(p, &fields[i], slot[i], &time[i]) != 0)
			return -1;
	}
	/* SPEC §2.3: version differs from the envelope's */
	if (env_version.p != NULL &&
	    (p->version.n != env_version.n || !lar_mem_eq(p->version.p, env_version.p, env_version.n)))
		return -1;
	p->created = time[f_created_at];
	return 0;
}

/* ---- flags ---- */

static int64_t fee_model(int64_t gross, int64_t bps, int64_t min_fee)
{
	/* SPEC §1.6 */
	if (gross <= 0 || bps <= 0)
		return 0;
	int64_t f = gross * bps / 10000; /* both fit in 32 bits: no overflow */
	return f > min_fee ? f : min_fee;
}

static int ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* Numeric equality of a body number with a payload integer: exact, as
 * decimals (SPEC §1.5: 10.0 and 1e1 are 10, 10.000000000000001 is not). */
static int num_equals(const struct lar_json *b, int64_t want)
{
	int64_t got;
	if (b->type != LAR_JSON_NUMBER)
		return 0;
	if (lar_json_int(b, INT64_MIN, INT64_MAX, &got) == LAR_OK)
		return got == want;
	char text[24], *q = text + sizeof text;
	uint64_t mag = want < 0 ? 0 - (uint64_t)want : (uint64_t)want;
	do
		*--q = (char)('0' + mag % 10);
	while ((mag /= 10) != 0);
	if (want < 0)
		*--q = '-';
	return lar_json_number_eq(b->u.s, b->n, q, (size_t)(text + sizeof text - q));
}

/* body_value_eq when the texts differ. */
static int body_value_eq_slow(enum kind kind, const struct lar_json *bv, const struct lar_json *pv,
				 lar_time pt)
{
	if (pv->type == LAR_JSON_NULL || bv->type == LAR_JSON_NULL)
		return pv->type == bv->type;
	if (kind == K_TIME) { /* pt: the payload's instant (check_schema) */
		lar_time b;
		if (bv->type != LAR_JSON_STRING || pv->type != LAR_JSON_STRING)
			return 0;
		if (lar_time_parse_instant(bv->u.s, bv->n, &b) != LAR_OK)
			return 0;
		return pt == b;
	}
	if (pv->type == LAR_JSON_NUMBER) {
		int64_t want;
		if (lar_json_int(pv, INT64_MIN, INT64_MAX, &want) == LAR_OK)
			return num_equals(bv, want);
		return lar_json_equal(bv, pv);
	}
	if ((kind == K_GUID || kind == K_GUID_NULL) && pv->type == LAR_JSON_STRING && bv->type == LAR_JSON_STRING)
		return bv->n == pv->n && ascii_ieq(bv->u.s, pv->u.s, pv->n);
	return lar_json_equal(bv, pv);
}

/* Compare one body value with its payload counterpart semantically
 * (SPEC §1.5): guids case-insensitively, times as instants, numbers by value,
 * everything else as decoded JSON.  1 equal, 0 not.  Inline for its first
 * test: the same text is the same value in every comparison (the usual
 * case: the body repeats the payload). */
static inline int body_value_eq(enum kind kind, const struct lar_json *bv, const struct lar_json *pv,
				lar_time pt)
{
	if (bv->type == pv->type && (bv->type == LAR_JSON_STRING || bv->type == LAR_JSON_NUMBER) &&
	    bv->n == pv->n && lar_mem_eq(bv->u.s, pv->u.s, bv->n))
		return 1;
	return body_value_eq_slow(kind, bv, pv, pt);
}

static inline int key_is(const struct lar_json_member *m, const char *lit)
{
	size_t n = strlen(lit);
	return m->keylen == n && lar_mem_eq(m->key, lit, n);
}

/* SPEC §1.5: 1 when the body agrees with the payload (or is absent).
 * slot[] holds the payload's known members (check_schema). */
static int body_agrees(const struct lar_json *body, const struct lar_payload *p, const struct lar_json *const *slot,
		       const lar_time *time, struct layout *layout)
{
	if (body == NULL || body->type == LAR_JSON_NULL)
		return 1;
	if (body->type != LAR_JSON_OBJECT)
		return 0;
	/* as in check_schema: a way of a new shape answers nothing until the
	 * loop ends (layout_way), so a mismatch that stops it leaves none wrong */
	int known;
	unsigned w = layout_way(layout, body->shape, &known);
	int8_t *at = layout->at[w];
	for (size_t i = 0; i < body->n; i++) {
		const struct lar_json_member *m = &body->u.members[i];
		int idx = known ? at[i] : field_at(at, i, m->key, m->keylen);
		if (idx >= 0) {
			if (slot[idx] == NULL)
				continue; /* toolName absent from an old payload */
			if (!body_value_eq(fields[idx].kind, &m->value, slot[idx], time[idx]))
				return 0;
			continue;
		}
		if (key_is(m, "attestation")) {
			if (!p->has_attestation) {
				if (m->value.type != LAR_JSON_NULL)
					return 0;
				continue;
			}
			if (m->value.type != LAR_JSON_OBJECT)
				return 0;
			for (size_t j = 0; j < sizeof att_body / sizeof att_body[0]; j++) {
				const struct lar_json *bv = lar_json_get(&m->value, att_body[j].body);
				if (bv == NULL)
					continue; /* absent: not compared */
				int k = att_field[j];
				if (!body_value_eq(fields[k].kind, bv, slot[k], time[k]))
					return 0;
			}
			continue;
		}
	}
	layout->shape[w] = body->n <= LAYOUT_MAX ? body->shape : 0;
	return 1;
}

/* SPEC §1.5: 1 when each member of body (from a whole parse) that is neither
 * a field of §1.3 nor the attestation agrees with the payload's member of the
 * same name, if it has one. */
static int future_agrees(const struct lar_json *body, const struct lar_json *payload)
{
	if (body == NULL || body->type != LAR_JSON_OBJECT)
		return 1; /* judged by body_agrees */
	for (size_t i = 0; i < body->n; i++) {
		const struct lar_json_member *m = &body->u.members[i];
		if (field_index(m->key, m->keylen) >= 0 || key_is(m, "attestation"))
			continue;
		for (size_t j = 0; j < payload->n; j++) {
			const struct lar_json_member *pm = &payload->u.members[j];
			if (pm->keylen == m->keylen && lar_mem_eq(pm->key, m->key, m->keylen)) {
				/* (the instant is only read for K_TIME) */
				if (!body_value_eq(K_STR, &m->value, &pm->value, 0))
					return 0;
				break;
			}
		}
	}
	return 1;
}

static uint32_t bit(enum lar_reason r)
{
	return 1u << r;
}

/* Flags of SPEC §2.3 other than noncanonical_payload and body_mismatch. */
static lar_status payload_flags(struct lar_verifier *v, const struct lar_payload *p, uint32_t *flags)
{
	/* amount_mismatch; int64 arithmetic on 32-bit values cannot overflow */
	if (p->net_sats != p->gross_sats - p->platform_fee_sats || p->gross_sats < 0 || p->platform_fee_sats < 0)
		*flags |= bit(LAR_R_AMOUNT_MISMATCH);
	if (p->platform_fee_sats != fee_model(p->gross_sats, p->fee_basis_points, v->opts.min_fee_sats))
		*flags |= bit(LAR_R_FEE_MISMATCH);
	/* id_mismatch: receiptId = mcp_receipt_ + revenueEventId without hyphens;
	 * both have their format (check_schema), so the guid's groups of 8-4-4-4-12
	 * digits sit at fixed places */
	const char *rid = p->receipt_id.p + RECEIPT_PREFIX_LEN, *g = p->revenue_event_id.p;
	if (!lar_mem_eq(rid, g, 8) || !lar_mem_eq(rid + 8, g + 9, 4) || !lar_mem_eq(rid + 12, g + 14, 4) ||
	    !lar_mem_eq(rid + 16, g + 19, 4) || !lar_mem_eq(rid + 20, g + 24, 12))
		*flags |= bit(LAR_R_ID_MISMATCH);
	if (p->has_attestation) {
		uint8_t h[32];
		char hex[64];
		if (lar_sha256(p->attestation_claims.p, p->attestation_claims.n, h) != LAR_OK)
			return LAR_E_CRYPTO;
		lar_hex_lower(h, 32, hex);
		if (p->attestation_claims_sha256.n != 64 || memcmp(hex, p->attestation_claims_sha256.p, 64) != 0)
			*flags |= bit(LAR_R_ATTESTATION_MISMATCH);
	}
	if (str_is(p->status, "Test"))
		*flags |= bit(LAR_R_TEST_RECEIPT);
	else if (!str_is(p->status, "Charged"))
		*flags |= bit(LAR_R_UNEXPECTED_STATUS);
	return LAR_OK;
}

/* A failed record exposes nothing from its payload (SPEC §4.1). */
LAR_COLD static void set_fail(struct lar_verdict *out, enum lar_reason r)
{
	int not_json = out->not_json;
	memset(out, 0, sizeof *out);
	out->not_json = not_json;
	out->status = LAR_V_FAIL;
	out->reasons = bit(r);
}

/* From the decoded payload on: malformed_payload, then schema_violation.
 * On success the payload view and tree are set and status is left ok. */
static lar_status check_decoded(struct lar_verifier *v, const uint8_t *json, size_t len, struct lar_str env_version,
				struct lar_verdict *out)
{
	const struct lar_json *tree;
	lar_status s = lar_json_parse_memo(json, len, &v->arena, v->pay_memo, &tree, NULL,
					   &v->payload_canonical);
	if (s != LAR_OK) {
		set_fail(out, LAR_R_MALFORMED_PAYLOAD);
		return LAR_OK;
	}
	if (check_schema(tree, env_version, &out->p, v->slot, v->time, &v->pay_layout, &v->pay_future) != 0) {
		set_fail(out, LAR_R_SCHEMA_VIOLATION);
		return LAR_OK;
	}
	out->payload_json = json;
	out->payload_json_len = len;
	out->payload_tree = tree;
	return LAR_OK;
}

/* E_... of the name of m, or -1 */
static int env_member(const struct lar_json_member *m)
{
	switch (m->keylen) {
	case 4:
		return key_is(m, "body") ? E_BODY : -1;
	case 5:
		return key_is(m, "keyId") ? E_KEY_ID : -1;
	case 7:
		return key_is(m, "payload") ? E_PAYLOAD
		       : key_is(m, "version") ? E_VERSION
		       : key_is(m, "receipt") ? E_RECEIPT
					      : -1;
	case 9:
		return key_is(m, "signature") ? E_SIGNATURE : -1;
	case 18:
		return key_is(m, "signatureAlgorithm") ? E_ALG : -1;
	default:
		return -1;
	}
}

static void env_members(const struct lar_json *obj, struct env_members *em, struct env_layout *l)
{
	if (obj->shape != 0 && obj->shape == l->shape) { /* the names of then */
		for (size_t k = 0; k < ENV_MEMBERS; k++)
			em->m[k] = l->at[k] >= 0 ? &obj->u.members[l->at[k]].value : NULL;
		return;
	}
	l->shape = 0;
	for (size_t k = 0; k < ENV_MEMBERS; k++) {
		em->m[k] = NULL;
		l->at[k] = -1;
	}
	for (size_t i = 0; i < obj->n; i++) {
		int k = env_member(&obj->u.members[i]);
		if (k >= 0) {
			em->m[k] = &obj->u.members[i].value;
			l->at[k] = (int64_t)i;
		}
	}
	l->shape = obj->shape;
}

/*
 * The rare payload with members beyond SPEC §1.3, whose body members of the
 * same names the envelope parse left out: *agree = future_agrees on the body
 * of record rec[0..len) parsed again, keeping of the body only the members
 * of those names (a container only where the payload's value is one: it can
 * equal nothing else).  A payload with more than FUTURE_MAX such members gets
 * a whole parse.  LAR_E_NOMEM when the parse does not fit (then, as when the
 * whole record was parsed first: malformed_input).  Out of line: it is not
 * the path verify takes.
 */
#define FUTURE_MAX 64
_Static_assert(FUTURE_MAX <= LAR_JSON_KEEP_MAX, "FUTURE_MAX names too many members");
__attribute__((noinline)) static lar_status future_body_agrees(struct lar_verifier *v, const uint8_t *rec,
								size_t len, const struct lar_json *payload, int *agree)
{
	struct lar_json_kept names[FUTURE_MAX], env_names_f[4];
	struct lar_json_keep body_f = { 0, names, 0 }, env_f = { 4, env_names_f, 0 };
	const struct lar_json_keep *keep = &env_f;
	for (size_t i = 0; i < payload->n && keep != NULL; i++) {
		const struct lar_json_member *pm = &payload->u.members[i];
		if (field_index(pm->key, pm->keylen) >= 0)
			continue;
		if (body_f.n == FUTURE_MAX) {
			keep = NULL;
			break;
		}
		int container = pm->value.type == LAR_JSON_OBJECT || pm->value.type == LAR_JSON_ARRAY;
		names[body_f.n++] = (struct lar_json_kept){ pm->key, pm->keylen, container ? NULL : &nothing };
	}
	/* what env_members needs to find the body, in a response or not */
	env_names_f[0] = (struct lar_json_kept){ "receipt", 7, &env_f };
	env_names_f[1] = (struct lar_json_kept){ "body", 4, &body_f };
	env_names_f[2] = (struct lar_json_kept){ "payload", 7, &nothing };
	env_names_f[3] = (struct lar_json_kept){ "signature", 9, &nothing };
	const struct lar_json *root;
	lar_status s = lar_json_parse_kept(rec, len, &v->arena, NULL, keep, &root, NULL);
	if (s != LAR_OK)
		return s;
	struct env_members em;
	struct env_layout none = { 0 }; /* never answers: this parse has no memo, so no shape */
	env_members(root, &em, &none); /* an object: the kept parse of the same text found the envelope */
	if ((em.m[E_PAYLOAD] == NULL || em.m[E_SIGNATURE] == NULL) && em.m[E_RECEIPT] != NULL)
		env_members(em.m[E_RECEIPT], &em, &none);
	*agree = future_agrees(em.m[E_BODY], payload);
	return LAR_OK;
}

static lar_status finish_flags(struct lar_verifier *v, const uint8_t *rec, size_t len, const struct lar_json *body,
			       struct lar_verdict *out)
{
	uint32_t flags = 0;
	/* noncanonical_payload: SPEC §1.4, checked by the parser (check_decoded) */
	if (!v->payload_canonical)
		flags |= bit(LAR_R_NONCANONICAL_PAYLOAD);
	int agree = body_agrees(body, &out->p, v->slot, v->time, &v->body_layout);
	if (agree && v->pay_future > 0 && rec != NULL) {
		lar_status s = future_body_agrees(v, rec, len, out->payload_tree, &agree);
		if (s == LAR_E_NOMEM) {
			out->not_json = 1;
			set_fail(out, LAR_R_MALFORMED_INPUT);
			return LAR_OK;
		}
		if (s != LAR_OK)
			return s;
	}
	if (!agree)
		flags |= bit(LAR_R_BODY_MISMATCH);
	lar_status s = payload_flags(v, &out->p, &flags);
	if (s != LAR_OK)
		return s;
	out->reasons = flags;
	out->status = flags ? LAR_V_FLAG : LAR_V_OK;
	return LAR_OK;
}

/* *out = the string value v, or 0 when v is absent or not a string. */
static int str_of(const struct lar_json *v, struct lar_str *out)
{
	if (v == NULL || v->type != LAR_JSON_STRING)
		return 0;
	out->p = v->u.s;
	out->n = v->n;
	return 1;
}

lar_status lar_receipt_verify(struct lar_verifier *v, const uint8_t *rec, size_t len, struct lar_verdict *out)
{
	memset(out, 0, sizeof *out);
	lar_arena_reset(&v->arena);

	const struct lar_json *root, *env;
	if (lar_json_parse_kept(rec, len, &v->arena, v->env_memo, &env_keep, &root, NULL) != LAR_OK) {
		out->not_json = 1;
		set_fail(out, LAR_R_MALFORMED_INPUT);
		return LAR_OK;
	}
	/* SPEC §2.1: bare envelope, or the receipt member of a response */
	if (root->type != LAR_JSON_OBJECT) {
		set_fail(out, LAR_R_MALFORMED_INPUT);
		return LAR_OK;
	}
	env = root;
	struct env_members em;
	env_members(root, &em, &v->env_root);
	if (em.m[E_PAYLOAD] == NULL || em.m[E_SIGNATURE] == NULL) {
		const struct lar_json *r = em.m[E_RECEIPT];
		if (r != NULL && r->type == LAR_JSON_NULL) {
			out->status = LAR_V_SKIPPED; /* a denied charge */
			return LAR_OK;
		}
		if (r == NULL || r->type != LAR_JSON_OBJECT) {
			set_fail(out, LAR_R_MALFORMED_INPUT);
			return LAR_OK;
		}
		env = r;
		env_members(env, &em, &v->env_rcpt);
	}

	struct lar_str version, payload, sig, key_id;
	if (!str_of(em.m[E_VERSION], &version) || !str_is(version, LAR_RECEIPT_VERSION)) {
		set_fail(out, LAR_R_UNSUPPORTED_VERSION);
		return LAR_OK;
	}
	struct lar_str alg;
	if (!str_of(em.m[E_ALG], &alg) || !str_is(alg, LAR_RECEIPT_ALGORITHM)) {
		set_fail(out, LAR_R_UNSUPPORTED_ALGORITHM);
		return LAR_OK;
	}
	/* SPEC §2.3 malformed_envelope: strings; strict base64url; 43-char signature */
	if (!str_of(em.m[E_PAYLOAD], &payload) || !str_of(em.m[E_SIGNATURE], &sig) ||
	    !str_of(em.m[E_KEY_ID], &key_id)) {
		set_fail(out, LAR_R_MALFORMED_ENVELOPE);
		return LAR_OK;
	}
	size_t declen = lar_b64url_declen(payload.n);
	if (declen == SIZE_MAX) {
		set_fail(out, LAR_R_MALFORMED_ENVELOPE);
		return LAR_OK;
	}
	if (declen > v->deccap) {
		uint8_t *nd = realloc(v->dec, declen);
		if (nd == NULL)
			return LAR_E_NOMEM;
		v->dec = nd;
		v->deccap = declen;
	}
	size_t plen;
	uint8_t mac_got[LAR_MAC_LEN], mac_want[LAR_MAC_LEN];
	size_t siglen;
	if (lar_b64url_decode(payload.p, payload.n, v->dec, &plen) != LAR_OK || sig.n != 43 ||
	    lar_b64url_decode(sig.p, sig.n, mac_got, &siglen) != LAR_OK || siglen != LAR_MAC_LEN) {
		set_fail(out, LAR_R_MALFORMED_ENVELOPE);
		return LAR_OK;
	}

	/* unknown_key, bad_signature, key_revoked: try every secret of the keyId */
	lar_status ks = keys_for(v, key_id);
	if (ks != LAR_OK)
		return ks;
	const struct lar_key_entry *match = NULL, *revoked_match = NULL;
	for (size_t i = 0; i < v->nkents; i++) {
		const struct lar_key_entry *k = v->kents[i];
		struct lar_mac_ctx *c = ctx_for(v, k);
		if (c == NULL || lar_mac_compute(c, payload.p, payload.n, mac_want) != LAR_OK)
			return LAR_E_CRYPTO;
		/* SPEC §2.3: compared in constant time */
		if (lar_mac_equal(mac_want, mac_got, LAR_MAC_LEN)) {
			if (k->revoked) {
				if (revoked_match == NULL)
					revoked_match = k;
			} else if (match == NULL) {
				match = k;
			}
		}
	}
	if (v->nkents == 0) {
		set_fail(out, LAR_R_UNKNOWN_KEY);
		return LAR_OK;
	}
	if (match == NULL) {
		set_fail(out, revoked_match ? LAR_R_KEY_REVOKED : LAR_R_BAD_SIGNATURE);
		return LAR_OK;
	}

	const struct lar_json *body = em.m[E_BODY];
	lar_status s = check_decoded(v, v->dec, plen, version, out);
	if (s != LAR_OK || out->status == LAR_V_FAIL)
		return s;

	/* key_not_valid_at_time: some matching, unrevoked secret must cover createdAt */
	const struct lar_key_entry *valid = NULL;
	for (size_t i = 0; i < v->nkents; i++) {
		const struct lar_key_entry *k = v->kents[i];
		if (k->revoked || out->p.created < k->not_before || out->p.created >= k->not_after)
			continue;
		if (k == match) {
			valid = k;
			break;
		}
		/* another secret with the same bytes (a rotation listing it twice) */
		struct lar_mac_ctx *c = ctx_for(v, k);
		if (c == NULL || lar_mac_compute(c, payload.p, payload.n, mac_want) != LAR_OK)
			return LAR_E_CRYPTO;
		if (lar_mac_equal(mac_want, mac_got, LAR_MAC_LEN)) {
			valid = k;
			break;
		}
	}
	if (valid == NULL) {
		set_fail(out, LAR_R_KEY_NOT_VALID_AT_TIME);
		return LAR_OK;
	}
	out->key = valid;
	out->key_id = key_id;
	out->payload_b64 = payload;
	out->signature = sig;
	return finish_flags(v, rec, len, body, out);
}

lar_status lar_receipt_check_payload(struct lar_verifier *v, const uint8_t *json, size_t len, struct lar_verdict *out)
{
	memset(out, 0, sizeof *out);
	lar_arena_reset(&v->arena);
	struct lar_str none = { NULL, 0 };
	lar_status s = check_decoded(v, json, len, none, out);
	if (s != LAR_OK || out->status == LAR_V_FAIL)
		return s;
	return finish_flags(v, NULL, 0, NULL, out);
}

/* ---- sign (SPEC §1.2, §1.4, §1.5) ---- */

/* Body members in the order LiveAuth writes them. */
static const char *const body_order[] = {
	"receiptId", "revenueEventId", "mcpToolId", "toolName", "toolSlug", "toolMethodName",
	"mcpGateTokenId", "mcpGateSessionId", "payingProjectId", "agentId", "grossSats",
	"platformFeeSats", "netSats", "feeBasisPoints", "status", "idempotencyKey", "requestId",
	"createdAt",
};

static void write_body_time(struct lar_buf *out, const struct lar_json *m)
{
	lar_time t;
	if (m->type == LAR_JSON_STRING && lar_time_parse_instant(m->u.s, m->n, &t) == LAR_OK) {
		char b[29];
		lar_time_format_body(t, b);
		lar_json_write_string(out, b, strlen(b));
	} else {
		lar_json_write(out, m);
	}
}

static void write_body(struct lar_buf *out, const struct lar_json *payload)
{
	lar_buf_putc(out, '{');
	int first = 1;
	for (size_t i = 0; i < sizeof body_order / sizeof body_order[0]; i++) {
		const struct lar_json *m = lar_json_get(payload, body_order[i]);
		if (m == NULL)
			continue;
		if (!first)
			lar_buf_putc(out, ',');
		first = 0;
		lar_json_write_string(out, body_order[i], strlen(body_order[i]));
		lar_buf_putc(out, ':');
		if (strcmp(body_order[i], "createdAt") == 0)
			write_body_time(out, m);
		else
			lar_json_write(out, m);
	}
	if (!first)
		lar_buf_putc(out, ',');
	lar_buf_puts(out, "\"attestation\":");
	if (lar_json_get(payload, "attestationClaims") == NULL) {
		lar_buf_puts(out, "null");
	} else {
		lar_buf_putc(out, '{');
		first = 1;
		for (size_t j = 0; j < sizeof att_body / sizeof att_body[0]; j++) {
			const struct lar_json *m = lar_json_get(payload, att_body[j].payload);
			if (m == NULL)
				continue;
			if (!first)
				lar_buf_putc(out, ',');
			first = 0;
			lar_json_write_string(out, att_body[j].body, strlen(att_body[j].body));
			lar_buf_putc(out, ':');
			/* LiveAuth's body serializer writes observedAt as a time too,
			 * trailing fraction zeros trimmed like createdAt (SPEC §1.5
			 * names only createdAt; the golden sample trims both) */
			if (strcmp(att_body[j].body, "observedAt") == 0)
				write_body_time(out, m);
			else
				lar_json_write(out, m);
		}
		lar_buf_putc(out, '}');
	}
	lar_buf_putc(out, '}');
}

lar_status lar_receipt_sign(struct lar_verifier *v, const struct lar_key_entry *k, const char *key_id,
			    const struct lar_json *payload, struct lar_buf *out)
{
	if (payload == NULL || payload->type != LAR_JSON_OBJECT)
		return LAR_E_INVAL;
	lar_buf_reset(&v->canon);
	lar_json_write_canonical(&v->canon, payload);
	if (v->canon.oom)
		return LAR_E_NOMEM;
	size_t elen = lar_b64url_enclen(v->canon.len);
	char *b64 = malloc(elen ? elen : 1);
	if (b64 == NULL)
		return LAR_E_NOMEM;
	lar_b64url_encode(v->canon.p, v->canon.len, b64);
	uint8_t mac[LAR_MAC_LEN];
	char sig[44];
	struct lar_mac_ctx *c = ctx_for(v, k);
	if (c == NULL || lar_mac_compute(c, b64, elen, mac) != LAR_OK) {
		free(b64);
		return LAR_E_CRYPTO;
	}
	lar_b64url_encode(mac, sizeof mac, sig);
	lar_buf_puts(out, "{\"version\":\"" LAR_RECEIPT_VERSION "\",\"payload\":\"");
	lar_buf_put(out, b64, elen);
	lar_buf_puts(out, "\",\"signature\":\"");
	lar_buf_put(out, sig, 43);
	lar_buf_puts(out, "\",\"signatureAlgorithm\":\"" LAR_RECEIPT_ALGORITHM "\",\"keyId\":");
	lar_json_write_string(out, key_id, strlen(key_id));
	lar_buf_puts(out, ",\"body\":");
	write_body(out, payload);
	lar_buf_putc(out, '}');
	free(b64);
	return out->oom ? LAR_E_NOMEM : LAR_OK;
}
