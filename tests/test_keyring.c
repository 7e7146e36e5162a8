/*
 * test_keyring.c - unit tests of the keyring (SPEC §3, verify/keyring.h):
 * every secret form checked against an independently computed HMAC, the
 * line grammar and its errors (with line numbers), file permissions and
 * file kinds, limits, lookup by keyId, that no message ever quotes a
 * secret, and the golden keyring of ../shared when it is there.
 *
 * Not for: verdicts (test_receipt.c) or the CLI's handling of KEYS.
 */
#define _GNU_SOURCE /* nftw */
#include "b64url.h"
#include "keyring.h"
#include "mac.h"
#include "tap.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define T2026 (1767225600LL * LAR_TICKS_PER_SEC) /* 2026-01-01T00:00:00Z */
#define MARKER "SeCrEtMaRkEr"

static char tmp[PATH_MAX];

/* ---- helpers ------------------------------------------------------------ */

/* 1 when entry k holds exactly the key key[0..klen): its MAC of a message and
 * its fingerprint agree with HMAC-SHA256 computed from those bytes. */
static int key_is(const struct lar_key_entry *k, const void *key, size_t klen)
{
	static const char msg[] = "keyring test message";
	uint8_t a[LAR_MAC_LEN], b[LAR_MAC_LEN], f[LAR_MAC_LEN];
	struct lar_mac_ctx *c = NULL;
	char hex[2 * LAR_FPR_LEN + 1];
	int ok;

	if (k == NULL || k->mac == NULL || lar_mac_ctx_new(k->mac, &c, NULL) != LAR_OK)
		return 0;
	ok = lar_mac_compute(c, msg, sizeof msg - 1, a) == LAR_OK &&
	     lar_mac_oneshot(key, klen, msg, sizeof msg - 1, b) == LAR_OK && memcmp(a, b, sizeof a) == 0 &&
	     lar_mac_oneshot(key, klen, "la-receipt fingerprint v1", 25, f) == LAR_OK &&
	     memcmp(f, k->fingerprint, LAR_FPR_LEN) == 0;
	for (int i = 0; i < LAR_FPR_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", f[i]);
	ok = ok && strcmp(hex, k->fingerprint_hex) == 0;
	lar_mac_ctx_free(c);
	return ok;
}

static int id_is(const struct lar_key_entry *k, const char *id)
{
	return k != NULL && k->key_id_len == strlen(id) && strcmp(k->key_id, id) == 0;
}

static void join(char *out, const char *dir, const char *name)
{
	int k = snprintf(out, PATH_MAX, "%s/%s", dir, name);
	if (k < 0 || k >= PATH_MAX)
		abort(); /* the temp folder's path is short */
}

static int write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	int ok = write(fd, p, n) == (ssize_t)n;
	close(fd);
	return ok && chmod(path, mode) == 0 ? 0 : -1;
}

static int write_str(const char *dir, const char *name, const char *s, mode_t mode)
{
	char path[PATH_MAX];
	join(path, dir, name);
	return write_file(path, s, strlen(s), mode);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

struct envvar {
	const char *name, *value;
};
static const struct envvar envtab[] = {
	{"LAR_A", "env secret a"}, {"EMPTY", ""}, {"BADUTF", MARKER "\xff"}, {"MARK", MARKER}, {NULL, NULL},
};
static int env_calls;

static const char *env_lookup(const char *name, void *ctx)
{
	const struct envvar *t = ctx;
	env_calls++;
	for (; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t->value;
	return NULL;
}

/* Load text into a fresh keyring (with the test env lookup, relative file:
 * paths from tmp); returns the status and leaves kr for checks. */
static lar_status load(struct lar_keyring **kr, const char *text, struct lar_err *e)
{
	*kr = NULL;
	if (lar_keyring_new(kr) != LAR_OK)
		return LAR_E_NOMEM;
	lar_keyring_set_env_lookup(*kr, env_lookup, (void *)envtab);
	memset(e, 0, sizeof *e);
	return lar_keyring_load_text(*kr, text, strlen(text), "kr.txt", tmp, 0, e);
}

/* ---- secret forms ------------------------------------------------------- */

static void test_forms(void)
{
	struct lar_keyring *kr;
	struct lar_err e = {0};
	const struct lar_key_entry *k;
	static const uint8_t hexkey[] = {0x00, 0xff, 0x10, 0xab, 0xcd};
	static const uint8_t b64key[] = {0x00, 0x01, 0x02, 0xfb, 0xff};
	static const uint8_t b64key2[] = {0xfb, 0xef, 0xbe};
	const char *text = "t1 text:abc\n"
			   "t2 text:a#b\n"
			   "t3 text:ab #c\n"
			   "t4 text:caf\xc3\xa9-\xf0\x9f\x94\x91\n"
			   "h1 hex:00fF10aBCd\n"
			   "b1 base64:AAEC+/8=\n"
			   "b2 base64:AAEC+/8\n"
			   "b3 base64:++++\n"
			   "e1 env:LAR_A\n"
			   "f1 file:plain.secret\n";

	CHECK(write_str(tmp, "plain.secret", "from a file\n", 0600) == 0);
	CHECK(load(&kr, text, &e) == LAR_OK);
	CHECKM(lar_keyring_count(kr) == 10, "count %zu: %.400s", lar_keyring_count(kr), e.msg);
	k = lar_keyring_entry(kr, 0);
	CHECK(id_is(k, "t1") && k->form == LAR_SECRET_TEXT && key_is(k, "abc", 3));
	CHECK(k != NULL && k->index == 0 && k->line == 1 && strcmp(k->origin, "kr.txt") == 0);
	CHECK(k != NULL && k->not_before == LAR_TIME_MIN && k->not_after == LAR_TIME_MAX && !k->revoked);
	CHECK(key_is(lar_keyring_entry(kr, 1), "a#b", 3)); /* '#' inside a token is kept */
	CHECK(key_is(lar_keyring_entry(kr, 2), "ab", 2));  /* '#' after a space starts a comment */
	CHECK(key_is(lar_keyring_entry(kr, 3), "caf\xc3\xa9-\xf0\x9f\x94\x91", 10));
	k = lar_keyring_entry(kr, 4);
	CHECK(k != NULL && k->form == LAR_SECRET_HEX && key_is(k, hexkey, sizeof hexkey));
	k = lar_keyring_entry(kr, 5);
	CHECK(k != NULL && k->form == LAR_SECRET_BASE64 && key_is(k, b64key, sizeof b64key));
	CHECK(key_is(lar_keyring_entry(kr, 6), b64key, sizeof b64key)); /* padding optional */
	CHECK(key_is(lar_keyring_entry(kr, 7), b64key2, sizeof b64key2));
	k = lar_keyring_entry(kr, 8);
	CHECK(k != NULL && k->form == LAR_SECRET_ENV && key_is(k, "env secret a", 12));
	k = lar_keyring_entry(kr, 9);
	CHECK(k != NULL && k->form == LAR_SECRET_FILE && key_is(k, "from a file", 11));
	CHECK(k != NULL && k->index == 9 && k->line == 10);
	CHECK(lar_keyring_entry(kr, 10) == NULL);
	CHECK(strcmp(lar_secret_form_name(LAR_SECRET_TEXT), "text") == 0);
	CHECK(strcmp(lar_secret_form_name(LAR_SECRET_HEX), "hex") == 0);
	CHECK(strcmp(lar_secret_form_name(LAR_SECRET_BASE64), "base64") == 0);
	CHECK(strcmp(lar_secret_form_name(LAR_SECRET_ENV), "env") == 0);
	CHECK(strcmp(lar_secret_form_name(LAR_SECRET_FILE), "file") == 0);
	lar_keyring_free(kr);

	/* Different secrets, different fingerprints; the same secret, the same. */
	CHECK(load(&kr, "a text:one\nb text:two\nc hex:6f6e65\n", &e) == LAR_OK);
	CHECK(lar_keyring_count(kr) == 3);
	if (lar_keyring_count(kr) == 3) {
		CHECK(memcmp(lar_keyring_entry(kr, 0)->fingerprint, lar_keyring_entry(kr, 1)->fingerprint,
			     LAR_FPR_LEN) != 0);
		CHECK(strcmp(lar_keyring_entry(kr, 0)->fingerprint_hex,
			     lar_keyring_entry(kr, 2)->fingerprint_hex) == 0);
	}
	lar_keyring_free(kr);
}

/* file: secrets: one trailing newline removed, bytes kept as they are. */
static void test_file_secrets(void)
{
	static const struct {
		const char *content;
		size_t n;
		const char *key;
		size_t klen;
	} cases[] = {
		{"abc\n", 4, "abc", 3},   {"abc\r\n", 5, "abc", 3},     {"abc\n\n", 5, "abc\n", 4},
		{"abc", 3, "abc", 3},     {"a\0b\n", 4, "a\0b", 3},     {" sp ace \n", 9, " sp ace ", 8},
		{"abc\r", 4, "abc\r", 4}, {"x\r\n\r\n", 5, "x\r\n", 3},
	};
	char path[PATH_MAX], sub[PATH_MAX], cwd[PATH_MAX];
	struct lar_keyring *kr;
	struct lar_err e = {0};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		join(path, tmp, "f.secret");
		CHECK(write_file(path, cases[i].content, cases[i].n, 0600) == 0);
		CHECK(load(&kr, "k file:f.secret", &e) == LAR_OK);
		CHECKM(key_is(lar_keyring_entry(kr, 0), cases[i].key, cases[i].klen), "case %zu: %.400s", i,
		       e.msg);
		lar_keyring_free(kr);
	}
	/* Empty after the newline is removed: an empty secret. */
	static const char *const empties[] = {"", "\n", "\r\n"};
	for (size_t i = 0; i < 3; i++) {
		CHECK(write_str(tmp, "f.secret", empties[i], 0600) == 0);
		CHECK(load(&kr, "# x\nk file:f.secret", &e) == LAR_E_SYNTAX);
		CHECKM(strncmp(e.msg, "kr.txt:2: ", 10) == 0 && strstr(e.msg, "empty") != NULL, "%.400s",
		       e.msg);
		CHECK(lar_keyring_count(kr) == 0);
		lar_keyring_free(kr);
	}
	/* Missing file: LAR_E_IO naming the line and the path. */
	CHECK(load(&kr, "k file:nope.secret", &e) == LAR_E_IO);
	CHECKM(strncmp(e.msg, "kr.txt:1: ", 10) == 0 && strstr(e.msg, "nope.secret") != NULL, "%.400s",
	       e.msg);
	CHECK(e.sys_errno == ENOENT);
	lar_keyring_free(kr);

	/* Absolute path, and paths relative to the keyring file's folder. */
	join(sub, tmp, "sub");
	CHECK(mkdir(sub, 0700) == 0);
	CHECK(write_str(tmp, "top.secret", "top\n", 0600) == 0);
	CHECK(write_str(sub, "s.secret", "in sub\n", 0600) == 0);
	CHECK(write_str(tmp, "s.secret", "in tmp\n", 0600) == 0);
	char text[PATH_MAX + 64];
	snprintf(text, sizeof text, "abs file:%s/top.secret\nrel file:s.secret\nup file:../top.secret\n",
		 tmp);
	CHECK(write_str(sub, "kr.txt", text, 0600) == 0);
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	join(path, sub, "kr.txt");
	CHECKM(lar_keyring_load_file(kr, path, 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(key_is(lar_keyring_entry(kr, 0), "top", 3));
	CHECK(key_is(lar_keyring_entry(kr, 1), "in sub", 6));
	CHECK(key_is(lar_keyring_entry(kr, 2), "top", 3));
	CHECK(lar_keyring_entry(kr, 0) != NULL && strcmp(lar_keyring_entry(kr, 0)->origin, path) == 0);

	/* The same file through a relative path, and from its own folder. */
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(chdir(tmp) == 0);
	CHECKM(lar_keyring_load_file(kr, "sub/kr.txt", 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(key_is(lar_keyring_entry(kr, 4), "in sub", 6));
	CHECK(lar_keyring_entry(kr, 4) != NULL &&
	      strcmp(lar_keyring_entry(kr, 4)->origin, "sub/kr.txt") == 0);
	CHECK(chdir(sub) == 0);
	CHECKM(lar_keyring_load_file(kr, "kr.txt", 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(key_is(lar_keyring_entry(kr, 7), "in sub", 6));
	/* --key: a relative file: path is taken from the current folder. */
	CHECK(chdir(tmp) == 0);
	CHECKM(lar_keyring_add_spec(kr, "spec=file:s.secret", 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(key_is(lar_keyring_entry(kr, 9), "in tmp", 6));
	/* load_text without a base_dir: from the current folder too. */
	CHECK(lar_keyring_load_text(kr, "t file:s.secret", 15, "x", NULL, 0, &e) == LAR_OK);
	CHECK(key_is(lar_keyring_entry(kr, 10), "in tmp", 6));
	CHECK(lar_keyring_load_text(kr, "t file:s.secret", 15, "x", sub, 0, &e) == LAR_OK);
	CHECK(key_is(lar_keyring_entry(kr, 11), "in sub", 6));
	CHECK(chdir(cwd) == 0);
	CHECK(lar_keyring_count(kr) == 12);
	lar_keyring_free(kr);

	/* Limits: exactly 64 KiB is fine, one byte more is not. */
	char *big = malloc(LAR_KEYRING_MAX_SECRET_FILE + 2);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, 'q', LAR_KEYRING_MAX_SECRET_FILE + 1);
		join(path, tmp, "big.secret");
		CHECK(write_file(path, big, LAR_KEYRING_MAX_SECRET_FILE, 0600) == 0);
		CHECK(load(&kr, "k file:big.secret", &e) == LAR_OK);
		CHECK(key_is(lar_keyring_entry(kr, 0), big, LAR_KEYRING_MAX_SECRET_FILE));
		lar_keyring_free(kr);
		CHECK(write_file(path, big, LAR_KEYRING_MAX_SECRET_FILE + 1, 0600) == 0);
		CHECK(load(&kr, "k file:big.secret", &e) == LAR_E_RANGE);
		CHECKM(strncmp(e.msg, "kr.txt:1: ", 10) == 0, "%.400s", e.msg);
		lar_keyring_free(kr);
		free(big);
	}
}

/* ---- grammar ------------------------------------------------------------ */

static void test_grammar(void)
{
	struct lar_keyring *kr;
	struct lar_err e = {0};
	const struct lar_key_entry *k;
	const char *text =
		"\xef\xbb\xbf# a comment\r\n"
		"\r\n"
		"   \t  \n"
		"  # indented comment\n"
		"\tlead\ttext:x\t# tabbed\r\n"
		"crlf text:y\r\n"
		"a#b text:z#\n"
		"opts text:w   not-after=2027-01-01T00:00:00Z  revoked\tnot-before=2026-01-01T00:00:00Z #c\n"
		"last text:v";

	CHECK(load(&kr, text, &e) == LAR_OK);
	CHECKM(lar_keyring_count(kr) == 5, "%zu %.400s", lar_keyring_count(kr), e.msg);
	k = lar_keyring_entry(kr, 0);
	CHECK(id_is(k, "lead") && k->line == 5 && key_is(k, "x", 1));
	k = lar_keyring_entry(kr, 1);
	CHECK(id_is(k, "crlf") && k->line == 6 && key_is(k, "y", 1)); /* no CR in the key */
	k = lar_keyring_entry(kr, 2);
	CHECK(id_is(k, "a#b") && key_is(k, "z#", 2));
	k = lar_keyring_entry(kr, 3);
	CHECK(id_is(k, "opts") && k->line == 8 && k->revoked && key_is(k, "w", 1));
	CHECK(k != NULL && k->not_before == T2026 && k->not_after == T2026 + 365 * LAR_TICKS_PER_DAY);
	k = lar_keyring_entry(kr, 4);
	CHECK(id_is(k, "last") && k->line == 9 && key_is(k, "v", 1) && !k->revoked);
	lar_keyring_free(kr);

	/* Windows: each bound alone; fractions allowed. */
	CHECK(load(&kr,
		   "a text:1 not-after=2026-01-01T00:00:00Z\n"
		   "b text:2 not-before=2026-01-01T00:00:00.5Z\n"
		   "c text:3 revoked\n",
		   &e) == LAR_OK);
	k = lar_keyring_entry(kr, 0);
	CHECK(k != NULL && k->not_before == LAR_TIME_MIN && k->not_after == T2026 && !k->revoked);
	k = lar_keyring_entry(kr, 1);
	CHECK(k != NULL && k->not_before == T2026 + LAR_TICKS_PER_SEC / 2 && k->not_after == LAR_TIME_MAX);
	k = lar_keyring_entry(kr, 2);
	CHECK(k != NULL && k->revoked && k->not_before == LAR_TIME_MIN && k->not_after == LAR_TIME_MAX);
	lar_keyring_free(kr);

	/* Empty text and comment-only text: no entries, no error. */
	CHECK(load(&kr, "", &e) == LAR_OK && lar_keyring_count(kr) == 0);
	lar_keyring_free(kr);
	CHECK(load(&kr, "# nothing\n\n#more", &e) == LAR_OK && lar_keyring_count(kr) == 0);
	lar_keyring_free(kr);

	/* A keyId of 256 bytes is fine. */
	char line[600];
	memset(line, 'i', 256);
	strcpy(line + 256, " text:k");
	CHECK(load(&kr, line, &e) == LAR_OK && lar_keyring_count(kr) == 1);
	CHECK(lar_keyring_entry(kr, 0) != NULL && lar_keyring_entry(kr, 0)->key_id_len == 256);
	lar_keyring_free(kr);
}

/* Each bad line, as line 4 after three good ones: the error, its code and
 * the line number; and nothing of the file is kept. */
static void test_errors(void)
{
	static const struct {
		const char *line;
		lar_status code;
		const char *word; /* expected in the message */
	} cases[] = {
		{"k", LAR_E_SYNTAX, "secret"},
		{"k   # only a keyId", LAR_E_SYNTAX, "secret"},
		{"k text:", LAR_E_SYNTAX, "empty"},
		{"k hex:", LAR_E_SYNTAX, "empty"},
		{"k base64:", LAR_E_SYNTAX, "empty"},
		{"k base64:==", LAR_E_SYNTAX, "secret"},
		{"k env:", LAR_E_SYNTAX, "env"},
		{"k env:UNSET_VAR", LAR_E_SYNTAX, "UNSET_VAR"},
		{"k env:EMPTY", LAR_E_SYNTAX, "EMPTY"},
		{"k env:BADUTF", LAR_E_SYNTAX, "UTF-8"},
		{"k env:1ABC", LAR_E_SYNTAX, "variable name"},
		{"k env:A-B", LAR_E_SYNTAX, "variable name"},
		{"k file:", LAR_E_SYNTAX, "path"},
		{"k bogus:x", LAR_E_SYNTAX, "form"},
		{"k nocolon", LAR_E_SYNTAX, "form"},
		{"k TEXT:abc", LAR_E_SYNTAX, "form"},
		{"k text:a foo", LAR_E_SYNTAX, "unknown option"},
		{"k text:a Revoked", LAR_E_SYNTAX, "unknown option"},
		{"k text:a revoked=yes", LAR_E_SYNTAX, "unknown option"},
		{"k text:a not-before", LAR_E_SYNTAX, "unknown option"},
		{"k text:a revoked revoked", LAR_E_SYNTAX, "duplicate option 'revoked'"},
		{"k text:a not-before=2026-01-01T00:00:00Z not-before=2025-01-01T00:00:00Z", LAR_E_SYNTAX,
		 "duplicate option 'not-before'"},
		{"k text:a not-after=2026-01-01T00:00:00Z not-after=2027-01-01T00:00:00Z", LAR_E_SYNTAX,
		 "duplicate option 'not-after'"},
		{"k text:a not-after=garbage", LAR_E_SYNTAX, "not-after"},
		{"k text:a not-before=", LAR_E_SYNTAX, "not-before"},
		{"k text:a not-before=2026-02-30T00:00:00Z", LAR_E_SYNTAX, "not-before"},
		{"k text:a not-before=2026-01-01T00:00:00+01:00", LAR_E_SYNTAX, "not-before"},
		{"k text:a not-before=2026-01-01T00:00:00Z not-after=2026-01-01T00:00:00Z", LAR_E_SYNTAX,
		 "not-before"},
		{"k text:a not-after=2025-01-01T00:00:00Z not-before=2026-01-01T00:00:00Z", LAR_E_SYNTAX,
		 "not-before"},
		{"k hex:abc", LAR_E_SYNTAX, "invalid hex secret"},
		{"k hex:zz", LAR_E_SYNTAX, "invalid hex secret"},
		{"k hex:0x00", LAR_E_SYNTAX, "invalid hex secret"},
		{"k base64:@@@@", LAR_E_SYNTAX, "invalid base64 secret"},
		{"k base64:AA-_", LAR_E_SYNTAX, "invalid base64 secret"},
		{"k base64:A", LAR_E_SYNTAX, "invalid base64 secret"},
		{"k text:\xff", LAR_E_SYNTAX, "UTF-8"},
		{"k text:\xc0\xaf", LAR_E_SYNTAX, "UTF-8"},
		{"k text:\xed\xa0\x80", LAR_E_SYNTAX, "UTF-8"},
		{"k text:\xe2\x82", LAR_E_SYNTAX, "UTF-8"},
		{"k\x01 text:a", LAR_E_SYNTAX, "control"},
		{"k\x7f text:a", LAR_E_SYNTAX, "control"},
		{"k\rx text:a", LAR_E_SYNTAX, "control"},
		{"k text:a\001b", LAR_E_SYNTAX, "control"},
		{"k text:a\rb", LAR_E_SYNTAX, "control"},
		{"k\xff text:a", LAR_E_SYNTAX, "UTF-8"},
	};
	struct lar_keyring *kr;
	struct lar_err e = {0};
	char text[512];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "# head\ngood text:one\n\n%s\ngood text:two\n", cases[i].line);
		lar_status rc = load(&kr, text, &e);
		CHECKM(rc == cases[i].code && e.code == rc, "case %zu: rc %d", i, rc);
		CHECKM(strncmp(e.msg, "kr.txt:4: ", 10) == 0, "case %zu: %.400s", i, e.msg);
		CHECKM(strstr(e.msg, cases[i].word) != NULL, "case %zu: %.400s", i, e.msg);
		CHECKM(lar_keyring_count(kr) == 0, "case %zu: nothing kept", i);
		size_t pos = 0;
		CHECK(lar_keyring_next(kr, "good", 4, &pos) == NULL);
		lar_keyring_free(kr);
	}

	/* keyId limit. */
	memset(text, 'i', 257);
	strcpy(text + 257, " text:k");
	CHECK(load(&kr, text, &e) == LAR_E_RANGE);
	CHECKM(strncmp(e.msg, "kr.txt:1: ", 10) == 0 && strstr(e.msg, "256") != NULL, "%.400s", e.msg);
	lar_keyring_free(kr);

	/* A NUL inside the text is a control byte, not an end. */
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	CHECK(lar_keyring_load_text(kr, "a text:x\nk\0z text:y\n", 20, "nul", NULL, 0, &e) == LAR_E_SYNTAX);
	CHECKM(strncmp(e.msg, "nul:2: ", 7) == 0, "%.400s", e.msg);
	CHECK(lar_keyring_load_text(kr, "a text:x\0", 9, "nul", NULL, 0, &e) == LAR_E_SYNTAX);
	/* Without an env lookup, env: is an error. */
	CHECK(lar_keyring_load_text(kr, "e env:LAR_A", 11, "noenv", NULL, 0, &e) == LAR_E_SYNTAX);
	CHECKM(strncmp(e.msg, "noenv:1: ", 9) == 0, "%.400s", e.msg);
	/* A NULL error record is allowed. */
	CHECK(lar_keyring_load_text(kr, "k", 1, "x", NULL, 0, NULL) == LAR_E_SYNTAX);
	CHECK(lar_keyring_count(kr) == 0);

	/* Atomic per load: a failure keeps what earlier loads added, and
	 * indices continue from there. */
	CHECK(lar_keyring_load_text(kr, "a text:1\nb text:2\n", 18, "one", NULL, 0, &e) == LAR_OK);
	CHECK(lar_keyring_load_text(kr, "a text:3\nb text:4\nc bad\n", 24, "two", NULL, 0, &e) ==
	      LAR_E_SYNTAX);
	CHECKM(strncmp(e.msg, "two:3: ", 7) == 0, "%.400s", e.msg);
	CHECK(lar_keyring_count(kr) == 2);
	size_t pos = 0;
	CHECK(key_is(lar_keyring_next(kr, "a", 1, &pos), "1", 1));
	CHECK(lar_keyring_next(kr, "a", 1, &pos) == NULL);
	CHECK(lar_keyring_load_text(kr, "c text:5\n", 9, "three", NULL, 0, &e) == LAR_OK);
	const struct lar_key_entry *k = lar_keyring_entry(kr, 2);
	CHECK(id_is(k, "c") && k->index == 2 && strcmp(k->origin, "three") == 0 && key_is(k, "5", 1));
	CHECK(lar_keyring_entry(kr, 0) != NULL && strcmp(lar_keyring_entry(kr, 0)->origin, "one") == 0);
	lar_keyring_free(kr);
	lar_keyring_free(NULL);
}

/* ---- lookup ------------------------------------------------------------- */

static void test_lookup(void)
{
	struct lar_keyring *kr;
	struct lar_err e = {0};
	const struct lar_key_entry *k;
	size_t pos;

	CHECK(load(&kr,
		   "prod text:p1\n"
		   "prod-2025 text:x\n"
		   "Prod text:y\n"
		   "prod text:p2\n"
		   "pro text:z\n"
		   "prod text:p3 revoked\n",
		   &e) == LAR_OK);
	pos = 0;
	k = lar_keyring_next(kr, "prod", 4, &pos);
	CHECK(k != NULL && k->index == 0 && key_is(k, "p1", 2) && pos == 1);
	k = lar_keyring_next(kr, "prod", 4, &pos);
	CHECK(k != NULL && k->index == 3 && key_is(k, "p2", 2) && pos == 4);
	k = lar_keyring_next(kr, "prod", 4, &pos);
	CHECK(k != NULL && k->index == 5 && k->revoked && pos == 6);
	CHECK(lar_keyring_next(kr, "prod", 4, &pos) == NULL);
	CHECK(lar_keyring_next(kr, "prod", 4, &pos) == NULL);
	/* Start anywhere: the next match at or after *pos. */
	pos = 2;
	k = lar_keyring_next(kr, "prod", 4, &pos);
	CHECK(k != NULL && k->index == 3);
	pos = 3;
	k = lar_keyring_next(kr, "prod", 4, &pos);
	CHECK(k != NULL && k->index == 3);
	pos = 99;
	CHECK(lar_keyring_next(kr, "prod", 4, &pos) == NULL);
	/* Exact, bytewise, case-sensitive; the length counts, not a NUL. */
	pos = 0;
	k = lar_keyring_next(kr, "Prod", 4, &pos);
	CHECK(k != NULL && k->index == 2 && lar_keyring_next(kr, "Prod", 4, &pos) == NULL);
	pos = 0;
	k = lar_keyring_next(kr, "prod-2025", 4, &pos);
	CHECK(k != NULL && k->index == 0);
	pos = 0;
	k = lar_keyring_next(kr, "prod-2025", 9, &pos);
	CHECK(k != NULL && k->index == 1 && lar_keyring_next(kr, "prod-2025", 9, &pos) == NULL);
	pos = 0;
	CHECK(lar_keyring_next(kr, "pr", 2, &pos) == NULL);
	pos = 0;
	CHECK(lar_keyring_next(kr, "prod\0", 5, &pos) == NULL);
	pos = 0;
	CHECK(lar_keyring_next(kr, "", 0, &pos) == NULL);
	CHECK(lar_keyring_next(NULL, "prod", 4, &pos) == NULL);
	lar_keyring_free(kr);

	/* An empty keyring finds nothing. */
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	pos = 0;
	CHECK(lar_keyring_next(kr, "prod", 4, &pos) == NULL && lar_keyring_count(kr) == 0);
	lar_keyring_free(kr);
}

/* Many keyIds over many loads: every chain in order (exercises rehashing). */
static void test_many(void)
{
	struct lar_keyring *kr;
	struct lar_err e = {0};
	size_t cap = 64 * LAR_KEYRING_MAX_ENTRIES, n = 0;
	char *text = malloc(cap);

	CHECK(text != NULL && lar_keyring_new(&kr) == LAR_OK);
	if (text == NULL)
		return;
	for (int i = 0; i < 3000; i++)
		n += (size_t)snprintf(text + n, cap - n, "id%d text:s%d\n", i % 1000, i);
	size_t cut = n / 2;
	while (text[cut - 1] != '\n')
		cut--;
	CHECK(lar_keyring_load_text(kr, text, cut, "half1", NULL, 0, &e) == LAR_OK);
	CHECK(lar_keyring_load_text(kr, text + cut, n - cut, "half2", NULL, 0, &e) == LAR_OK);
	CHECK(lar_keyring_count(kr) == 3000);
	int bad = 0;
	for (int id = 0; id < 1000; id++) {
		char name[16], sec[16];
		int len = snprintf(name, sizeof name, "id%d", id);
		size_t pos = 0;
		int j = 0;
		const struct lar_key_entry *k;
		while ((k = lar_keyring_next(kr, name, (size_t)len, &pos)) != NULL) {
			int sl = snprintf(sec, sizeof sec, "s%d", id + 1000 * j);
			if (k->index != (size_t)(id + 1000 * j) || !id_is(k, name) ||
			    (id % 97 == 0 && !key_is(k, sec, sl)))
				bad++;
			j++;
		}
		if (j != 3)
			bad++;
	}
	CHECKM(bad == 0, "%d bad chains", bad);

	/* Up to 4096 entries, across loads; the next is over the limit. */
	n = 0;
	for (int i = 0; i < LAR_KEYRING_MAX_ENTRIES - 3000 - 1; i++)
		n += (size_t)snprintf(text + n, cap - n, "more text:m%d\n", i);
	CHECK(lar_keyring_load_text(kr, text, n, "more", NULL, 0, &e) == LAR_OK);
	CHECK(lar_keyring_count(kr) == LAR_KEYRING_MAX_ENTRIES - 1);
	CHECK(lar_keyring_load_text(kr, "# c\nx text:1\ny text:2\n", 22, "over", NULL, 0, &e) == LAR_E_RANGE);
	CHECKM(strncmp(e.msg, "over:3: ", 8) == 0, "%.400s", e.msg);
	CHECK(lar_keyring_count(kr) == LAR_KEYRING_MAX_ENTRIES - 1);
	CHECK(lar_keyring_add_spec(kr, "x=text:1", 0, &e) == LAR_OK);
	CHECK(lar_keyring_count(kr) == LAR_KEYRING_MAX_ENTRIES);
	CHECK(lar_keyring_add_spec(kr, "y=text:2", 0, &e) == LAR_E_RANGE);
	CHECK(lar_keyring_count(kr) == LAR_KEYRING_MAX_ENTRIES);
	lar_keyring_free(kr);

	/* One text of 4097 lines: refused at line 4097, nothing kept. */
	n = 0;
	for (int i = 0; i <= LAR_KEYRING_MAX_ENTRIES; i++)
		n += (size_t)snprintf(text + n, cap - n, "k text:%d\n", i);
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	CHECK(lar_keyring_load_text(kr, text, n, "big", NULL, 0, &e) == LAR_E_RANGE);
	CHECKM(strncmp(e.msg, "big:4097: ", 10) == 0, "%.400s", e.msg);
	CHECK(lar_keyring_count(kr) == 0);
	lar_keyring_free(kr);
	free(text);
}

/* ---- --key -------------------------------------------------------------- */

static void test_spec(void)
{
	struct lar_keyring *kr;
	struct lar_err e = {0};
	const struct lar_key_entry *k;
	static const uint8_t hk[] = {0xde, 0xad};

	CHECK(lar_keyring_new(&kr) == LAR_OK);
	lar_keyring_set_env_lookup(kr, env_lookup, (void *)envtab);
	CHECK(lar_keyring_add_spec(kr, "liveauth-mcp-receipt-v1=text:abc", 0, &e) == LAR_OK);
	k = lar_keyring_entry(kr, 0);
	CHECK(id_is(k, "liveauth-mcp-receipt-v1") && key_is(k, "abc", 3));
	CHECK(k != NULL && strcmp(k->origin, "--key") == 0 && k->line == 1 && k->index == 0);
	CHECK(k != NULL && k->not_before == LAR_TIME_MIN && k->not_after == LAR_TIME_MAX && !k->revoked);
	CHECK(lar_keyring_add_spec(kr, "k=text:a=b#c", 0, &e) == LAR_OK); /* first '=' splits; no comments */
	CHECK(key_is(lar_keyring_entry(kr, 1), "a=b#c", 5));
	CHECK(lar_keyring_add_spec(kr, "k=hex:DEad", 0, &e) == LAR_OK);
	CHECK(key_is(lar_keyring_entry(kr, 2), hk, 2));
	CHECK(lar_keyring_add_spec(kr, "k=base64:3q0=", 0, &e) == LAR_OK);
	CHECK(key_is(lar_keyring_entry(kr, 3), hk, 2));
	CHECK(lar_keyring_add_spec(kr, "k=env:LAR_A", 0, &e) == LAR_OK);
	CHECK(key_is(lar_keyring_entry(kr, 4), "env secret a", 12));
	size_t pos = 0;
	int n = 0;
	while ((k = lar_keyring_next(kr, "k", 1, &pos)) != NULL)
		n++;
	CHECK(n == 4);

	static const struct {
		const char *spec;
		lar_status code;
	} bad[] = {
		{"", LAR_E_SYNTAX},
		{"noequals", LAR_E_SYNTAX},
		{"=text:abc", LAR_E_SYNTAX},
		{"k=", LAR_E_SYNTAX},
		{"k=text:", LAR_E_SYNTAX},
		{"k=abc", LAR_E_SYNTAX},
		{"k=text:a b", LAR_E_SYNTAX},
		{"k=text:a\tb", LAR_E_SYNTAX},
		{"k=text:a not-after=2026-01-01T00:00:00Z", LAR_E_SYNTAX},
		{"k=text:a\nb", LAR_E_SYNTAX},
		{"k x=text:a", LAR_E_SYNTAX},
		{"k\x01=text:a", LAR_E_SYNTAX},
		{"k=env:UNSET_VAR", LAR_E_SYNTAX},
		{"k=hex:0", LAR_E_SYNTAX},
		{"k=file:/nonexistent/la-receipt/x", LAR_E_IO},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0, sizeof e);
		CHECKM(lar_keyring_add_spec(kr, bad[i].spec, 0, &e) == bad[i].code, "spec %zu", i);
		CHECKM(strncmp(e.msg, "--key: ", 7) == 0, "spec %zu: %.400s", i, e.msg);
	}
	char longid[300];
	memset(longid, 'i', 257);
	strcpy(longid + 257, "=text:a");
	CHECK(lar_keyring_add_spec(kr, longid, 0, &e) == LAR_E_RANGE);
	CHECK(lar_keyring_add_spec(kr, NULL, 0, &e) != LAR_OK);
	CHECK(lar_keyring_count(kr) == 5);
	lar_keyring_free(kr);
}

/* ---- files: permissions and kinds --------------------------------------- */

static void test_files(void)
{
	struct lar_keyring *kr;
	struct lar_err e = {0};
	char path[PATH_MAX], p2[PATH_MAX];

	CHECK(lar_keyring_new(&kr) == LAR_OK);
	join(path, tmp, "perm.txt");
	CHECK(write_str(tmp, "perm.txt", "p text:perm\n", 0644) == 0);
	memset(&e, 0, sizeof e);
	CHECK(lar_keyring_load_file(kr, path, 0, &e) == LAR_E_PERM);
	CHECKM(strncmp(e.msg, path, strlen(path)) == 0 && strstr(e.msg, "chmod 600") != NULL &&
		       strstr(e.msg, "--insecure-keyring") != NULL,
	       "%.400s", e.msg);
	CHECK(chmod(path, 0640) == 0);
	CHECK(lar_keyring_load_file(kr, path, 0, &e) == LAR_E_PERM);
	CHECK(chmod(path, 0604) == 0);
	CHECK(lar_keyring_load_file(kr, path, 0, &e) == LAR_E_PERM);
	CHECK(lar_keyring_count(kr) == 0);
	CHECK(chmod(path, 0644) == 0);
	CHECKM(lar_keyring_load_file(kr, path, LAR_KEYRING_INSECURE, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(chmod(path, 0600) == 0);
	CHECKM(lar_keyring_load_file(kr, path, 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(chmod(path, 0400) == 0);
	CHECKM(lar_keyring_load_file(kr, path, 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(lar_keyring_count(kr) == 3 && key_is(lar_keyring_entry(kr, 2), "perm", 4));

	/* The same rule for a file: secret, reported at its line. */
	CHECK(write_str(tmp, "loose.secret", "loose\n", 0644) == 0);
	CHECK(write_str(tmp, "fs.txt", "# x\nf file:loose.secret\n", 0600) == 0);
	join(path, tmp, "fs.txt");
	CHECK(lar_keyring_load_file(kr, path, 0, &e) == LAR_E_PERM);
	CHECKM(strstr(e.msg, "fs.txt:2: ") != NULL && strstr(e.msg, "chmod 600") != NULL, "%.400s", e.msg);
	CHECK(lar_keyring_count(kr) == 3);
	CHECKM(lar_keyring_load_file(kr, path, LAR_KEYRING_INSECURE, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(key_is(lar_keyring_entry(kr, 3), "loose", 5));
	CHECK(lar_keyring_add_spec(kr, "s=file:/dev/null", LAR_KEYRING_INSECURE, &e) == LAR_E_PERM);
	lar_keyring_free(kr);

	/* Not regular files: a folder, a FIFO (must not block), a device. */
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	CHECK(lar_keyring_load_file(kr, tmp, 0, &e) == LAR_E_PERM);
	CHECKM(strstr(e.msg, "not a regular file") != NULL, "%.400s", e.msg);
	join(path, tmp, "fifo");
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(lar_keyring_load_file(kr, path, 0, &e) == LAR_E_PERM);
	CHECK(lar_keyring_load_file(kr, path, LAR_KEYRING_INSECURE, &e) == LAR_E_PERM);
	CHECKM(strstr(e.msg, "not a regular file") != NULL, "%.400s", e.msg);
	if (access("/dev/zero", R_OK) == 0) {
		CHECK(lar_keyring_load_file(kr, "/dev/zero", LAR_KEYRING_INSECURE, &e) == LAR_E_PERM);
		CHECKM(strstr(e.msg, "not a regular file") != NULL, "%.400s", e.msg);
	}
	CHECK(write_str(tmp, "kinds.txt", "a file:fifo\n", 0600) == 0);
	join(path, tmp, "kinds.txt");
	CHECK(lar_keyring_load_file(kr, path, LAR_KEYRING_INSECURE, &e) == LAR_E_PERM);
	CHECKM(strstr(e.msg, "kinds.txt:1: ") != NULL && strstr(e.msg, "not a regular file") != NULL,
	       "%.400s", e.msg);
	CHECK(write_str(tmp, "kinds.txt", "a text:x\nb file:/dev/zero\n", 0600) == 0);
	CHECK(lar_keyring_load_file(kr, path, LAR_KEYRING_INSECURE, &e) == LAR_E_PERM);
	CHECKM(strstr(e.msg, "kinds.txt:2: ") != NULL, "%.400s", e.msg);
	CHECK(write_str(tmp, "kinds.txt", "a file:.\n", 0600) == 0);
	CHECK(lar_keyring_load_file(kr, path, LAR_KEYRING_INSECURE, &e) == LAR_E_PERM);
	CHECK(lar_keyring_count(kr) == 0);

	/* Missing file. */
	join(path, tmp, "missing.txt");
	CHECK(lar_keyring_load_file(kr, path, 0, &e) == LAR_E_IO && e.sys_errno == ENOENT);

	/* A symlink to a private file is followed; relative file: paths
	 * start from the link's folder. */
	CHECK(write_str(tmp, "real.txt", "l text:linked\n", 0600) == 0);
	join(path, tmp, "link.txt");
	CHECK(symlink("real.txt", path) == 0);
	CHECKM(lar_keyring_load_file(kr, path, 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(key_is(lar_keyring_entry(kr, 0), "linked", 6));

	/* Size: exactly 1 MiB is fine, 1 MiB + 1 and 2 MiB are not. */
	size_t big = 2 * LAR_KEYRING_MAX_FILE;
	char *buf = malloc(big);
	CHECK(buf != NULL);
	if (buf != NULL) {
		memset(buf, '#', big);
		for (size_t i = 99; i < big; i += 100)
			buf[i] = '\n';
		join(p2, tmp, "big.txt");
		CHECK(write_file(p2, buf, LAR_KEYRING_MAX_FILE, 0600) == 0);
		CHECKM(lar_keyring_load_file(kr, p2, 0, &e) == LAR_OK, "%.400s", e.msg);
		CHECK(write_file(p2, buf, LAR_KEYRING_MAX_FILE + 1, 0600) == 0);
		CHECK(lar_keyring_load_file(kr, p2, 0, &e) == LAR_E_RANGE);
		CHECK(write_file(p2, buf, big, 0600) == 0);
		CHECK(lar_keyring_load_file(kr, p2, 0, &e) == LAR_E_RANGE);
		CHECKM(strncmp(e.msg, p2, strlen(p2)) == 0, "%.400s", e.msg);
		free(buf);
	}
	CHECK(lar_keyring_count(kr) == 1);
	lar_keyring_free(kr);
}

/* ---- no secret in any message ------------------------------------------- */

static void test_no_leak(void)
{
	static const char *const lines[] = {
		"k text:" MARKER " foo",
		"k text:" MARKER " and more words",
		"k text:" MARKER " not-after=2026",
		"k text:" MARKER " revoked revoked",
		"k text:" MARKER " not-before=x",
		"k text:" MARKER " not-before=2026-01-01T00:00:00Z not-after=2025-01-01T00:00:00Z",
		"k text:" MARKER "\x01",
		"k text:" MARKER "\xff",
		"k text:\xff" MARKER,
		"k " MARKER,
		"k pass:" MARKER,
		"k " MARKER ":x",
		"text:" MARKER,
		"k text:ok text:" MARKER,
		"k text:ok " MARKER,
		"k hex:" MARKER,
		"k hex:c0ffee" MARKER,
		"k hex:c0ffeeq",
		"k base64:" MARKER "!",
		"k base64:" MARKER "=x",
		"k base64:" MARKER "=",
		"k env:MARK foo",
		"k env:BADUTF",
		"k file:" MARKER "\x01",
		"k text:" MARKER "\rx",
		"k\x01 text:" MARKER,
	};
	static const char *const specs[] = {
		"text:" MARKER,           "base64:" MARKER "==",   "k=" MARKER,
		"k=text:" MARKER " more", "k=text:" MARKER "\x01", "k=text:" MARKER "\xff",
		"k=hex:c0ffee" MARKER,    "k=hex:c0ffeeq",         "k=base64:" MARKER "!",
		"k=env:BADUTF",           "k=pass:" MARKER,
	};
	struct lar_keyring *kr;
	struct lar_err e = {0};
	char text[256];

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		snprintf(text, sizeof text, "k env:MARK\n%s\n", lines[i]);
		lar_status rc = load(&kr, text, &e);
		/* Line 1 (the marker from the environment) is fine; line 2 is not. */
		CHECKM(rc != LAR_OK, "line %zu accepted", i);
		CHECKM(strncmp(e.msg, "kr.txt:2: ", 10) == 0, "line %zu: %.400s", i, e.msg);
		CHECKM(strstr(e.msg, MARKER) == NULL && strstr(e.msg, "c0ffee") == NULL, "line %zu: %.400s",
		       i, e.msg);
		lar_keyring_free(kr);
	}
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	lar_keyring_set_env_lookup(kr, env_lookup, (void *)envtab);
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		memset(&e, 0, sizeof e);
		CHECKM(lar_keyring_add_spec(kr, specs[i], 0, &e) != LAR_OK, "spec %zu accepted", i);
		CHECKM(e.msg[0] != 0 && strstr(e.msg, MARKER) == NULL && strstr(e.msg, "c0ffee") == NULL,
		       "spec %zu: %.400s", i, e.msg);
	}
	lar_keyring_free(kr);

	/* Secret files that are refused: their content is never quoted. */
	char path[PATH_MAX], *big = malloc(LAR_KEYRING_MAX_SECRET_FILE + 100);
	CHECK(big != NULL);
	if (big == NULL)
		return;
	for (size_t i = 0; i + sizeof MARKER < LAR_KEYRING_MAX_SECRET_FILE + 100; i += sizeof MARKER - 1)
		memcpy(big + i, MARKER, sizeof MARKER - 1);
	join(path, tmp, "mark.secret");
	CHECK(write_file(path, big, LAR_KEYRING_MAX_SECRET_FILE + 50, 0600) == 0);
	CHECK(load(&kr, "k file:mark.secret", &e) == LAR_E_RANGE && strstr(e.msg, MARKER) == NULL);
	lar_keyring_free(kr);
	CHECK(write_file(path, big, 100, 0644) == 0);
	CHECK(load(&kr, "k file:mark.secret", &e) == LAR_E_PERM && strstr(e.msg, MARKER) == NULL);
	lar_keyring_free(kr);
	/* A keyring refused for its permissions or a bad line elsewhere. */
	snprintf(big, 200, "k text:%s\nbad\n", MARKER);
	join(path, tmp, "mark.txt");
	CHECK(write_file(path, big, strlen(big), 0644) == 0);
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	CHECK(lar_keyring_load_file(kr, path, 0, &e) == LAR_E_PERM && strstr(e.msg, MARKER) == NULL);
	CHECK(lar_keyring_load_file(kr, path, LAR_KEYRING_INSECURE, &e) == LAR_E_SYNTAX);
	CHECKM(strstr(e.msg, MARKER) == NULL && strstr(e.msg, "mark.txt:2: ") != NULL, "%.400s", e.msg);
	lar_keyring_free(kr);
	free(big);
}

/* ---- the golden keyring of ../shared ------------------------------------ */

static char golden_env_value[256];

static const char *golden_env(const char *name, void *ctx)
{
	(void)ctx;
	return strcmp(name, "LAR_TEST_SECRET") == 0 ? golden_env_value : NULL;
}

/* Every golden receipt that verifies (ok, flag, key_revoked, ...) has its
 * signature made by one of its keyId's entries. */
static void golden_signatures(const struct lar_keyring *kr, const char *dir)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	char *rec, *exp;
	int checked = 0, bad = 0, revoked = 0;

	join(p1, dir, "receipts.jsonl");
	join(p2, dir, "expected.jsonl");
	rec = tap_slurp(p1, NULL);
	exp = tap_slurp(p2, NULL);
	CHECK(rec != NULL && exp != NULL);
	char *rs = rec, *es = exp;
	while (rec != NULL && exp != NULL && *rs && *es) {
		char *rn = strchr(rs, '\n'), *en = strchr(es, '\n');
		if (rn)
			*rn = 0;
		if (en)
			*en = 0;
		cJSON *r = cJSON_Parse(rs), *x = cJSON_Parse(es);
		cJSON *env = r, *rv;
		if (cJSON_IsObject(r) && (rv = cJSON_GetObjectItemCaseSensitive(r, "receipt")) != NULL)
			env = rv;
		const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "status"));
		cJSON *reasons = cJSON_GetObjectItemCaseSensitive(x, "reasons");
		int is_revoked = 0, sigfail = 0;
		cJSON *it;
		cJSON_ArrayForEach(it, reasons)
		{
			const char *s = cJSON_GetStringValue(it);
			if (s && strcmp(s, "key_revoked") == 0)
				is_revoked = 1;
			if (s &&
			    (strcmp(s, "malformed_input") == 0 || strcmp(s, "unsupported_version") == 0 ||
			     strcmp(s, "unsupported_algorithm") == 0 ||
			     strcmp(s, "malformed_envelope") == 0 || strcmp(s, "unknown_key") == 0 ||
			     strcmp(s, "bad_signature") == 0))
				sigfail = 1;
		}
		const char *kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "keyId"));
		const char *pl = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "payload"));
		const char *sig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(env, "signature"));
		if (status != NULL && strcmp(status, "skipped") != 0 && !sigfail && kid && pl && sig) {
			size_t pos = 0;
			const struct lar_key_entry *k;
			int found = 0;
			while (!found && (k = lar_keyring_next(kr, kid, strlen(kid), &pos)) != NULL) {
				struct lar_mac_ctx *c = NULL;
				uint8_t mac[LAR_MAC_LEN];
				char b64[64];
				if (lar_mac_ctx_new(k->mac, &c, NULL) == LAR_OK &&
				    lar_mac_compute(c, pl, strlen(pl), mac) == LAR_OK) {
					size_t bn = lar_b64url_encode(mac, sizeof mac, b64);
					found = bn == strlen(sig) && memcmp(b64, sig, bn) == 0;
					if (found && k->revoked != is_revoked)
						bad++;
				}
				lar_mac_ctx_free(c);
			}
			checked++;
			revoked += is_revoked;
			if (!found)
				bad++;
		}
		cJSON_Delete(r);
		cJSON_Delete(x);
		if (!rn || !en)
			break;
		rs = rn + 1;
		es = en + 1;
	}
	CHECKM(checked >= 20 && revoked >= 1 && bad == 0, "checked %d, revoked %d, bad %d", checked, revoked,
	       bad);
	free(rec);
	free(exp);
}

static void test_golden(void)
{
	char buf[PATH_MAX], dir[PATH_MAX], gdir[PATH_MAX], path[PATH_MAX];
	const char *kp = tap_shared("golden/keyring.txt", buf, sizeof buf);
	size_t n;
	char *s;

	if (kp == NULL) {
		printf("# golden keyring absent: skipped\n");
		return;
	}
	snprintf(gdir, sizeof gdir, "%s/golden", getenv("LAR_SHARED"));
	join(dir, tmp, "golden");
	CHECK(mkdir(dir, 0700) == 0);
	static const char *const files[] = {"keyring.txt", "from-file.secret"};
	for (int i = 0; i < 2; i++) {
		join(path, gdir, files[i]);
		s = tap_slurp(path, &n);
		CHECK(s != NULL);
		if (s == NULL)
			return;
		join(path, dir, files[i]);
		CHECK(write_file(path, s, n, 0600) == 0);
		free(s);
	}
	/* env.sh: export LAR_TEST_SECRET='value' */
	join(path, gdir, "env.sh");
	s = tap_slurp(path, &n);
	char *q1 = s ? strchr(s, '\'') : NULL, *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	CHECK(s != NULL && strstr(s, "LAR_TEST_SECRET=") != NULL && q2 != NULL &&
	      (size_t)(q2 - q1) < sizeof golden_env_value);
	if (q2 != NULL && (size_t)(q2 - q1) < sizeof golden_env_value)
		snprintf(golden_env_value, sizeof golden_env_value, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
	free(s);

	struct lar_keyring *kr;
	struct lar_err e = {0};
	CHECK(lar_keyring_new(&kr) == LAR_OK);
	lar_keyring_set_env_lookup(kr, golden_env, NULL);
	join(path, dir, "keyring.txt");
	CHECKM(lar_keyring_load_file(kr, path, 0, &e) == LAR_OK, "%.400s", e.msg);
	CHECK(lar_keyring_count(kr) == 7);
	static const struct {
		const char *id;
		enum lar_secret_form form;
		lar_time nb, na;
		int revoked;
		unsigned line;
	} want[] = {
		{"liveauth-mcp-receipt-v1", LAR_SECRET_TEXT, LAR_TIME_MIN, LAR_TIME_MAX, 0, 2},
		{"liveauth-mcp-receipt-v1", LAR_SECRET_HEX, LAR_TIME_MIN, LAR_TIME_MAX, 0, 3},
		{"ops-2025", LAR_SECRET_BASE64, LAR_TIME_MIN, T2026, 0, 5},
		{"ops-2026", LAR_SECRET_HEX, T2026, LAR_TIME_MAX, 0, 6},
		{"staging", LAR_SECRET_HEX, LAR_TIME_MIN, LAR_TIME_MAX, 1, 7},
		{"from-env", LAR_SECRET_ENV, LAR_TIME_MIN, LAR_TIME_MAX, 0, 8},
		{"from-file", LAR_SECRET_FILE, LAR_TIME_MIN, LAR_TIME_MAX, 0, 9},
	};
	for (size_t i = 0; i < 7 && i < lar_keyring_count(kr); i++) {
		const struct lar_key_entry *k = lar_keyring_entry(kr, i);
		CHECKM(id_is(k, want[i].id) && k->form == want[i].form && k->not_before == want[i].nb &&
			       k->not_after == want[i].na && k->revoked == want[i].revoked &&
			       k->line == want[i].line,
		       "golden entry %zu", i);
	}
	CHECK(key_is(lar_keyring_entry(kr, 0), "test-jwt-signing-key-that-is-at-least-32-bytes-long", 51));
	CHECK(key_is(lar_keyring_entry(kr, 5), golden_env_value, strlen(golden_env_value)));
	join(path, gdir, "from-file.secret");
	s = tap_slurp(path, &n);
	CHECK(s != NULL && n > 1 && s[n - 1] == '\n');
	if (s != NULL && n > 1)
		CHECK(key_is(lar_keyring_entry(kr, 6), s, n - 1));
	free(s);
	if (lar_keyring_count(kr) == 7)
		golden_signatures(kr, gdir);
	lar_keyring_free(kr);
}

int main(void)
{
	const char *base = getenv("LAR_TMP");

	alarm(120); /* a FIFO that blocks must fail the test, not hang it */
	snprintf(tmp, sizeof tmp, "%s/lar-keyring-XXXXXX", base != NULL && *base ? base : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_forms();
	test_file_secrets();
	test_grammar();
	test_errors();
	test_lookup();
	test_many();
	test_spec();
	test_files();
	test_no_leak();
	test_golden();
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
