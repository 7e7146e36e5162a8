/*
 * fuzz_b64url.c - libFuzzer target: the strict base64url decoder never
 * writes past its exact output length, and whatever it accepts re-encodes
 * to the same text (strictness means one text per byte string).
 */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = lar_b64url_declen(size);
	if (n == SIZE_MAX)
		return 0;
	uint8_t *out = malloc(n + 1);
	if (out == NULL)
		return 0;
	size_t got;
	if (lar_b64url_decode((const char *)data, size, out, &got) == LAR_OK) {
		if (got != n)
			abort();
		char *back = malloc(lar_b64url_enclen(got) + 1);
		if (back == NULL) {
			free(out);
			return 0;
		}
		size_t m = lar_b64url_encode(out, got, back);
		if (m != size || memcmp(back, data, size) != 0)
			abort();
		free(back);
	}
	uint8_t *std = malloc(size / 4 * 3 + 4);
	if (std != NULL) {
		size_t sl;
		(void)lar_b64std_decode((const char *)data, size, std, &sl);
		free(std);
	}
	free(out);
	return 0;
}
