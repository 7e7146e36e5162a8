/*
 * b64url.h - strict base64 codecs written for this project (SPEC §1.2, §2.3, §3).
 *
 * base64url (RFC 4648 §5) as LiveAuthCore writes it: alphabet A-Z a-z 0-9 - _,
 * every '=' stripped.  The decoder is strict: any other byte (including '=',
 * '+', '/', whitespace, NUL), a length with len % 4 == 1, or non-zero unused
 * trailing bits is rejected.  A lenient decoder is a forgery path.
 *
 * The standard-alphabet decoder (RFC 4648 §4) is for keyring "base64:" secrets
 * only: alphabet A-Z a-z 0-9 + /, padding optional but, when present, exactly
 * right; trailing bits zero; nothing else accepted.
 *
 * Not for: streaming; every call works on one complete string.
 */
#ifndef LAR_B64URL_H
#define LAR_B64URL_H

#include "lar.h"

/* Exact decoded length of an n-character unpadded base64url text, or
 * SIZE_MAX when n % 4 == 1 (no such text exists). */
size_t lar_b64url_declen(size_t n);

/* Encoded length (no padding) of n bytes. */
size_t lar_b64url_enclen(size_t n);

/* Decode src[0..n) into out, which must hold lar_b64url_declen(n) bytes.
 * Writes exactly that many bytes and never more; *outlen receives it.
 * Returns LAR_OK, or LAR_E_SYNTAX for any text that is not strict base64url
 * (out's content is then unspecified). */
lar_status lar_b64url_decode(const char *src, size_t n, uint8_t *out, size_t *outlen);

/* Encode p[0..n) as unpadded base64url into out, which must hold
 * lar_b64url_enclen(n) bytes.  Returns the number of characters written.
 * No NUL is written. */
size_t lar_b64url_encode(const uint8_t *p, size_t n, char *out);

/* Decode standard base64 (RFC 4648 §4) into out (at least n*3/4+3 bytes).
 * Returns LAR_OK or LAR_E_SYNTAX. */
lar_status lar_b64std_decode(const char *src, size_t n, uint8_t *out, size_t *outlen);

#endif
