/*
 * test_b64url.c - unit tests of the strict base64 codecs (verify/b64url.c):
 * RFC 4648 §10 vectors, random round trips, the strict-reject list of
 * SPEC §2.3, output bounds, and the standard-alphabet decoder of SPEC §3.
 * Not for: timing (a benchmark is not a test).
 */
#include "b64url.h"
#include "tap.h"

#include <stdint.h>
#include <string.h>

#define CANARY 0xA5

static int decodes(const char *s, size_t n)
{
	uint8_t out[512];
	size_t len = 0;

	if (n > 600)
		return 0;
	return lar_b64url_decode(s, n, out, &len) == LAR_OK;
}

static int std_decodes(const char *s, size_t n, uint8_t *out, size_t *len)
{
	return lar_b64std_decode(s, n, out, len) == LAR_OK;
}

/* Reference encoder written independently of the module: bit by bit. */
static size_t ref_encode(const uint8_t *p, size_t n, const char *alpha, char *out)
{
	size_t o = 0;
	unsigned acc = 0, bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alpha[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = alpha[(acc << (6 - bits)) & 63];
	return o;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint8_t rnd8(void)
{
	return (uint8_t)(tap_xorshift(&rng) >> 24);
}

static void test_rfc4648(void)
{
	/* RFC 4648 §10, with the padding removed as LiveAuthCore does (SPEC §1.2). */
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{ "", "" },         { "f", "Zg" },          { "fo", "Zm8" },        { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t pn = strlen(v[i].plain), en = strlen(v[i].enc);
		char enc[16];
		uint8_t dec[16];
		size_t dl = 99;

		CHECKM(lar_b64url_enclen(pn) == en, "enclen %zu", pn);
		CHECKM(lar_b64url_declen(en) == pn, "declen %zu", en);
		memset(enc, 0, sizeof enc);
		CHECK(lar_b64url_encode((const uint8_t *)v[i].plain, pn, enc) == en);
		CHECKM(memcmp(enc, v[i].enc, en) == 0 && enc[en] == 0, "encode '%s'", v[i].plain);
		CHECKM(lar_b64url_decode(v[i].enc, en, dec, &dl) == LAR_OK, "decode '%s'", v[i].enc);
		CHECK(dl == pn && memcmp(dec, v[i].plain, pn) == 0);

		/* the same vectors, padded as in RFC 4648 §10, through the std decoder */
		char padded[20]; /* the longest vector, padded, with room a compiler can see */
		memcpy(padded, v[i].enc, en);
		size_t padn = en;
		while (padn % 4 != 0)
			padded[padn++] = '=';
		dl = 99;
		CHECKM(std_decodes(padded, padn, dec, &dl) && dl == pn && memcmp(dec, v[i].plain, pn) == 0,
		       "std padded '%.*s'", (int)padn, padded);
		dl = 99;
		CHECKM(std_decodes(v[i].enc, en, dec, &dl) && dl == pn && memcmp(dec, v[i].plain, pn) == 0,
		       "std unpadded '%s'", v[i].enc);
	}
	CHECK(lar_b64url_declen(1) == SIZE_MAX);
	CHECK(lar_b64url_declen(5) == SIZE_MAX);
	CHECK(lar_b64url_declen(43) == 32); /* SPEC §1.2: a signature is 43 characters */
	CHECK(lar_b64url_enclen(32) == 43);
}

static void test_roundtrip(void)
{
	static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t in[301], dec[301 + 8];
	char enc[404 + 8], ref[404 + 8];
	int saw_dash = 0, saw_under = 0, bad = 0;

	for (int iter = 0; iter < 2000; iter++) {
		size_t n = iter < 301 ? (size_t)iter : ((size_t)rnd8() << 8 | rnd8()) % 301u;
		for (size_t i = 0; i < n; i++)
			in[i] = rnd8();
		/* make sure 0xFB/0xFF (which encode to '-' and '_') are well represented */
		if (n >= 3 && iter % 3 == 0) {
			in[0] = 0xFB;
			in[1] = 0xFF;
			in[2] = 0xBF;
		}
		size_t en = lar_b64url_enclen(n);
		memset(enc, CANARY, sizeof enc);
		size_t w = lar_b64url_encode(in, n, enc);
		size_t rn = ref_encode(in, n, url, ref);
		if (w != en || rn != en || memcmp(enc, ref, en) != 0 || (unsigned char)enc[en] != CANARY)
			bad++;
		if (memchr(enc, '-', en))
			saw_dash = 1;
		if (memchr(enc, '_', en))
			saw_under = 1;

		size_t dl = SIZE_MAX;
		memset(dec, CANARY, sizeof dec);
		if (lar_b64url_decode(enc, en, dec, &dl) != LAR_OK || dl != n || memcmp(dec, in, n) != 0 ||
		    dec[n] != CANARY)
			bad++;

		/* the same bytes in the standard alphabet, unpadded and padded */
		rn = ref_encode(in, n, std, ref);
		dl = SIZE_MAX;
		if (!std_decodes(ref, rn, dec, &dl) || dl != n || memcmp(dec, in, n) != 0)
			bad++;
		while (rn % 4 != 0)
			ref[rn++] = '=';
		dl = SIZE_MAX;
		if (!std_decodes(ref, rn, dec, &dl) || dl != n || memcmp(dec, in, n) != 0)
			bad++;
	}
	CHECKM(bad == 0, "%d round-trip failures", bad);
	CHECK(saw_dash && saw_under);
}

static void test_strict_reject(void)
{
	/* each text is rejected by the strict base64url decoder (SPEC §2.3) */
	static const struct {
		const char *s;
		size_t n;
		const char *why;
	} rej[] = {
		{ "Zg==", 4, "= padding" },
		{ "Zm8=", 4, "= padding" },
		{ "Zg=", 3, "= padding, 3 chars" },
		{ "ab+d", 4, "+ (standard alphabet)" },
		{ "ab/d", 4, "/ (standard alphabet)" },
		{ "ab d", 4, "space" },
		{ " abc", 4, "leading space" },
		{ "Zm9v\nYmFy", 9, "newline" },
		{ "Zm9vYmFy\n", 9, "trailing newline" },
		{ "Zm9v\r\nYmFy", 10, "CRLF" },
		{ "ab\tc", 4, "tab" },
		{ "Zm\0vYmFy", 8, "NUL in the middle" },
		{ "Zm9vYmFy\0\0\0\0", 12, "NULs at the end" },
		{ "A", 1, "length 1" },
		{ "Zm9vY", 5, "length mod 4 == 1" },
		{ "Zm9vYmFyZ", 9, "length mod 4 == 1" },
		{ "AB", 2, "non-zero trailing bits (4)" },
		{ "Zh", 2, "non-zero trailing bits (4)" },
		{ "Zm9", 3, "non-zero trailing bits (2)" },
		{ "AAB", 3, "non-zero trailing bits (2)" },
		{ "Zm9v\xc3\xa9YmF", 10, "non-ASCII" },
		{ "Zm9\x80", 4, "byte 0x80" },
		{ "Zm9\xff", 4, "byte 0xff" },
		{ "Zm9.", 4, "." },
		{ "Zm9~", 4, "~" },
		{ "Zm9vYmF=", 8, "= at the end of a full group" },
		{ "Zm=vYmFy", 8, "= in the middle" },
	};
	for (size_t i = 0; i < sizeof rej / sizeof rej[0]; i++)
		CHECKM(!decodes(rej[i].s, rej[i].n), "accepted: %s", rej[i].why);

	/* the zero-trailing-bit twins are accepted */
	CHECK(decodes("AA", 2));
	CHECK(decodes("Zg", 2));
	CHECK(decodes("Zm8", 3));
	CHECK(decodes("AAA", 3));
	CHECK(decodes("", 0));
	CHECK(decodes(NULL, 0));

	/* every byte value: exactly the 64 alphabet characters decode, in every position */
	int wrong = 0;
	for (int c = 0; c < 256; c++) {
		int valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_';
		for (int pos = 0; pos < 8; pos++) {
			char s[8];
			memcpy(s, "AAAAAAAA", 8);
			s[pos] = (char)c;
			/* position 7 ends a full group, so any value is fine for trailing bits */
			if (decodes(s, 8) != valid)
				wrong++;
		}
	}
	CHECKM(wrong == 0, "%d byte/position classifications wrong", wrong);

	/* the tail positions too, where trailing bits matter */
	wrong = 0;
	for (int c = 0; c < 256; c++) {
		char s[3] = { 'A', (char)c, 'A' };
		int valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_';
		if (decodes(s, 3) != valid)
			wrong++;
	}
	CHECKM(wrong == 0, "%d tail classifications wrong", wrong);

	/* a decoded value maps back to the same text (only canonical text is accepted) */
	wrong = 0;
	for (int a = 0; a < 64; a++) {
		static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		for (int b = 0; b < 64; b++) {
			char s[2] = { al[a], al[b] };
			uint8_t o[1];
			size_t l;
			int ok = lar_b64url_decode(s, 2, o, &l) == LAR_OK;
			if (ok != ((b & 15) == 0))
				wrong++;
			if (ok) {
				char back[2];
				lar_b64url_encode(o, 1, back);
				if (memcmp(back, s, 2) != 0)
					wrong++;
			}
		}
	}
	CHECKM(wrong == 0, "%d two-char canonicality errors", wrong);
}

static void test_no_overrun(void)
{
	/* exact-size heap buffers and a canary: ASan and the canary both watch */
	for (size_t n = 0; n <= 140; n++) { /* past two 32-character AVX2 steps */
		if (n % 4 == 1)
			continue;
		char src[141];
		for (size_t i = 0; i < n; i++)
			src[i] = "ABCDEFGHwxyz0189-_"[i % 18];
		/* zero the trailing bits so the text is valid */
		if (n % 4 == 2)
			src[n - 1] = 'A';
		if (n % 4 == 3)
			src[n - 1] = 'E';
		size_t dl = lar_b64url_declen(n);
		uint8_t *out = malloc(dl + 1);
		if (out == NULL)
			continue;
		memset(out, CANARY, dl + 1);
		size_t got = SIZE_MAX;
		CHECKM(lar_b64url_decode(src, n, out, &got) == LAR_OK, "n=%zu", n);
		CHECKM(got == dl && out[dl] == CANARY, "n=%zu wrote past declen", n);
		/* an invalid text of the same length must not write past either */
		if (n > 0) {
			memset(out, CANARY, dl + 1);
			src[0] = '=';
			lar_b64url_decode(src, n, out, &got);
			CHECKM(out[dl] == CANARY, "n=%zu invalid text wrote past declen", n);
		}
		free(out);
	}
}

static void test_std(void)
{
	uint8_t out[64];
	size_t l;

	/* "ab?" style: 0xfb 0xff encodes with + and / in standard base64 */
	CHECK(std_decodes("+/8=", 4, out, &l) && l == 2 && out[0] == 0xfb && out[1] == 0xff);
	CHECK(std_decodes("+/8", 3, out, &l) && l == 2 && out[0] == 0xfb && out[1] == 0xff);
	CHECK(std_decodes("q83v", 4, out, &l) && l == 3);
	CHECK(out[0] == 0xab && out[1] == 0xcd && out[2] == 0xef);

	static const struct {
		const char *s;
		const char *why;
	} rej[] = {
		{ "-_8=", "url alphabet in std" },
		{ "+_8=", "mixed alphabets" },
		{ "-/8", "mixed alphabets" },
		{ "Zg=", "short padding" },
		{ "Zg===", "too much padding" },
		{ "Zm8==", "too much padding" },
		{ "Zm9v=", "padding after a full group" },
		{ "Zm9v====", "a group of padding" },
		{ "Z===", "three pads" },
		{ "=", "only padding" },
		{ "==", "only padding" },
		{ "Zg==Zg==", "padding in the middle" },
		{ "Zm=v", "= in the middle" },
		{ "Zh==", "non-zero trailing bits" },
		{ "Zm9=", "non-zero trailing bits" },
		{ "Zh", "non-zero trailing bits, unpadded" },
		{ "Zm9vY", "length mod 4 == 1" },
		{ "Zm9v YmFy", "space" },
		{ "Zm9v\nYmFy", "newline" },
		{ "Zm9vYmFy\n", "trailing newline" },
	};
	for (size_t i = 0; i < sizeof rej / sizeof rej[0]; i++)
		CHECKM(!std_decodes(rej[i].s, strlen(rej[i].s), out, &l), "accepted: %s", rej[i].why);
	CHECK(!std_decodes("Zm\0v", 4, out, &l));
	CHECK(std_decodes("", 0, out, &l) && l == 0);
}

/*
 * Every byte value at every position of long texts (the decoder's 32-character
 * AVX2 steps, 16-character SSSE3 steps and its table loop must agree): accepted exactly when the byte
 * is in the URL alphabet, and then decoded as the standard-alphabet table
 * decoder decodes the same text with '-' '_' spelled '+' '/'.
 */
static void test_every_byte(void)
{
	static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const size_t lens[] = { 32, 34, 35, 47, 48, 63, 64, 66, 96, 100, 131, 150 };
	char text[160], std[160];
	uint8_t a[160], b[160];
	int bad = 0;
	for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
		size_t n = lens[li];
		for (size_t i = 0; i < n; i++)
			text[i] = url[rnd8() % 64];
		/* the last character must leave zero unused bits (SPEC §2.3) */
		if (n % 4 == 2)
			text[n - 1] = url[rnd8() % 4 * 16];
		if (n % 4 == 3)
			text[n - 1] = url[rnd8() % 16 * 4];
		for (size_t pos = 0; pos < n; pos++) {
			char keep = text[pos];
			for (int c = 0; c < 256; c++) {
				text[pos] = (char)c;
				size_t la = SIZE_MAX, lb = SIZE_MAX;
				lar_status sa = lar_b64url_decode(text, n, a, &la);
				int in_alpha = c != 0 && memchr(url, c, 64) != NULL;
				int tail_ok = 1;
				if (pos == n - 1 && n % 4 != 0) /* unused bits of the last character */
					tail_ok = in_alpha && (strchr(url, c) - url) % (n % 4 == 2 ? 16 : 4) == 0;
				if ((sa == LAR_OK) != (in_alpha && tail_ok)) {
					bad++;
					continue;
				}
				if (sa != LAR_OK)
					continue;
				for (size_t i = 0; i < n; i++)
					std[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
				if (lar_b64std_decode(std, n, b, &lb) != LAR_OK || la != lb || memcmp(a, b, la) != 0)
					bad++;
			}
			text[pos] = keep;
		}
	}
	CHECKM(bad == 0, "%d of every-byte-at-every-position decodes wrong", bad);
}

int main(void)
{
	test_rfc4648();
	test_roundtrip();
	test_every_byte();
	test_strict_reject();
	test_no_overrun();
	test_std();
	return tap_done();
}
