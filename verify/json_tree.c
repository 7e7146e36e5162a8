/*
 * json_tree.c - the read-only accessors of the trees json_parse.c builds
 * (json.h): member lookup, string compare, exact integers, numbers compared
 * by value, deep equality.
 *
 * Not for: parsing (json_parse.c) or writing (json_write.c).
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

const struct lar_json *lar_json_get(const struct lar_json *obj, const char *name)
{
	if (obj == NULL || obj->type != LAR_JSON_OBJECT || name == NULL)
		return NULL;
	size_t n = strlen(name);
	for (size_t i = 0; i < obj->n; i++) {
		const struct lar_json_member *m = &obj->u.members[i];
		if (m->keylen == n && lar_mem_eq(m->key, name, n))
			return &m->value;
	}
	return NULL;
}

int lar_json_str_eq(const struct lar_json *v, const char *lit)
{
	if (v == NULL || v->type != LAR_JSON_STRING || lit == NULL)
		return 0;
	size_t n = strlen(lit);
	return v->n == n && lar_mem_eq(v->u.s, lit, n);
}

lar_status lar_json_int(const struct lar_json *v, int64_t min, int64_t max, int64_t *out)
{
	if (v == NULL || v->type != LAR_JSON_NUMBER || v->n == 0)
		return LAR_E_INVAL;
	const char *s = v->u.s, *e = s + v->n;
	if (v->n <= 18 && (unsigned)(*s - '1') < 9) {
		/* the usual value: positive, no leading zero, too short to overflow */
		int64_t val = 0;
		for (const char *p = s; p < e; p++) {
			unsigned d = (unsigned)(*p - '0');
			if (d > 9)
				return LAR_E_INVAL;
			val = val * 10 + (int64_t)d;
		}
		if (val < min || val > max)
			return LAR_E_RANGE;
		*out = val;
		return LAR_OK;
	}
	int neg = *s == '-';
	if (neg)
		s++;
	/* SPEC §1.3 integer: -?(0|[1-9][0-9]*), no fraction, no exponent */
	if (s == e || (*s == '0' && e - s > 1))
		return LAR_E_INVAL;
	uint64_t mag = 0;
	int over = 0;
	for (const char *p = s; p < e; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9)
			return LAR_E_INVAL; /* the grammar first, then the range */
		/* 19 digits cannot overflow 64 bits; past that, check each step */
		if (p - s >= 19 && (over || mag > (UINT64_MAX - d) / 10))
			over = 1;
		else
			mag = mag * 10 + d;
	}
	if (over)
		return LAR_E_RANGE;
	int64_t val;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return LAR_E_RANGE;
		val = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return LAR_E_RANGE;
		val = (int64_t)mag;
	}
	if (val < min || val > max)
		return LAR_E_RANGE;
	*out = val;
	return LAR_OK;
}

static int keyeq(const struct lar_json_member *x, const struct lar_json_member *y)
{
	return x->keylen == y->keylen && (x->keylen == 0 || lar_mem_eq(x->key, y->key, x->keylen));
}

/* Byte order of names, for sorting (any total order serves). */
static int idxcmp(const void *p, const void *q)
{
	const struct lar_json_member *x = *(const struct lar_json_member *const *)p;
	const struct lar_json_member *y = *(const struct lar_json_member *const *)q;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = n ? memcmp(x->key, y->key, n) : 0;
	return c != 0 ? c : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

#define PAIRWISE_MAX 8 /* differently ordered rests up to this size: looked up pairwise */

/* Objects of equal size with no duplicate names: same names, equal values. */
static int objects_equal(const struct lar_json *a, const struct lar_json *b)
{
	size_t n = a->n, i;
	/* most often the members come in the same order */
	for (i = 0; i < n; i++) {
		if (!keyeq(&a->u.members[i], &b->u.members[i]))
			break;
		if (!lar_json_equal(&a->u.members[i].value, &b->u.members[i].value))
			return 0;
	}
	if (i == n)
		return 1;
	size_t rest = n - i;
	const struct lar_json_member **xa = NULL, **xb = NULL;
	if (rest > PAIRWISE_MAX) {
		xa = malloc(rest * sizeof *xa);
		xb = malloc(rest * sizeof *xb);
	}
	if (xa == NULL || xb == NULL) {
		/* small (or no memory for sorting): look each name up */
		free(xa);
		free(xb);
		for (size_t j = i; j < n; j++) {
			const struct lar_json_member *m = &a->u.members[j];
			size_t k;
			for (k = i; k < n; k++)
				if (keyeq(m, &b->u.members[k]))
					break;
			if (k == n || !lar_json_equal(&m->value, &b->u.members[k].value))
				return 0;
		}
		return 1;
	}
	for (size_t j = 0; j < rest; j++) {
		xa[j] = &a->u.members[i + j];
		xb[j] = &b->u.members[i + j];
	}
	qsort(xa, rest, sizeof *xa, idxcmp);
	qsort(xb, rest, sizeof *xb, idxcmp);
	int eq = 1;
	for (size_t j = 0; j < rest && eq; j++)
		eq = keyeq(xa[j], xb[j]) && lar_json_equal(&xa[j]->value, &xb[j]->value);
	free(xa);
	free(xb);
	return eq;
}

/*
 * A JSON number's value: its significant digits (those of the integer and
 * fraction parts, without leading or trailing zeros: nd of them, the j-th
 * is num_digit(v, j)), the power of ten of the last one, and the sign.
 * far: the exponent's magnitude is 10^15 or more (such a number is not
 * compared by value).  s[0..n) is a number as the parser checked it.
 */
struct numval {
	const char *i, *f; /* integer and fraction digits */
	size_t ni, nf;
	size_t lead, nd;   /* significant digits: from combined index lead, nd of them */
	int64_t exp;
	int neg, far;
};

#define NUM_FAR 1000000000000000LL

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void num_value(const char *s, size_t n, struct numval *v)
{
	const char *p = s, *e = s + n;
	memset(v, 0, sizeof *v);
	if (p < e && *p == '-') {
		v->neg = 1;
		p++;
	}
	for (v->i = p; p < e && is_digit(*p); p++)
		;
	v->ni = (size_t)(p - v->i);
	v->f = p;
	if (p < e && *p == '.') {
		for (v->f = ++p; p < e && is_digit(*p); p++)
			;
		v->nf = (size_t)(p - v->f);
	}
	int64_t x = 0;
	if (p < e && (*p == 'e' || *p == 'E')) {
		int eneg = 0;
		if (++p < e && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < e && is_digit(*p); p++) {
			if (x >= NUM_FAR / 10)
				v->far = 1;
			else
				x = x * 10 + (*p - '0');
		}
		if (eneg)
			x = -x;
	}
	size_t total = v->ni + v->nf, trail = 0;
	while (v->lead < total && (v->lead < v->ni ? v->i[v->lead] : v->f[v->lead - v->ni]) == '0')
		v->lead++;
	while (trail < total - v->lead) {
		size_t k = total - 1 - trail;
		if ((k < v->ni ? v->i[k] : v->f[k - v->ni]) != '0')
			break;
		trail++;
	}
	v->nd = total - v->lead - trail;
	v->exp = x - (int64_t)v->nf + (int64_t)trail;
}

static char num_digit(const struct numval *v, size_t j)
{
	size_t k = v->lead + j;
	return k < v->ni ? v->i[k] : v->f[k - v->ni];
}

int lar_json_number_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an == bn && (an == 0 || memcmp(a, b, an) == 0))
		return 1;
	struct numval x, y;
	num_value(a, an, &x);
	num_value(b, bn, &y);
	if (x.nd == 0 || y.nd == 0) /* zero, whatever its sign and exponent */
		return x.nd == 0 && y.nd == 0;
	if (x.far || y.far || x.neg != y.neg || x.nd != y.nd || x.exp != y.exp)
		return 0;
	for (size_t j = 0; j < x.nd; j++)
		if (num_digit(&x, j) != num_digit(&y, j))
			return 0;
	return 1;
}

int lar_json_equal(const struct lar_json *a, const struct lar_json *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case LAR_JSON_NULL:
	case LAR_JSON_FALSE:
	case LAR_JSON_TRUE:
		return 1;
	case LAR_JSON_NUMBER: /* by value: the texts may differ */
		return lar_json_number_eq(a->u.s, a->n, b->u.s, b->n);
	case LAR_JSON_STRING:
		return a->n == b->n && (a->n == 0 || lar_mem_eq(a->u.s, b->u.s, a->n));
	case LAR_JSON_ARRAY:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++)
			if (!lar_json_equal(&a->u.items[i], &b->u.items[i]))
				return 0;
		return 1;
	case LAR_JSON_OBJECT:
		return a->n == b->n && objects_equal(a, b);
	}
	return 0;
}
