/*
 * test_mac.c - unit tests of the OpenSSL wrapper (verify/mac.c): RFC 4231
 * HMAC-SHA256 cases 1-7 through pre-keyed contexts (reused, duplicated,
 * shared between threads) and one-shot; every Wycheproof HMAC-SHA256 case
 * when $LAR_SHARED/vectors is present; every message length 0..300 under
 * keys of 0..200 bytes through interleaved contexts, against the one-shot,
 * OpenSSL's own HMAC() and digests computed outside this project;
 * a context handed from thread to thread; SHA-256 known answers and every
 * length 0..300; fingerprints (SPEC §3); hex and constant-time equality.
 * Not for: timing (a benchmark is not a test).
 */
#include "mac.h"
#include "tap.h"

#include <cjson/cJSON.h>
/* mac.c builds HMAC itself from SHA-256 blocks; OpenSSL's own HMAC() is the
 * independent implementation it is checked against, so this test (only)
 * calls OpenSSL directly. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Decode lower- or upper-case hex into out (cap bytes); -1 when not hex. */
static long unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + (size_t)j];
			int d = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10
						       : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

/* RFC 4231 §4.2-4.8, HMAC-SHA-256 lines, typed in from the RFC. */
struct rfc_case {
	uint8_t key[131];
	size_t klen;
	uint8_t data[160];
	size_t dlen;
	const char *mac_hex; /* case 5: truncated to 128 bits */
};
static struct rfc_case rfc[7];

static void fill(uint8_t *p, int byte, size_t n)
{
	memset(p, byte, n);
}

static void setstr(uint8_t *p, size_t *n, const char *s)
{
	*n = strlen(s);
	memcpy(p, s, *n);
}

static void rfc_init(void)
{
	/* 1 */
	fill(rfc[0].key, 0x0b, rfc[0].klen = 20);
	setstr(rfc[0].data, &rfc[0].dlen, "Hi There");
	rfc[0].mac_hex = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
	/* 2: a key shorter than the output */
	setstr(rfc[1].key, &rfc[1].klen, "Jefe");
	setstr(rfc[1].data, &rfc[1].dlen, "what do ya want for nothing?");
	rfc[1].mac_hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	/* 3 */
	fill(rfc[2].key, 0xaa, rfc[2].klen = 20);
	fill(rfc[2].data, 0xdd, rfc[2].dlen = 50);
	rfc[2].mac_hex = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";
	/* 4 */
	rfc[3].klen = 25;
	for (size_t i = 0; i < 25; i++)
		rfc[3].key[i] = (uint8_t)(i + 1);
	fill(rfc[3].data, 0xcd, rfc[3].dlen = 50);
	rfc[3].mac_hex = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";
	/* 5: truncation to 128 bits */
	fill(rfc[4].key, 0x0c, rfc[4].klen = 20);
	setstr(rfc[4].data, &rfc[4].dlen, "Test With Truncation");
	rfc[4].mac_hex = "a3b6167473100ee06e0c796c2955552b";
	/* 6: a key larger than the block size */
	fill(rfc[5].key, 0xaa, rfc[5].klen = 131);
	setstr(rfc[5].data, &rfc[5].dlen, "Test Using Larger Than Block-Size Key - Hash Key First");
	rfc[5].mac_hex = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
	/* 7: larger key and larger data */
	fill(rfc[6].key, 0xaa, rfc[6].klen = 131);
	setstr(rfc[6].data, &rfc[6].dlen,
	       "This is a test using a larger than block-size key and a larger than block-size data. "
	       "The key needs to be hashed before being used by the HMAC algorithm.");
	rfc[6].mac_hex = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";
}

/* 1 when mac's first bytes equal the expected hex (all of it). */
static int matches(const uint8_t mac[LAR_MAC_LEN], const char *hex)
{
	uint8_t want[LAR_MAC_LEN];
	long n = unhex(hex, want, sizeof want);

	return n > 0 && memcmp(mac, want, (size_t)n) == 0;
}

static void test_rfc4231(void)
{
	for (int i = 0; i < 7; i++) {
		struct rfc_case *c = &rfc[i];
		struct lar_mac_key *k = NULL;
		struct lar_mac_ctx *c1 = NULL, *c2 = NULL;
		struct lar_err e = { 0 };
		uint8_t m1[LAR_MAC_LEN], m2[LAR_MAC_LEN], m3[LAR_MAC_LEN], m4[LAR_MAC_LEN];

		CHECKM(lar_mac_oneshot(c->key, c->klen, c->data, c->dlen, m1) == LAR_OK, "case %d", i + 1);
		CHECKM(matches(m1, c->mac_hex), "RFC 4231 case %d one-shot", i + 1);

		CHECK(lar_mac_key_new(c->key, c->klen, &k, &e) == LAR_OK && k != NULL);
		CHECK(lar_mac_ctx_new(k, &c1, &e) == LAR_OK && c1 != NULL);
		CHECK(lar_mac_ctx_new(k, &c2, &e) == LAR_OK && c2 != NULL);
		if (k == NULL || c1 == NULL || c2 == NULL)
			goto next;
		memset(m1, 0, sizeof m1);
		/* the same context twice: re-initialisation must not drop or re-apply the key */
		CHECK(lar_mac_compute(c1, c->data, c->dlen, m1) == LAR_OK);
		CHECK(lar_mac_compute(c1, c->data, c->dlen, m2) == LAR_OK);
		/* a second context of the same key, after c1 was used */
		CHECK(lar_mac_compute(c2, c->data, c->dlen, m3) == LAR_OK);
		CHECKM(matches(m1, c->mac_hex), "RFC 4231 case %d, ctx first use", i + 1);
		CHECKM(matches(m2, c->mac_hex), "RFC 4231 case %d, ctx reused", i + 1);
		CHECKM(matches(m3, c->mac_hex), "RFC 4231 case %d, second ctx", i + 1);
		/* a different message in between, then the vector again */
		CHECK(lar_mac_compute(c1, "x", 1, m4) == LAR_OK);
		CHECK(memcmp(m4, m1, LAR_MAC_LEN) != 0);
		CHECK(lar_mac_compute(c1, c->data, c->dlen, m4) == LAR_OK);
		CHECKM(matches(m4, c->mac_hex), "RFC 4231 case %d, ctx after another message", i + 1);
		/* a context outlives the key it was made from */
		lar_mac_key_free(k);
		k = NULL;
		CHECK(lar_mac_compute(c2, c->data, c->dlen, m4) == LAR_OK);
		CHECKM(matches(m4, c->mac_hex), "RFC 4231 case %d, ctx after key free", i + 1);
next:
		lar_mac_ctx_free(c1);
		lar_mac_ctx_free(c2);
		lar_mac_key_free(k);
	}

	/* contexts of different keys interleaved do not share state */
	struct lar_mac_key *ka = NULL, *kb = NULL;
	struct lar_mac_ctx *ca = NULL, *cb = NULL;
	uint8_t ma[LAR_MAC_LEN], mb[LAR_MAC_LEN];
	CHECK(lar_mac_key_new(rfc[0].key, rfc[0].klen, &ka, NULL) == LAR_OK);
	CHECK(lar_mac_key_new(rfc[1].key, rfc[1].klen, &kb, NULL) == LAR_OK);
	CHECK(lar_mac_ctx_new(ka, &ca, NULL) == LAR_OK);
	CHECK(lar_mac_ctx_new(kb, &cb, NULL) == LAR_OK);
	if (ca != NULL && cb != NULL) {
		for (int r = 0; r < 3; r++) {
			CHECK(lar_mac_compute(ca, rfc[0].data, rfc[0].dlen, ma) == LAR_OK);
			CHECK(lar_mac_compute(cb, rfc[1].data, rfc[1].dlen, mb) == LAR_OK);
			CHECK(matches(ma, rfc[0].mac_hex) && matches(mb, rfc[1].mac_hex));
		}
	}
	lar_mac_ctx_free(ca);
	lar_mac_ctx_free(cb);
	lar_mac_key_free(ka);
	lar_mac_key_free(kb);

	/* free functions accept NULL */
	lar_mac_key_free(NULL);
	lar_mac_ctx_free(NULL);
}

/* Several threads, each with its own ctx of one shared key, and one-shot
 * calls racing the first fetch of the algorithms. */
struct thr {
	const struct lar_mac_key *k;
	int bad;
};

static void *worker(void *arg)
{
	struct thr *t = arg;
	struct lar_mac_ctx *c = NULL;
	uint8_t m[LAR_MAC_LEN];

	if (lar_mac_oneshot(rfc[1].key, rfc[1].klen, rfc[1].data, rfc[1].dlen, m) != LAR_OK ||
	    !matches(m, rfc[1].mac_hex))
		t->bad++;
	if (lar_sha256("abc", 3, m) != LAR_OK || m[0] != 0xba || m[31] != 0xad)
		t->bad++;
	if (t->k == NULL)
		return NULL;
	if (lar_mac_ctx_new(t->k, &c, NULL) != LAR_OK) {
		t->bad++;
		return NULL;
	}
	for (int i = 0; i < 2000; i++) {
		const struct rfc_case *rc = &rfc[6];
		if (lar_mac_compute(c, rc->data, rc->dlen, m) != LAR_OK || !matches(m, rc->mac_hex))
			t->bad++;
	}
	lar_mac_ctx_free(c);
	return NULL;
}

static void test_threads(void)
{
	struct lar_mac_key *k = NULL;
	struct thr t[4];
	pthread_t id[4];

	/* round 0: no key yet, so the threads race the once-only fetch;
	 * round 1: four contexts of one shared key */
	for (int round = 0; round < 2; round++) {
		int started[4] = { 0 }, bad = 0;
		if (round == 1) {
			CHECK(lar_mac_key_new(rfc[6].key, rfc[6].klen, &k, NULL) == LAR_OK);
			if (k == NULL)
				return;
		}
		for (int i = 0; i < 4; i++) {
			t[i].k = k;
			t[i].bad = 0;
			started[i] = pthread_create(&id[i], NULL, worker, &t[i]) == 0;
			CHECK(started[i]);
		}
		for (int i = 0; i < 4; i++) {
			if (started[i])
				pthread_join(id[i], NULL);
			bad += t[i].bad;
		}
		CHECKM(bad == 0, "round %d: %d wrong results across threads", round, bad);
	}
	lar_mac_key_free(k);
}

/* Test bytes: a message and a key source that are neither periodic in the
 * block size nor all one value. */
static uint8_t lmsg[300], lkey[200];

static void lengths_init(void)
{
	for (size_t i = 0; i < sizeof lmsg; i++)
		lmsg[i] = (uint8_t)(i * 131 + 7);
	for (size_t i = 0; i < sizeof lkey; i++)
		lkey[i] = (uint8_t)(i * 37 + 1);
}

/* OpenSSL's HMAC-SHA256 of msg under key into out: 1 on success. */
static int ref_hmac(const uint8_t *key, size_t klen, const uint8_t *msg, size_t n, uint8_t out[LAR_MAC_LEN])
{
	static const uint8_t none[1];
	unsigned int outl = 0;

	/* never NULL pointers: OpenSSL reads a NULL key as "no key given" */
	if (HMAC(EVP_sha256(), klen > 0 ? key : none, (int)klen, n > 0 ? msg : none, n, out, &outl) == NULL)
		return 0;
	return outl == LAR_MAC_LEN;
}

/* Key lengths around the 64-byte block: 0, shorter than the output, one
 * block, one more (hashed first), and several blocks. */
static const size_t klens[] = { 0, 1, 20, 31, 32, 33, 55, 63, 64, 65, 100, 131, 200 };
#define NKEYS (sizeof klens / sizeof klens[0])

/* Every message length 0..300 (empty, around 55/56/64 where SHA-256's padding
 * changes, several blocks) under every key length, through one context per
 * key used for all messages, the contexts interleaved: each MAC equals the
 * one-shot's and OpenSSL's HMAC(), and all of them together hash to what
 * Python's hmac module gives for the same bytes. */
static void test_lengths(void)
{
	/* python3: keys lkey[:kl], messages lmsg[:L]; for L in 0..300, for kl in
	 * klens: acc += hmac.new(key, msg, hashlib.sha256).digest();
	 * print(hashlib.sha256(acc).hexdigest()) */
	static const char want_hex[] = "8c2ad1fd472469d6cf81018c4caf15d0d83cd129d0798d2b374c9dfc4869bdc7";
	static uint8_t acc[301 * NKEYS * LAR_MAC_LEN];
	struct lar_mac_key *k[NKEYS] = { 0 };
	struct lar_mac_ctx *c[NKEYS] = { 0 };
	uint8_t m[LAR_MAC_LEN], ref[LAR_MAC_LEN], d[32];
	size_t n = 0;
	int made = 1, bad = 0;

	for (size_t j = 0; j < NKEYS; j++) {
		const uint8_t *key = klens[j] > 0 ? lkey : NULL;
		if (lar_mac_key_new(key, klens[j], &k[j], NULL) != LAR_OK ||
		    lar_mac_ctx_new(k[j], &c[j], NULL) != LAR_OK)
			made = 0;
		/* the template is only copied: freeing it at once changes nothing */
		lar_mac_key_free(k[j]);
		k[j] = NULL;
	}
	CHECK(made);
	if (!made)
		goto out;
	for (size_t len = 0; len <= sizeof lmsg; len++) {
		for (size_t j = 0; j < NKEYS; j++) {
			const uint8_t *key = klens[j] > 0 ? lkey : NULL;
			uint8_t m1[LAR_MAC_LEN];
			if (lar_mac_compute(c[j], len > 0 ? lmsg : NULL, len, m) != LAR_OK ||
			    lar_mac_oneshot(key, klens[j], lmsg, len, m1) != LAR_OK ||
			    !ref_hmac(lkey, klens[j], lmsg, len, ref) || memcmp(m, ref, LAR_MAC_LEN) != 0 ||
			    memcmp(m1, ref, LAR_MAC_LEN) != 0) {
				if (bad++ < 5)
					fprintf(stderr, "key %zu bytes, message %zu bytes: MACs differ\n",
						klens[j], len);
			}
			memcpy(acc + n, m, LAR_MAC_LEN);
			n += LAR_MAC_LEN;
		}
	}
	CHECKM(bad == 0, "%d of %zu MACs differ from the one-shot or OpenSSL's HMAC()", bad, n / LAR_MAC_LEN);
	CHECK(n == sizeof acc);
	CHECK(lar_sha256(acc, n, d) == LAR_OK);
	CHECKM(matches(d, want_hex), "the MACs of every length hash to Python's value");
out:
	for (size_t j = 0; j < NKEYS; j++)
		lar_mac_ctx_free(c[j]);
}

/* One context handed from thread to thread (each joined before the next
 * starts, as a worker pool hands work on): its state after another thread's
 * MACs is just as good. */
struct handoff {
	struct lar_mac_ctx *c;
	size_t len; /* message length this thread uses */
	int bad;
};

static void *handoff_worker(void *arg)
{
	struct handoff *h = arg;
	uint8_t m[LAR_MAC_LEN], ref[LAR_MAC_LEN];

	for (int r = 0; r < 3; r++) {
		if (lar_mac_compute(h->c, lmsg, h->len, m) != LAR_OK ||
		    !ref_hmac(lkey, 65, lmsg, h->len, ref) || memcmp(m, ref, LAR_MAC_LEN) != 0)
			h->bad++;
	}
	return NULL;
}

static void test_handoff(void)
{
	struct lar_mac_key *k = NULL;
	struct lar_mac_ctx *c = NULL;
	int bad = 0;

	CHECK(lar_mac_key_new(lkey, 65, &k, NULL) == LAR_OK);
	CHECK(k != NULL && lar_mac_ctx_new(k, &c, NULL) == LAR_OK);
	if (c == NULL)
		goto out;
	for (size_t i = 0; i < 4; i++) {
		struct handoff h = { c, 63 + 79 * i, 0 }; /* 63 .. 300 = sizeof lmsg */
		pthread_t id;
		if (pthread_create(&id, NULL, handoff_worker, &h) != 0) {
			CHECK(0);
			break;
		}
		pthread_join(id, NULL);
		bad += h.bad;
		if (i == 1) {
			/* the key freed while its context moves between threads */
			lar_mac_key_free(k);
			k = NULL;
		}
	}
	/* and back on the thread that made it */
	struct handoff h = { c, 0, 0 };
	handoff_worker(&h);
	bad += h.bad;
	CHECKM(bad == 0, "%d wrong MACs from a context used by one thread after another", bad);
out:
	lar_mac_ctx_free(c);
	lar_mac_key_free(k);
}

/* A string member of a Wycheproof test case, or NULL. */
static const char *field(const cJSON *tc, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tc, name));
}

static void test_wycheproof(void)
{
	char path[4096];
	size_t len = 0;
	char *text;
	cJSON *root;
	int ncases = 0, bad = 0, short_tags = 0, full_valid = 0;

	if (tap_shared("vectors/wycheproof/hmac_sha256_test.json", path, sizeof path) == NULL) {
		printf("# wycheproof vectors absent: that part skipped\n");
		return;
	}
	text = tap_slurp(path, &len);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	root = cJSON_ParseWithLength(text, len);
	CHECK(root != NULL);
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "testGroups");
	const cJSON *group;
	cJSON_ArrayForEach(group, groups)
	{
		const cJSON *ts = cJSON_GetObjectItemCaseSensitive(group, "tagSize");
		const cJSON *tests = cJSON_GetObjectItemCaseSensitive(group, "tests");
		const cJSON *tc;
		if (!cJSON_IsNumber(ts) || ts->valuedouble <= 0 || ts->valuedouble > 256) {
			bad++;
			continue;
		}
		size_t tagbytes = (size_t)ts->valuedouble / 8;
		cJSON_ArrayForEach(tc, tests)
		{
			const char *khex = field(tc, "key"), *mhex = field(tc, "msg");
			const char *thex = field(tc, "tag"), *res = field(tc, "result");
			const cJSON *idj = cJSON_GetObjectItemCaseSensitive(tc, "tcId");
			int id = cJSON_IsNumber(idj) ? idj->valueint : -1;
			static uint8_t key[1024], msg[4096];
			uint8_t tag[LAR_MAC_LEN], mac[LAR_MAC_LEN], mac2[LAR_MAC_LEN], sig[LAR_MAC_LEN];
			long kl, ml, tl;

			if (khex == NULL || mhex == NULL || thex == NULL || res == NULL) {
				CHECKM(0, "tcId %d: missing field", id);
				continue;
			}
			kl = unhex(khex, key, sizeof key);
			ml = unhex(mhex, msg, sizeof msg);
			tl = unhex(thex, tag, sizeof tag);
			if (kl < 0 || ml < 0 || tl < 0) {
				CHECKM(0, "tcId %d: bad hex or too long", id);
				continue;
			}
			ncases++;
			int valid = strcmp(res, "valid") == 0;
			if (!valid && strcmp(res, "invalid") != 0)
				CHECKM(0, "tcId %d: result '%s'", id, res);

			/* one-shot, a pre-keyed context and OpenSSL's HMAC() agree */
			struct lar_mac_key *k = NULL;
			struct lar_mac_ctx *c = NULL;
			uint8_t ref[LAR_MAC_LEN];
			if (lar_mac_oneshot(key, (size_t)kl, msg, (size_t)ml, mac) != LAR_OK ||
			    lar_mac_key_new(key, (size_t)kl, &k, NULL) != LAR_OK ||
			    lar_mac_ctx_new(k, &c, NULL) != LAR_OK ||
			    lar_mac_compute(c, msg, (size_t)ml, mac2) != LAR_OK ||
			    memcmp(mac, mac2, LAR_MAC_LEN) != 0 ||
			    !ref_hmac(key, (size_t)kl, msg, (size_t)ml, ref) ||
			    memcmp(mac, ref, LAR_MAC_LEN) != 0) {
				CHECKM(0, "tcId %d: MAC computation failed or paths disagree", id);
				lar_mac_ctx_free(c);
				lar_mac_key_free(k);
				continue;
			}
			lar_mac_ctx_free(c);
			lar_mac_key_free(k);

			/* the published check: the tag is the MAC (or its tagSize-bit prefix) */
			int eq = (size_t)tl == tagbytes && lar_mac_equal(mac, tag, tagbytes);
			if (eq != valid) {
				bad++;
				fprintf(stderr, "wycheproof tcId %d: expected %s\n", id, res);
			}

			/* receipt-style check: a signature is always 32 bytes; a shorter tag,
			 * however placed in a 32-byte buffer, never verifies */
			if (tl < LAR_MAC_LEN) {
				short_tags++;
				memset(sig, 0, sizeof sig);
				memcpy(sig, tag, (size_t)tl);
				if (lar_mac_equal(mac, sig, LAR_MAC_LEN))
					bad++;
				memset(sig, 0xff, sizeof sig);
				memcpy(sig, tag, (size_t)tl);
				if (lar_mac_equal(mac, sig, LAR_MAC_LEN))
					bad++;
			} else {
				if (lar_mac_equal(mac, tag, LAR_MAC_LEN) != valid)
					bad++;
				full_valid += valid;
			}
		}
	}
	CHECKM(bad == 0, "%d Wycheproof mismatches", bad);
	const cJSON *nt = cJSON_GetObjectItemCaseSensitive(root, "numberOfTests");
	CHECKM(cJSON_IsNumber(nt) && nt->valueint == ncases, "ran %d of the file's numberOfTests", ncases);
	CHECK(short_tags > 0 && full_valid > 0);
	printf("# wycheproof: %d cases, %d with truncated tags\n", ncases, short_tags);
	cJSON_Delete(root);
	free(text);
}

static void test_sha256(void)
{
	uint8_t d[32];
	char hex[65];

	CHECK(lar_sha256("abc", 3, d) == LAR_OK);
	lar_hex_lower(d, 32, hex);
	hex[64] = 0;
	CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
	CHECK(lar_sha256("", 0, d) == LAR_OK);
	lar_hex_lower(d, 32, hex);
	CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
	CHECK(lar_sha256(NULL, 0, d) == LAR_OK);
	lar_hex_lower(d, 32, hex);
	CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
	/* FIPS 180-2 two-block message */
	CHECK(lar_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d) == LAR_OK);
	lar_hex_lower(d, 32, hex);
	CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
	/* FIPS 180-2: one million 'a' (15,625 blocks, then a padding block) */
	static uint8_t million[1000000];
	memset(million, 'a', sizeof million);
	CHECK(lar_sha256(million, sizeof million, d) == LAR_OK);
	lar_hex_lower(d, 32, hex);
	CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);

	/* every length 0..300: the digests together hash to Python's value
	 * (python3: b''.join(hashlib.sha256(lmsg[:L]).digest() for L in range(301))) */
	static uint8_t acc[301 * 32];
	int ok = 1;
	for (size_t len = 0; len <= sizeof lmsg; len++)
		ok &= lar_sha256(lmsg, len, acc + 32 * len) == LAR_OK;
	CHECK(ok);
	CHECK(lar_sha256(acc, sizeof acc, d) == LAR_OK);
	lar_hex_lower(d, 32, hex);
	CHECKM(strcmp(hex, "7722024365d27836079cbf29de35d060b9383d7c713083199661392f983216d4") == 0,
	       "SHA-256 of every length 0..300");
}

static void test_fingerprint(void)
{
	static const char label[] = "la-receipt fingerprint v1";
	static const char *secret = "test-jwt-signing-key-that-is-at-least-32-bytes-long";
	uint8_t fp[LAR_FPR_LEN + 1], full[LAR_MAC_LEN];
	char hex[2 * LAR_FPR_LEN + 1];

	memset(fp, 0xA5, sizeof fp);
	CHECK(lar_mac_fingerprint((const uint8_t *)secret, strlen(secret), fp) == LAR_OK);
	CHECK(fp[LAR_FPR_LEN] == 0xA5); /* exactly 8 bytes written */
	CHECK(lar_mac_oneshot((const uint8_t *)secret, strlen(secret), label, strlen(label), full) == LAR_OK);
	CHECK(memcmp(fp, full, LAR_FPR_LEN) == 0);
	memset(hex, 0, sizeof hex);
	lar_hex_lower(fp, LAR_FPR_LEN, hex);
	CHECK(strlen(hex) == 16);
	/* computed outside this project:
	 * printf %s 'la-receipt fingerprint v1' | openssl dgst -sha256 -mac HMAC -macopt key:<secret> */
	CHECK(strcmp(hex, "0f4683782325e10a") == 0);

	static const char *khex = "a54dca182530bb1d6d132cded6237b2ed91e3f721fcb1971174494d6493c9d5c";
	uint8_t key[32];
	CHECK(unhex(khex, key, sizeof key) == 32);
	CHECK(lar_mac_fingerprint(key, 32, fp) == LAR_OK);
	lar_hex_lower(fp, LAR_FPR_LEN, hex);
	CHECK(strcmp(hex, "d05f46d7277d757f") == 0);
}

static void test_misc(void)
{
	uint8_t a[32], b[32];
	char hex[8] = "zzzzzzz";
	static const uint8_t bytes[3] = { 0x00, 0xAB, 0x9f };

	lar_hex_lower(bytes, 3, hex);
	CHECK(memcmp(hex, "00ab9f", 6) == 0 && hex[6] == 'z');

	for (int i = 0; i < 32; i++)
		a[i] = b[i] = (uint8_t)i;
	CHECK(lar_mac_equal(a, b, 32) == 1);
	CHECK(lar_mac_equal(a, b, 0) == 1);
	for (int i = 0; i < 32; i++) {
		b[i] ^= 0x80;
		CHECKM(lar_mac_equal(a, b, 32) == 0, "difference at byte %d", i);
		b[i] ^= 0x80;
	}
	/* every bit of every byte, at lengths with and without a tail past the
	 * 8-byte words: a difference is seen only within the n bytes compared */
	int missed = 0, extra = 0;
	for (size_t n = 1; n <= 32; n++) {
		for (size_t i = 0; i < 32; i++) {
			for (int bit = 0; bit < 8; bit++) {
				b[i] ^= (uint8_t)(1u << bit);
				int eq = lar_mac_equal(a, b, n);
				missed += i < n && eq;
				extra += i >= n && !eq;
				b[i] ^= (uint8_t)(1u << bit);
			}
		}
	}
	CHECKM(missed == 0 && extra == 0, "lar_mac_equal: %d differences missed, %d seen past n", missed, extra);

	uint8_t s[5] = { 1, 2, 3, 4, 5 };
	lar_wipe(s, 4);
	CHECK(s[0] == 0 && s[3] == 0 && s[4] == 5);
	lar_wipe(NULL, 0);

	/* an empty key (tests only) is a valid HMAC key: RFC 2104 pads it with zeros */
	uint8_t m1[LAR_MAC_LEN], m2[LAR_MAC_LEN];
	struct lar_mac_key *k = NULL;
	struct lar_mac_ctx *c = NULL;
	static const uint8_t zero64[64];
	CHECK(lar_mac_oneshot(NULL, 0, "abc", 3, m1) == LAR_OK);
	CHECK(lar_mac_oneshot(zero64, 64, "abc", 3, m2) == LAR_OK);
	CHECK(memcmp(m1, m2, LAR_MAC_LEN) == 0);
	CHECK(lar_mac_key_new(NULL, 0, &k, NULL) == LAR_OK);
	CHECK(k != NULL && lar_mac_ctx_new(k, &c, NULL) == LAR_OK);
	CHECK(c != NULL && lar_mac_compute(c, "abc", 3, m2) == LAR_OK && memcmp(m1, m2, LAR_MAC_LEN) == 0);
	/* and an empty message */
	CHECK(c != NULL && lar_mac_compute(c, NULL, 0, m2) == LAR_OK);
	CHECK(lar_mac_oneshot(NULL, 0, "", 0, m1) == LAR_OK && memcmp(m1, m2, LAR_MAC_LEN) == 0);
	lar_mac_ctx_free(c);
	lar_mac_key_free(k);
}

int main(void)
{
	rfc_init();
	lengths_init();
	test_threads(); /* first, so the algorithm fetch races */
	test_rfc4231();
	test_lengths();
	test_handoff();
	test_wycheproof();
	test_sha256();
	test_fingerprint();
	test_misc();
	return tap_done();
}
