/*
 * json_parse.c - the strict JSON parser of json.h.
 *
 * One pass, recursive descent bounded by LAR_JSON_MAX_DEPTH, over a source
 * that is not NUL-terminated and is never read past its end.  Children of an
 * open container wait in a scratch stack (inline in the parser, on the heap
 * only for big documents) and are copied into the caller's arena in one
 * block when the container closes, so building the tree costs one arena
 * allocation per container and one per escaped string, and no malloc.
 * Duplicate member names are found without quadratic time: names in
 * ascending order (a canonical payload) need one comparison each, a small
 * unordered object is checked pairwise, a bigger one through a hash table
 * whose probe budget falls back to a sort, so forced collisions stay cheap.
 * On request the parse also tells whether the text is its own canonical
 * form (SPEC §1.4), and a names memo lets repeated member names be taken
 * with one comparison (both in json.h).
 *
 * Not for: the tree accessors (json_tree.c), writing JSON (json_write.c),
 * splitting a stream into records (reader.c), or knowing what a receipt is
 * (receipt.c).
 */
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define INLINE_VALS 64
#define INLINE_MEMS 64
#define INLINE_TAB 256 /* hash slots: objects up to 128 members need no malloc */
#define PAIRWISE_MAX 8 /* unordered objects up to this size: pairwise duplicate check */

/*
 * The member names of the objects of the last records (struct
 * lar_json_memo): objects are numbered in the order they open, and for each
 * of the first MEMO_OBJECTS the names are kept as raw text, quotes and the
 * colon right after included (an object with a name and its colon apart is
 * not kept), with whether each ranks above the one before.  Only names whose raw text
 * is their decoded and canonical text (printable ASCII, nothing escaped) are
 * kept, and an object only once it has passed the duplicate check.  Each
 * object has MEMO_WAYS sets of names, so that records of two shapes (a
 * payload with and without its attestation members) interleaved keep both:
 * a name that differs from the current set's switches to another set that
 * has the same names before it.  A miss replaces the set used least recently.
 */
#define MEMO_OBJECTS 8
#define MEMO_WAYS 2
#define MEMO_KEYS 48
#define MEMO_BYTES 1536
struct memo_obj {
	uint16_t n;                  /* names kept; 0: none */
	uint32_t shape;              /* given to objects with these names (struct lar_json) */
	uint16_t off[MEMO_KEYS + 1]; /* name i is text[off[i] .. off[i + 1]) */
	uint64_t up;                 /* bit i: name i ranks above name i - 1 */
	uint8_t text[MEMO_BYTES];
};

struct lar_json_memo {
	struct memo_obj obj[MEMO_OBJECTS][MEMO_WAYS];
	uint8_t recent[MEMO_OBJECTS]; /* the way used last */
	uint32_t next_shape;          /* for the next set kept; 0 once all are used */
};

struct parser {
	const uint8_t *src, *p, *end;
	struct lar_json_memo *memo; /* or NULL */
	size_t nobj;                /* objects opened so far */
	struct lar_arena *a;
	struct lar_json *vals; /* scratch stack of array elements */
	size_t nvals, capvals;
	struct lar_json_member *mems; /* scratch stack of object members */
	size_t nmems, capmems;
	uint32_t *tab; /* hash table of the duplicate check: member index + 1, 0 free */
	size_t captab;
	size_t scratch_max; /* bytes any one scratch stack may hold (the arena's bound) */
	const struct lar_json_keep *next_keep; /* the filter of the next object or array opened */
	unsigned skip;   /* > 0: inside a value left out of the tree (checked, not built) */
	int discard;     /* parse_escaped checks the string and keeps nothing */
	int want_canon;  /* lar_json_parse_canonical: track canon */
	int specials;    /* want_canon, and the text holds a byte of canon_special[] (text_has_special) */
	int canon;       /* so far the text is its own canonical form (SPEC §1.4) */
	enum lar_json_fault fault;
	size_t fault_off;
	lar_status st;
	struct lar_json vals_inline[INLINE_VALS];
	struct lar_json_member mems_inline[INLINE_MEMS];
	uint32_t tab_inline[INLINE_TAB];
};

/* Bytes inside a string: 0 plain, 1 '"', 2 '\\', 3 control, 4 not ASCII. */
static const uint8_t strcls[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x00 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x10 */
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, /* 0x50 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70: DEL is allowed raw */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0x80 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0x90 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0xa0 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0xb0 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0xc0 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0xd0 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0xe0 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0xf0 */
};

static const struct lar_json no_items[1];
static const struct lar_json_member no_members[1];

LAR_COLD static int fail(struct parser *ps, enum lar_json_fault f, const uint8_t *at)
{
	ps->fault = f;
	ps->fault_off = (size_t)(at - ps->src);
	ps->st = LAR_E_SYNTAX;
	return -1;
}

LAR_COLD static int nomem(struct parser *ps)
{
	ps->st = LAR_E_NOMEM;
	return -1;
}

/* The input ends where the value needs more. */
LAR_COLD static int fail_end(struct parser *ps)
{
	return fail(ps, LAR_JSONF_TRUNCATED, ps->end);
}

/* RFC 8259 §2: whitespace is exactly SP, TAB, LF, CR (no VT, no FF, no NBSP). */
static inline void skipws(struct parser *ps)
{
	const uint8_t *p = ps->p, *end = ps->end;
	if (p < end && *p > ' ')
		return; /* compact JSON: no whitespace at all, the usual case */
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	if (p != ps->p) {
		ps->canon = 0; /* SPEC §1.4: the canonical form has no whitespace */
		ps->p = p;
	}
}

/*
 * Length (2..4) of the well-formed UTF-8 sequence at p (Unicode table 3-7:
 * no overlongs, no surrogates D800-DFFF, nothing above U+10FFFF); 0 when it
 * is ill-formed; -1 when the input ends inside it.  p < end, *p >= 0x80.
 */
static int utf8_len(const uint8_t *p, const uint8_t *end)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xBF;
	size_t avail = (size_t)(end - p);
	size_t n;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong below U+0800 */
		else if (c == 0xED)
			hi = 0x9F; /* U+D800..U+DFFF */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return 0; /* continuation byte, C0/C1 overlong lead, F5..FF */
	}
	if (avail < 2)
		return -1;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (avail <= i)
			return -1;
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	}
	return (int)n;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The 4 hex digits at p (string ends at q): code unit, or -1 after a fault. */
static long hex4(struct parser *ps, const uint8_t *p, const uint8_t *q)
{
	long u = 0;
	for (int i = 0; i < 4; i++) {
		if (p + i >= q)
			return q == ps->end ? fail_end(ps) : fail(ps, LAR_JSONF_ESCAPE, p + i);
		int h = hexval(p[i]);
		if (h < 0)
			return fail(ps, LAR_JSONF_ESCAPE, p + i);
		u = u << 4 | h;
	}
	return u;
}

/*
 * A string holding escapes, from start (after the quote) with the first
 * backslash at bs: find the closing quote, then validate and decode into the
 * arena.  Decoding never grows the text (\uXXXX is 6 bytes for at most 3, a
 * pair 12 for 4), so the raw length is a safe bound.
 */
static int parse_escaped(struct parser *ps, const uint8_t *start, const uint8_t *bs, const char **out,
			 size_t *outn)
{
	const uint8_t *end = ps->end, *q = bs, *p;
	while (q < end && *q != '"') {
		if (*q == '\\' && end - q >= 2)
			q += 2; /* an escaped quote does not close */
		else
			q++;
	}
	/* a string left out of the tree (ps->discard) is decoded into a small
	 * buffer over and over: checked, but never held (plain bytes do not
	 * advance, and every other step starts again at the buffer's start) */
	uint8_t sink[8], *dst = sink;
	size_t step = 0;
	if (!ps->discard) {
		dst = lar_arena_alloc(ps->a, (size_t)(q - start));
		if (dst == NULL)
			return nomem(ps);
		memcpy(dst, start, (size_t)(bs - start));
		step = 1;
	}
	uint8_t *d = step ? dst + (bs - start) : sink;
	p = bs;
	while (p < q) {
		uint8_t c = *p;
		switch (strcls[c]) {
		case 0:
			*d = c;
			d += step;
			p++;
			continue;
		case 3:
			return fail(ps, c == 0 ? LAR_JSONF_NUL : LAR_JSONF_CONTROL, p);
		case 4: {
			int n = utf8_len(p, end);
			if (n <= 0)
				return n < 0 ? fail_end(ps) : fail(ps, LAR_JSONF_UTF8, p);
			if (!step)
				d = sink;
			memcpy(d, p, (size_t)n);
			d += n;
			p += n;
			continue;
		}
		default:
			break;
		}
		/* a backslash: RFC 8259 §7 escapes */
		if (p + 1 >= q)
			return q == end ? fail_end(ps) : fail(ps, LAR_JSONF_ESCAPE, p);
		if (!step)
			d = sink;
		switch (p[1]) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '/': *d++ = '/'; break;
		case 'b': *d++ = '\b'; break;
		case 'f': *d++ = '\f'; break;
		case 'n': *d++ = '\n'; break;
		case 'r': *d++ = '\r'; break;
		case 't': *d++ = '\t'; break;
		case 'u': break;
		default:
			return fail(ps, LAR_JSONF_ESCAPE, p);
		}
		if (p[1] != 'u') {
			p += 2;
			continue;
		}
		long u = hex4(ps, p + 2, q);
		if (u < 0)
			return -1;
		uint32_t cp = (uint32_t)u;
		if (cp == 0) /* SPEC §2.3: a string holding U+0000 is malformed */
			return fail(ps, LAR_JSONF_NUL, p);
		if (cp >= 0xDC00 && cp <= 0xDFFF) /* SPEC §2.3: lone (or reversed) low surrogate */
			return fail(ps, LAR_JSONF_SURROGATE, p);
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			/* SPEC §2.3: a high surrogate must be followed by a low one */
			if ((q - p > 6 && p[6] != '\\') || (q - p > 7 && p[7] != 'u'))
				return fail(ps, LAR_JSONF_SURROGATE, p);
			if (q - p < 8)
				return q == end ? fail_end(ps) : fail(ps, LAR_JSONF_SURROGATE, p);
			long lo = hex4(ps, p + 8, q);
			if (lo < 0)
				return -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return fail(ps, LAR_JSONF_SURROGATE, p);
			cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
			p += 6;
		}
		p += 6;
		if (cp < 0x80) {
			*d++ = (uint8_t)cp;
		} else if (cp < 0x800) {
			*d++ = (uint8_t)(0xC0 | cp >> 6);
			*d++ = (uint8_t)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			*d++ = (uint8_t)(0xE0 | cp >> 12);
			*d++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
			*d++ = (uint8_t)(0x80 | (cp & 0x3F));
		} else {
			*d++ = (uint8_t)(0xF0 | cp >> 18);
			*d++ = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
			*d++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
			*d++ = (uint8_t)(0x80 | (cp & 0x3F));
		}
	}
	if (q == end)
		return fail_end(ps);
	ps->p = q + 1;
	*out = step ? (const char *)dst : NULL;
	*outn = step ? (size_t)(d - dst) : 0;
	return 0;
}

/*
 * 1 when the 8 bytes at p are all plain string bytes (strcls 0): no control,
 * quote, backslash or byte >= 0x80.  The zero-byte tests can only err
 * towards 0 (a flag above a true match), and then the byte loop decides.
 */
#if !defined(__SSE2__)
static inline int plain8(const uint8_t *p)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	uint64_t w, q, b;
	memcpy(&w, p, 8);
	q = w ^ (ones * '"');
	b = w ^ (ones * '\\');
	return ((w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) == 0;
}
#endif

/* Printable ASCII that the canonical form still escapes (SPEC §1.4). */
static const uint8_t canon_special[128] = {
	['&'] = 1, ['\''] = 1, ['+'] = 1, ['<'] = 1, ['>'] = 1, ['`'] = 1, [0x7F] = 1,
};

#if defined(__SSE2__)
static inline __m128i eq8(__m128i x, char c)
{
	return _mm_cmpeq_epi8(x, _mm_set1_epi8(c));
}

/* Bit i set when byte i of x is one the canonical form escapes although it is
 * printable ASCII: & ' + < > ` DEL (SPEC §1.4). */
static inline unsigned canon_special16(__m128i x)
{
	__m128i a = _mm_or_si128(_mm_or_si128(eq8(x, '&'), eq8(x, '\'')),
				 _mm_or_si128(eq8(x, '+'), eq8(x, '<')));
	__m128i b = _mm_or_si128(_mm_or_si128(eq8(x, '>'), eq8(x, '`')), eq8(x, 0x7F));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(a, b));
}
#endif

/*
 * 1 when s[0..n) holds none of & ' + < > ` DEL (SPEC §1.4): string text
 * holding no quote, backslash, control or non-ASCII byte then needs no
 * canonical escape either.  Bytes from 0x80 are none of them, so it also
 * answers for any text (text_has_special).
 */
static int canon_plain(const uint8_t *s, size_t n)
{
	const uint8_t *p = s, *end = s + n;
#if defined(__SSE2__)
	for (; end - p >= 16; p += 16)
		if (canon_special16(_mm_loadu_si128((const __m128i *)(const void *)p)) != 0)
			return 0;
#endif
	unsigned bad = 0;
	for (; p < end; p++)
		bad |= *p < 0x80 ? canon_special[*p] : 0;
	return bad == 0;
}

/* A string at ps->p (on its quote), any string.  Without escapes it stays in
 * the source. */
static int parse_string_any(struct parser *ps, const char **out, size_t *outn)
{
	const uint8_t *start = ps->p + 1, *p = start, *end = ps->end;
	for (;;) {
#if defined(__SSE2__)
		/* 16 bytes a step: stop at '"', '\\', a control byte or any byte
		 * >= 0x80 (signed compare: those are negative) */
		{
			const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
			while (end - p >= 16) {
				__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
				__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
							    _mm_cmplt_epi8(x, sp));
				int m = _mm_movemask_epi8(stop);
				if (m != 0) {
					p += __builtin_ctz((unsigned)m);
					goto stopped;
				}
				p += 16;
			}
		}
#else
		while (end - p >= 8 && plain8(p))
			p += 8;
#endif
		while (p < end && strcls[*p] == 0)
			p++;
		if (p >= end)
			return fail_end(ps);
#if defined(__SSE2__)
	stopped:
#endif
		switch (strcls[*p]) {
		case 1:
			*out = (const char *)start;
			*outn = (size_t)(p - start);
			ps->p = p + 1;
			if (ps->canon && ps->specials && !canon_plain(start, *outn))
				ps->canon = 0;
			return 0;
		case 2:
			if (parse_escaped(ps, start, p, out, outn) != 0)
				return -1;
			/* the text between the quotes against the escaping of SPEC §1.4 */
			if (ps->canon && ps->want_canon && !ps->discard &&
			    !lar_json_canonical_string_is(start, (size_t)(ps->p - 1 - start), *out, *outn))
				ps->canon = 0;
			return 0;
		case 3: /* RFC 8259 §7: controls must be escaped; SPEC §2.3: never U+0000 */
			return fail(ps, *p == 0 ? LAR_JSONF_NUL : LAR_JSONF_CONTROL, p);
		default: {
			int n = utf8_len(p, end);
			if (n <= 0)
				return n < 0 ? fail_end(ps) : fail(ps, LAR_JSONF_UTF8, p);
			p += n;
			ps->canon = 0; /* SPEC §1.4: canonical strings are pure ASCII */
		}
		}
	}
}


/* parse_string is called in four places, and its inline fast path is most
 * of the parser's speed: compilers must not outline it */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

#if defined(__SSE2__) && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HAVE_AVX2_SCAN 1
/*
 * The bytes of a long string, 32 a step (AVX2, chosen at run time): the
 * length of the leading whole steps of p[0..n) that hold no quote, backslash
 * or control byte, with *special set when they hold a byte that the canonical
 * form escapes (specials only).  The 16-byte loop of parse_string finds
 * the exact end after it.
 */
__attribute__((target("avx2"))) static size_t plain_run_avx2(const uint8_t *p, size_t n, int specials,
							       unsigned *special)
{
	const __m256i q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\'), sp = _mm256_set1_epi8(0x20);
	__m256i canon = _mm256_setzero_si256();
	size_t i = 0;
	for (; n - i >= 32; i += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i qb = _mm256_or_si256(_mm256_cmpeq_epi8(x, q), _mm256_cmpeq_epi8(x, bs));
		__m256i stop = _mm256_or_si256(qb, _mm256_cmpgt_epi8(sp, x));
		if (!_mm256_testz_si256(stop, stop))
			break;
		if (specials) {
			__m256i a = _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('&')),
						    _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\'')));
			__m256i b = _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('+')),
						    _mm256_cmpeq_epi8(x, _mm256_set1_epi8('<')));
			__m256i c = _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('>')),
						    _mm256_cmpeq_epi8(x, _mm256_set1_epi8('`')));
			canon = _mm256_or_si256(canon, _mm256_or_si256(_mm256_or_si256(a, b),
					_mm256_or_si256(c, _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7F)))));
		}
	}
	if (!_mm256_testz_si256(canon, canon))
		*special = 1;
	return i;
}
#endif

/*
 * 1 when s[0..n) holds, anywhere, a byte that the canonical form escapes
 * inside strings although it is printable ASCII (& ' + < > ` DEL: SPEC
 * §1.4).  None in the text means none in any string, so the canonical
 * parse of a text without them (every payload LiveAuth signs) skips that
 * test string by string: one pass here, 32 bytes a step where the CPU has
 * AVX2, instead of seven compares on every 16 bytes of every string.
 * tests/test_json_scan.c holds each path to a byte-by-byte reference.
 */
#if defined(HAVE_AVX2_SCAN)
/* n >= 32.  Byte x is one of them when lo[x & 15] & hi[x >> 4] is not 0: a
 * bit per high nibble (2: & ' +, 3: < >, 6: `, 7: DEL), set in lo for its
 * low nibbles; bytes from 0x80 have no bit in hi. */
__attribute__((target("avx2"))) static int has_special_avx2(const uint8_t *s, size_t n)
{
	const __m256i lo = _mm256_setr_epi8(4, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 0, 2, 8,
					    4, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 0, 2, 8);
	const __m256i hi = _mm256_setr_epi8(0, 0, 1, 2, 0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 1, 2, 0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i nib = _mm256_set1_epi8(0x0F);
	__m256i acc = _mm256_setzero_si256();
	/* 32 bytes a step; the last step ends at the text's end, overlapping
	 * the one before */
	for (size_t i = 0;; i += 32) {
		const uint8_t *at = n - i >= 32 ? s + i : s + n - 32;
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)at);
		__m256i l = _mm256_shuffle_epi8(lo, _mm256_and_si256(x, nib));
		__m256i h = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib));
		acc = _mm256_or_si256(acc, _mm256_and_si256(l, h));
		if (n - i <= 32)
			break;
	}
	return !_mm256_testz_si256(acc, acc);
}
#endif

static int text_has_special(const uint8_t *s, size_t n)
{
#if defined(HAVE_AVX2_SCAN)
	if (n >= 32 && __builtin_cpu_supports("avx2"))
		return has_special_avx2(s, n);
#endif
	return !canon_plain(s, n);
}

/*
 * A string at ps->p (on its quote).  Most strings are plain ASCII and short
 * (names, ids, times): they are taken here, 16 bytes a step, with the
 * canonical check on the same bytes; anything else (escapes, non-ASCII,
 * the last 16 bytes of the text) goes through parse_string_any.
 */
static ALWAYS_INLINE int parse_string(struct parser *ps, const char **out, size_t *outn)
{
#if defined(__SSE2__)
	const uint8_t *start = ps->p + 1, *p = start;
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
	unsigned special = 0, steps = 0;
	while (ps->end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
					    _mm_cmplt_epi8(x, sp));
		unsigned m = (unsigned)_mm_movemask_epi8(stop);
		unsigned k = m ? (unsigned)__builtin_ctz(m) : 16;
		if (ps->specials)
			special |= canon_special16(x) & ((1u << k) - 1);
		if (m == 0) {
			p += 16;
#ifdef HAVE_AVX2_SCAN
			/* a long string (a payload): the rest twice as wide */
			if (++steps == 4 && __builtin_cpu_supports("avx2"))
				p += plain_run_avx2(p, (size_t)(ps->end - p), ps->specials, &special);
#endif
			continue;
		}
		if (p[k] != '"')
			break;
		*out = (const char *)start;
		*outn = (size_t)(p + k - start);
		ps->p = p + k + 1;
		if (special)
			ps->canon = 0;
		return 0;
	}
#endif
	return parse_string_any(ps, out, outn);
}

static inline int isdigit_(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, kept as text. */
static int parse_number(struct parser *ps, struct lar_json *v)
{
	const uint8_t *s = ps->p, *p = s, *end = ps->end;
	if (*p == '-')
		p++;
	if (p >= end)
		return fail_end(ps);
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && isdigit_(*p))
			p++;
	} else {
		return fail(ps, LAR_JSONF_SYNTAX, p);
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end)
			return fail_end(ps);
		if (!isdigit_(*p))
			return fail(ps, LAR_JSONF_SYNTAX, p);
		while (p < end && isdigit_(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end)
			return fail_end(ps);
		if (!isdigit_(*p))
			return fail(ps, LAR_JSONF_SYNTAX, p);
		while (p < end && isdigit_(*p))
			p++;
	}
	if (p < end && isdigit_(*p)) /* a leading zero: "01" */
		return fail(ps, LAR_JSONF_SYNTAX, p);
	if (p - s == 2 && s[0] == '-' && s[1] == '0')
		ps->canon = 0; /* SPEC §1.4: written 0 */
	v->type = LAR_JSON_NUMBER;
	v->n = (size_t)(p - s);
	v->u.s = (const char *)s;
	ps->p = p;
	return 0;
}

static int parse_literal(struct parser *ps, const char *lit, size_t n, enum lar_json_type t,
			 struct lar_json *v)
{
	size_t avail = (size_t)(ps->end - ps->p);
	if (avail >= n && memcmp(ps->p, lit, n) == 0) {
		ps->p += n;
		v->type = t;
		v->n = 0;
		v->u.s = NULL;
		return 0;
	}
	if (avail < n && memcmp(ps->p, lit, avail) == 0)
		return fail_end(ps);
	return fail(ps, LAR_JSONF_SYNTAX, ps->p);
}

/* Make room for one more entry in a scratch stack that starts inline. */
static int grow(struct parser *ps, void **stack, size_t *cap, size_t size, void *inl)
{
	size_t ncap = *cap * 2;
	if (ncap > ps->scratch_max / size)
		return nomem(ps);
	void *np;
	if (*stack == inl) {
		np = malloc(ncap * size);
		if (np != NULL)
			memcpy(np, inl, *cap * size);
	} else {
		np = realloc(*stack, ncap * size);
	}
	if (np == NULL)
		return nomem(ps);
	*stack = np;
	*cap = ncap;
	return 0;
}

static int parse_value(struct parser *ps, struct lar_json *v, int depth);

/* After a value in a container closed by close: 1 when a ',' was taken (a
 * value follows), 0 on close (not taken), -1 on anything else. */
static inline int after_value(struct parser *ps, uint8_t close)
{
	skipws(ps);
	if (ps->p >= ps->end)
		return fail_end(ps);
	if (*ps->p == ',') {
		ps->p++;
		skipws(ps);
		return 1;
	}
	if (*ps->p == close)
		return 0;
	return fail(ps, LAR_JSONF_SYNTAX, ps->p);
}

/* The ':' after a member name, with any whitespace around it. */
static inline int name_colon(struct parser *ps)
{
	skipws(ps);
	if (ps->p >= ps->end)
		return fail_end(ps);
	if (*ps->p != ':')
		return fail(ps, LAR_JSONF_SYNTAX, ps->p);
	ps->p++;
	skipws(ps);
	return 0;
}

static int parse_array(struct parser *ps, struct lar_json *v, int depth)
{
	if (depth >= LAR_JSON_MAX_DEPTH) /* SPEC §2.3: nesting deeper than 64 */
		return fail(ps, LAR_JSONF_DEPTH, ps->p);
	size_t base = ps->nvals;
	ps->p++;
	skipws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		v->type = LAR_JSON_ARRAY;
		v->n = 0;
		v->u.items = no_items;
		return 0;
	}
	for (;;) {
		/* built in place on the scratch stack, as in parse_object */
		if (ps->nvals == ps->capvals &&
		    grow(ps, (void **)&ps->vals, &ps->capvals, sizeof *ps->vals, ps->vals_inline) != 0)
			return -1;
		if (ps->p < ps->end && (*ps->p == '{' || *ps->p == '[')) {
			struct lar_json nested;
			if (parse_value(ps, &nested, depth + 1) != 0)
				return -1;
			ps->vals[ps->nvals] = nested;
		} else if (parse_value(ps, &ps->vals[ps->nvals], depth + 1) != 0) {
			return -1;
		}
		ps->nvals++;
		int more = after_value(ps, ']');
		if (more < 0)
			return -1;
		if (!more)
			break;
	}
	ps->p++;
	size_t n = ps->nvals - base;
	struct lar_json *items = lar_arena_alloc(ps->a, n * sizeof *items);
	if (items == NULL)
		return nomem(ps);
	memcpy(items, ps->vals + base, n * sizeof *items);
	ps->nvals = base;
	v->type = LAR_JSON_ARRAY;
	v->n = n;
	v->u.items = items;
	return 0;
}

/* Byte order of member names; any total order serves the duplicate check.
 * Eight bytes a step, read big-endian so that word order is byte order. */
static int keycmp(const struct lar_json_member *x, const struct lar_json_member *y)
{
	const uint8_t *a = (const uint8_t *)x->key, *b = (const uint8_t *)y->key;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t p, q;
		memcpy(&p, a + i, 8);
		memcpy(&q, b + i, 8);
		if (p != q) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			p = __builtin_bswap64(p);
			q = __builtin_bswap64(q);
#endif
			return p < q ? -1 : 1;
		}
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

static int keyeq(const struct lar_json_member *x, const struct lar_json_member *y)
{
	return x->keylen == y->keylen && (x->keylen == 0 || lar_mem_eq(x->key, y->key, x->keylen));
}

static int idxcmp(const void *x, const void *y)
{
	return keycmp(*(const struct lar_json_member *const *)x, *(const struct lar_json_member *const *)y);
}

/* The duplicate fault: at the later name's quote when it lies in the source,
 * else (a name with escapes, decoded into the arena) at the closing brace. */
LAR_COLD static int dupfault(struct parser *ps, const struct lar_json_member *later, const uint8_t *close)
{
	uintptr_t k = (uintptr_t)later->key;
	const uint8_t *at = close;
	if (k > (uintptr_t)ps->src && k <= (uintptr_t)ps->end)
		at = (const uint8_t *)k - 1;
	return fail(ps, LAR_JSONF_DUPLICATE, at);
}

/* Fallback: sort pointers by name and compare neighbours, O(n log n) always. */
static int dupcheck_sorted(struct parser *ps, const struct lar_json_member *m, size_t n,
			   const uint8_t *close)
{
	const struct lar_json_member **idx = malloc(n * sizeof *idx);
	if (idx == NULL)
		return nomem(ps);
	for (size_t i = 0; i < n; i++)
		idx[i] = &m[i];
	qsort(idx, n, sizeof *idx, idxcmp);
	for (size_t i = 1; i < n; i++) {
		if (!keyeq(idx[i - 1], idx[i]))
			continue;
		/* the later of the two in source order: the higher address in the member array */
		const struct lar_json_member *later = idx[i] > idx[i - 1] ? idx[i] : idx[i - 1];
		free(idx);
		return dupfault(ps, later, close);
	}
	free(idx);
	return 0;
}

/*
 * A hash of a name from its length and its first and last (up to) 8 bytes,
 * read as whole words: cheap, and good for real names.  Names chosen to
 * collide only spend the probe budget of dupcheck (then it sorts).
 */
static uint64_t keyhash(const char *k, size_t n)
{
	uint64_t a = 0, b = 0;
	if (n >= 8) {
		memcpy(&a, k, 8);
		memcpy(&b, k + n - 8, 8);
	} else if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, k, 4);
		memcpy(&y, k + n - 4, 4);
		a = x;
		b = y;
	} else if (n > 0) {
		const uint8_t *u = (const uint8_t *)k;
		a = (uint64_t)u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16;
	}
	uint64_t h = (a ^ (0x9E3779B97F4A7C15u * (n + 1))) * 0xBF58476D1CE4E5B9u;
	h = (h ^ (h >> 29) ^ b) * 0x94D049BB133111EBu;
	return h ^ h >> 31;
}

/*
 * Duplicate check of an object whose names are not in ascending order.
 * Small ones pairwise; others through an open-addressing hash table of member
 * indexes.  Names are chosen by the sender, so collisions can be forced: past
 * a probe budget linear in n the check falls back to sorting, which keeps the
 * worst case at O(n log n).
 */
static int dupcheck(struct parser *ps, const struct lar_json_member *m, size_t n, const uint8_t *close)
{
	if (n <= PAIRWISE_MAX) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (keyeq(&m[j], &m[i]))
					return dupfault(ps, &m[i], close);
		return 0;
	}
	if (n > UINT32_MAX / 4 || n > ps->scratch_max / (4 * sizeof *ps->tab))
		return dupcheck_sorted(ps, m, n, close);
	size_t cap = 32; /* small tables for small objects: the table is cleared each time */
	while (cap < 2 * n)
		cap *= 2;
	if (cap > ps->captab) {
		uint32_t *nt = ps->tab == ps->tab_inline ? NULL : ps->tab;
		nt = realloc(nt, cap * sizeof *nt);
		if (nt == NULL)
			return nomem(ps);
		ps->tab = nt;
		ps->captab = cap;
	}
	memset(ps->tab, 0, cap * sizeof *ps->tab);
	size_t budget = 4 * n + 64, mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)keyhash(m[i].key, m[i].keylen) & mask;
		for (uint32_t e; (e = ps->tab[h]) != 0; h = (h + 1) & mask) {
			if (keyeq(&m[e - 1], &m[i]))
				return dupfault(ps, &m[i], close);
			if (--budget == 0)
				return dupcheck_sorted(ps, m, n, close);
		}
		ps->tab[h] = (uint32_t)i + 1;
	}
	return 0;
}

/* 1 when name m can be kept in a memo: its raw text in the source is the
 * name itself, in printable ASCII that the canonical form writes as is. */
static int memo_plain(const struct parser *ps, const struct lar_json_member *m)
{
	const uint8_t *k = (const uint8_t *)m->key;
	if (k <= ps->src || k + m->keylen >= ps->end || k[-1] != '"' || k[m->keylen] != '"')
		return 0; /* escaped: decoded into the arena */
	for (size_t i = 0; i < m->keylen; i++)
		if (k[i] < 0x20 || k[i] >= 0x7F || k[i] == '"' || k[i] == '\\' || canon_special[k[i]])
			return 0;
	return 1;
}

/* Length of name i of mo (quotes and colon included) when the text at p is
 * that name with its quotes and colon, else 0. */
static inline size_t memo_name_at(const struct memo_obj *mo, size_t i, const uint8_t *p, const uint8_t *end)
{
	if (i >= mo->n)
		return 0;
	size_t kl = (size_t)(mo->off[i + 1] - mo->off[i]);
	return (size_t)(end - p) >= kl && lar_mem_eq(p, mo->text + mo->off[i], kl) ? kl : 0;
}

/* Keep the names of an object that passed the duplicate check. */
static void memo_store(const struct parser *ps, struct memo_obj *mo, const struct lar_json_member *m,
		       size_t n)
{
	size_t used = 0;
	uint64_t up = 0;
	mo->n = 0;
	mo->shape = 0;
	if (n > MEMO_KEYS)
		return;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *colon = (const uint8_t *)m[i].key + m[i].keylen + 1; /* within: a value follows */
		if (!memo_plain(ps, &m[i]) || *colon != ':' || used + m[i].keylen + 3 > MEMO_BYTES)
			return;
		mo->off[i] = (uint16_t)used;
		memcpy(mo->text + used, m[i].key - 1, m[i].keylen + 3);
		used += m[i].keylen + 3;
		/* kept names are ASCII, where byte and UTF-16 order agree: one bit
		 * serves the duplicate check and the canonical order */
		if (i > 0 && lar_json_u16cmp(m[i - 1].key, m[i - 1].keylen, m[i].key, m[i].keylen) < 0)
			up |= 1ull << i;
	}
	mo->off[n] = (uint16_t)used;
	mo->up = up;
	mo->n = (uint16_t)n;
	/* a new shape for every set kept, never one used before: after 2^32 - 1
	 * sets, none (a shape shared by two sets of names would be a lie) */
	struct lar_json_memo *memo = ps->memo;
	mo->shape = memo->next_shape;
	if (memo->next_shape != 0)
		memo->next_shape++;
}

/*
 * Values left out of the tree (lar_json_parse_kept): the same grammar, the
 * same strings, the same duplicate check, nothing built.  An object's names
 * wait on the scratch stack for its duplicate check, decoded names in the
 * arena until the object closes; strings that are values are never held.
 */
static int skip_array(struct parser *ps, struct lar_json *v, int depth)
{
	if (depth >= LAR_JSON_MAX_DEPTH) /* SPEC §2.3: nesting deeper than 64 */
		return fail(ps, LAR_JSONF_DEPTH, ps->p);
	ps->next_keep = NULL;
	ps->skip++;
	ps->p++;
	skipws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
	} else {
		for (;;) {
			struct lar_json item;
			if (parse_value(ps, &item, depth + 1) != 0)
				return -1;
			int more = after_value(ps, ']');
			if (more < 0)
				return -1;
			if (!more)
				break;
		}
		ps->p++;
	}
	ps->skip--;
	v->type = LAR_JSON_ARRAY;
	v->n = 0;
	v->u.items = no_items;
	return 0;
}

static int skip_object(struct parser *ps, struct lar_json *v, int depth)
{
	if (depth >= LAR_JSON_MAX_DEPTH) /* SPEC §2.3: nesting deeper than 64 */
		return fail(ps, LAR_JSONF_DEPTH, ps->p);
	struct lar_arena_mark mark;
	lar_arena_mark(ps->a, &mark);
	size_t base = ps->nmems;
	int ascending = 1;
	ps->next_keep = NULL;
	ps->skip++;
	ps->p++;
	skipws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		goto done;
	}
	for (;;) {
		struct lar_json_member m;
		const uint8_t *keyat = ps->p;
		if (keyat >= ps->end)
			return fail_end(ps);
		if (*keyat != '"')
			return fail(ps, LAR_JSONF_SYNTAX, keyat);
		if (parse_string(ps, &m.key, &m.keylen) != 0)
			return -1;
		/* SPEC §2.3: duplicate names, as in parse_object */
		if (ascending && ps->nmems > base) {
			int c = keycmp(&ps->mems[ps->nmems - 1], &m);
			if (c == 0)
				return fail(ps, LAR_JSONF_DUPLICATE, keyat);
			ascending = c < 0;
		}
		if (name_colon(ps) != 0 || parse_value(ps, &m.value, depth + 1) != 0)
			return -1;
		/* the name joins the stack once its value (which may use the stack) is done */
		if (ps->nmems == ps->capmems &&
		    grow(ps, (void **)&ps->mems, &ps->capmems, sizeof *ps->mems, ps->mems_inline) != 0)
			return -1;
		ps->mems[ps->nmems++] = m;
		int more = after_value(ps, '}');
		if (more < 0)
			return -1;
		if (!more)
			break;
	}
	const uint8_t *close = ps->p++;
	if (!ascending && dupcheck(ps, ps->mems + base, ps->nmems - base, close) != 0)
		return -1;
	ps->nmems = base;
	lar_arena_release(ps->a, &mark);
done:
	ps->skip--;
	v->type = LAR_JSON_OBJECT;
	v->shape = 0;
	v->n = 0;
	v->u.members = no_members;
	return 0;
}

/* The entry of filter k that names key[0..n), or -1 (left out). */
static int kept_index(const struct lar_json_keep *k, const char *key, size_t n)
{
	for (size_t i = 0; i < k->n && i < LAR_JSON_KEEP_MAX; i++)
		if (k->names[i].len == n && lar_mem_eq(k->names[i].name, key, n))
			return (int)i;
	return -1;
}

/* A member value left out of the tree (a sentinel past the public types). */
#define LEFT_OUT ((enum lar_json_type)(LAR_JSON_OBJECT + 1))

/* An object; filtered: 1 when ps->next_keep is set (compiled twice, so that
 * an object without a filter pays nothing for them). */
static ALWAYS_INLINE int object(struct parser *ps, struct lar_json *v, int depth, const int filtered)
{
	if (depth >= LAR_JSON_MAX_DEPTH) /* SPEC §2.3: nesting deeper than 64 */
		return fail(ps, LAR_JSONF_DEPTH, ps->p);
	size_t base = ps->nmems;
	int ascending = 1;
	const struct lar_json_keep *keep = filtered ? ps->next_keep : NULL; /* lar_json_parse_kept's */
	int by_name = keep != NULL && !keep->scalars; /* every member looked up */
	size_t left_out = 0;
	ps->next_keep = NULL;
	/* the names of this object in the last record: while they repeat, the
	 * same bytes give the same names, the same order and no duplicate */
	size_t obj = ps->nobj++;
	unsigned way = 0;
	int switched = 0;
	struct memo_obj *mo = NULL;
	if (ps->memo != NULL && obj < MEMO_OBJECTS) {
		way = ps->memo->recent[obj];
		mo = &ps->memo->obj[obj][way];
	}
	size_t hits = 0; /* leading names equal to the memo's */
	ps->p++;
	skipws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		v->type = LAR_JSON_OBJECT;
		v->shape = 0;
		v->n = 0;
		v->u.members = no_members;
		return 0;
	}
	for (;;) {
		/* the member is built in place at the top of the scratch stack (a
		 * nested container, which uses the stack too, is parsed aside) */
		if (ps->nmems == ps->capmems &&
		    grow(ps, (void **)&ps->mems, &ps->capmems, sizeof *ps->mems, ps->mems_inline) != 0)
			return -1;
		struct lar_json_member *m = &ps->mems[ps->nmems];
		const uint8_t *keyat = ps->p;
		size_t i = ps->nmems - base;
		if (mo != NULL && hits == i) {
			size_t kl = memo_name_at(mo, i, keyat, ps->end);
			if (kl == 0 && !switched) {
				/* the other shape, if it has the same names so far */
				struct memo_obj *alt = &ps->memo->obj[obj][way ^ 1];
				switched = 1;
				if (alt->n > i && alt->off[i] == mo->off[i] &&
				    memcmp(alt->text, mo->text, mo->off[i]) == 0 &&
				    (kl = memo_name_at(alt, i, keyat, ps->end)) != 0) {
					mo = alt;
					way ^= 1;
				}
			}
			if (kl != 0) {
				m->key = (const char *)keyat + 1;
				m->keylen = kl - 3;
				ps->p = keyat + kl; /* past the colon */
				hits++;
				if (i > 0 && !(mo->up >> i & 1)) {
					ascending = 0;
					ps->canon = 0;
				}
				skipws(ps);
				goto value;
			}
		}
		if (keyat >= ps->end)
			return fail_end(ps);
		if (*keyat != '"')
			return fail(ps, LAR_JSONF_SYNTAX, keyat);
		if (parse_string(ps, &m->key, &m->keylen) != 0)
			return -1;
		/* SPEC §2.3: duplicate member names, compared after unescaping.  While
		 * the names ascend in byte order, each differs from all before it. */
		if (ascending && ps->nmems > base) {
			int c = keycmp(m - 1, m);
			if (c == 0)
				return fail(ps, LAR_JSONF_DUPLICATE, keyat);
			ascending = c < 0;
		}
		/* SPEC §1.4: canonical names ascend in UTF-16 order, which differs
		 * from byte order beyond ASCII (so it is tracked on its own) */
		if (ps->canon && ps->want_canon && ps->nmems > base &&
		    lar_json_u16cmp(m[-1].key, m[-1].keylen, m->key, m->keylen) >= 0)
			ps->canon = 0;
		if (ps->end - ps->p >= 2 && ps->p[0] == ':' && ps->p[1] > ' ') {
			ps->p++; /* compact JSON, the usual case: no whitespace to skip */
		} else if (name_colon(ps) != 0) {
			return -1;
		}
	value:;
		int entry = 0;
		if (filtered && (by_name || (ps->p < ps->end && (*ps->p == '{' || *ps->p == '[')))) {
			entry = kept_index(keep, m->key, m->keylen);
			if (entry < 0) { /* a member the caller does not read */
				struct lar_json_member out = { m->key, m->keylen, { 0, 0, 0, { NULL } } };
				ps->skip++;
				if (parse_value(ps, &out.value, depth + 1) != 0)
					return -1;
				ps->skip--;
				out.value.type = LEFT_OUT;
				ps->mems[ps->nmems] = out; /* the stack may have moved */
				left_out++;
				goto next;
			}
		}
		if (ps->p < ps->end && *ps->p == '"') { /* the usual value, without a call */
			m->value.type = LAR_JSON_STRING;
			if (parse_string(ps, &m->value.u.s, &m->value.n) != 0)
				return -1;
		} else if (ps->p < ps->end && (*ps->p == '{' || *ps->p == '[')) {
			/* the nested object's members overwrite this slot: keep the name */
			struct lar_json_member whole = { m->key, m->keylen, { 0, 0, 0, { NULL } } };
			ps->next_keep = filtered ? keep->names[entry].sub : NULL;
			if (parse_value(ps, &whole.value, depth + 1) != 0)
				return -1;
			ps->mems[ps->nmems] = whole; /* the stack may have moved */
		} else if (parse_value(ps, &m->value, depth + 1) != 0) {
			return -1;
		}
	next:
		ps->nmems++;
		if (ps->end - ps->p >= 2 && ps->p[0] == ',' && ps->p[1] > ' ') {
			ps->p++;
			continue;
		}
		int more = after_value(ps, '}');
		if (more < 0)
			return -1;
		if (!more)
			break;
	}
	const uint8_t *close = ps->p++;
	size_t n = ps->nmems - base;
	const struct lar_json_member *all = ps->mems + base; /* every name, left out or kept */
	int same = mo != NULL && hits == n && n == mo->n; /* names checked before */
	if (!same && !ascending && dupcheck(ps, all, n, close) != 0)
		return -1;
	uint32_t shape = 0;
	if (mo != NULL) {
		if (!same) /* replace the way used least recently */
			way = ps->memo->recent[obj] ^ 1;
		ps->memo->recent[obj] = (uint8_t)way;
		if (!same)
			memo_store(ps, &ps->memo->obj[obj][way], all, n);
		/* the members built are the memo's names only when none was left out */
		const struct memo_obj *now = &ps->memo->obj[obj][way];
		if (left_out == 0 && now->n == n)
			shape = now->shape;
	}
	struct lar_json_member *members = lar_arena_alloc(ps->a, (n - left_out) * sizeof *members);
	if (members == NULL)
		return nomem(ps);
	if (left_out == 0) {
		memcpy(members, all, n * sizeof *members);
	} else {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (all[i].value.type != LEFT_OUT)
				members[k++] = all[i];
	}
	ps->nmems = base;
	v->type = LAR_JSON_OBJECT;
	v->shape = shape;
	v->n = n - left_out;
	v->u.members = members;
	return 0;
}

static int parse_object(struct parser *ps, struct lar_json *v, int depth)
{
	return ps->next_keep != NULL ? object(ps, v, depth, 1) : object(ps, v, depth, 0);
}

static int parse_value(struct parser *ps, struct lar_json *v, int depth)
{
	if (ps->p >= ps->end)
		return fail_end(ps);
	switch (*ps->p) {
	case '{':
		if (ps->skip || (ps->next_keep != NULL && ps->next_keep->n == 0 && !ps->next_keep->scalars))
			return skip_object(ps, v, depth);
		return parse_object(ps, v, depth);
	case '[':
		return ps->skip || ps->next_keep != NULL ? skip_array(ps, v, depth) : parse_array(ps, v, depth);
	case '"':
		v->type = LAR_JSON_STRING;
		if (ps->skip) {
			ps->discard = 1;
			int r = parse_string(ps, &v->u.s, &v->n);
			ps->discard = 0;
			return r;
		}
		return parse_string(ps, &v->u.s, &v->n);
	case 't':
		return parse_literal(ps, "true", 4, LAR_JSON_TRUE, v);
	case 'f':
		return parse_literal(ps, "false", 5, LAR_JSON_FALSE, v);
	case 'n':
		return parse_literal(ps, "null", 4, LAR_JSON_NULL, v);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(ps, v);
	default:
		return fail(ps, LAR_JSONF_SYNTAX, ps->p);
	}
}

static lar_status parse(const uint8_t *src, size_t len, struct lar_arena *a, struct lar_json_memo *memo,
			const struct lar_json_keep *keep, const struct lar_json **out, struct lar_json_error *err,
			int *canonical)
{
	struct parser ps;
	struct lar_json v, *root;
	ps.src = ps.p = src;
	ps.end = src + len;
	ps.a = a;
	ps.vals = ps.vals_inline;
	ps.capvals = INLINE_VALS;
	ps.mems = ps.mems_inline;
	ps.capmems = INLINE_MEMS;
	ps.nvals = ps.nmems = 0;
	ps.tab = ps.tab_inline;
	ps.captab = INLINE_TAB;
	ps.scratch_max = a->max ? a->max : SIZE_MAX;
	ps.memo = memo;
	ps.nobj = 0;
	ps.next_keep = keep;
	ps.skip = 0;
	ps.discard = 0;
	ps.want_canon = canonical != NULL;
	ps.specials = ps.want_canon && text_has_special(src, len);
	ps.canon = 1;
	ps.fault = LAR_JSONF_NONE;
	ps.fault_off = 0;
	ps.st = LAR_OK;
	*out = NULL;

	/* SPEC §2.3: a byte-order mark is malformed (RFC 8259 §8.1: MUST NOT add one) */
	if (len >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF) {
		fail(&ps, LAR_JSONF_BOM, src);
		goto out;
	}
	skipws(&ps);
	if (ps.p == ps.end) {
		fail(&ps, LAR_JSONF_EMPTY, ps.p);
		goto out;
	}
	if (parse_value(&ps, &v, 0) != 0)
		goto out;
	skipws(&ps);
	if (ps.p != ps.end) { /* SPEC §2.3: trailing bytes */
		fail(&ps, LAR_JSONF_TRAILING, ps.p);
		goto out;
	}
	root = lar_arena_alloc(a, sizeof *root);
	if (root == NULL) {
		nomem(&ps);
		goto out;
	}
	*root = v;
	*out = root;
out:
	if (ps.vals != ps.vals_inline)
		free(ps.vals);
	if (ps.mems != ps.mems_inline)
		free(ps.mems);
	if (ps.tab != ps.tab_inline)
		free(ps.tab);
	if (err != NULL) {
		err->fault = ps.st == LAR_E_SYNTAX ? ps.fault : LAR_JSONF_NONE;
		err->offset = ps.st == LAR_E_SYNTAX ? ps.fault_off : 0;
	}
	if (canonical != NULL)
		*canonical = ps.st == LAR_OK && ps.canon;
	return ps.st;
}

lar_status lar_json_parse(const uint8_t *src, size_t len, struct lar_arena *a,
			  const struct lar_json **out, struct lar_json_error *err)
{
	return parse(src, len, a, NULL, NULL, out, err, NULL);
}

lar_status lar_json_parse_canonical(const uint8_t *src, size_t len, struct lar_arena *a,
				    const struct lar_json **out, struct lar_json_error *err, int *canonical)
{
	return parse(src, len, a, NULL, NULL, out, err, canonical);
}

lar_status lar_json_memo_new(struct lar_json_memo **out)
{
	*out = calloc(1, sizeof **out);
	if (*out == NULL)
		return LAR_E_NOMEM;
	(*out)->next_shape = 1;
	return LAR_OK;
}

void lar_json_memo_free(struct lar_json_memo *m)
{
	free(m);
}

lar_status lar_json_parse_memo(const uint8_t *src, size_t len, struct lar_arena *a,
			       struct lar_json_memo *memo, const struct lar_json **out,
			       struct lar_json_error *err, int *canonical)
{
	return parse(src, len, a, memo, NULL, out, err, canonical);
}

lar_status lar_json_parse_kept(const uint8_t *src, size_t len, struct lar_arena *a, struct lar_json_memo *memo,
			       const struct lar_json_keep *keep, const struct lar_json **out,
			       struct lar_json_error *err)
{
	return parse(src, len, a, memo, keep, out, err, NULL);
}

const char *lar_json_fault_name(enum lar_json_fault f)
{
	switch (f) {
	case LAR_JSONF_NONE: return "no fault";
	case LAR_JSONF_SYNTAX: return "syntax error";
	case LAR_JSONF_UTF8: return "invalid UTF-8";
	case LAR_JSONF_BOM: return "byte-order mark";
	case LAR_JSONF_ESCAPE: return "bad escape sequence";
	case LAR_JSONF_SURROGATE: return "lone or reversed surrogate escape";
	case LAR_JSONF_NUL: return "U+0000 in a string";
	case LAR_JSONF_CONTROL: return "raw control character in a string";
	case LAR_JSONF_DEPTH: return "nesting too deep";
	case LAR_JSONF_DUPLICATE: return "duplicate member name";
	case LAR_JSONF_TRAILING: return "bytes after the value";
	case LAR_JSONF_EMPTY: return "no value";
	case LAR_JSONF_TRUNCATED: return "text ends inside a value";
	}
	return "unknown fault";
}
