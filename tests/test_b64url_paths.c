/*
 * test_b64url_paths.c - every decoding path of verify/b64url.c gives the
 * table decoder's answer.  lar_b64url_decode takes the widest vector step
 * the CPU has (AVX-512 VBMI, AVX2, SSSE3), so on any one machine the others
 * would go untested: this file compiles a copy of b64url.c whose widest step
 * is a variable and runs each limit on the same texts - valid ones of every
 * length 0..300, the same with a byte changed, and every byte at every
 * position of a few lengths around the step sizes - comparing the status,
 * the length and the bytes with limit 0 (the table decoder alone), into
 * exact-size heap buffers followed by a canary (ASan watches the CI build).
 * Paths the CPU lacks are skipped, and say so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int b64_widest;
#define LAR_B64URL_WIDEST_VAR b64_widest
#define lar_b64url_declen path_declen
#define lar_b64url_enclen path_enclen
#define lar_b64url_decode path_decode
#define lar_b64url_encode path_encode
#define lar_b64std_decode path_std_decode
#include "../verify/b64url.c"

#include "tap.h"

#define CANARY 0xA5

static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint64_t rng = 0x243F6A8885A308D3ull;
static unsigned rnd(void)
{
	return (unsigned)(tap_xorshift(&rng) >> 32);
}

struct answer {
	lar_status st;
	size_t len;
	uint8_t *bytes; /* the first len bytes, when st is LAR_OK */
};

/* Decode text[0..n) with the widest step limited to `widest`, into an
 * exact-size heap buffer; 0 when the decoder wrote past it. */
static int decode_at(int widest, const char *text, size_t n, struct answer *a)
{
	size_t dl = path_declen(n);
	size_t room = dl == SIZE_MAX ? 0 : dl;
	uint8_t *out = malloc(room + 1);
	char *src = malloc(n ? n : 1); /* exact size: a read past n is ASan's to see */
	if (out == NULL || src == NULL) {
		free(out);
		free(src);
		return 0;
	}
	memcpy(src, text, n);
	memset(out, CANARY, room + 1);
	b64_widest = widest;
	a->len = SIZE_MAX;
	a->st = path_decode(src, n, out, &a->len);
	int fits = out[room] == CANARY;
	a->bytes = out;
	free(src);
	return fits;
}

static int same(const struct answer *x, const struct answer *y)
{
	if (x->st != y->st)
		return 0;
	if (x->st != LAR_OK)
		return 1;
	return x->len == y->len && memcmp(x->bytes, y->bytes, x->len) == 0;
}

/* Each limit against the table decoder on one text; counts disagreements. */
static int compare_paths(const char *text, size_t n, int *bad_fit)
{
	struct answer ref, got;
	int bad = 0;
	if (!decode_at(0, text, n, &ref))
		(*bad_fit)++;
	for (int w = 1; w <= 3; w++) {
		if (!decode_at(w, text, n, &got))
			(*bad_fit)++;
		if (!same(&ref, &got)) {
			if (bad++ == 0)
				fprintf(stderr, "# path %d differs from the table decoder on %zu characters: "
						"status %d/%d, length %zu/%zu\n",
					w, n, (int)got.st, (int)ref.st, got.len, ref.len);
		}
		free(got.bytes);
	}
	free(ref.bytes);
	return bad;
}

/* A valid text of n characters (n % 4 != 1): unused bits of the last one zero. */
static void valid_text(char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		t[i] = url[rnd() % 64];
	if (n % 4 == 2)
		t[n - 1] = url[rnd() % 4 * 16];
	if (n % 4 == 3)
		t[n - 1] = url[rnd() % 16 * 4];
}

static void test_lengths(void)
{
	char t[301];
	int bad = 0, bad_fit = 0, valid_ok = 0;
	for (int round = 0; round < 4; round++) {
		for (size_t n = 0; n <= 300; n++) {
			valid_text(t, n);
			bad += compare_paths(t, n, &bad_fit);
			struct answer a;
			if (decode_at(3, t, n, &a) && a.st == LAR_OK)
				valid_ok++;
			free(a.bytes);
			if (n == 0)
				continue;
			/* one byte changed, anywhere, to anything */
			size_t pos = rnd() % n;
			t[pos] = (char)(rnd() & 0xFF);
			bad += compare_paths(t, n, &bad_fit);
		}
	}
	CHECKM(bad == 0, "%d texts of 0..300 characters decoded differently by some path", bad);
	CHECKM(bad_fit == 0, "%d decodes wrote past the decoded length", bad_fit);
	CHECKM(valid_ok == 4 * (301 - 75), "%d of %d valid texts decoded", valid_ok, 4 * (301 - 75));
}

static void test_every_byte(void)
{
	static const size_t lens[] = { 4, 30, 32, 63, 64, 66, 67, 68, 96, 127, 128, 131, 192, 200 };
	char t[256];
	int bad = 0, bad_fit = 0;
	for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
		size_t n = lens[li];
		valid_text(t, n);
		for (size_t pos = 0; pos < n; pos++) {
			char keep = t[pos];
			for (int c = 0; c < 256; c++) {
				t[pos] = (char)c;
				bad += compare_paths(t, n, &bad_fit);
			}
			t[pos] = keep;
		}
	}
	CHECKM(bad == 0, "%d every-byte-at-every-position texts decoded differently by some path", bad);
	CHECKM(bad_fit == 0, "%d decodes wrote past the decoded length", bad_fit);
}

int main(void)
{
#ifdef HAVE_SSSE3_PATH
	if (!__builtin_cpu_supports("avx512vbmi") || !__builtin_cpu_supports("avx512bw"))
		printf("# this CPU has no AVX-512 VBMI: that path is not tested here\n");
	if (!__builtin_cpu_supports("avx2"))
		printf("# this CPU has no AVX2: that path is not tested here\n");
#else
	printf("# no vector paths on this platform: the table decoder against itself\n");
#endif
	test_lengths();
	test_every_byte();
	return tap_done();
}
