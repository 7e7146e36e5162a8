/*
 * keyring.c - the keyring of SPEC §3: parses keyring files and --key specs
 * into entries that hold a fingerprint and a pre-keyed MAC template, and
 * finds the entries of a keyId quickly (a hash of keyIds, each chaining its
 * entries in keyring order).
 *
 * Secret bytes live only for the moment it takes to make the MAC key and the
 * fingerprint; they are wiped right after, on every path, and so is the text
 * of a keyring file once parsed.  No message ever quotes a secret, nor a
 * token that might be a piece of one (an unknown option may be the second
 * half of a text secret written with a space, so it is not quoted either).
 *
 * Not for: reading the environment (the caller's callback does), printing,
 * or choosing verdicts (receipt.c does).
 */
#include "keyring.h"
#include "b64url.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYID_MAX 256
#define NONE SIZE_MAX
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* An entry as stored: the public part, then the keyId bytes. */
struct ent {
	struct lar_key_entry pub;
	uint64_t hash;
	size_t next; /* index of the next entry with the same keyId, or NONE */
	char id[];
};

/* Hash slot of one distinct keyId: its first and last entry. */
struct slot {
	size_t first, last; /* first == NONE: empty */
};

struct lar_keyring {
	struct ent **ents; /* pointers, so entry addresses survive growth */
	size_t n, cap;
	struct slot *tab; /* open addressing, power-of-two size, at most half full */
	size_t tabsz, ndistinct;
	char **origins; /* file names the entries point to */
	size_t norigins, origcap;
	lar_env_lookup_fn env;
	void *env_ctx;
};

/* State of one load (a file, a text or one --key). */
struct ctx {
	struct lar_keyring *kr;
	const char *origin;
	const char *base_dir; /* for relative file: paths; NULL = current dir */
	unsigned flags;
	unsigned line;
	int spec; /* 1 for --key: messages name neither line nor keyId */
	struct lar_err *e;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 0)))
#endif
static lar_status verr(struct ctx *c, lar_status code, int sys, const char *fmt, va_list ap)
{
	char m[400];

	vsnprintf(m, sizeof m, fmt, ap);
	if (c->spec)
		return lar_err_sys(c->e, code, sys, "--key: %s", m);
	return lar_err_sys(c->e, code, sys, "%s:%u: %s", c->origin, c->line, m);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static lar_status lerr(struct ctx *c, lar_status code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static lar_status lerr_sys(struct ctx *c, lar_status code, int sys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, code, sys, fmt, ap);
	va_end(ap);
	return code;
}

static uint64_t hashid(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int is_ctl(uint8_t b)
{
	return b < 0x20 || b == 0x7f;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		uint32_t cp, min;
		size_t k;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			k = 1, cp = b & 0x1f, min = 0x80;
		} else if ((b & 0xf0) == 0xe0) {
			k = 2, cp = b & 0x0f, min = 0x800;
		} else if (b >= 0xf0 && b <= 0xf4) {
			k = 3, cp = b & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i - 1 < k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			uint8_t t = s[i + j];
			if ((t & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (t & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int has_prefix(const char *p, size_t n, const char *pre)
{
	size_t k = strlen(pre);
	return n >= k && memcmp(p, pre, k) == 0;
}

static int tok_is(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Read fd to EOF into a fresh buffer, at most max + 1 bytes (so a caller can
 * tell "exactly max" from "more").  Growth copies and wipes, never realloc,
 * because the bytes may be secret.  *buf has at least one spare byte. */
static int read_bounded(int fd, size_t hint, size_t max, uint8_t **buf, size_t *len)
{
	size_t cap = (hint < max ? hint : max) + 2, n = 0;
	uint8_t *p = malloc(cap);

	*buf = NULL;
	*len = 0;
	if (p == NULL)
		return ENOMEM;
	for (;;) {
		if (n == cap - 1) {
			if (n > max)
				break;
			size_t ncap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
			uint8_t *q = malloc(ncap);
			if (q == NULL) {
				lar_wipe(p, cap);
				free(p);
				return ENOMEM;
			}
			memcpy(q, p, n);
			lar_wipe(p, cap);
			free(p);
			p = q;
			cap = ncap;
		}
		ssize_t r = read(fd, p + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			lar_wipe(p, cap);
			free(p);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* Read a private file whole: SPEC §3 refuses anything but a regular file
 * and, unless insecure, one readable by group or others.  The open cannot
 * block (a FIFO) or take a terminal, and the checks look at the opened fd,
 * so the file checked is the file read.  On error, msg gets "SUBJECT: what
 * is wrong" (never any content) and *sys the errno, if any.  On success the
 * caller wipes and frees (*buf)[0..*len). */
static lar_status read_private(const char *path, unsigned flags, size_t max, const char *subject,
			       uint8_t **buf, size_t *len, char *msg, size_t msgsz, int *sys)
{
	struct stat st;
	lar_status rc;
	int fd, err;

	*buf = NULL;
	*len = 0;
	*sys = 0;
	fd = open(path, OPEN_FLAGS);
	if (fd < 0) {
		*sys = errno;
		snprintf(msg, msgsz, "%s: cannot open: %s", subject, strerror(*sys));
		return LAR_E_IO;
	}
	if (fstat(fd, &st) != 0) {
		*sys = errno;
		snprintf(msg, msgsz, "%s: cannot stat: %s", subject, strerror(*sys));
		rc = LAR_E_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msgsz, "%s: not a regular file", subject);
		rc = LAR_E_PERM;
		goto out;
	}
	/* SPEC §3: refused as ssh refuses such keys, unless --insecure-keyring */
	if ((st.st_mode & (S_IRGRP | S_IROTH)) && !(flags & LAR_KEYRING_INSECURE)) {
		snprintf(msg, msgsz,
			 "%s: readable by group or others: run 'chmod 600 %s' or use --insecure-keyring",
			 subject, path);
		rc = LAR_E_PERM;
		goto out;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		snprintf(msg, msgsz, "%s: larger than %zu bytes", subject, max);
		rc = LAR_E_RANGE;
		goto out;
	}
	err = read_bounded(fd, (size_t)st.st_size, max, buf, len);
	if (err != 0) {
		if (err == ENOMEM) {
			snprintf(msg, msgsz, "%s: out of memory", subject);
			rc = LAR_E_NOMEM;
		} else {
			*sys = err;
			snprintf(msg, msgsz, "%s: cannot read: %s", subject, strerror(err));
			rc = LAR_E_IO;
		}
		goto out;
	}
	/* The file may have grown since fstat: read_bounded stops at max + 1. */
	if (*len > max) {
		lar_wipe(*buf, *len);
		free(*buf);
		*buf = NULL;
		*len = 0;
		snprintf(msg, msgsz, "%s: larger than %zu bytes", subject, max);
		rc = LAR_E_RANGE;
		goto out;
	}
	rc = LAR_OK;
out:
	close(fd);
	return rc;
}

/* The bytes of a file: secret, one trailing "\n" or "\r\n" removed. */
static lar_status read_secret_file(struct ctx *c, const char *p, size_t n, uint8_t **out, size_t *outlen,
				   size_t *outcap)
{
	char path[PATH_MAX], subject[PATH_MAX + 16], msg[400];
	uint8_t *buf;
	size_t len, slen;
	int k, sys;
	lar_status rc;

	if (n == 0)
		return lerr(c, LAR_E_SYNTAX, "file: secret without a path");
	/* SPEC §3: a relative path is taken from the keyring file's folder */
	if (p[0] != '/' && c->base_dir != NULL)
		k = snprintf(path, sizeof path, "%s/%.*s", c->base_dir, (int)n, p);
	else
		k = snprintf(path, sizeof path, "%.*s", (int)n, p);
	if (k < 0 || (size_t)k >= sizeof path)
		return lerr(c, LAR_E_RANGE, "file: secret path is too long");
	snprintf(subject, sizeof subject, "secret file '%s'", path);
	rc = read_private(path, c->flags, LAR_KEYRING_MAX_SECRET_FILE, subject, &buf, &len, msg, sizeof msg,
			  &sys);
	if (rc != LAR_OK)
		return lerr_sys(c, rc, sys, "%s", msg);
	slen = len;
	if (slen > 0 && buf[slen - 1] == '\n') {
		slen--;
		if (slen > 0 && buf[slen - 1] == '\r')
			slen--;
	}
	*out = buf;
	*outcap = len;
	if (slen == 0)
		return lerr(c, LAR_E_SYNTAX, "%s is empty", subject);
	*outlen = slen;
	return LAR_OK;
}

static int env_name_ok(const char *p, size_t n)
{
	if (n == 0 || (p[0] >= '0' && p[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (!(ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9')))
			return 0;
	}
	return 1;
}

/* Turn a secret token into bytes.  *sec points either into the token, into
 * the environment, or at *owned (caller wipes owned[0..*owned_cap) and
 * frees it).  Never quotes the token. */
static lar_status resolve_secret(struct ctx *c, const char *t, size_t n, enum lar_secret_form *form,
				 const uint8_t **sec, size_t *slen, uint8_t **owned, size_t *owned_cap)
{
	const char *colon = memchr(t, ':', n);
	size_t fl = colon != NULL ? (size_t)(colon - t) : n;
	const char *v = colon != NULL ? colon + 1 : t + n;
	size_t vn = colon != NULL ? n - fl - 1 : 0;
	uint8_t *buf;
	lar_status rc;

	*owned = NULL;
	*owned_cap = 0;
	if (colon == NULL)
		return lerr(c, LAR_E_SYNTAX,
			    "secret has no form (expected text:, hex:, base64:, env: or file:)");
	if (tok_is(t, fl, "text")) {
		*form = LAR_SECRET_TEXT;
		if (vn == 0)
			return lerr(c, LAR_E_SYNTAX, "empty secret");
		if (!utf8_ok((const uint8_t *)v, vn))
			return lerr(c, LAR_E_SYNTAX, "text secret is not valid UTF-8");
		*sec = (const uint8_t *)v;
		*slen = vn;
		return LAR_OK;
	}
	if (tok_is(t, fl, "hex")) {
		*form = LAR_SECRET_HEX;
		if (vn == 0)
			return lerr(c, LAR_E_SYNTAX, "empty secret");
		if (vn % 2 != 0)
			return lerr(c, LAR_E_SYNTAX, "invalid hex secret (odd number of digits)");
		buf = malloc(vn / 2);
		if (buf == NULL)
			return lerr(c, LAR_E_NOMEM, "out of memory");
		*owned = buf;
		*owned_cap = vn / 2;
		for (size_t i = 0; i < vn; i += 2) {
			int hi = hexval(v[i]), lo = hexval(v[i + 1]);
			if (hi < 0 || lo < 0)
				return lerr(c, LAR_E_SYNTAX, "invalid hex secret");
			buf[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		*sec = buf;
		*slen = vn / 2;
		return LAR_OK;
	}
	if (tok_is(t, fl, "base64")) {
		size_t olen = 0;
		*form = LAR_SECRET_BASE64;
		if (vn == 0)
			return lerr(c, LAR_E_SYNTAX, "empty secret");
		size_t cap = vn / 4 * 3 + 3 + vn % 4; /* >= n*3/4+3, as b64url.h asks */
		buf = malloc(cap);
		if (buf == NULL)
			return lerr(c, LAR_E_NOMEM, "out of memory");
		*owned = buf;
		*owned_cap = cap;
		if (lar_b64std_decode(v, vn, buf, &olen) != LAR_OK)
			return lerr(c, LAR_E_SYNTAX, "invalid base64 secret");
		if (olen == 0)
			return lerr(c, LAR_E_SYNTAX, "empty secret");
		*sec = buf;
		*slen = olen;
		return LAR_OK;
	}
	if (tok_is(t, fl, "env")) {
		*form = LAR_SECRET_ENV;
		if (vn == 0)
			return lerr(c, LAR_E_SYNTAX, "env: secret without a variable name");
		if (!env_name_ok(v, vn))
			return lerr(c, LAR_E_SYNTAX, "env: secret with an invalid variable name");
		if (c->kr->env == NULL)
			return lerr(c, LAR_E_SYNTAX, "env: secret '%.*s' but no environment lookup was given",
				    (int)vn, v);
		char name[256];
		if (vn >= sizeof name)
			return lerr(c, LAR_E_RANGE, "env: variable name is too long");
		memcpy(name, v, vn);
		name[vn] = 0;
		const char *val = c->kr->env(name, c->kr->env_ctx);
		if (val == NULL)
			return lerr(c, LAR_E_SYNTAX, "environment variable '%s' is not set", name);
		if (val[0] == 0)
			return lerr(c, LAR_E_SYNTAX, "environment variable '%s' is empty", name);
		size_t len = strlen(val);
		if (!utf8_ok((const uint8_t *)val, len))
			return lerr(c, LAR_E_SYNTAX, "environment variable '%s' is not valid UTF-8", name);
		*sec = (const uint8_t *)val;
		*slen = len;
		return LAR_OK;
	}
	if (tok_is(t, fl, "file")) {
		*form = LAR_SECRET_FILE;
		rc = read_secret_file(c, v, vn, owned, slen, owned_cap);
		if (rc == LAR_OK)
			*sec = *owned;
		return rc;
	}
	return lerr(c, LAR_E_SYNTAX, "unknown secret form (expected text:, hex:, base64:, env: or file:)");
}

static void free_ent(struct ent *x)
{
	if (x == NULL)
		return;
	lar_mac_key_free(x->pub.mac);
	free(x);
}

static lar_status check_keyid(struct ctx *c, const char *id, size_t n)
{
	if (n == 0)
		return lerr(c, LAR_E_SYNTAX, "empty keyId");
	if (n > KEYID_MAX)
		return lerr(c, LAR_E_RANGE, "keyId longer than %d bytes", KEYID_MAX);
	for (size_t i = 0; i < n; i++)
		if (is_ctl((uint8_t)id[i]))
			return lerr(c, LAR_E_SYNTAX, "control character in keyId");
	if (!utf8_ok((const uint8_t *)id, n))
		return lerr(c, LAR_E_SYNTAX, "keyId is not valid UTF-8");
	return LAR_OK;
}

/* Make the entry for one resolved secret and append it (uncommitted). */
static lar_status add_entry(struct ctx *c, const char *id, size_t idlen, enum lar_secret_form form,
			    lar_time nb, lar_time na, int revoked, const uint8_t *sec, size_t slen)
{
	struct lar_keyring *kr = c->kr;
	struct lar_err me = {0};
	struct ent *x;
	lar_status rc;

	if (kr->n >= LAR_KEYRING_MAX_ENTRIES)
		return lerr(c, LAR_E_RANGE, "too many keys (the limit is %d)", LAR_KEYRING_MAX_ENTRIES);
	if (kr->n == kr->cap) {
		size_t ncap = kr->cap ? kr->cap * 2 : 16;
		struct ent **q = realloc(kr->ents, ncap * sizeof *q);
		if (q == NULL)
			return lerr(c, LAR_E_NOMEM, "out of memory");
		kr->ents = q;
		kr->cap = ncap;
	}
	x = calloc(1, sizeof *x + idlen + 1);
	if (x == NULL)
		return lerr(c, LAR_E_NOMEM, "out of memory");
	memcpy(x->id, id, idlen);
	x->id[idlen] = 0;
	rc = lar_mac_key_new(sec, slen, &x->pub.mac, &me);
	if (rc != LAR_OK) {
		free(x);
		return lerr(c, rc, "cannot make the MAC key: %s", me.msg);
	}
	/* SPEC §3: a key is shown by its fingerprint, never by its bytes */
	rc = lar_mac_fingerprint(sec, slen, x->pub.fingerprint);
	if (rc != LAR_OK) {
		free_ent(x);
		return lerr(c, rc, "cannot compute the key fingerprint");
	}
	lar_hex_lower(x->pub.fingerprint, LAR_FPR_LEN, x->pub.fingerprint_hex);
	x->pub.fingerprint_hex[2 * LAR_FPR_LEN] = 0;
	x->pub.index = kr->n;
	x->pub.key_id = x->id;
	x->pub.key_id_len = idlen;
	x->pub.form = form;
	x->pub.not_before = nb;
	x->pub.not_after = na;
	x->pub.revoked = revoked;
	x->pub.origin = c->origin;
	x->pub.line = c->line;
	x->hash = hashid(id, idlen);
	x->next = NONE;
	kr->ents[kr->n++] = x;
	return LAR_OK;
}

/* Resolve the secret token, make the entry, wipe the secret. */
static lar_status add_secret(struct ctx *c, const char *id, size_t idlen, const char *t, size_t tn,
			     lar_time nb, lar_time na, int revoked)
{
	enum lar_secret_form form = LAR_SECRET_TEXT;
	const uint8_t *sec = NULL;
	size_t slen = 0, cap = 0;
	uint8_t *owned = NULL;
	lar_status rc;

	rc = resolve_secret(c, t, tn, &form, &sec, &slen, &owned, &cap);
	if (rc == LAR_OK)
		rc = add_entry(c, id, idlen, form, nb, na, revoked, sec, slen);
	if (owned != NULL) {
		lar_wipe(owned, cap);
		free(owned);
	}
	return rc;
}

/* Next space/tab separated token of p[0..n) from *pos; 0 at the end of the
 * line or at a comment (SPEC §3: '#' at the start of a line or after
 * whitespace; inside a token it is an ordinary byte). */
static int next_token(const char *p, size_t n, size_t *pos, const char **t, size_t *tn)
{
	size_t i = *pos;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] == '#') {
		*pos = n;
		return 0;
	}
	size_t s = i;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	*t = p + s;
	*tn = i - s;
	*pos = i;
	return 1;
}

static int has_ctl(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_ctl((uint8_t)t[i]))
			return 1;
	return 0;
}

static lar_status parse_time_opt(struct ctx *c, const char *name, const char *v, size_t vn, int *seen,
				 lar_time *out)
{
	if (*seen)
		return lerr(c, LAR_E_SYNTAX, "duplicate option '%s'", name);
	*seen = 1;
	if (lar_time_parse_utc(v, vn, out) != LAR_OK)
		return lerr(c, LAR_E_SYNTAX, "invalid time in %s (expected YYYY-MM-DDTHH:MM:SSZ)", name);
	return LAR_OK;
}

/* One line of a keyring file: KEYID SECRET [OPTION]... */
static lar_status parse_line(struct ctx *c, const char *p, size_t n)
{
	const char *id, *sec, *t;
	size_t idn, secn, tn, pos = 0;
	lar_time nb = LAR_TIME_MIN, na = LAR_TIME_MAX;
	int seen_nb = 0, seen_na = 0, revoked = 0;
	unsigned field = 2;
	lar_status rc;

	if (!next_token(p, n, &pos, &id, &idn))
		return LAR_OK; /* blank or comment */
	if ((rc = check_keyid(c, id, idn)) != LAR_OK)
		return rc;
	if (!next_token(p, n, &pos, &sec, &secn))
		return lerr(c, LAR_E_SYNTAX, "keyId without a secret");
	if (has_ctl(sec, secn))
		return lerr(c, LAR_E_SYNTAX, "control character in the secret");
	while (next_token(p, n, &pos, &t, &tn)) {
		field++;
		if (tok_is(t, tn, "revoked")) {
			if (revoked)
				return lerr(c, LAR_E_SYNTAX, "duplicate option 'revoked'");
			revoked = 1;
		} else if (has_prefix(t, tn, "not-before=")) {
			rc = parse_time_opt(c, "not-before", t + 11, tn - 11, &seen_nb, &nb);
			if (rc != LAR_OK)
				return rc;
		} else if (has_prefix(t, tn, "not-after=")) {
			rc = parse_time_opt(c, "not-after", t + 10, tn - 10, &seen_na, &na);
			if (rc != LAR_OK)
				return rc;
		} else {
			/* Not quoted: it may be the rest of a secret that held a space. */
			return lerr(c, LAR_E_SYNTAX,
				    "unknown option in field %u (options are not-before=T, not-after=T and "
				    "revoked; a secret with spaces needs hex:, base64:, env: or file:)",
				    field);
		}
	}
	/* SPEC §3: valid for createdAt in [not-before, not-after) */
	if (seen_nb && seen_na && nb >= na)
		return lerr(c, LAR_E_SYNTAX, "not-before is not earlier than not-after");
	return add_secret(c, id, idn, sec, secn, nb, na, revoked);
}

static void rollback(struct lar_keyring *kr, size_t n0)
{
	while (kr->n > n0) {
		kr->n--;
		free_ent(kr->ents[kr->n]);
		kr->ents[kr->n] = NULL;
	}
}

static struct slot *find_slot(struct slot *tab, size_t tabsz, struct ent *const *ents, const char *id,
			      size_t n, uint64_t h)
{
	size_t mask = tabsz - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct slot *s = &tab[i];
		if (s->first == NONE)
			return s;
		const struct ent *x = ents[s->first];
		if (x->hash == h && x->pub.key_id_len == n && memcmp(x->id, id, n) == 0)
			return s;
	}
}

/* Make the entries from n0 on visible to lar_keyring_next().  Keeps origin
 * (owned) when non-NULL.  All-or-nothing. */
static lar_status commit(struct ctx *c, size_t n0, char *origin)
{
	struct lar_keyring *kr = c->kr;
	size_t need = 2 * (kr->ndistinct + (kr->n - n0));

	if (kr->n == n0) {
		free(origin);
		return LAR_OK;
	}
	if (origin != NULL && kr->norigins == kr->origcap) {
		size_t ncap = kr->origcap ? kr->origcap * 2 : 4;
		char **q = realloc(kr->origins, ncap * sizeof *q);
		if (q == NULL)
			goto nomem;
		kr->origins = q;
		kr->origcap = ncap;
	}
	if (kr->tabsz < need) {
		size_t sz = 16;
		while (sz < need)
			sz *= 2;
		struct slot *t = malloc(sz * sizeof *t);
		if (t == NULL)
			goto nomem;
		for (size_t i = 0; i < sz; i++)
			t[i].first = t[i].last = NONE;
		for (size_t i = 0; i < kr->tabsz; i++) {
			if (kr->tab[i].first == NONE)
				continue;
			const struct ent *x = kr->ents[kr->tab[i].first];
			*find_slot(t, sz, kr->ents, x->id, x->pub.key_id_len, x->hash) = kr->tab[i];
		}
		free(kr->tab);
		kr->tab = t;
		kr->tabsz = sz;
	}
	for (size_t i = n0; i < kr->n; i++) {
		struct ent *x = kr->ents[i];
		struct slot *s = find_slot(kr->tab, kr->tabsz, kr->ents, x->id, x->pub.key_id_len, x->hash);
		if (s->first == NONE) {
			s->first = s->last = i;
			kr->ndistinct++;
		} else {
			kr->ents[s->last]->next = i;
			s->last = i;
		}
	}
	if (origin != NULL)
		kr->origins[kr->norigins++] = origin;
	return LAR_OK;
nomem:
	lerr(c, LAR_E_NOMEM, "out of memory"); /* before c->origin, maybe origin, is freed */
	free(origin);
	rollback(kr, n0);
	return LAR_E_NOMEM;
}

/* Parse text (owned origin copy in origin) into kr, all or nothing. */
static lar_status parse_text(struct ctx *c, const char *text, size_t len, char *origin)
{
	struct lar_keyring *kr = c->kr;
	size_t n0 = kr->n, i = 0;
	lar_status rc = LAR_OK;

	/* A byte-order mark, as some Windows editors write, is not part of a keyId. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	c->line = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t n = end - i;

		c->line++;
		if (n > 0 && text[i + n - 1] == '\r') /* CRLF line ends */
			n--;
		rc = parse_line(c, text + i, n);
		if (rc != LAR_OK)
			break;
		i = end + 1;
	}
	if (rc != LAR_OK) {
		rollback(kr, n0);
		free(origin);
		return rc;
	}
	return commit(c, n0, origin);
}

lar_status lar_keyring_new(struct lar_keyring **out)
{
	*out = calloc(1, sizeof **out);
	return *out != NULL ? LAR_OK : LAR_E_NOMEM;
}

void lar_keyring_free(struct lar_keyring *kr)
{
	if (kr == NULL)
		return;
	rollback(kr, 0);
	free(kr->ents);
	free(kr->tab);
	for (size_t i = 0; i < kr->norigins; i++)
		free(kr->origins[i]);
	free(kr->origins);
	free(kr);
}

void lar_keyring_set_env_lookup(struct lar_keyring *kr, lar_env_lookup_fn fn, void *ctx)
{
	kr->env = fn;
	kr->env_ctx = ctx;
}

lar_status lar_keyring_load_text(struct lar_keyring *kr, const char *text, size_t len, const char *origin,
				 const char *base_dir, unsigned flags, struct lar_err *e)
{
	struct ctx c = {.kr = kr, .base_dir = base_dir, .flags = flags, .e = e};
	char *o;

	if (kr == NULL || (text == NULL && len > 0))
		return lar_err_set(e, LAR_E_INVAL, "keyring: invalid argument");
	o = strdup(origin != NULL ? origin : "(keyring text)");
	if (o == NULL)
		return lar_err_set(e, LAR_E_NOMEM, "out of memory");
	c.origin = o;
	return parse_text(&c, text, len, o);
}

lar_status lar_keyring_load_file(struct lar_keyring *kr, const char *path, unsigned flags, struct lar_err *e)
{
	struct ctx c = {.kr = kr, .flags = flags, .e = e};
	uint8_t *buf = NULL;
	size_t len = 0;
	char *o = NULL, *dir = NULL, msg[400];
	const char *slash;
	int sys;
	lar_status rc;

	if (kr == NULL || path == NULL)
		return lar_err_set(e, LAR_E_INVAL, "keyring: invalid argument");
	rc = read_private(path, flags, LAR_KEYRING_MAX_FILE, path, &buf, &len, msg, sizeof msg, &sys);
	if (rc != LAR_OK)
		return lar_err_sys(e, rc, sys, "%s", msg);
	/* SPEC §3: relative file: paths start from the keyring file's folder */
	slash = strrchr(path, '/');
	if (slash != NULL) {
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (dir == NULL) {
			rc = lar_err_set(e, LAR_E_NOMEM, "%s: out of memory", path);
			goto out;
		}
	}
	o = strdup(path);
	if (o == NULL) {
		rc = lar_err_set(e, LAR_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	c.origin = o;
	c.base_dir = dir;
	rc = parse_text(&c, (const char *)buf, len, o); /* takes o */
out:
	if (buf != NULL) {
		lar_wipe(buf, len);
		free(buf);
	}
	free(dir);
	return rc;
}

lar_status lar_keyring_add_spec(struct lar_keyring *kr, const char *spec, unsigned flags, struct lar_err *e)
{
	struct ctx c = {.kr = kr, .origin = "--key", .flags = flags, .line = 1, .spec = 1, .e = e};
	size_t n0, len, idn;
	const char *eq, *sec;
	lar_status rc;

	if (kr == NULL || spec == NULL)
		return lar_err_set(e, LAR_E_INVAL, "--key: invalid argument");
	n0 = kr->n;
	len = strlen(spec);
	/* Split at the first '=': a keyId holds none, a secret may. */
	eq = memchr(spec, '=', len);
	if (eq == NULL)
		return lerr(&c, LAR_E_SYNTAX, "expected KEYID=SECRET");
	idn = (size_t)(eq - spec);
	for (size_t i = 0; i < idn; i++)
		if (spec[i] == ' ' || spec[i] == '\t')
			return lerr(&c, LAR_E_SYNTAX, "a keyId holds no spaces or tabs");
	if ((rc = check_keyid(&c, spec, idn)) != LAR_OK)
		return rc;
	sec = eq + 1;
	len -= idn + 1;
	if (len == 0)
		return lerr(&c, LAR_E_SYNTAX, "empty secret");
	if (has_ctl(sec, len))
		return lerr(&c, LAR_E_SYNTAX, "control character in the secret");
	/* One keyring line without options: a secret token holds no whitespace. */
	if (memchr(sec, ' ', len) != NULL || memchr(sec, '\t', len) != NULL)
		return lerr(&c, LAR_E_SYNTAX,
			    "a secret holds no spaces or tabs (options are not allowed "
			    "in --key; use env: or file: for such a secret)");
	rc = add_secret(&c, spec, idn, sec, len, LAR_TIME_MIN, LAR_TIME_MAX, 0);
	if (rc != LAR_OK) {
		rollback(kr, n0);
		return rc;
	}
	return commit(&c, n0, NULL);
}

size_t lar_keyring_count(const struct lar_keyring *kr)
{
	return kr != NULL ? kr->n : 0;
}

const struct lar_key_entry *lar_keyring_entry(const struct lar_keyring *kr, size_t i)
{
	if (kr == NULL || i >= kr->n)
		return NULL;
	return &kr->ents[i]->pub;
}

const struct lar_key_entry *lar_keyring_next(const struct lar_keyring *kr, const char *id, size_t n,
					     size_t *pos)
{
	size_t p, i;

	if (kr == NULL || pos == NULL || (id == NULL && n > 0) || kr->tabsz == 0)
		return NULL;
	if (id == NULL)
		id = "";
	p = *pos;
	if (p > 0 && p <= kr->n && kr->ents[p - 1]->pub.key_id_len == n &&
	    memcmp(kr->ents[p - 1]->id, id, n) == 0) {
		/* The usual case: continuing after the previous match. */
		i = kr->ents[p - 1]->next;
	} else {
		const struct slot *s = find_slot(kr->tab, kr->tabsz, kr->ents, id, n, hashid(id, n));
		i = s->first;
		while (i != NONE && i < p)
			i = kr->ents[i]->next;
	}
	if (i == NONE)
		return NULL;
	*pos = i + 1;
	return &kr->ents[i]->pub;
}

const char *lar_secret_form_name(enum lar_secret_form f)
{
	switch (f) {
	case LAR_SECRET_TEXT:
		return "text";
	case LAR_SECRET_HEX:
		return "hex";
	case LAR_SECRET_BASE64:
		return "base64";
	case LAR_SECRET_ENV:
		return "env";
	case LAR_SECRET_FILE:
		return "file";
	}
	return "unknown";
}
