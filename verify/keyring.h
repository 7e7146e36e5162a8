/*
 * keyring.h - the keyring of SPEC §3: which secrets may have signed a
 * receipt of a given keyId, and when.
 *
 * File format, one secret per line:
 *
 *   KEYID  FORM:VALUE  [OPTION]...          # comment
 *
 * | token   | meaning                                                      |
 * |---------|--------------------------------------------------------------|
 * | KEYID   | label compared byte for byte with the envelope's keyId       |
 * | text:S  | the rest of the token, as UTF-8 bytes                        |
 * | hex:H   | even number of hex digits, either case                      |
 * | base64:B| standard alphabet (RFC 4648 §4)                              |
 * | env:NAME| the variable's value as text (looked up through a callback)  |
 * | file:P  | the file's bytes, one trailing "\n" (or "\r\n") removed;     |
 * |         | a relative P is taken from the keyring file's folder         |
 * | not-before=T, not-after=T | RFC 3339 UTC; valid for [not-before, not-after) |
 * | revoked | a match is reported as key_revoked                           |
 *
 * Blank lines are ignored; '#' at the start of a line or after whitespace
 * starts a comment.  Unknown options, empty secrets and malformed lines are
 * errors that name the file and line.  A keyring file or a file: secret that
 * is readable by group or others is refused (LAR_E_PERM) unless
 * LAR_KEYRING_INSECURE is given; so is anything that is not a regular file.
 * Limits: keyring file 1 MiB, secret file 64 KiB, 4096 entries.
 *
 * Secrets never leave this module and mac.c: entries expose a fingerprint and
 * a pre-keyed MAC template only.  Secret bytes are wiped after use.
 *
 * Not for: reading environment variables itself (the library never does;
 * the caller passes a lookup callback), or choosing the verdict.
 */
#ifndef LAR_KEYRING_H
#define LAR_KEYRING_H

#include "lar.h"
#include "mac.h"
#include "timestamp.h"

#define LAR_KEYRING_MAX_FILE (1024 * 1024)
#define LAR_KEYRING_MAX_SECRET_FILE (64 * 1024)
#define LAR_KEYRING_MAX_ENTRIES 4096

enum lar_keyring_flags {
	LAR_KEYRING_INSECURE = 1u << 0, /* --insecure-keyring: skip the permission check */
};

enum lar_secret_form {
	LAR_SECRET_TEXT,
	LAR_SECRET_HEX,
	LAR_SECRET_BASE64,
	LAR_SECRET_ENV,
	LAR_SECRET_FILE,
};

struct lar_key_entry {
	size_t index;          /* position in the keyring, 0-based */
	char *key_id;          /* NUL-terminated */
	size_t key_id_len;
	enum lar_secret_form form;
	lar_time not_before;   /* LAR_TIME_MIN when absent */
	lar_time not_after;    /* LAR_TIME_MAX when absent (exclusive bound) */
	int revoked;
	uint8_t fingerprint[LAR_FPR_LEN];
	char fingerprint_hex[2 * LAR_FPR_LEN + 1];
	struct lar_mac_key *mac; /* pre-keyed template; never NULL */
	const char *origin;    /* keyring file path, or "--key" */
	unsigned line;         /* line in origin (1 for --key) */
};

struct lar_keyring;

/* Returns a value of the variable name, or NULL when unset.  The string must
 * stay valid until the load call returns. */
typedef const char *(*lar_env_lookup_fn)(const char *name, void *ctx);

lar_status lar_keyring_new(struct lar_keyring **out);
void lar_keyring_free(struct lar_keyring *kr); /* accepts NULL; wipes secrets */

/* Callback used for env: secrets.  Without one, env: lines are an error. */
void lar_keyring_set_env_lookup(struct lar_keyring *kr, lar_env_lookup_fn fn, void *ctx);

/* Load a keyring file and append its entries.  On any error nothing from
 * this file is kept and e names the file and line.  Returns LAR_OK,
 * LAR_E_IO (cannot open/read), LAR_E_PERM (permissions, not a regular file),
 * LAR_E_SYNTAX (a malformed line), LAR_E_RANGE (over a limit), LAR_E_NOMEM,
 * LAR_E_CRYPTO. */
lar_status lar_keyring_load_file(struct lar_keyring *kr, const char *path, unsigned flags, struct lar_err *e);

/* As lar_keyring_load_file() for text already in memory; origin names it in
 * messages and base_dir resolves relative file: paths (NULL = current dir). */
lar_status lar_keyring_load_text(struct lar_keyring *kr, const char *text, size_t len, const char *origin,
				 const char *base_dir, unsigned flags, struct lar_err *e);

/* Add one entry from "KEYID=SECRET" (--key; SECRET in any form above).
 * Returns as lar_keyring_load_text(). */
lar_status lar_keyring_add_spec(struct lar_keyring *kr, const char *spec, unsigned flags, struct lar_err *e);

size_t lar_keyring_count(const struct lar_keyring *kr);
const struct lar_key_entry *lar_keyring_entry(const struct lar_keyring *kr, size_t i);

/* Iterate the entries whose keyId equals id[0..n): start with *pos = 0; each
 * call returns the next match at or after *pos and moves *pos past it, or
 * NULL when there are no more. */
const struct lar_key_entry *lar_keyring_next(const struct lar_keyring *kr, const char *id, size_t n, size_t *pos);

/* Name of a secret form ("text", "hex", ...). */
const char *lar_secret_form_name(enum lar_secret_form f);

#endif
