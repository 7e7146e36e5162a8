/*
 * b64url.c - strict base64url (RFC 4648 §5, unpadded) and the strict
 * standard-alphabet decoder for keyring "base64:" secrets (RFC 4648 §4).
 *
 * Decoding is table-driven: four 256-entry tables hold each character's six
 * bits already shifted into place for its position in a 4-character group, so
 * a group costs four loads and three ORs (two groups are stored as one
 * 8-byte word).  Any byte outside the alphabet maps to a value with bit 24
 * set; the bits of a whole run are ORed together and tested once, so the hot
 * loop has no per-character branch.
 *
 * Not for: lenient decoding of any kind (whitespace, padding in base64url,
 * mixed alphabets), streaming, or line-wrapped MIME text.
 */
#include "b64url.h"

#include <string.h>
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_SSSE3_PATH 1
#endif

/* The widest vector decoder lar_b64url_decode may use, when the CPU has it:
 * 3 AVX-512 VBMI, 2 AVX2, 1 SSSE3, 0 the table decoder alone.
 * tests/test_b64url_paths.c compiles a copy of this file whose limit is a
 * variable, to hold every path to the table decoder's answers. */
#ifdef LAR_B64URL_WIDEST_VAR
extern int LAR_B64URL_WIDEST_VAR;
#define WIDEST LAR_B64URL_WIDEST_VAR
#else
#define WIDEST 3
#endif

#define BAD 0x01000000u /* set in every table entry of a byte outside the alphabet */

struct dectab {
	uint32_t t[4][256];
};

static const char url_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * The tables are built at compile time so there is no initialisation race.
 * V(c) is the six-bit value of c in the URL alphabet, or -1; VS(c) the same
 * for the standard alphabet.
 */
#define V_COMMON(c)                                                                                   \
	((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                                       \
	 : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                                  \
	 : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                                  \
				    : -1)
#define V_URL(c) ((c) == '-' ? 62 : (c) == '_' ? 63 : V_COMMON(c))
#define V_STD(c) ((c) == '+' ? 62 : (c) == '/' ? 63 : V_COMMON(c))

#define E(V, c, sh) (V(c) < 0 ? (BAD | 0x00FFFFFFu) : (uint32_t)V(c) << (sh))
#define R4(V, c, sh) E(V, c, sh), E(V, (c) + 1, sh), E(V, (c) + 2, sh), E(V, (c) + 3, sh)
#define R16(V, c, sh) R4(V, c, sh), R4(V, (c) + 4, sh), R4(V, (c) + 8, sh), R4(V, (c) + 12, sh)
#define R64(V, c, sh) R16(V, c, sh), R16(V, (c) + 16, sh), R16(V, (c) + 32, sh), R16(V, (c) + 48, sh)
#define ROW(V, sh) { R64(V, 0, sh), R64(V, 64, sh), R64(V, 128, sh), R64(V, 192, sh) }

static const struct dectab url_tab = { { ROW(V_URL, 18), ROW(V_URL, 12), ROW(V_URL, 6), ROW(V_URL, 0) } };
static const struct dectab std_tab = { { ROW(V_STD, 18), ROW(V_STD, 12), ROW(V_STD, 6), ROW(V_STD, 0) } };

size_t lar_b64url_declen(size_t n)
{
	static const size_t tail[4] = { 0, SIZE_MAX, 1, 2 };

	if (n % 4 == 1)
		return SIZE_MAX;
	return n / 4 * 3 + tail[n % 4];
}

size_t lar_b64url_enclen(size_t n)
{
	static const size_t tail[3] = { 0, 2, 3 };

	if (n / 3 > (SIZE_MAX - 3) / 4)
		return SIZE_MAX; /* no such buffer can exist */
	return n / 3 * 4 + tail[n % 3];
}

/*
 * Decode n characters (no padding) with table d.  out must hold
 * lar_b64url_declen(n) bytes; exactly that many are written.
 */
static lar_status decode(const struct dectab *d, const unsigned char *s, size_t n, uint8_t *out,
			 size_t *outlen)
{
	const uint32_t *t0 = d->t[0], *t1 = d->t[1], *t2 = d->t[2], *t3 = d->t[3];
	size_t full = n / 4, rem = n % 4;
	uint32_t bad = 0;
	uint8_t *o = out;

	/* SPEC §2.3: a length with n % 4 == 1 encodes no byte string */
	if (rem == 1)
		return LAR_E_SYNTAX;
	/* two groups a step, their 6 bytes stored as one 8-byte word while at
	 * least a third group follows (its bytes overwrite the 2 extra) */
	size_t i = 0;
	for (; i + 3 <= full; i += 2, s += 8, o += 6) {
		uint32_t v = t0[s[0]] | t1[s[1]] | t2[s[2]] | t3[s[3]];
		uint32_t w = t0[s[4]] | t1[s[5]] | t2[s[6]] | t3[s[7]];
		bad |= v | w;
		uint64_t be = ((uint64_t)(v & 0xFFFFFFu) << 24 | (w & 0xFFFFFFu)) << 16;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		be = __builtin_bswap64(be);
#endif
		memcpy(o, &be, 8);
	}
	for (; i < full; i++, s += 4, o += 3) {
		uint32_t v = t0[s[0]] | t1[s[1]] | t2[s[2]] | t3[s[3]];
		bad |= v;
		o[0] = (uint8_t)(v >> 16);
		o[1] = (uint8_t)(v >> 8);
		o[2] = (uint8_t)v;
	}
	if (rem == 2) {
		uint32_t v = t0[s[0]] | t1[s[1]];
		bad |= v;
		/* SPEC §2.3: the 4 unused trailing bits must be zero */
		if ((v & 0xFFFFu) != 0)
			return LAR_E_SYNTAX;
		*o++ = (uint8_t)(v >> 16);
	} else if (rem == 3) {
		uint32_t v = t0[s[0]] | t1[s[1]] | t2[s[2]];
		bad |= v;
		/* SPEC §2.3: the 2 unused trailing bits must be zero */
		if ((v & 0xFFu) != 0)
			return LAR_E_SYNTAX;
		*o++ = (uint8_t)(v >> 16);
		*o++ = (uint8_t)(v >> 8);
	}
	/* SPEC §2.3: only the 64 alphabet characters; '=', whitespace, NUL, ... are rejected */
	if (bad & BAD)
		return LAR_E_SYNTAX;
	if (outlen != NULL)
		*outlen = (size_t)(o - out);
	return LAR_OK;
}

#ifdef HAVE_SSSE3_PATH
/*
 * The URL alphabet 16 characters a step (SSSE3, chosen at run time).  A
 * character's high nibble h and low nibble l pick bit masks from two
 * 16-entry tables: each h has a class bit, and lo_bad[l] holds the classes
 * in which l does not make an alphabet character, so the character is valid
 * exactly when lo_bad[l] & hi_class[h] == 0 (checked against the alphabet
 * for all 256 bytes by tests/test_b64url.c).  Its value is the character
 * plus an offset chosen by h ('_' corrected).  Two multiply-adds then pack
 * 16 six-bit values into 12 bytes.  Each step stores 16 bytes, so it runs
 * while 4 more bytes of room follow, and it stops at the first step holding
 * a byte outside the alphabet.  Returns the characters decoded (a multiple
 * of 16); the table decoder does the rest, and judges it by the same rules.
 */
__attribute__((target("ssse3"))) static size_t decode_url_ssse3(const unsigned char *s, size_t n,
								  uint8_t *out)
{
	/* classes of h: 2 ('-'), 3 (digits), 4 and 6 (letters 1-F), 5 (P-Z, '_'), 7 (p-z), others */
	const __m128i hi_class = _mm_setr_epi8(0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10,
					       0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20);
	const __m128i lo_bad = _mm_setr_epi8(0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
					     0x21, 0x21, 0x23, 0x3b, 0x3b, 0x3a, 0x3b, 0x33);
	/* '-' +17 -> 62, digits +4 -> 52.., A-Z -65 -> 0.., a-z -71 -> 26.. */
	const __m128i offset = _mm_setr_epi8(0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i nib = _mm_set1_epi8(0x0F), under = _mm_set1_epi8('_'), under_fix = _mm_set1_epi8(33);
	const __m128i pack_pairs = _mm_set1_epi32(0x01400140), pack_quads = _mm_set1_epi32(0x00011000);
	const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	size_t room = n / 4 * 3, done = 0;
	for (; n - done >= 16 && done / 4 * 3 + 16 <= room; done += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + done));
		__m128i h = _mm_and_si128(_mm_srli_epi32(x, 4), nib), l = _mm_and_si128(x, nib);
		__m128i badm = _mm_and_si128(_mm_shuffle_epi8(lo_bad, l), _mm_shuffle_epi8(hi_class, h));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(badm, _mm_setzero_si128())) != 0xFFFF)
			break; /* SPEC §2.3: left to the table decoder to reject */
		/* '_' shares its high nibble with P-Z: corrected to 63 */
		__m128i off = _mm_add_epi8(_mm_shuffle_epi8(offset, h),
					   _mm_and_si128(_mm_cmpeq_epi8(x, under), under_fix));
		__m128i v = _mm_add_epi8(x, off);
		__m128i t = _mm_maddubs_epi16(v, pack_pairs); /* a << 6 | b: 12 bits a pair */
		__m128i u = _mm_madd_epi16(t, pack_quads);   /* 24 bits a group, little-endian */
		_mm_storeu_si128((__m128i *)(void *)(out + done / 4 * 3), _mm_shuffle_epi8(u, order));
	}
	return done;
}

/*
 * The same, 32 characters a step (AVX2, chosen at run time): each 128-bit
 * lane is one SSSE3 step, and a permutation joins the lanes' 12 bytes into
 * 24.  Each step stores 32 bytes, so it runs while 8 more bytes of room
 * follow.  Returns the characters decoded (a multiple of 32).
 */
__attribute__((target("avx2"))) static size_t decode_url_avx2(const unsigned char *s, size_t n, uint8_t *out)
{
	const __m256i hi_class = _mm256_setr_epi8(0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10,
						  0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
						  0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10,
						  0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20);
	const __m256i lo_bad = _mm256_setr_epi8(0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
						0x21, 0x21, 0x23, 0x3b, 0x3b, 0x3a, 0x3b, 0x33,
						0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
						0x21, 0x21, 0x23, 0x3b, 0x3b, 0x3a, 0x3b, 0x33);
	const __m256i offset = _mm256_setr_epi8(0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
						0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i nib = _mm256_set1_epi8(0x0F), under = _mm256_set1_epi8('_');
	const __m256i under_fix = _mm256_set1_epi8(33);
	const __m256i pack_pairs = _mm256_set1_epi32(0x01400140), pack_quads = _mm256_set1_epi32(0x00011000);
	const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
					       2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7); /* lane 1's 12 bytes after lane 0's */
	size_t room = n / 4 * 3, done = 0;
	for (; n - done >= 32 && done / 4 * 3 + 32 <= room; done += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(s + done));
		__m256i h = _mm256_and_si256(_mm256_srli_epi32(x, 4), nib), l = _mm256_and_si256(x, nib);
		__m256i badm = _mm256_and_si256(_mm256_shuffle_epi8(lo_bad, l),
						_mm256_shuffle_epi8(hi_class, h));
		if (!_mm256_testz_si256(badm, badm))
			break; /* SPEC §2.3: left to the narrower decoders to reject */
		__m256i off = _mm256_add_epi8(_mm256_shuffle_epi8(offset, h),
					      _mm256_and_si256(_mm256_cmpeq_epi8(x, under), under_fix));
		__m256i v = _mm256_add_epi8(x, off);
		__m256i t = _mm256_maddubs_epi16(v, pack_pairs);
		__m256i u = _mm256_madd_epi16(t, pack_quads);
		u = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(u, order), join);
		_mm256_storeu_si256((__m256i *)(void *)(out + done / 4 * 3), u);
	}
	return done;
}

/* A character's value in the URL alphabet, or 0x80 (the sign bit) outside it. */
#define VB(c) ((int8_t)(V_URL(c) < 0 ? -128 : V_URL(c)))
#define VB4(c) VB(c), VB((c) + 1), VB((c) + 2), VB((c) + 3)
#define VB16(c) VB4(c), VB4((c) + 4), VB4((c) + 8), VB4((c) + 12)
static const int8_t url_vbmi[128] = { VB16(0), VB16(16), VB16(32), VB16(48),
				      VB16(64), VB16(80), VB16(96), VB16(112) };

/*
 * 64 characters a step (AVX-512 VBMI, chosen at run time): one two-table
 * byte permutation looks each character up (its low 7 bits pick one of 128
 * entries), and a character is in the alphabet exactly when neither it nor
 * its entry has the sign bit (checked against the alphabet for all 256
 * bytes by tests/test_b64url.c).  The multiply-adds pack as in the SSSE3
 * step, a byte permutation gathers the 48 bytes, and masked loads and
 * stores take the last whole groups too, never touching a byte outside
 * s[0..n) or past the decoded length.  Returns the characters decoded (a
 * multiple of 4), stopping before the step holding a byte outside the
 * alphabet; the table decoder does the rest.
 */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static size_t decode_url_vbmi(const unsigned char *s,
										     size_t n, uint8_t *out)
{
	const __m512i lo = _mm512_loadu_si512((const void *)url_vbmi);
	const __m512i hi = _mm512_loadu_si512((const void *)(url_vbmi + 64));
	const __m512i sign = _mm512_set1_epi8((char)0x80);
	const __m512i pack_pairs = _mm512_set1_epi32(0x01400140), pack_quads = _mm512_set1_epi32(0x00011000);
	/* bytes 2, 1, 0 of each 32-bit group, big-endian (the last 16 unused) */
	const __m512i order = _mm512_set_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					      60, 61, 62, 56, 57, 58, 52, 53, 54, 48, 49, 50, 44, 45, 46, 40,
					      41, 42, 36, 37, 38, 32, 33, 34, 28, 29, 30, 24, 25, 26, 20, 21,
					      22, 16, 17, 18, 12, 13, 14, 8, 9, 10, 4, 5, 6, 0, 1, 2);
	size_t done = 0;
	while (n - done >= 4) {
		size_t k = n - done >= 64 ? 64 : (n - done) & ~(size_t)3; /* whole groups */
		__mmask64 in = k == 64 ? ~(__mmask64)0 : ((__mmask64)1 << k) - 1;
		__m512i x = _mm512_maskz_loadu_epi8(in, s + done);
		__m512i v = _mm512_permutex2var_epi8(lo, x, hi);
		if (_mm512_mask_test_epi8_mask(in, _mm512_or_si512(v, x), sign) != 0)
			break; /* SPEC §2.3: left to the table decoder to reject */
		__m512i u = _mm512_madd_epi16(_mm512_maddubs_epi16(v, pack_pairs), pack_quads);
		__mmask64 outm = ((__mmask64)1 << (k / 4 * 3)) - 1; /* at most 48 bytes */
		_mm512_mask_storeu_epi8(out + done / 4 * 3, outm, _mm512_permutexvar_epi8(order, u));
		done += k;
	}
	return done;
}
#endif

lar_status lar_b64url_decode(const char *src, size_t n, uint8_t *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t done = 0, rest;
	if (n == 0) {
		if (outlen != NULL)
			*outlen = 0;
		return LAR_OK;
	}
#ifdef HAVE_SSSE3_PATH
	/* the wide steps leave a tail (and any bad character) to the next */
	if (n % 4 != 1 && WIDEST >= 3 && __builtin_cpu_supports("avx512vbmi") &&
	    __builtin_cpu_supports("avx512bw")) {
		done = decode_url_vbmi(s, n, out);
	} else {
		if (n % 4 != 1 && n >= 64 && WIDEST >= 2 && __builtin_cpu_supports("avx2"))
			done = decode_url_avx2(s, n, out);
		if (n % 4 != 1 && n - done >= 32 && WIDEST >= 1 && __builtin_cpu_supports("ssse3"))
			done += decode_url_ssse3(s + done, n - done, out + done / 4 * 3);
	}
#endif
	lar_status st = decode(&url_tab, s + done, n - done, out + done / 4 * 3, &rest);
	if (st == LAR_OK && outlen != NULL)
		*outlen = done / 4 * 3 + rest;
	return st;
}

size_t lar_b64url_encode(const uint8_t *p, size_t n, char *out)
{
	char *o = out;
	size_t i = 0;

	for (; n - i >= 3; i += 3, o += 4) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		o[0] = url_alpha[v >> 18];
		o[1] = url_alpha[(v >> 12) & 63];
		o[2] = url_alpha[(v >> 6) & 63];
		o[3] = url_alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		*o++ = url_alpha[v >> 18];
		*o++ = url_alpha[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = url_alpha[v >> 18];
		*o++ = url_alpha[(v >> 12) & 63];
		*o++ = url_alpha[(v >> 6) & 63];
	}
	return (size_t)(o - out);
}

lar_status lar_b64std_decode(const char *src, size_t n, uint8_t *out, size_t *outlen)
{
	size_t pad = 0;

	if (n == 0) {
		if (outlen != NULL)
			*outlen = 0;
		return LAR_OK;
	}
	/*
	 * SPEC §3 / RFC 4648 §4: padding is optional, but when present the
	 * padded text is a whole number of groups and carries exactly the
	 * '=' its last group needs ("xx==" or "xxx=").  Any other '=' is
	 * outside the alphabet and rejected by the table.
	 */
	if (src[n - 1] == '=') {
		pad = n >= 2 && src[n - 2] == '=' ? 2 : 1;
		if (n % 4 != 0)
			return LAR_E_SYNTAX;
		n -= pad;
		if (n % 4 != (pad == 2 ? 2u : 3u))
			return LAR_E_SYNTAX;
	}
	return decode(&std_tab, (const unsigned char *)src, n, out, outlen);
}
