/*
 * fuzz_verify.c - libFuzzer target: whole-record verification, and the
 * payload checks alone (so mutations reach the schema and flag code without
 * having to forge a MAC).  Invariants: a verdict is one of the four
 * statuses; fail carries exactly one reason; ok carries none.
 */
#include <stdlib.h>

#include "keyring.h"
#include "receipt.h"

static struct lar_keyring *kr;
static struct lar_verifier *v;

static void check(const struct lar_verdict *d)
{
	if (d->status == LAR_V_FAIL && (d->reasons == 0 || (d->reasons & (d->reasons - 1)) != 0))
		abort();
	if (d->status == LAR_V_OK && d->reasons != 0)
		abort();
	if (d->status == LAR_V_FLAG && (d->reasons & ((1u << LAR_R_FIRST_FLAG) - 1)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (kr == NULL) {
		if (lar_keyring_new(&kr) != LAR_OK ||
		    lar_keyring_add_spec(kr, "liveauth-mcp-receipt-v1=text:fuzz-secret", 0, NULL) != LAR_OK ||
		    lar_keyring_add_spec(kr, "liveauth-mcp-receipt-v1=hex:00ff00ff", 0, NULL) != LAR_OK ||
		    lar_verifier_new(kr, NULL, &v, NULL) != LAR_OK)
			abort();
	}
	struct lar_verdict d;
	if (lar_receipt_verify(v, data, size, &d) == LAR_OK)
		check(&d);
	if (lar_receipt_check_payload(v, data, size, &d) == LAR_OK)
		check(&d);
	return 0;
}
