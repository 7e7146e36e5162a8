/*
 * mac.c - HMAC-SHA256 and SHA-256 over OpenSSL 3 (SPEC §1.2, §3), constant-
 * time comparison, key fingerprints and secret wiping.  This is the only file
 * of the project that includes an OpenSSL header.
 *
 * The "HMAC" EVP_MAC and the "SHA256" EVP_MD are fetched once per process.  A
 * lar_mac_key holds an EVP_MAC_CTX keyed once (OpenSSL has hashed the key
 * into its inner and outer pads); a lar_mac_ctx is a duplicate of it for one
 * thread, and every MAC re-initialises it with EVP_MAC_init(ctx, NULL, 0,
 * NULL), which for HMAC restarts from the saved pads instead of re-keying.
 *
 * Not for: choosing keys, parsing secrets, or any other digest or MAC.
 */
#include "mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string.h>

struct lar_mac_key {
	EVP_MAC_CTX *tmpl; /* keyed, never used to compute: only duplicated */
};

struct lar_mac_ctx {
	EVP_MAC_CTX *ctx;
};

static CRYPTO_ONCE fetch_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MAC *hmac_alg;   /* NULL when the fetch failed */
static EVP_MD *sha256_alg;

static void fetch_algs(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	sha256_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* 1 when both algorithms are available. */
static int algs_ready(void)
{
	if (CRYPTO_THREAD_run_once(&fetch_once, fetch_algs) != 1)
		return 0;
	return hmac_alg != NULL && sha256_alg != NULL;
}

/* Fill e with what OpenSSL says went wrong, and clear this thread's error
 * queue so failures do not pile up.  OpenSSL's messages never hold key bytes. */
static lar_status crypto_err(struct lar_err *e, const char *what)
{
	unsigned long code = ERR_peek_last_error();
	char buf[256] = "no detail";

	if (code != 0)
		ERR_error_string_n(code, buf, sizeof buf);
	ERR_clear_error();
	return lar_err_set(e, LAR_E_CRYPTO, "%s: %s", what, buf);
}

/* A new EVP_MAC_CTX for HMAC-SHA256 keyed with key[0..klen). */
static EVP_MAC_CTX *keyed_ctx(const uint8_t *key, size_t klen)
{
	/* OpenSSL reads a NULL key as "keep the previous key", so an empty key
	 * (tests only) must still be a valid pointer. */
	static const unsigned char empty[1];
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC_CTX *c;

	if (!algs_ready())
		return NULL;
	c = EVP_MAC_CTX_new(hmac_alg);
	if (c == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(c, klen > 0 ? key : empty, klen, params) != 1) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

/* Finish a MAC on an initialised ctx: update with msg, final into out[32]. */
static int update_final(EVP_MAC_CTX *c, const void *msg, size_t n, uint8_t out[LAR_MAC_LEN])
{
	size_t outl = 0;

	if (n > 0 && EVP_MAC_update(c, msg, n) != 1)
		return 0;
	if (EVP_MAC_final(c, out, &outl, LAR_MAC_LEN) != 1 || outl != LAR_MAC_LEN)
		return 0;
	return 1;
}

lar_status lar_mac_key_new(const uint8_t *secret, size_t len, struct lar_mac_key **out, struct lar_err *e)
{
	struct lar_mac_key *k;

	*out = NULL;
	k = OPENSSL_zalloc(sizeof *k);
	if (k == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	k->tmpl = keyed_ctx(secret, len);
	if (k->tmpl == NULL) {
		OPENSSL_free(k);
		return crypto_err(e, "cannot set up HMAC-SHA256 key");
	}
	*out = k;
	return LAR_OK;
}

void lar_mac_key_free(struct lar_mac_key *k)
{
	if (k == NULL)
		return;
	/* EVP_MAC_CTX_free cleanses the key material OpenSSL holds */
	EVP_MAC_CTX_free(k->tmpl);
	OPENSSL_free(k);
}

lar_status lar_mac_ctx_new(const struct lar_mac_key *k, struct lar_mac_ctx **out, struct lar_err *e)
{
	struct lar_mac_ctx *c;

	*out = NULL;
	if (k == NULL || k->tmpl == NULL)
		return lar_err_set(e, LAR_E_STATE, "no MAC key");
	c = OPENSSL_zalloc(sizeof *c);
	if (c == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	c->ctx = EVP_MAC_CTX_dup(k->tmpl);
	if (c->ctx == NULL) {
		OPENSSL_free(c);
		return crypto_err(e, "cannot copy HMAC-SHA256 context");
	}
	*out = c;
	return LAR_OK;
}

void lar_mac_ctx_free(struct lar_mac_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MAC_CTX_free(c->ctx);
	OPENSSL_free(c);
}

lar_status lar_mac_compute(struct lar_mac_ctx *c, const void *msg, size_t n, uint8_t out[LAR_MAC_LEN])
{
	/* HMAC in OpenSSL 3: a NULL key re-initialises from the stored pads
	 * without re-hashing the key (tests/test_mac.c checks it on RFC 4231). */
	if (EVP_MAC_init(c->ctx, NULL, 0, NULL) != 1 || !update_final(c->ctx, msg, n, out)) {
		ERR_clear_error();
		return LAR_E_CRYPTO;
	}
	return LAR_OK;
}

lar_status lar_mac_oneshot(const uint8_t *key, size_t klen, const void *msg, size_t n,
			   uint8_t out[LAR_MAC_LEN])
{
	EVP_MAC_CTX *c = keyed_ctx(key, klen);
	lar_status st = LAR_E_CRYPTO;

	if (c == NULL)
		goto out;
	if (!update_final(c, msg, n, out))
		goto out;
	st = LAR_OK;
out:
	if (st != LAR_OK)
		ERR_clear_error();
	EVP_MAC_CTX_free(c);
	return st;
}

lar_status lar_mac_fingerprint(const uint8_t *key, size_t klen, uint8_t out[LAR_FPR_LEN])
{
	/* SPEC §3: first 8 bytes of HMAC-SHA256(key, "la-receipt fingerprint v1") */
	static const char label[] = "la-receipt fingerprint v1";
	uint8_t full[LAR_MAC_LEN];
	lar_status st;

	st = lar_mac_oneshot(key, klen, label, sizeof label - 1, full);
	if (st == LAR_OK)
		memcpy(out, full, LAR_FPR_LEN);
	OPENSSL_cleanse(full, sizeof full);
	return st;
}

int lar_mac_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	/* SPEC §2.3: signatures are compared in constant time */
	return CRYPTO_memcmp(a, b, n) == 0;
}

lar_status lar_sha256(const void *msg, size_t n, uint8_t out[32])
{
	unsigned int outl = 0;
	static const unsigned char empty[1];

	if (!algs_ready())
		return LAR_E_CRYPTO;
	if (EVP_Digest(n > 0 ? msg : empty, n, out, &outl, sha256_alg, NULL) != 1 || outl != 32) {
		ERR_clear_error();
		return LAR_E_CRYPTO;
	}
	return LAR_OK;
}

void lar_hex_lower(const uint8_t *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
}

void lar_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}
