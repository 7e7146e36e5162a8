/*
 * fuzz_keyring.c - libFuzzer target: the keyring parser on arbitrary text.
 * A load either succeeds or leaves the keyring empty, and never puts a
 * secret in its error message (the marker text below is the only env value).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "keyring.h"

#define MARKER "SECRET-MARKER-7f3a"

static const char *lookup(const char *name, void *ctx)
{
	(void)name;
	(void)ctx;
	return MARKER;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lar_keyring *kr;
	struct lar_err e = { 0 };
	if (lar_keyring_new(&kr) != LAR_OK)
		return 0;
	lar_keyring_set_env_lookup(kr, lookup, NULL);
	lar_status s = lar_keyring_load_text(kr, (const char *)data, size, "fuzz.keyring", "/nonexistent", 0, &e);
	if (s != LAR_OK) {
		if (lar_keyring_count(kr) != 0)
			abort(); /* a failed load keeps nothing */
		/* the marker may be in the text itself (a path, a keyId); only a
		 * message holding it when the input does not is a leaked secret */
		if (memmem(data, size, MARKER, strlen(MARKER)) == NULL && strstr(e.msg, MARKER) != NULL)
			abort();
	}
	lar_keyring_free(kr);
	return 0;
}
