/*
 * mac.c - HMAC-SHA256 and SHA-256 over OpenSSL 3 (SPEC §1.2, §3), constant-
 * time comparison, key fingerprints and secret wiping.  This is the only file
 * of the library and the CLI that includes an OpenSSL header.
 *
 * HMAC is built here from RFC 2104 on OpenSSL's SHA256_CTX, so that the
 * per-record path (lar_mac_compute, lar_sha256) allocates nothing and asks no
 * provider for anything.  A lar_mac_key holds the two hash states after the
 * blocks K ^ ipad and K ^ opad; a lar_mac_ctx holds a copy of them for one
 * thread, and every MAC starts from a plain struct copy of those states
 * instead of re-hashing the key.  The one-shot HMAC is the same construction
 * on a context of its own; tests/test_mac.c checks both against OpenSSL's
 * HMAC(), RFC 4231 and Wycheproof.
 *
 * Not for: choosing keys, parsing secrets, or any other digest or MAC.  Not a
 * FIPS-validated path: SHA256_CTX is computed by libcrypto itself, not by
 * whichever provider a configuration selects.
 */

/*
 * SHA256_Init/Update/Final are deprecated since OpenSSL 3.0 in favour of
 * EVP_MD_CTX, but OpenSSL 3.0's EVP path costs what this module exists to
 * avoid: re-initialising an EVP_MAC_CTX duplicates its digest contexts, and
 * EVP_MD_CTX_copy_ex and EVP_Digest allocate on every call (2 allocations a
 * MAC and 2 a digest, counted; about 0.15 us of the 1.3 us a 1.5 KB payload
 * took), and fetching "HMAC" loads the provider machinery at start-up (5,000
 * allocations, 1 ms).  SHA256_CTX is a plain struct that copies with "=", and
 * SHA256_Update runs the same assembly block function (SHA-NI where the CPU
 * has it) as the default provider's "SHA256".  It is built into every
 * OpenSSL 3 that keeps the deprecated API (the default); hence the
 * suppression below, for this file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "mac.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <string.h>

/* RFC 2104 with B = 64: the SHA-256 states after the single block K ^ ipad
 * (inner) and K ^ opad (outer).  Key-equivalent: whoever holds them can MAC,
 * so they are wiped wherever they are freed. */
struct pads {
	SHA256_CTX inner;
	SHA256_CTX outer;
};

struct lar_mac_key {
	struct pads pads;
};

struct lar_mac_ctx {
	struct pads pads; /* a copy, so a context outlives the key it came from */
	SHA256_CTX work;  /* the message in progress; kept here, not on the stack, so
			   * it is wiped with the context rather than left behind */
};

/* RFC 2104 §2: the pads of key[0..klen) into *p.  1 on success, 0 when
 * OpenSSL refused (it does not for SHA256_CTX, but its result is checked). */
static int make_pads(const uint8_t *key, size_t klen, struct pads *p)
{
	uint8_t k0[SHA256_CBLOCK], blk[SHA256_CBLOCK];
	SHA256_CTX h;
	int ok = 0;

	/* a key longer than the block is hashed first; any key is then
	 * zero-padded to the block */
	memset(k0, 0, sizeof k0);
	if (klen > SHA256_CBLOCK) {
		if (SHA256_Init(&h) != 1 || SHA256_Update(&h, key, klen) != 1 || SHA256_Final(k0, &h) != 1)
			goto out;
	} else if (klen > 0) {
		memcpy(k0, key, klen);
	}
	for (size_t i = 0; i < sizeof blk; i++)
		blk[i] = k0[i] ^ 0x36;
	if (SHA256_Init(&p->inner) != 1 || SHA256_Update(&p->inner, blk, sizeof blk) != 1)
		goto out;
	for (size_t i = 0; i < sizeof blk; i++)
		blk[i] = k0[i] ^ 0x5c;
	if (SHA256_Init(&p->outer) != 1 || SHA256_Update(&p->outer, blk, sizeof blk) != 1)
		goto out;
	ok = 1;
out:
	OPENSSL_cleanse(k0, sizeof k0);
	OPENSSL_cleanse(blk, sizeof blk);
	OPENSSL_cleanse(&h, sizeof h);
	if (!ok)
		OPENSSL_cleanse(p, sizeof *p);
	return ok;
}

lar_status lar_mac_key_new(const uint8_t *secret, size_t len, struct lar_mac_key **out, struct lar_err *e)
{
	struct lar_mac_key *k;

	*out = NULL;
	k = OPENSSL_zalloc(sizeof *k);
	if (k == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	if (!make_pads(secret, len, &k->pads)) {
		OPENSSL_free(k);
		return lar_err_set(e, LAR_E_CRYPTO, "cannot set up HMAC-SHA256 key");
	}
	*out = k;
	return LAR_OK;
}

void lar_mac_key_free(struct lar_mac_key *k)
{
	/* the pads are key-equivalent: wiped, not just freed */
	OPENSSL_clear_free(k, sizeof *k);
}

lar_status lar_mac_ctx_new(const struct lar_mac_key *k, struct lar_mac_ctx **out, struct lar_err *e)
{
	struct lar_mac_ctx *c;

	*out = NULL;
	if (k == NULL)
		return lar_err_set(e, LAR_E_STATE, "no MAC key");
	c = OPENSSL_zalloc(sizeof *c);
	if (c == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	c->pads = k->pads;
	*out = c;
	return LAR_OK;
}

void lar_mac_ctx_free(struct lar_mac_ctx *c)
{
	OPENSSL_clear_free(c, sizeof *c);
}

/* A 32-bit word to 4 bytes, big-endian (FIPS 180-4 §3.1). */
static inline void put_be32(uint8_t *p, uint32_t w)
{
	p[0] = (uint8_t)(w >> 24);
	p[1] = (uint8_t)(w >> 16);
	p[2] = (uint8_t)(w >> 8);
	p[3] = (uint8_t)w;
}

/*
 * Finish a hash that has taken `before` bytes (a multiple of the block) with
 * msg[0..n), FIPS 180-4 §5.1.1: msg's whole blocks, then its tail, 0x80,
 * zeros and the length of everything hashed in bits, as one or two blocks;
 * the digest is the state, big-endian (§6.2.2).  Whole blocks go straight to
 * the block function (SHA256_Update of a multiple of 64 on an empty buffer
 * buffers nothing), so no SHA256_Final: it would wipe the buffer it pads,
 * which here holds nothing secret (the message and a hash of it).
 */
static int finish(SHA256_CTX *h, uint64_t before, const uint8_t *msg, size_t n,
		  uint8_t out[SHA256_DIGEST_LENGTH])
{
	uint8_t last[2 * SHA256_CBLOCK] = { 0 };
	size_t whole = n & ~(size_t)(SHA256_CBLOCK - 1), r = n - whole;
	if (whole > 0 && SHA256_Update(h, msg, whole) != 1)
		return 0;
	size_t len = r + 9 <= SHA256_CBLOCK ? SHA256_CBLOCK : 2 * SHA256_CBLOCK;
	uint64_t bits = (before + n) * 8;
	if (r > 0)
		memcpy(last, msg + whole, r);
	last[r] = 0x80;
	put_be32(last + len - 8, (uint32_t)(bits >> 32));
	put_be32(last + len - 4, (uint32_t)bits);
	if (SHA256_Update(h, last, len) != 1)
		return 0;
	for (size_t i = 0; i < 8; i++)
		put_be32(out + 4 * i, h->h[i]);
	return 1;
}

lar_status lar_mac_compute(struct lar_mac_ctx *c, const void *msg, size_t n, uint8_t out[LAR_MAC_LEN])
{
	/* RFC 2104: H(K ^ opad, H(K ^ ipad, msg)), each hash resumed from its
	 * saved pad state (one block hashed) by a struct copy */
	uint8_t ih[SHA256_DIGEST_LENGTH];
	c->work = c->pads.inner;
	if (!finish(&c->work, SHA256_CBLOCK, msg, n, ih))
		return LAR_E_CRYPTO;
	c->work = c->pads.outer;
	if (!finish(&c->work, SHA256_CBLOCK, ih, sizeof ih, out))
		return LAR_E_CRYPTO;
	return LAR_OK;
}

lar_status lar_mac_oneshot(const uint8_t *key, size_t klen, const void *msg, size_t n,
			   uint8_t out[LAR_MAC_LEN])
{
	struct lar_mac_ctx c;
	lar_status st = LAR_E_CRYPTO;

	if (make_pads(key, klen, &c.pads))
		st = lar_mac_compute(&c, msg, n, out);
	OPENSSL_cleanse(&c, sizeof c);
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
	/* SPEC §2.3: signatures are compared in constant time (STYLE.md: with
	 * OpenSSL's compare, whose constant time does not hang on our compiler) */
	return CRYPTO_memcmp(a, b, n) == 0;
}

lar_status lar_sha256(const void *msg, size_t n, uint8_t out[32])
{
	/* a SHA256_CTX on the stack: no allocation, no fetch (see the top of the file) */
	SHA256_CTX h;

	if (SHA256_Init(&h) != 1 || !finish(&h, 0, msg, n, out))
		return LAR_E_CRYPTO;
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
