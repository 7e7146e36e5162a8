/*
 * json_write.c - the JSON writers of json.h: the canonical form of SPEC §1.4
 * (what LiveAuthCore's System.Text.Json signs), plain compact JSON and an
 * indented form for people.
 *
 * Output goes through a small staging buffer into a struct lar_buf, so a
 * buffer's size bound is honoured exactly and an allocation failure only
 * sets its sticky oom flag.  Strings are expected to be valid UTF-8 (the
 * parser guarantees it); an ill-formed byte is written as U+FFFD rather than
 * passed on.
 *
 * It also answers, for the parser, whether a string's text is exactly its
 * canonical escaping (lar_json_canonical_string_is), so that the
 * noncanonical_payload check needs no second serialisation.
 *
 * Not for: parsing (json_parse.c).
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

struct wr {
	struct lar_buf *b;
	size_t n;
	int display; /* \u-escape what a terminal may act on or reorder (display_hazard) */
	uint8_t tmp[4096];
};

/* Code points that are not control characters to JSON but are to a screen:
 * C1 controls (U+009B is an 8-bit CSI to some terminals), the bidirectional
 * marks, embeddings, overrides and isolates, which reorder the rest of the
 * line as displayed, and the line and paragraph separators. */
static int display_hazard(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static void wr_init(struct wr *w, struct lar_buf *out, int display)
{
	w->b = out;
	w->n = 0;
	w->display = display;
}

static void flush(struct wr *w)
{
	if (w->n == 0)
		return;
	lar_buf_put(w->b, w->tmp, w->n);
	w->n = 0;
}

/* Room for k (<= sizeof tmp) more bytes at the end of the staging buffer. */
static inline uint8_t *room(struct wr *w, size_t k)
{
	if (sizeof w->tmp - w->n < k)
		flush(w);
	return w->tmp + w->n;
}

static void put(struct wr *w, const void *p, size_t k)
{
	if (sizeof w->tmp - w->n < k) {
		flush(w);
		if (k > sizeof w->tmp) {
			lar_buf_put(w->b, p, k);
			return;
		}
	}
	memcpy(w->tmp + w->n, p, k);
	w->n += k;
}

static inline void putch(struct wr *w, uint8_t c)
{
	if (w->n == sizeof w->tmp)
		flush(w);
	w->tmp[w->n++] = c;
}

/*
 * Decode the UTF-8 sequence at p (p < end): its length, with *cp set; an
 * ill-formed or cut sequence counts as one byte of U+FFFD.
 */
static size_t utf8_next(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xBF;
	size_t n, avail = (size_t)(end - p);
	uint32_t u;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		u = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		u = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		u = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		goto bad;
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			goto bad;
		u = u << 6 | (p[i] & 0x3F);
	}
	*cp = u;
	return n;
bad:
	*cp = 0xFFFD;
	return 1;
}

/* ---- canonical (SPEC §1.4) ---- */

static const char hexu[] = "0123456789ABCDEF";

/*
 * SPEC §1.4 for ASCII: 0 = written as itself; 'u' = \u00XX; any other letter
 * or '\\' = that short escape.  Everything from 0x80 up is \uXXXX (UTF-16).
 */
static const uint8_t canon_esc[128] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
	[0x06] = 'u', [0x07] = 'u', [0x0B] = 'u', [0x0E] = 'u', [0x0F] = 'u', [0x10] = 'u',
	[0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u',
	[0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1A] = 'u', [0x1B] = 'u', [0x1C] = 'u',
	[0x1D] = 'u', [0x1E] = 'u', [0x1F] = 'u', [0x7F] = 'u',
	['"'] = 'u', ['&'] = 'u', ['\''] = 'u', ['+'] = 'u', ['<'] = 'u', ['>'] = 'u', ['`'] = 'u',
	['\\'] = '\\',
};

static inline uint8_t *put_u16(uint8_t *d, uint32_t u)
{
	d[0] = '\\';
	d[1] = 'u';
	d[2] = (uint8_t)hexu[u >> 12 & 0xF];
	d[3] = (uint8_t)hexu[u >> 8 & 0xF];
	d[4] = (uint8_t)hexu[u >> 4 & 0xF];
	d[5] = (uint8_t)hexu[u & 0xF];
	return d + 6;
}

/*
 * The canonical escape of the character at s (s < end, *s needing one: see
 * canon_esc) into d, which has room for 12 bytes.  Returns the bytes written
 * and advances *s past the character.
 */
static size_t canon_escape(const uint8_t **s, const uint8_t *end, uint8_t *d)
{
	uint8_t *d0 = d;
	if (**s < 0x80) {
		uint8_t e = canon_esc[**s];
		if (e == 'u') {
			d = put_u16(d, **s);
		} else {
			d[0] = '\\';
			d[1] = e;
			d += 2;
		}
		(*s)++;
	} else {
		uint32_t cp;
		*s += utf8_next(*s, end, &cp);
		if (cp >= 0x10000) { /* SPEC §1.4: a UTF-16 surrogate pair */
			cp -= 0x10000;
			d = put_u16(d, 0xD800 | cp >> 10);
			d = put_u16(d, 0xDC00 | (cp & 0x3FF));
		} else {
			d = put_u16(d, cp);
		}
	}
	return (size_t)(d - d0);
}

static void canon_string(struct wr *w, const uint8_t *s, size_t len)
{
	const uint8_t *end = s + len;
	putch(w, '"');
	while (s < end) {
		const uint8_t *run = s;
		while (s < end && *s < 0x80 && canon_esc[*s] == 0)
			s++;
		if (s > run)
			put(w, run, (size_t)(s - run));
		if (s == end)
			break;
		w->n += canon_escape(&s, end, room(w, 12));
	}
	putch(w, '"');
}

int lar_json_canonical_string_is(const uint8_t *raw, size_t rawlen, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str, *end = s + n, *r = raw, *rend = raw + rawlen;
	while (s < end) {
		const uint8_t *run = s;
		while (s < end && *s < 0x80 && canon_esc[*s] == 0)
			s++;
		size_t k = (size_t)(s - run);
		if (k > (size_t)(rend - r) || memcmp(r, run, k) != 0)
			return 0;
		r += k;
		if (s == end)
			break;
		uint8_t esc[12];
		k = canon_escape(&s, end, esc);
		if (k > (size_t)(rend - r) || memcmp(r, esc, k) != 0)
			return 0;
		r += k;
	}
	return r == rend;
}

/*
 * Ordinal UTF-16 code-unit order of two UTF-8 names.  UTF-8 byte order is
 * code-point order, which differs from UTF-16 order only between U+E000..U+FFFF
 * (lead bytes EE, EF) and U+10000 and up (lead bytes F0..F4, surrogates
 * D800..DFFF in UTF-16): so at the first differing byte, EE and EF rank above
 * F0..F4.  A differing continuation byte means both characters have the same
 * lead byte, where byte order is already right.
 */
static int u16rank(uint8_t c)
{
	return c == 0xEE || c == 0xEF ? c + 0x10 : c;
}

int lar_json_u16cmp(const char *x, size_t xn, const char *y, size_t yn)
{
	const uint8_t *a = (const uint8_t *)x, *b = (const uint8_t *)y;
	size_t n = xn < yn ? xn : yn, i = 0;
	while (i + 8 <= n) {
		uint64_t p, q;
		memcpy(&p, a + i, 8);
		memcpy(&q, b + i, 8);
		if (p != q)
			break;
		i += 8;
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return u16rank(a[i]) - u16rank(b[i]);
	return (xn > yn) - (xn < yn);
}

static int u16cmp(const struct lar_json_member *x, const struct lar_json_member *y)
{
	return lar_json_u16cmp(x->key, x->keylen, y->key, y->keylen);
}

static int u16cmp_idx(const void *x, const void *y)
{
	return u16cmp(*(const struct lar_json_member *const *)x, *(const struct lar_json_member *const *)y);
}

static void canon_value(struct wr *w, const struct lar_json *v);

static void canon_member(struct wr *w, const struct lar_json_member *m, int first)
{
	if (!first)
		putch(w, ',');
	canon_string(w, (const uint8_t *)m->key, m->keylen);
	putch(w, ':');
	canon_value(w, &m->value);
}

static void canon_object(struct wr *w, const struct lar_json *v)
{
	const struct lar_json_member *m = v->u.members;
	size_t n = v->n, i;
	putch(w, '{');
	for (i = 1; i < n; i++)
		if (u16cmp(&m[i - 1], &m[i]) > 0)
			break;
	if (i >= n) { /* already in order: the usual case for a signed payload */
		for (i = 0; i < n; i++)
			canon_member(w, &m[i], i == 0);
	} else {
		const struct lar_json_member *stackidx[64], **idx = stackidx;
		if (n > 64 && (idx = malloc(n * sizeof *idx)) == NULL) {
			flush(w);
			w->b->oom = 1;
			return;
		}
		for (i = 0; i < n; i++)
			idx[i] = &m[i];
		/* SPEC §1.4: members in ordinal key order */
		qsort(idx, n, sizeof *idx, u16cmp_idx);
		for (i = 0; i < n; i++)
			canon_member(w, idx[i], i == 0);
		if (idx != stackidx)
			free(idx);
	}
	putch(w, '}');
}

static void canon_value(struct wr *w, const struct lar_json *v)
{
	switch (v->type) {
	case LAR_JSON_NULL:
		put(w, "null", 4);
		break;
	case LAR_JSON_FALSE:
		put(w, "false", 5);
		break;
	case LAR_JSON_TRUE:
		put(w, "true", 4);
		break;
	case LAR_JSON_NUMBER:
		if (v->n == 2 && v->u.s[0] == '-' && v->u.s[1] == '0')
			putch(w, '0'); /* SPEC §1.4: an int is never written -0 */
		else
			put(w, v->u.s, v->n);
		break;
	case LAR_JSON_STRING:
		canon_string(w, (const uint8_t *)v->u.s, v->n);
		break;
	case LAR_JSON_ARRAY:
		putch(w, '[');
		for (size_t i = 0; i < v->n; i++) {
			if (i > 0)
				putch(w, ',');
			canon_value(w, &v->u.items[i]);
		}
		putch(w, ']');
		break;
	case LAR_JSON_OBJECT:
		canon_object(w, v);
		break;
	}
}

void lar_json_write_canonical(struct lar_buf *out, const struct lar_json *v)
{
	struct wr w;
	wr_init(&w, out, 0);
	canon_value(&w, v);
	flush(&w);
}

void lar_json_write_canonical_string(struct lar_buf *out, const char *s, size_t n)
{
	struct wr w;
	wr_init(&w, out, 0);
	canon_string(&w, (const uint8_t *)s, n);
	flush(&w);
}

/* ---- plain and pretty ---- */

static const char hexl[] = "0123456789abcdef";

static void plain_string(struct wr *w, const uint8_t *s, size_t len)
{
	const uint8_t *end = s + len;
	putch(w, '"');
	while (s < end) {
		const uint8_t *run = s;
		while (s < end && *s >= 0x20 && *s < 0x7F && *s != '"' && *s != '\\')
			s++;
		if (s > run)
			put(w, run, (size_t)(s - run));
		if (s == end)
			break;
		uint8_t c = *s, *d = room(w, 6), *d0 = d;
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = utf8_next(s, end, &cp);
			if (cp == 0xFFFD && k == 1) {
				memcpy(d, "\xEF\xBF\xBD", 3);
				d += 3;
			} else if (w->display && display_hazard(cp)) {
				d[0] = '\\';
				d[1] = 'u';
				for (int i = 0; i < 4; i++)
					d[2 + i] = (uint8_t)hexl[cp >> (12 - 4 * i) & 0xF];
				d += 6;
			} else {
				memcpy(d, s, k);
				d += k;
			}
			s += k;
			w->n += (size_t)(d - d0);
			continue;
		}
		d[0] = '\\';
		switch (c) {
		case '"': d[1] = '"'; d += 2; break;
		case '\\': d[1] = '\\'; d += 2; break;
		case '\n': d[1] = 'n'; d += 2; break;
		case '\r': d[1] = 'r'; d += 2; break;
		case '\t': d[1] = 't'; d += 2; break;
		case '\b': d[1] = 'b'; d += 2; break;
		case '\f': d[1] = 'f'; d += 2; break;
		default: /* other controls and DEL */
			d[1] = 'u';
			d[2] = '0';
			d[3] = '0';
			d[4] = (uint8_t)hexl[c >> 4];
			d[5] = (uint8_t)hexl[c & 0xF];
			d += 6;
		}
		s++;
		w->n += (size_t)(d - d0);
	}
	putch(w, '"');
}

/* indent < 0: compact; else newlines and indent spaces per level */
static void plain_value(struct wr *w, const struct lar_json *v, int indent, int level);

static void newline(struct wr *w, int indent, int level)
{
	static const char spaces[] = "                                ";
	size_t k = (size_t)indent * (size_t)level;
	putch(w, '\n');
	while (k > 0) {
		size_t c = k < sizeof spaces - 1 ? k : sizeof spaces - 1;
		put(w, spaces, c);
		k -= c;
	}
}

static void plain_container(struct wr *w, const struct lar_json *v, int indent, int level)
{
	int obj = v->type == LAR_JSON_OBJECT;
	putch(w, obj ? '{' : '[');
	for (size_t i = 0; i < v->n; i++) {
		if (i > 0)
			putch(w, ',');
		if (indent >= 0)
			newline(w, indent, level + 1);
		if (obj) {
			const struct lar_json_member *m = &v->u.members[i];
			plain_string(w, (const uint8_t *)m->key, m->keylen);
			put(w, ": ", indent >= 0 ? 2 : 1);
			plain_value(w, &m->value, indent, level + 1);
		} else {
			plain_value(w, &v->u.items[i], indent, level + 1);
		}
	}
	if (indent >= 0 && v->n > 0)
		newline(w, indent, level);
	putch(w, obj ? '}' : ']');
}

static void plain_value(struct wr *w, const struct lar_json *v, int indent, int level)
{
	switch (v->type) {
	case LAR_JSON_NULL:
		put(w, "null", 4);
		break;
	case LAR_JSON_FALSE:
		put(w, "false", 5);
		break;
	case LAR_JSON_TRUE:
		put(w, "true", 4);
		break;
	case LAR_JSON_NUMBER:
		put(w, v->u.s, v->n);
		break;
	case LAR_JSON_STRING:
		plain_string(w, (const uint8_t *)v->u.s, v->n);
		break;
	case LAR_JSON_ARRAY:
	case LAR_JSON_OBJECT:
		plain_container(w, v, indent, level);
		break;
	}
}

static void string_to(struct lar_buf *out, const char *s, size_t n, int display)
{
	struct wr w;
	wr_init(&w, out, display);
	plain_string(&w, (const uint8_t *)s, n);
	flush(&w);
}

void lar_json_write_string(struct lar_buf *out, const char *s, size_t n)
{
	string_to(out, s, n, 0);
}

void lar_json_write_display_string(struct lar_buf *out, const char *s, size_t n)
{
	string_to(out, s, n, 1);
}

void lar_json_write(struct lar_buf *out, const struct lar_json *v)
{
	struct wr w;
	wr_init(&w, out, 0);
	plain_value(&w, v, -1, 0);
	flush(&w);
}

void lar_json_write_pretty(struct lar_buf *out, const struct lar_json *v, int indent)
{
	struct wr w;
	wr_init(&w, out, 0);
	if (indent < 0)
		indent = 0;
	if (indent > 16)
		indent = 16;
	plain_value(&w, v, indent, 0);
	flush(&w);
}
