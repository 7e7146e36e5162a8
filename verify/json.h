/*
 * json.h - the strict JSON layer (SPEC §1.4, §2.3 malformed_payload).
 *
 * A validating parser written for this project that builds a read-only tree
 * in a caller's arena.  It accepts exactly RFC 8259 and is stricter where the
 * spec says so:
 *   - UTF-8 only: no overlong forms, no surrogates encoded in UTF-8, nothing
 *     above U+10FFFF, no truncated sequences;
 *   - no byte-order mark; whitespace is only SP, TAB, LF, CR;
 *   - escapes exactly as RFC 8259; \u surrogates must pair (high then low);
 *     a string may not contain U+0000 (escaped or raw);
 *   - numbers by the RFC grammar: no leading zeros, no '+', no bare '.';
 *   - nesting deeper than LAR_JSON_MAX_DEPTH is rejected;
 *   - duplicate member names in one object are rejected (compared after
 *     unescaping, byte for byte);
 *   - nothing but whitespace may follow the value.
 * Lookups are case-sensitive and exact (no cJSON-style case folding).
 *
 * The tree: strings without escapes point into the source text (zero copy),
 * others into the arena; numbers keep their text as written, so integers are
 * read exactly and canonical output can be checked byte for byte.
 *
 * Not for: splitting a stream into records (reader.c does that), or knowing
 * what a receipt is (receipt.c).
 */
#ifndef LAR_JSON_H
#define LAR_JSON_H

#include "lar.h"

#define LAR_JSON_MAX_DEPTH 64 /* SPEC §2.3: nesting deeper than 64 is malformed */

enum lar_json_type {
	LAR_JSON_NULL,
	LAR_JSON_FALSE,
	LAR_JSON_TRUE,
	LAR_JSON_NUMBER,
	LAR_JSON_STRING,
	LAR_JSON_ARRAY,
	LAR_JSON_OBJECT,
};

struct lar_json_member;

/*
 * | type   | n                      | u                                    |
 * |--------|------------------------|--------------------------------------|
 * | NULL, FALSE, TRUE | 0           | -                                    |
 * | NUMBER | length of the text     | u.s: the number exactly as written   |
 * | STRING | decoded length (bytes) | u.s: decoded UTF-8, never holds NUL  |
 * | ARRAY  | element count          | u.items: n values, in order          |
 * | OBJECT | member count           | u.members: n members, in source order|
 */
struct lar_json {
	enum lar_json_type type;
	/* OBJECT only (not set for other types): nonzero when the object was
	 * parsed with a memo (lar_json_parse_memo, _kept) and its members have,
	 * in order, the names of every other object that memo gave the same
	 * shape, so a caller may reuse what it found from those names */
	uint32_t shape;
	size_t n;
	union {
		const char *s;
		const struct lar_json *items;
		const struct lar_json_member *members;
	} u;
};

struct lar_json_member {
	const char *key; /* decoded UTF-8, not NUL-terminated */
	size_t keylen;
	struct lar_json value;
};

/* What was wrong with rejected text (for messages; not a reason code). */
enum lar_json_fault {
	LAR_JSONF_NONE,
	LAR_JSONF_SYNTAX,    /* grammar: unexpected byte, bad literal, bad number */
	LAR_JSONF_UTF8,      /* invalid UTF-8 */
	LAR_JSONF_BOM,       /* byte-order mark at the start */
	LAR_JSONF_ESCAPE,    /* bad escape sequence */
	LAR_JSONF_SURROGATE, /* lone or reversed surrogate escape */
	LAR_JSONF_NUL,       /* U+0000 in a string */
	LAR_JSONF_CONTROL,   /* raw control character in a string */
	LAR_JSONF_DEPTH,     /* nesting deeper than LAR_JSON_MAX_DEPTH */
	LAR_JSONF_DUPLICATE, /* duplicate member name */
	LAR_JSONF_TRAILING,  /* bytes after the value */
	LAR_JSONF_EMPTY,     /* no value at all */
	LAR_JSONF_TRUNCATED, /* text ends inside a value */
};

struct lar_json_error {
	enum lar_json_fault fault;
	size_t offset; /* byte offset in the source where it was detected */
};

/* Describe a fault in a few words ("duplicate member name"). Never NULL. */
const char *lar_json_fault_name(enum lar_json_fault f);

/*
 * Parse src[0..len) as exactly one JSON value (leading and trailing
 * whitespace allowed).  The tree is allocated in arena a and may point into
 * src: both must outlive it.  Returns LAR_OK with *out set; LAR_E_SYNTAX with
 * *err filled (err may be NULL) for any text the rules above reject;
 * LAR_E_NOMEM when the arena cannot grow.  Never reads past src+len.
 */
lar_status lar_json_parse(const uint8_t *src, size_t len, struct lar_arena *a,
			  const struct lar_json **out, struct lar_json_error *err);

/*
 * As lar_json_parse, and *canonical tells whether src is, byte for byte, the
 * canonical form of the value (SPEC §1.4: exactly what
 * lar_json_write_canonical writes for the tree): 1 yes, 0 no.  Checked while
 * parsing - no whitespace, names in ascending UTF-16 order, each string
 * escaped as the canonical table says, no "-0" - so the noncanonical_payload
 * check costs no second serialisation.  *canonical is 0 when parsing fails.
 */
lar_status lar_json_parse_canonical(const uint8_t *src, size_t len, struct lar_arena *a,
				    const struct lar_json **out, struct lar_json_error *err, int *canonical);

/*
 * Records from one producer repeat the member names of their objects.  A
 * memo (one per thread, per kind of document) keeps the names of the last
 * document's objects, so that a name whose bytes are the same is taken with
 * one comparison, and an object whose names all repeat needs no duplicate
 * check again.  Only a speed-up: lar_json_parse_memo gives exactly what
 * lar_json_parse (canonical == NULL) or lar_json_parse_canonical gives.
 */
struct lar_json_memo;
lar_status lar_json_memo_new(struct lar_json_memo **out); /* LAR_E_NOMEM */
void lar_json_memo_free(struct lar_json_memo *m);         /* accepts NULL */
lar_status lar_json_parse_memo(const uint8_t *src, size_t len, struct lar_arena *a,
			       struct lar_json_memo *memo, const struct lar_json **out,
			       struct lar_json_error *err, int *canonical);

/*
 * Building only what the caller reads (lar_json_parse_kept).  Of an object
 * under a filter, the members that keep names are built, each value under the
 * entry's sub as its own filter (NULL: built whole); so are, when the filter
 * sets scalars, all members whose values are not objects or arrays (they cost
 * one node each, and no name lookup); every other member is left out of the
 * tree.  An array under a filter, and an object under an empty one (n 0,
 * scalars 0), are left out whole.  A value left out is checked exactly as
 * strictly - every rule above, duplicate names included - but builds
 * nothing: a response's large tool result, or a hostile record's millions of
 * values, holds no memory beyond the duplicate check of the names of the
 * objects open at one time.  An object's n counts its kept members; an array
 * or object left out whole has n 0 (its type is kept).  A filter names at most
 * LAR_JSON_KEEP_MAX members.
 */
#define LAR_JSON_KEEP_MAX 127
struct lar_json_kept {
	const char *name;
	size_t len;
	const struct lar_json_keep *sub;
};
struct lar_json_keep {
	size_t n;
	const struct lar_json_kept *names;
	int scalars; /* 1: members whose values are not containers are all kept */
};
/* As lar_json_parse_memo (canonical == NULL), building only what keep names. */
lar_status lar_json_parse_kept(const uint8_t *src, size_t len, struct lar_arena *a, struct lar_json_memo *memo,
			       const struct lar_json_keep *keep, const struct lar_json **out,
			       struct lar_json_error *err);

/* Member of an object by exact, case-sensitive name; NULL when obj is NULL,
 * not an object, or has no such member. */
const struct lar_json *lar_json_get(const struct lar_json *obj, const char *name);

/* 1 when v is a string equal to the NUL-terminated lit, else 0. */
int lar_json_str_eq(const struct lar_json *v, const char *lit);

/* Read v as an exact integer: the text must match -?(0|[1-9][0-9]*) (no
 * fraction, no exponent) and fit in [min, max].  LAR_OK, LAR_E_INVAL when v
 * is not a NUMBER of integer grammar, LAR_E_RANGE when out of range. */
lar_status lar_json_int(const struct lar_json *v, int64_t min, int64_t max, int64_t *out);

/* Deep equality: same types, strings byte-equal, numbers of the same value
 * (lar_json_number_eq), arrays element-wise, objects same member set (any
 * order). */
int lar_json_equal(const struct lar_json *a, const struct lar_json *b);

/* 1 when the JSON number texts a[0..an) and b[0..bn) (RFC 8259 grammar, as
 * the parser checked it) have the same exact decimal value: 1, 1.0, 10e-1
 * and 0.1E+1 are one number, -0 is 0, and 4.0000000000000001 is not 4
 * (SPEC §1.5 compares the body by value; a double would round it to 4).
 * Any length; a number whose exponent's magnitude is 10^15 or more equals
 * only its own text, or any zero when it is zero. */
int lar_json_number_eq(const char *a, size_t an, const char *b, size_t bn);

/*
 * Canonical form of SPEC §1.4 (System.Text.Json defaults): no whitespace;
 * object members sorted by name in ordinal UTF-16 code-unit order; strings
 * escaped per the table of §1.4 (pure ASCII output, upper-case hex); numbers
 * written as in the source except that "-0" becomes "0".  Appends to out
 * (check out->oom).  Used both by the noncanonical_payload check and by sign.
 */
void lar_json_write_canonical(struct lar_buf *out, const struct lar_json *v);

/* 1 when raw[0..rawlen) - a string's text between its quotes - is exactly the
 * canonical escaping (SPEC §1.4) of the decoded string s[0..n), else 0. */
int lar_json_canonical_string_is(const uint8_t *raw, size_t rawlen, const char *s, size_t n);

/* Ordinal UTF-16 code-unit order of two UTF-8 names, the member order of the
 * canonical form (SPEC §1.4): negative, 0 or positive like memcmp. */
int lar_json_u16cmp(const char *a, size_t an, const char *b, size_t bn);

/* A string in canonical escaping (with the quotes), SPEC §1.4. */
void lar_json_write_canonical_string(struct lar_buf *out, const char *s, size_t n);

/* A string as plain JSON for human-facing output and the body (SPEC §1.5):
 * raw UTF-8, escapes only '"' '\\' and control characters (\n \r \t \b \f,
 * others \u00xx).  With the quotes.  s must be valid UTF-8. */
void lar_json_write_string(struct lar_buf *out, const char *s, size_t n);

/* The same for a screen (la-receipt verify's lines): also \u-escapes the
 * C1 controls, the bidirectional marks, embeddings, overrides and isolates,
 * and U+2028/U+2029, so that a signed string can neither drive a terminal
 * nor reorder the rest of its line as displayed.  Still JSON of the same
 * string. */
void lar_json_write_display_string(struct lar_buf *out, const char *s, size_t n);

/* Compact plain output of a whole value (members in source order), strings as
 * lar_json_write_string(). */
void lar_json_write(struct lar_buf *out, const struct lar_json *v);

/* Pretty output with indent spaces per level (for inspect). */
void lar_json_write_pretty(struct lar_buf *out, const struct lar_json *v, int indent);

#endif
