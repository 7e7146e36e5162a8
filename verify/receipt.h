/*
 * receipt.h - verdicts on mcp-call-receipt-v1 records (SPEC §1, §2).
 *
 * lar_receipt_verify() takes the bytes of one record (one JSON value: a bare
 * envelope, a charge response or a tool result holding one) and returns a
 * verdict: ok, flag (authentic, with findings) or fail, with the stable
 * reason codes of SPEC §2.3, checked in that order.  An invalid receipt is a
 * result, not an error.
 *
 * Every value the verdict exposes comes from the signed payload; keyId,
 * signatureAlgorithm and body are hints outside the MAC (SPEC §1.2).
 *
 * Not for: splitting input into records (reader.c), printing, storing.
 */
#ifndef LAR_RECEIPT_H
#define LAR_RECEIPT_H

#include "json.h"
#include "keyring.h"
#include "lar.h"
#include "timestamp.h"

#define LAR_RECEIPT_VERSION "mcp-call-receipt-v1"
#define LAR_RECEIPT_ALGORITHM "HMAC-SHA256"

/* SPEC §2.3, in check order.  The names are public interface. */
enum lar_reason {
	LAR_R_MALFORMED_INPUT,        /* fail */
	LAR_R_UNSUPPORTED_VERSION,    /* fail */
	LAR_R_UNSUPPORTED_ALGORITHM,  /* fail */
	LAR_R_MALFORMED_ENVELOPE,     /* fail */
	LAR_R_UNKNOWN_KEY,            /* fail */
	LAR_R_BAD_SIGNATURE,          /* fail */
	LAR_R_KEY_REVOKED,            /* fail */
	LAR_R_MALFORMED_PAYLOAD,      /* fail */
	LAR_R_SCHEMA_VIOLATION,       /* fail */
	LAR_R_KEY_NOT_VALID_AT_TIME,  /* fail */
	LAR_R_NONCANONICAL_PAYLOAD,   /* flag */
	LAR_R_BODY_MISMATCH,          /* flag */
	LAR_R_AMOUNT_MISMATCH,        /* flag */
	LAR_R_FEE_MISMATCH,           /* flag */
	LAR_R_ID_MISMATCH,            /* flag */
	LAR_R_ATTESTATION_MISMATCH,   /* flag */
	LAR_R_TEST_RECEIPT,           /* flag */
	LAR_R_UNEXPECTED_STATUS,      /* flag */
	LAR_REASON_COUNT
};
#define LAR_R_FIRST_FLAG LAR_R_NONCANONICAL_PAYLOAD

/* "malformed_input", ...; NULL for an out-of-range value. */
const char *lar_reason_name(enum lar_reason r);
/* Reverse of lar_reason_name(); -1 when unknown. */
int lar_reason_from_name(const char *s, size_t n);

enum lar_vstatus { LAR_V_OK, LAR_V_FLAG, LAR_V_FAIL, LAR_V_SKIPPED };
const char *lar_vstatus_name(enum lar_vstatus s); /* "ok" "flag" "fail" "skipped" */

/*
 * The signed payload's members (SPEC §1.3), typed.  Valid only for ok and
 * flag verdicts.  String slices point into the verdict's scratch memory;
 * p == NULL means JSON null (or, for tool_name, absent).
 */
struct lar_payload {
	struct lar_str agent_id, created_at, idempotency_key, mcp_gate_session_id, mcp_gate_token_id,
		mcp_tool_id, paying_project_id, receipt_id, request_id, revenue_event_id, status,
		tool_method_name, tool_name, tool_slug, version;
	int64_t fee_basis_points, gross_sats, net_sats, platform_fee_sats;
	lar_time created;
	int has_attestation;
	struct lar_str attestation_claims, attestation_claims_sha256, attestation_kind, attestation_network,
		attestation_observed_at, attestation_operation, attestation_source, attestation_subject_id;
};

struct lar_verdict {
	enum lar_vstatus status;
	uint32_t reasons;           /* bit (1u << enum lar_reason) per reason found */
	int not_json;               /* malformed_input because the text is not JSON:
				       the reader must resynchronise (SPEC §2.1) */
	/* For ok and flag only (NULL/empty otherwise): */
	const struct lar_key_entry *key; /* the secret that matched */
	struct lar_str key_id;           /* envelope keyId (a hint, but it selected the key) */
	struct lar_str payload_b64;      /* the signed text, as received */
	struct lar_str signature;        /* as received */
	const uint8_t *payload_json;     /* decoded payload bytes */
	size_t payload_json_len;
	const struct lar_json *payload_tree;
	struct lar_payload p;
};

struct lar_verify_opts {
	int64_t min_fee_sats; /* SPEC §1.6 minimum fee; 1 unless configured */
};
#define LAR_VERIFY_OPTS_DEFAULT { .min_fee_sats = 1 }

/* A verifier holds per-thread state: pre-keyed MAC contexts, scratch arena.
 * One per thread; the keyring is shared read-only and must outlive it. */
struct lar_verifier;

lar_status lar_verifier_new(const struct lar_keyring *kr, const struct lar_verify_opts *opts,
			    struct lar_verifier **out, struct lar_err *e);
void lar_verifier_free(struct lar_verifier *v); /* accepts NULL */

/*
 * Verify one record rec[0..len).  Fills *out; everything it points to stays
 * valid until the next call on v (or lar_verifier_free) and may point into
 * rec, which must stay valid as long.  Returns LAR_OK whatever the verdict;
 * LAR_E_NOMEM or LAR_E_CRYPTO only when the record could not be checked.
 */
lar_status lar_receipt_verify(struct lar_verifier *v, const uint8_t *rec, size_t len, struct lar_verdict *out);

/*
 * Check a decoded payload (SPEC §2.3 from malformed_payload on, without the
 * MAC and key checks): parse strictly, check the schema and compute the flag
 * reasons (with no body to compare).  Used by inspect.  Same lifetime rules.
 */
lar_status lar_receipt_check_payload(struct lar_verifier *v, const uint8_t *json, size_t len, struct lar_verdict *out);

/*
 * Build an envelope as LiveAuthCore writes it (SPEC §1.2, §1.4, §1.5) for the
 * payload object `payload`, signed with key k under label key_id.  Appends
 * one line (no newline) to out.  LAR_E_INVAL when payload is not an object.
 */
lar_status lar_receipt_sign(struct lar_verifier *v, const struct lar_key_entry *k, const char *key_id,
			    const struct lar_json *payload, struct lar_buf *out);

#endif
