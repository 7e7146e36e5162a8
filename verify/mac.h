/*
 * mac.h - HMAC-SHA256, SHA-256 and secret hygiene: the only module that
 * includes OpenSSL (SPEC §1.2, §3).
 *
 * A struct lar_mac_key is a pre-keyed HMAC-SHA256 template made once per
 * secret (the hash states after K ^ ipad and K ^ opad); a struct lar_mac_ctx
 * is a working copy for one thread, which starts every message from those
 * states without re-hashing the key.  lar_mac_compute and lar_sha256
 * allocate nothing and look nothing up: they are the per-record path.
 *
 * Not for: deciding which secret to try (keyring.c / receipt.c do that).
 */
#ifndef LAR_MAC_H
#define LAR_MAC_H

#include "lar.h"

#define LAR_MAC_LEN 32
#define LAR_FPR_LEN 8

struct lar_mac_key;
struct lar_mac_ctx;

/* Make a pre-keyed template from secret[0..len) (len may be 0 only in tests;
 * the keyring refuses empty secrets).  The secret bytes themselves are not
 * kept, only the key-equivalent pad states, which lar_mac_key_free wipes.
 * *out is owned by the caller. */
lar_status lar_mac_key_new(const uint8_t *secret, size_t len, struct lar_mac_key **out, struct lar_err *e);
void lar_mac_key_free(struct lar_mac_key *k); /* accepts NULL */

/* Working context for one thread, holding its own copy of k's pad states:
 * it may outlive k, and is thread-safe with respect to other contexts of the
 * same key.  One thread at a time may use it.  *out is owned by the caller;
 * lar_mac_ctx_free wipes it. */
lar_status lar_mac_ctx_new(const struct lar_mac_key *k, struct lar_mac_ctx **out, struct lar_err *e);
void lar_mac_ctx_free(struct lar_mac_ctx *c); /* accepts NULL */

/* HMAC-SHA256(key of c, msg[0..n)) into out[32].  LAR_OK or LAR_E_CRYPTO. */
lar_status lar_mac_compute(struct lar_mac_ctx *c, const void *msg, size_t n, uint8_t out[LAR_MAC_LEN]);

/* One-shot HMAC-SHA256 with an explicit key (for fingerprints and tests). */
lar_status lar_mac_oneshot(const uint8_t *key, size_t klen, const void *msg, size_t n, uint8_t out[LAR_MAC_LEN]);

/* Key fingerprint of SPEC §3: first 8 bytes of HMAC-SHA256(key, "la-receipt fingerprint v1"). */
lar_status lar_mac_fingerprint(const uint8_t *key, size_t klen, uint8_t out[LAR_FPR_LEN]);

/* Constant-time equality of two n-byte strings (CRYPTO_memcmp): 1 equal, 0 not. */
int lar_mac_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* SHA-256 of msg[0..n) into out[32].  LAR_OK or LAR_E_CRYPTO. */
lar_status lar_sha256(const void *msg, size_t n, uint8_t out[32]);

/* Lower-case hex of p[0..n) into out (2n chars, no NUL). */
void lar_hex_lower(const uint8_t *p, size_t n, char *out);

#endif
