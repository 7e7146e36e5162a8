/*
 * lar.h - the few things every module of liblareceipt shares: status codes,
 * the caller-owned error record, a growable byte buffer and a bump arena.
 *
 * Not for: anything that knows about receipts, keys or JSON.  Library code
 * never prints, never exits and never reads the environment; it reports
 * through return values and an optional struct lar_err.
 */
#ifndef LAR_H
#define LAR_H

#include <stddef.h>
#include <stdint.h>

#define LAR_VERSION "0.1.0"

/* Status of a library call.  An invalid receipt is NOT an error: verification
 * returns LAR_OK with a verdict.  Errors mean "could not check". */
typedef enum lar_status {
	LAR_OK = 0,
	LAR_E_NOMEM,    /* allocation failed or a size limit would be exceeded */
	LAR_E_IO,       /* read or write failed (errno kept in lar_err.sys_errno) */
	LAR_E_INVAL,    /* bad argument or malformed configuration text */
	LAR_E_SYNTAX,   /* input text is not what the grammar allows */
	LAR_E_PERM,     /* refused: file permissions too open, not a regular file */
	LAR_E_RANGE,    /* a number or a size is out of range / over a cap */
	LAR_E_CRYPTO,   /* OpenSSL failed */
	LAR_E_DB,       /* SQLite failed */
	LAR_E_BUSY,     /* the ledger stayed locked past the timeout */
	LAR_E_NOTFOUND, /* no such key, member or row */
	LAR_E_EOF,      /* end of input (not an error for readers) */
	LAR_E_STATE,    /* call made in the wrong state (programmer error) */
	LAR_E_AGAIN,    /* nothing yet: call again (a reader under a hold, reader.h) */
	LAR_STATUS_COUNT
} lar_status;

/* Optional error record filled by library calls.  msg never holds a secret. */
struct lar_err {
	lar_status code;
	int sys_errno;    /* errno of the failing system call, or 0 */
	char msg[512];
};

/* Name of a status code ("out of memory", ...).  Never NULL. */
const char *lar_strerror(lar_status s);

/* A function that runs only on a path the usual record does not take (an
 * error, a fault in the input): the compiler lays out the branches to it as
 * unlikely and keeps them out of the hot code. */
#if defined(__GNUC__)
#define LAR_COLD __attribute__((cold))
#else
#define LAR_COLD
#endif

/* Fill e (if not NULL) with code and a printf-style message; return code.
 * sys_errno is left at 0; use lar_err_sys() for system-call failures. */
lar_status lar_err_set(struct lar_err *e, lar_status code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* As lar_err_set() and records errno value err. */
lar_status lar_err_sys(struct lar_err *e, lar_status code, int err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/* A string slice.  p == NULL means "null or absent", distinct from "" (p set, n 0).
 * Slices are never relied on to be NUL-terminated. */
struct lar_str {
	const char *p;
	size_t n;
};

/* Growable byte buffer.  Writers never fail loudly: on allocation failure or
 * when len would pass max (0 = SIZE_MAX) the buffer sets oom and ignores
 * further writes, so a caller checks once at the end. */
struct lar_buf {
	uint8_t *p;
	size_t len, cap, max;
	int oom;
};
void lar_buf_init(struct lar_buf *b, size_t max);
void lar_buf_free(struct lar_buf *b);            /* accepts NULL; wipes nothing */
void lar_buf_wipe_free(struct lar_buf *b);       /* zeroes the bytes, then frees */
int lar_buf_reserve(struct lar_buf *b, size_t extra); /* 0 ok, -1 oom */
void lar_buf_put(struct lar_buf *b, const void *p, size_t n);
void lar_buf_putc(struct lar_buf *b, int c);
void lar_buf_puts(struct lar_buf *b, const char *s);
void lar_buf_printf(struct lar_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
void lar_buf_put_i64(struct lar_buf *b, int64_t v);
static inline void lar_buf_reset(struct lar_buf *b) { b->len = 0; b->oom = 0; }

/* Bump allocator for per-record scratch data: allocations are 8-byte
 * aligned, freed all at once by lar_arena_reset() (which keeps the first
 * block, so a steady state makes no malloc calls) or lar_arena_free().
 * max bounds the total bytes held (0 = no bound). */
struct lar_arena_block;
struct lar_arena {
	struct lar_arena_block *head;
	size_t used_total, max;
};
void lar_arena_init(struct lar_arena *a, size_t max);
void *lar_arena_alloc(struct lar_arena *a, size_t n); /* NULL on oom / over max */
void lar_arena_reset(struct lar_arena *a);
void lar_arena_free(struct lar_arena *a);
/* A point to give back to: lar_arena_release() frees what was allocated
 * after lar_arena_mark() (and nothing before it). */
struct lar_arena_mark {
	struct lar_arena_block *head;
	size_t used, used_total;
};
void lar_arena_mark(const struct lar_arena *a, struct lar_arena_mark *m);
void lar_arena_release(struct lar_arena *a, const struct lar_arena_mark *m);

/*
 * a[0..n) == b[0..n), inline: the names and ids a receipt is made of are
 * short, and for them the compare costs less than a call to memcmp.
 * Not for secrets (not constant time: see lar_mac_equal).
 */
static inline int lar_mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	uint64_t p, q, r, t;
	if (n >= 8) {
		for (; n > 8; x += 8, y += 8, n -= 8) {
			__builtin_memcpy(&p, x, 8);
			__builtin_memcpy(&q, y, 8);
			if (p != q)
				return 0;
		}
		/* the last 8 bytes, overlapping what was compared */
		__builtin_memcpy(&p, x + n - 8, 8);
		__builtin_memcpy(&q, y + n - 8, 8);
		return p == q;
	}
	if (n >= 4) {
		uint32_t u, v, w, z;
		__builtin_memcpy(&u, x, 4);
		__builtin_memcpy(&v, y, 4);
		__builtin_memcpy(&w, x + n - 4, 4);
		__builtin_memcpy(&z, y + n - 4, 4);
		return u == v && w == z;
	}
	r = t = 0;
	for (size_t i = 0; i < n; i++) {
		r = r << 8 | x[i];
		t = t << 8 | y[i];
	}
	(void)p;
	(void)q;
	return r == t;
}

/* Zero memory in a way the compiler cannot drop (for secrets). */
void lar_wipe(void *p, size_t n);

#endif
