/*
 * reader.c - split an input stream into records (SPEC §2.1); see reader.h.
 *
 * The reader keeps a window [pos, end) of the stream in buf.  A record is
 * found by a structural scan: string bodies (with escapes) are skipped and
 * brackets counted; validation is left to the strict parser.  Everything is
 * tracked as absolute stream offsets so the window can slide.
 *
 * Not for: JSON validation or verdicts.
 */
#include "reader.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#if defined(__SSE2__) && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HAVE_AVX2_MASKS 1
#endif

/* 64 KiB a read: the bytes a read() copies are still in the L2 cache when
 * the line search and the parser reach them (1 MiB reads were measurably
 * slower: the copy evicted its own start) */
#ifndef READ_CHUNK /* tests/test_reader_hold.c compiles a copy with tiny reads */
#define READ_CHUNK (1u << 16)
#endif
#define HOLD_ROOM_MAX (4u << 20) /* see fill() */
/* Bytes one call may skip (blanks between values, or lines while
 * resynchronising) under a hold before it gives up with LAR_E_AGAIN: held
 * bytes stay in memory until released, and a run of blanks has no cap. */
#ifndef HOLD_SKIP_MAX /* ... and with a tiny one */
#define HOLD_SKIP_MAX (1u << 20)
#endif
#ifndef LAR_READER_NO_MEMO /* tests/test_reader_memo.c compiles a copy without the memo */
#define LAR_READER_NO_MEMO 0
#endif
#ifndef LAR_READER_NO_FAST /* ... and without the 64-byte path, as the reference of both */
#define LAR_READER_NO_FAST 0
#endif
/* Deeper than the strict parser's limit is certainly malformed (SPEC §2.3):
 * stopping there also bounds how far a rescan after a broken value can run
 * (at most this many unclosed values can be pending at once). */
#include "json.h"
#define SCAN_MAX_DEPTH (LAR_JSON_MAX_DEPTH + 1)

struct lar_reader {
	int fd;
	size_t max_record;
	uint8_t *buf;
	size_t cap;
	uint64_t base;      /* stream offset of buf[0] */
	size_t pos, end;    /* window of unconsumed bytes in buf */
	uint64_t line;      /* line number of buf[pos] */
	int eof;
	int in_array;       /* inside a top-level array */
	int array_state;    /* 0: after '[' (element or ']'), 1: after element, 2: after ',' */
	uint64_t array_line; /* where the top-level array began */
	int resync;         /* skip to the next line starting with '{' or '[' */
	/* the record being scanned */
	uint64_t cand_off;  /* stream offset of a resync candidate inside it, or 0 */
	uint64_t cand_line;
	/* values opened by resync candidates and not closed yet (depths rise) */
	struct pend {
		uint64_t off, line; /* where the candidate line starts */
		size_t depth;       /* nesting depth before its bracket */
		uint64_t next_off, next_line; /* the next candidate after it, or 0 */
	} pend[SCAN_MAX_DEPTH + 1];
	size_t npend;
	/*
	 * After a broken scan whose first candidate C never closed: the rescan
	 * from C sees the same bytes up to where the broken scan stopped, with
	 * C's share of the nesting, so it resumes there instead of reading them
	 * again.  This keeps hostile input (thousands of unclosed lines) linear.
	 */
	struct memo {
		int valid;
		uint64_t start;     /* C: the rescan this memo is for */
		uint64_t resume;    /* stream offset where that scan goes on */
		uint64_t lines;     /* line feeds from C to resume */
		size_t depth;
		uint8_t stack[SCAN_MAX_DEPTH];
		int in_str, esc, after_nl;
		uint64_t cand_off, cand_line; /* C's first candidate */
		struct pend pend[SCAN_MAX_DEPTH + 1];
		size_t npend;
	} memo;
	int failed;         /* a read failed: every later fill() gives ioerr again */
	struct lar_err ioerr;
	int holding;        /* lar_reader_hold(): keep bytes from hold_off */
	uint64_t hold_off;
	struct lar_record last; /* for lar_reader_fail() */
	int last_ok;
	int tentative;      /* lar_reader_tentative() */
	/* lar_reader_retry(): no value starting on this line (the retried one
	 * included) is taken on trust again; 0 (no line) before any retry */
	uint64_t retried_line;
	/* where the first line feed at or after nl_from is (nl_at), or that
	 * there is none before nl_to (nl_at == 0): memchr never runs over the
	 * same bytes twice, even when many values share one long line */
	uint64_t nl_from, nl_to, nl_at;
};

lar_status lar_reader_new(int fd, size_t max_record, struct lar_reader **out, struct lar_err *e)
{
	struct lar_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	r->fd = fd;
	r->max_record = max_record ? max_record : LAR_READER_DEFAULT_MAX_RECORD;
	r->cap = READ_CHUNK * 2;
	r->buf = malloc(r->cap);
	if (r->buf == NULL) {
		free(r);
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	}
	r->line = 1;
	*out = r;
	return LAR_OK;
}

void lar_reader_free(struct lar_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

uint64_t lar_reader_offset(const struct lar_reader *r)
{
	return r->base + r->pos;
}

/* Make room and read more.  keep_from: buffer index from which bytes must be
 * kept (<= pos).  Returns 1 when bytes were added, 0 at EOF, -1 on error.
 * Indexes into buf shift by the returned *shift. */
static int fill(struct lar_reader *r, size_t keep_from, size_t *shift, struct lar_err *e)
{
	*shift = 0;
	if (r->failed) {
		if (e != NULL)
			*e = r->ioerr;
		return -1;
	}
	if (r->eof)
		return 0;
	if (r->holding && r->hold_off >= r->base && r->hold_off - r->base < keep_from)
		keep_from = (size_t)(r->hold_off - r->base);
	/* and the byte before: recover() looks back one byte for a line feed,
	 * whatever the reads made of the buffer */
	if (keep_from > 0)
		keep_from--;
	/* room for a read; under a hold (read-ahead), for twice the bytes kept,
	 * so that the held bytes (moved to the front when the room runs out)
	 * are moved about once per twice as many read, not at every read - but
	 * not for a held span of HOLD_ROOM_MAX or more (a record near the cap):
	 * that room would pass the cap below and be cut back at every read */
	size_t want = READ_CHUNK, kept = r->end - keep_from;
	if (r->holding && kept > want / 2 && kept < HOLD_ROOM_MAX)
		want = 2 * kept;
	/* to the front when the room runs out, or at once when nothing but
	 * that byte is kept (it costs nothing then) */
	if (keep_from > 0 && (r->cap - r->end < want || kept <= 1)) {
		memmove(r->buf, r->buf + keep_from, r->end - keep_from);
		r->end -= keep_from;
		r->pos -= keep_from;
		r->base += keep_from;
		*shift = keep_from;
	}
	if (r->cap - r->end < want) {
		/* grow only as far as one record at the cap needs (bounded RSS) */
		size_t ncap = r->cap * 2;
		while (ncap - r->end < want)
			ncap *= 2;
		if (ncap > r->max_record + 3 * (size_t)READ_CHUNK)
			ncap = r->end + 2 * (size_t)READ_CHUNK;
		uint8_t *nb = realloc(r->buf, ncap);
		if (nb == NULL) {
			lar_err_set(e, LAR_E_NOMEM, "out of memory");
			return -1;
		}
		r->buf = nb;
		r->cap = ncap;
	}
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n > 0) {
			r->end += (size_t)n;
			return 1;
		}
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* a non-blocking descriptor (an inherited standard input):
			 * wait for bytes rather than call it an error */
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
			if (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
				continue;
		}
		/* sticky: a rewind into held bytes (lar_reader_fail_at) reads them
		 * again up to this error, even from a descriptor whose next read
		 * would succeed (a reset socket reports end of file next) */
		/* the caller names the input; this says where in it */
		lar_err_sys(&r->ioerr, LAR_E_IO, errno, "read error after %llu bytes (in the record from line %llu)",
			    (unsigned long long)(r->base + r->end), (unsigned long long)r->line);
		r->failed = 1;
		if (e != NULL)
			*e = r->ioerr;
		return -1;
	}
}

static inline int is_ws(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Under a hold, this call has skipped more than HOLD_SKIP_MAX bytes since
 * stream offset from. */
static int skipped_enough(const struct lar_reader *r, uint64_t from)
{
	return r->holding && r->base + r->pos - from > HOLD_SKIP_MAX;
}

/* Skip to the next line whose first byte is '{' or '['.  Returns 1 when
 * positioned there, 0 at EOF, -1 on error, 2 when a hold makes it stop
 * (skipped_enough since from) before it reads more. */
static int do_resync(struct lar_reader *r, uint64_t from, struct lar_err *e)
{
	for (;;) {
		uint8_t *nl = r->pos < r->end ? memchr(r->buf + r->pos, '\n', r->end - r->pos) : NULL;
		if (nl == NULL) {
			r->pos = r->end;
			if (skipped_enough(r, from))
				return 2;
			size_t shift;
			int f = fill(r, r->pos, &shift, e);
			if (f <= 0)
				return f;
			continue;
		}
		r->pos = (size_t)(nl - r->buf) + 1;
		r->line++;
		if (r->pos == r->end) {
			if (skipped_enough(r, from)) {
				/* stop on the line feed, not after it: the next
				 * call must see the first byte of the line after */
				r->pos--;
				r->line--;
				return 2;
			}
			size_t shift;
			int f = fill(r, r->pos, &shift, e);
			if (f <= 0)
				return f;
		}
		if (r->buf[r->pos] == '{' || r->buf[r->pos] == '[') {
			r->resync = 0;
			return 1;
		}
	}
}

enum scan_result { SCAN_DONE, SCAN_BROKEN, SCAN_TOO_BIG, SCAN_ERR };

/* Bytes that end a run of ordinary string content. */
static const uint8_t str_stop[256] = { ['"'] = 1, ['\\'] = 1, ['\n'] = 1 };

#ifdef HAVE_AVX2_MASKS
/* skip_plain's loop 32 bytes a step (AVX2, chosen at run time): the first
 * stop byte in p[0..e - p) if any, else where whole steps end. */
__attribute__((target("avx2"))) static const uint8_t *skip_plain_avx2(const uint8_t *p, const uint8_t *e)
{
	const __m256i q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\'), nl = _mm256_set1_epi8('\n');
	for (; e - p >= 32; p += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i qb = _mm256_or_si256(_mm256_cmpeq_epi8(x, q), _mm256_cmpeq_epi8(x, bs));
		__m256i hit = _mm256_or_si256(qb, _mm256_cmpeq_epi8(x, nl));
		unsigned m = (unsigned)_mm256_movemask_epi8(hit);
		if (m != 0)
			return p + __builtin_ctz(m);
	}
	return p;
}
#endif

/* Index of the first '"', '\\' or '\n' in buf[i..end), or end: 16 bytes a
 * step with SSE2 where the compiler has it (every x86-64), 32 with AVX2
 * after the first step (a long string: the payload), else a table. */
static size_t skip_plain(const uint8_t *buf, size_t i, size_t end)
{
	const uint8_t *p = buf + i, *e = buf + end;
#if defined(__SSE2__)
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), nl = _mm_set1_epi8('\n');
#ifdef HAVE_AVX2_MASKS
	int first = 1;
#endif
	while (e - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
					   _mm_cmpeq_epi8(x, nl));
		int m = _mm_movemask_epi8(hit);
		if (m != 0)
			return (size_t)(p - buf) + (size_t)__builtin_ctz((unsigned)m);
		p += 16;
#ifdef HAVE_AVX2_MASKS
		if (first && e - p >= 64 && __builtin_cpu_supports("avx2")) {
			p = skip_plain_avx2(p, e);
			if (e - p >= 32)
				return (size_t)(p - buf);
		}
		first = 0;
#endif
	}
#endif
	while (p < e && !str_stop[*p])
		p++;
	return (size_t)(p - buf);
}

#if defined(__SSE2__)
/* Structural bit masks of 64 bytes: bit i describes p[i]. */
struct masks {
	uint64_t quote, bslash, nl, bracket; /* bracket: any of { } [ ] */
	uint64_t str;                        /* bit i: xor of quote bits 0..i */
};

static inline void masks16(const uint8_t *p, int k, struct masks *m)
{
	const __m128i f = _mm_set1_epi8(0x20);
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
	__m128i xf = _mm_or_si128(x, f); /* '[' | 0x20 == '{', ']' | 0x20 == '}' */
	m->quote |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"'))) << (16 * k);
	m->bslash |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))) << (16 * k);
	m->nl |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))) << (16 * k);
	__m128i br = _mm_or_si128(_mm_cmpeq_epi8(xf, _mm_set1_epi8('{')),
				  _mm_cmpeq_epi8(xf, _mm_set1_epi8('}')));
	m->bracket |= (uint64_t)(uint16_t)_mm_movemask_epi8(br) << (16 * k);
}

/* Bit i = xor of bits 0..i: the string mask from the quote mask. */
static inline uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

static void masks64_sse2(const uint8_t *p, struct masks *m)
{
	m->quote = m->bslash = m->nl = m->bracket = 0;
	masks16(p, 0, m);
	masks16(p, 1, m);
	masks16(p, 2, m);
	masks16(p, 3, m);
	m->str = prefix_xor(m->quote);
}

#ifdef HAVE_AVX2_MASKS
/* The same, 32 bytes a step, and the prefix xor as one carry-less multiply
 * by all ones (AVX2 and PCLMUL, chosen at run time). */
__attribute__((target("avx2,pclmul"))) static void masks64_avx2(const uint8_t *p, struct masks *m)
{
	const __m256i f = _mm256_set1_epi8(0x20), q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
	const __m256i nl = _mm256_set1_epi8('\n'), ob = _mm256_set1_epi8('{'), cb = _mm256_set1_epi8('}');
	__m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	__m256i f0 = _mm256_or_si256(x0, f), f1 = _mm256_or_si256(x1, f);
#define LAR_MASK64(a, b) ((uint64_t)(uint32_t)_mm256_movemask_epi8(a) | \
			  (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32)
	m->quote = LAR_MASK64(_mm256_cmpeq_epi8(x0, q), _mm256_cmpeq_epi8(x1, q));
	m->bslash = LAR_MASK64(_mm256_cmpeq_epi8(x0, bs), _mm256_cmpeq_epi8(x1, bs));
	m->nl = LAR_MASK64(_mm256_cmpeq_epi8(x0, nl), _mm256_cmpeq_epi8(x1, nl));
	m->bracket = LAR_MASK64(_mm256_or_si256(_mm256_cmpeq_epi8(f0, ob), _mm256_cmpeq_epi8(f0, cb)),
				_mm256_or_si256(_mm256_cmpeq_epi8(f1, ob), _mm256_cmpeq_epi8(f1, cb)));
#undef LAR_MASK64
	__m128i prod = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)m->quote), _mm_set1_epi8(-1), 0);
	m->str = (uint64_t)_mm_cvtsi128_si64(prod);
}
#endif

static inline void masks64(const uint8_t *p, struct masks *m)
{
#ifdef HAVE_AVX2_MASKS
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul")) {
		masks64_avx2(p, m);
		return;
	}
#endif
	masks64_sse2(p, m);
}
#endif

/*
 * A line inside the value starting with '{' or '[' begins at buf[i], lines
 * line feeds after the value's first line, at nesting depth (before its
 * bracket).  The first one is where reading resumes if the value is broken
 * (SPEC §2.1).  Each is also kept on the pending stack until the value it
 * opens closes: if the scan then fails, the rescan from the first pending
 * candidate can resume where this scan stopped (see struct memo).
 */
static void saw_cand(struct lar_reader *r, size_t i, uint64_t lines, size_t depth)
{
	uint64_t off = r->base + i, line = r->line + lines;
	if (r->cand_off == 0) {
		r->cand_off = off;
		r->cand_line = line;
	}
	if (r->npend > 0 && r->pend[r->npend - 1].next_off == 0) {
		r->pend[r->npend - 1].next_off = off;
		r->pend[r->npend - 1].next_line = line;
	}
	if (r->npend < SCAN_MAX_DEPTH + 1)
		r->pend[r->npend++] = (struct pend){ off, line, depth, 0, 0 };
}

/* After a closing bracket leaves depth d: values opened at depth >= d closed. */
static inline void pend_resolve(struct lar_reader *r, size_t d)
{
	while (r->npend > 0 && r->pend[r->npend - 1].depth >= d)
		r->npend--;
}

/*
 * Scan one value starting at buf[pos].  *vend receives the index where the
 * scan stopped (the value's end on SCAN_DONE) and *nlines the line feeds
 * before it.  The first line inside the value that starts with '{' or '['
 * is noted as the resynchronisation candidate (SPEC §2.1).
 */
static enum scan_result scan_value(struct lar_reader *r, int in_array, size_t *vend, uint64_t *nlines,
				   struct lar_err *e)
{
	size_t i = r->pos;
	uint64_t lines = 0;
	size_t depth = 0;
	uint8_t stack[SCAN_MAX_DEPTH];
	int in_str = 0, esc = 0, after_nl = 0;
	size_t slow_until = 0; /* the byte loop handles [i, slow_until) */
	enum scan_result res;
	uint8_t c0 = r->buf[i];
	int scalar = !(c0 == '{' || c0 == '[' || c0 == '"');

	r->cand_off = 0;
	r->npend = 0;
	if (!LAR_READER_NO_MEMO && r->memo.valid && r->memo.start == r->base + r->pos && r->memo.resume >= r->base &&
	    r->memo.resume - r->base <= r->end && !scalar) {
		struct memo *m = &r->memo;
		i = (size_t)(m->resume - r->base);
		lines = m->lines;
		depth = m->depth;
		memcpy(stack, m->stack, depth);
		in_str = m->in_str;
		esc = m->esc;
		after_nl = m->after_nl;
		r->cand_off = m->cand_off;
		r->cand_line = m->cand_line;
		memcpy(r->pend, m->pend, m->npend * sizeof *m->pend);
		r->npend = m->npend;
	}
	r->memo.valid = 0;
	if (scalar && (c0 == '}' || c0 == ']' || c0 == ',' || c0 == ':')) {
		/* a stray structural byte is a (broken) value of its own */
		*vend = i + 1;
		*nlines = 0;
		return SCAN_DONE;
	}
	for (;;) {
		if (i >= r->end) {
			if (i - r->pos > r->max_record) {
				res = SCAN_TOO_BIG;
				goto out;
			}
			size_t shift;
			int f = fill(r, r->pos, &shift, e);
			if (f < 0) {
				res = SCAN_ERR;
				goto out;
			}
			i -= shift;
			if (f == 0) {
				/* a scalar ends at EOF; anything else is cut short */
				res = scalar ? SCAN_DONE : SCAN_BROKEN;
				goto out;
			}
			continue;
		}
#if defined(__SSE2__)
		/*
		 * Fast path inside an object or array: 64 bytes at a time with bit
		 * masks (quotes give the string mask by a prefix xor; brackets
		 * outside strings are walked in order).  Blocks holding a
		 * backslash go through the byte loop below, which knows escapes.
		 */
		int fast = !LAR_READER_NO_FAST && depth > 0 && !esc && !in_str;
		if (fast && i >= slow_until && r->end - i >= 64) {
			const uint8_t *p = r->buf + i;
			struct masks mk;
			masks64(p, &mk);
			if (mk.bslash != 0) {
				slow_until = i + 64;
			} else {
				uint64_t nl = mk.nl;
				uint64_t str = mk.str ^ (in_str ? ~(uint64_t)0 : 0);
				uint64_t br = mk.bracket & ~str;
				/* a line starting with '{' or '[' (a resync candidate) or a
				 * raw line feed in a string: let the byte loop do this block */
				int slow = (nl & str) != 0 || (after_nl && (p[0] == '{' || p[0] == '['));
				for (uint64_t ls = (nl << 1) & mk.bracket; ls != 0 && !slow; ls &= ls - 1) {
					uint8_t c = p[__builtin_ctzll(ls)];
					slow = c == '{' || c == '[';
				}
				if (slow) {
					slow_until = i + 64;
					continue;
				}
				/* walk the brackets on a copy: a failure redoes the block */
				size_t d = depth;
				uint8_t top[64];
				size_t ntop = 0; /* brackets pushed in this block */
				uint64_t upto = ~(uint64_t)0; /* bytes of this block that belong to the value */
				int fail = 0;
				while (br != 0) {
					int b = __builtin_ctzll(br);
					br &= br - 1;
					uint8_t c = p[b];
					if (c == '{' || c == '[') {
						if (d >= SCAN_MAX_DEPTH) {
							fail = 1;
							break;
						}
						top[ntop++] = c;
						d++;
					} else {
						uint8_t open = ntop > 0 ? top[ntop - 1] : stack[d - 1];
						if (open != (c == '}' ? '{' : '[')) {
							fail = 1;
							break;
						}
						if (ntop > 0)
							ntop--;
						d--;
						pend_resolve(r, d);
						if (d == 0) {
							upto = b == 63 ? ~(uint64_t)0 : (2ull << b) - 1;
							break;
						}
					}
				}
				if (fail) {
					slow_until = i + 64;
					continue;
				}
				/* commit: the stack below d - ntop is unchanged */
				if (ntop > 0)
					memcpy(stack + (d - ntop), top, ntop);
				depth = d;
				for (uint64_t x = nl & upto; x != 0; x &= x - 1)
					lines++; /* few: no popcount instruction in baseline x86-64 */
				if (depth == 0) {
					i += upto == ~(uint64_t)0 ? 64 : (size_t)__builtin_ctzll(~upto);
					res = SCAN_DONE;
					goto out;
				}
				in_str = (int)(str >> 63);
				after_nl = (int)(nl >> 63);
				i += 64;
				if (i - r->pos > r->max_record) {
					res = SCAN_TOO_BIG;
					goto out;
				}
				continue;
			}
		}
#endif
		uint8_t c = r->buf[i];
		if (after_nl) {
			after_nl = 0;
			if (c == '{' || c == '[')
				saw_cand(r, i, lines, depth);
		}
		if (c == '\n') {
			if (scalar) { /* the line feed is not part of the value */
				res = SCAN_DONE;
				goto out;
			}
			if (in_str) {
				/* RFC 8259 §7: a raw line feed cannot be in a string, so the
				 * value is broken here; not scanning on to a closing quote
				 * keeps resynchronisation linear */
				res = SCAN_BROKEN;
				goto out;
			}
			lines++;
			after_nl = 1;
			esc = 0;
			i++;
			continue;
		}
		if (in_str) {
			if (esc) {
				esc = 0;
				i++;
				continue;
			}
			/* fast path through ordinary string bytes */
			size_t j = skip_plain(r->buf, i, r->end);
			if (j != i) {
				i = j;
				continue;
			}
			if (c == '\\') {
				esc = 1;
			} else { /* '"' */
				in_str = 0;
				if (depth == 0) { /* a bare string value */
					i++;
					res = SCAN_DONE;
					goto out;
				}
			}
			i++;
			continue;
		}
		if (scalar) {
			if (is_ws(c) || c == '{' || c == '[' || c == '}' || c == ']' || c == '"' || c == ',') {
				(void)in_array;
				res = SCAN_DONE;
				goto out;
			}
			i++;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '{':
		case '[':
			if (depth >= SCAN_MAX_DEPTH) {
				res = SCAN_BROKEN;
				goto out;
			}
			stack[depth++] = c;
			break;
		case '}':
		case ']':
			if (depth == 0 || stack[depth - 1] != (c == '}' ? '{' : '[')) {
				res = SCAN_BROKEN;
				goto out;
			}
			pend_resolve(r, depth - 1);
			if (--depth == 0) {
				i++;
				res = SCAN_DONE;
				goto out;
			}
			break;
		default:
			break;
		}
		i++;
		if (i - r->pos > r->max_record) {
			res = SCAN_TOO_BIG;
			goto out;
		}
	}
out:
	/* the string fast path may jump past the cap inside the buffer */
	if (res == SCAN_DONE && i - r->pos > r->max_record)
		res = SCAN_TOO_BIG;
	if (!LAR_READER_NO_MEMO && (res == SCAN_BROKEN || res == SCAN_TOO_BIG) && r->npend > 0 && r->pend[0].off == r->cand_off &&
	    depth >= r->pend[0].depth) {
		/* the first candidate's value never closed: remember where its
		 * rescan stands when it reaches the byte this scan stopped at */
		struct memo *m = &r->memo;
		const struct pend *c = &r->pend[0];
		m->valid = 1;
		m->start = c->off;
		m->resume = r->base + i;
		m->lines = lines - (c->line - r->line);
		m->depth = depth - c->depth;
		memcpy(m->stack, stack + c->depth, m->depth);
		m->in_str = in_str;
		m->esc = esc;
		m->after_nl = after_nl;
		m->cand_off = c->next_off;
		m->cand_line = c->next_line;
		m->npend = 0;
		for (size_t k = 1; k < r->npend; k++) {
			m->pend[m->npend] = r->pend[k];
			m->pend[m->npend].depth -= c->depth;
			m->npend++;
		}
	}
	*vend = i;
	*nlines = lines;
	return res;
}

/* After a broken value that started at pos and was scanned up to stop: go
 * to the resync candidate if one was seen inside it, else skip forward. */
static void recover(struct lar_reader *r, size_t stop, uint64_t nlines)
{
	r->in_array = 0;
	if (r->cand_off != 0 && r->cand_off >= r->base && r->cand_off - r->base <= r->end) {
		r->pos = (size_t)(r->cand_off - r->base);
		r->line = r->cand_line;
		r->resync = 0;
	} else {
		if (stop > r->end)
			stop = r->end;
		r->pos = stop;
		r->line += nlines;
		/* stop may sit at a line start: step back so that line is examined */
		if (r->pos > 0 && r->buf[r->pos - 1] == '\n') {
			r->pos--;
			r->line--;
		}
		r->resync = 1;
	}
}

/* Index in buf of the first line feed at or after pos within the window,
 * or 0 when there is none there.  (0 is never the answer itself: it is
 * asked for at a '{', so a line feed found lies after it; likewise nl_at,
 * an offset past that '{', is never 0 when set.) */
static size_t line_end(struct lar_reader *r)
{
	uint64_t at = r->base + r->pos, stop = r->base + r->end;
	if (at < r->nl_from) { /* rewound before what is known */
		r->nl_from = r->nl_to = at;
		r->nl_at = 0;
	}
	if (r->nl_at != 0 && at <= r->nl_at)
		return (size_t)(r->nl_at - r->base);
	if (r->nl_at != 0 || r->nl_to < at) /* passed the known line feed */
		r->nl_to = at;
	r->nl_from = at;
	r->nl_at = 0;
	if (r->nl_to < stop) {
		const uint8_t *p = r->buf + (r->nl_to - r->base);
		const uint8_t *nl = memchr(p, '\n', (size_t)(stop - r->nl_to));
		if (nl != NULL)
			r->nl_at = r->base + (uint64_t)(nl - r->buf);
		r->nl_to = nl != NULL ? r->nl_at : stop;
	}
	return r->nl_at != 0 ? (size_t)(r->nl_at - r->base) : 0;
}

/*
 * The tentative record of lar_reader_tentative(): the line from r->pos
 * (a '{' outside any array) when it ends, within the window and the cap,
 * with '}' and whitespace.  1 with *rec filled, 0 to scan instead.
 */
static int take_line(struct lar_reader *r, struct lar_record *rec)
{
	size_t nl = line_end(r), end = nl;
	if (nl == 0)
		return 0;
	while (end > r->pos && is_ws(r->buf[end - 1]))
		end--;
	if (end - r->pos > r->max_record || r->buf[end - 1] != '}')
		return 0;
	rec->p = r->buf + r->pos;
	rec->len = end - r->pos;
	rec->line = r->line;
	rec->broken = 0;
	rec->start_off = r->base + r->pos;
	rec->in_array = 0;
	rec->tentative = 1;
	r->pos = end;
	rec->end_off = r->base + r->pos;
	rec->end_line = r->line;
	rec->cand_off = 0; /* no line inside the value */
	rec->cand_line = 0;
	r->last = *rec;
	r->last_ok = 1;
	return 1;
}

void lar_reader_tentative(struct lar_reader *r, int on)
{
	r->tentative = on;
}

/* Read the tentative record rec again from its start, with the scan. */
static void rewind_to(struct lar_reader *r, const struct lar_record *rec)
{
	r->pos = (size_t)(rec->start_off - r->base);
	r->line = rec->line;
	r->in_array = 0;
	r->resync = 0;
	r->last_ok = 0;
	/* the record is scanned, and so is the rest of its line: taken on trust
	 * from each value on, a long line of many values would be copied again
	 * after every one (a caller holding what it reads, import's batches) */
	r->retried_line = rec->line;
}

lar_status lar_reader_retry(struct lar_reader *r, const struct lar_record *rec)
{
	/* the tentative record just returned is still in the buffer (nothing
	 * was read since); anything else cannot be read again */
	if (!rec->tentative || !r->last_ok || !r->last.tentative || r->last.start_off != rec->start_off ||
	    rec->start_off < r->base || rec->start_off - r->base > r->end)
		return LAR_E_INVAL;
	rewind_to(r, rec);
	return LAR_OK;
}

lar_status lar_reader_retry_at(struct lar_reader *r, const struct lar_record *rec)
{
	/* held since before it was read, so still in the buffer */
	if (!rec->tentative || !r->holding || rec->start_off < r->hold_off || rec->start_off < r->base ||
	    rec->start_off - r->base > r->end)
		return LAR_E_INVAL;
	rewind_to(r, rec);
	return LAR_OK;
}

lar_status lar_reader_next(struct lar_reader *r, struct lar_record *rec, struct lar_err *e)
{
	size_t shift;
	int f;

	r->last_ok = 0;
	rec->tentative = 0;
	uint64_t from = r->base + r->pos;
	for (;;) {
		if (r->resync) {
			f = do_resync(r, from, e);
			if (f < 0)
				return LAR_E_IO;
			if (f == 0)
				return LAR_E_EOF;
			if (f == 2)
				return LAR_E_AGAIN;
		}
		/* skip whitespace, counting lines */
		while (r->pos < r->end && is_ws(r->buf[r->pos])) {
			if (r->buf[r->pos] == '\n')
				r->line++;
			r->pos++;
		}
		if (r->pos == r->end) {
			if (skipped_enough(r, from))
				return LAR_E_AGAIN;
			f = fill(r, r->pos, &shift, e);
			if (f < 0)
				return f == -1 && e && e->code == LAR_E_NOMEM ? LAR_E_NOMEM : LAR_E_IO;
			if (f == 0) {
				if (r->in_array) { /* unterminated top-level array */
					r->in_array = 0;
					rec->p = r->buf + r->pos;
					rec->len = 0;
					rec->line = r->array_line; /* SPEC §2.1: where the value began */
					rec->broken = 1;
					return LAR_OK;
				}
				return LAR_E_EOF;
			}
			continue;
		}
		uint8_t c = r->buf[r->pos];
		if (r->in_array) {
			if (r->array_state != 2 && c == ']') {
				r->pos++;
				r->in_array = 0;
				continue;
			}
			if (r->array_state == 1) {
				if (c == ',') {
					r->pos++;
					r->array_state = 2;
					continue;
				}
				/* neither ',' nor ']': the array is broken here */
				rec->p = r->buf + r->pos;
				rec->len = 0;
				rec->line = r->line;
				rec->broken = 1;
				r->cand_off = 0;
				recover(r, r->pos, 0);
				return LAR_OK;
			}
		} else if (c == '[') {
			r->in_array = 1;
			r->array_state = 0;
			r->array_line = r->line;
			r->pos++;
			continue;
		}

		int trust = r->tentative && !r->in_array && c == '{' && !r->memo.valid &&
			    r->line != r->retried_line;
		if (trust && take_line(r, rec))
			return LAR_OK;
		size_t vend;
		uint64_t nlines = 0;
		enum scan_result sr = scan_value(r, r->in_array, &vend, &nlines, e);
		if (sr == SCAN_ERR)
			return e && e->code == LAR_E_NOMEM ? LAR_E_NOMEM : LAR_E_IO;
		rec->line = r->line;
		rec->p = r->buf + r->pos;
		if (sr != SCAN_DONE) {
			rec->len = 0;
			rec->broken = 1;
			recover(r, vend, nlines);
			return LAR_OK;
		}
		rec->len = vend - r->pos;
		rec->broken = 0;
		rec->tentative = 0;
		rec->start_off = r->base + r->pos;
		rec->in_array = r->in_array;
		r->pos = vend;
		r->line += nlines;
		rec->end_off = r->base + r->pos;
		rec->end_line = r->line;
		rec->cand_off = r->cand_off;
		rec->cand_line = r->cand_line;
		if (r->in_array)
			r->array_state = 1;
		r->last = *rec;
		r->last_ok = 1;
		return LAR_OK;
	}
}

void lar_reader_fail_at(struct lar_reader *r, const struct lar_record *rec)
{
	if (rec->broken)
		return; /* already resynchronised when it was read */
	r->in_array = 0;
	r->last_ok = 0;
	if (rec->cand_off != 0 && rec->cand_off >= r->base && rec->cand_off - r->base <= r->end) {
		/* SPEC §2.1: the next later line starting with '{' or '[' is inside
		 * the failed value */
		r->pos = (size_t)(rec->cand_off - r->base);
		r->line = rec->cand_line;
		r->resync = 0;
	} else if (rec->end_off >= r->base && rec->end_off - r->base <= r->end) {
		r->pos = (size_t)(rec->end_off - r->base);
		r->line = rec->end_line;
		r->resync = 1;
	}
}

uint64_t lar_reader_resume_offset(const struct lar_reader *r, const struct lar_record *rec)
{
	if (rec->broken)
		return UINT64_MAX;
	if (rec->cand_off != 0)
		return rec->cand_off;
	if (rec->end_off < r->base || rec->end_off - r->base > r->end)
		return UINT64_MAX;
	/* the next line after the record's end that starts with '{' or '[' */
	const uint8_t *p = r->buf + (rec->end_off - r->base), *e = r->buf + r->end;
	for (;;) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL || nl + 1 >= e)
			return UINT64_MAX; /* not held: cannot tell */
		if (nl[1] == '{' || nl[1] == '[')
			return r->base + (uint64_t)(nl + 1 - r->buf);
		p = nl + 1;
	}
}

void lar_reader_fail(struct lar_reader *r)
{
	if (r->last_ok)
		lar_reader_fail_at(r, &r->last);
}

void lar_reader_hold(struct lar_reader *r)
{
	r->holding = 1;
	r->hold_off = r->base + r->pos;
}

void lar_reader_release(struct lar_reader *r)
{
	r->holding = 0;
}

lar_status lar_reader_hold_from(struct lar_reader *r, uint64_t off)
{
	if (!r->holding || off < r->hold_off || off > r->base + r->pos)
		return LAR_E_INVAL;
	r->hold_off = off;
	return LAR_OK;
}
