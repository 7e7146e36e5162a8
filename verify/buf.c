/*
 * buf.c - the growable byte buffer and the bump arena of lar.h.
 * Not for: anything format-specific (escaping lives in json.c).
 */
#include "lar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lar_buf_init(struct lar_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : SIZE_MAX;
	b->oom = 0;
}

void lar_buf_free(struct lar_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void lar_buf_wipe_free(struct lar_buf *b)
{
	if (b == NULL)
		return;
	if (b->p != NULL)
		lar_wipe(b->p, b->cap);
	lar_buf_free(b);
}

int lar_buf_reserve(struct lar_buf *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (extra > b->max - b->len) {
		b->oom = 1;
		return -1;
	}
	size_t need = b->len + extra;
	if (need <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	uint8_t *np = realloc(b->p, ncap);
	if (np == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void lar_buf_put(struct lar_buf *b, const void *p, size_t n)
{
	if (n == 0 || lar_buf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void lar_buf_putc(struct lar_buf *b, int c)
{
	if (b->len < b->cap && !b->oom) {
		b->p[b->len++] = (uint8_t)c;
		return;
	}
	if (lar_buf_reserve(b, 1) != 0)
		return;
	b->p[b->len++] = (uint8_t)c;
}

void lar_buf_puts(struct lar_buf *b, const char *s)
{
	lar_buf_put(b, s, strlen(s));
}

void lar_buf_printf(struct lar_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		lar_buf_put(b, small, (size_t)n);
		return;
	}
	if (lar_buf_reserve(b, (size_t)n + 1) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void lar_buf_put_i64(struct lar_buf *b, int64_t v)
{
	char tmp[24];
	char *e = tmp + sizeof tmp, *q = e;
	/* unsigned arithmetic so INT64_MIN is handled */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--q = '-';
	lar_buf_put(b, q, (size_t)(e - q));
}

/* ---- arena ---- */

struct lar_arena_block {
	struct lar_arena_block *next;
	size_t size, used;
	/* data follows, 8-byte aligned */
	uint64_t data[];
};

#define ARENA_MIN_BLOCK (64 * 1024)

void lar_arena_init(struct lar_arena *a, size_t max)
{
	a->head = NULL;
	a->used_total = 0;
	a->max = max ? max : SIZE_MAX;
}

void *lar_arena_alloc(struct lar_arena *a, size_t n)
{
	if (n > SIZE_MAX - 16)
		return NULL;
	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	struct lar_arena_block *b = a->head;
	if (b == NULL || b->size - b->used < n) {
		size_t sz = n > ARENA_MIN_BLOCK ? n : ARENA_MIN_BLOCK;
		if (sz > a->max - a->used_total || a->used_total > a->max)
			return NULL;
		b = malloc(sizeof *b + sz);
		if (b == NULL)
			return NULL;
		b->next = a->head;
		b->size = sz;
		b->used = 0;
		a->head = b;
		a->used_total += sz;
	}
	void *p = (uint8_t *)b->data + b->used;
	b->used += n;
	return p;
}

void lar_arena_reset(struct lar_arena *a)
{
	/* keep the oldest block (the last in the list): steady state never mallocs */
	struct lar_arena_block *b = a->head, *keep = NULL;
	while (b != NULL) {
		struct lar_arena_block *next = b->next;
		if (next == NULL) {
			keep = b;
			break;
		}
		free(b);
		b = next;
	}
	a->head = keep;
	a->used_total = 0;
	if (keep != NULL) {
		keep->used = 0;
		a->used_total = keep->size;
	}
}

void lar_arena_mark(const struct lar_arena *a, struct lar_arena_mark *m)
{
	m->head = a->head;
	m->used = a->head != NULL ? a->head->used : 0;
	m->used_total = a->used_total;
}

void lar_arena_release(struct lar_arena *a, const struct lar_arena_mark *m)
{
	struct lar_arena_block *b = a->head;
	while (b != m->head) { /* blocks are listed newest first */
		struct lar_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = b;
	if (b != NULL)
		b->used = m->used;
	a->used_total = m->used_total;
}

void lar_arena_free(struct lar_arena *a)
{
	if (a == NULL)
		return;
	struct lar_arena_block *b = a->head;
	while (b != NULL) {
		struct lar_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used_total = 0;
}
