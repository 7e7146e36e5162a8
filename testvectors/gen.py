#!/usr/bin/env python3
"""gen.py - writes la-receipt's numbered test vectors, the sign cross-check set and the
demo sample, from an independent model of LiveAuthCore's signing (SPEC §1.2, §1.4, §1.5).

What it is for: producing receipts a canonicalising signer can make (and checking
`la-receipt sign` against them, through tests/t_vectors.sh) and the ones it cannot
(invalid UTF-8, duplicate members, lone surrogates, BOM, depth 65, non-canonical
spacing, escapes and order, MAC over the JSON instead of the text, ...).

What it is not for: deciding verdicts.  Every case states its expected verdicts by hand
(status and reasons, reasoned from SPEC §2); this script only formats them into
`expected.stdout` as SPEC §4.1 shows, taking the payload values of ok and flag records
from the payload it built.  It never runs la-receipt.

Python 3 standard library only.  Deterministic: fixed ids, fixed times, no randomness;
running it twice writes the same bytes.  Cases are numbered once and never renumbered:
add new ones at the end.

usage: gen.py [--out DIR]     (default: the folder holding this script)
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import shutil
import sys

# --------------------------------------------------------------------------- JSON model

class Pairs(list):
	"""An object written with its members in this order (no sorting; duplicates allowed)."""


class Raw(str):
	"""JSON text written verbatim."""


DROP = object()  # P(..., member=DROP) removes a member

_CANON_ESC = {
	'"': '\\u0022', '&': '\\u0026', "'": '\\u0027', '+': '\\u002B', '<': '\\u003C',
	'>': '\\u003E', '`': '\\u0060', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t',
	'\b': '\\b', '\f': '\\f',
}


def utf16_units(s):
	b = s.encode('utf-16-be', 'surrogatepass')
	return [(b[i] << 8) | b[i + 1] for i in range(0, len(b), 2)]


def canon_str(s):
	"""SPEC §1.4: pure ASCII, the escape table, upper-case hex, UTF-16 escapes."""
	out = ['"']
	for u in utf16_units(s):
		c = chr(u)
		if u < 0x80 and c in _CANON_ESC:
			out.append(_CANON_ESC[c])
		elif 0x20 <= u < 0x7F:
			out.append(c)
		else:
			out.append('\\u%04X' % u)
	out.append('"')
	return ''.join(out)


def utf16_key(k):
	# ordinal UTF-16 code-unit order == byte order of UTF-16BE
	return k.encode('utf-16-be', 'surrogatepass')


def canon(v):
	"""Canonical JSON text (SPEC §1.4) of a Python value; dicts are sorted, Pairs are not."""
	if v is None:
		return 'null'
	if v is True:
		return 'true'
	if v is False:
		return 'false'
	if isinstance(v, Raw):
		return str(v)
	if isinstance(v, int):
		return str(v)
	if isinstance(v, str):
		return canon_str(v)
	if isinstance(v, Pairs):
		return '{' + ','.join(canon_str(k) + ':' + canon(x) for k, x in v) + '}'
	if isinstance(v, dict):
		return '{' + ','.join(canon_str(k) + ':' + canon(v[k]) for k in sorted(v, key=utf16_key)) + '}'
	if isinstance(v, list):
		return '[' + ','.join(canon(x) for x in v) + ']'
	raise TypeError(type(v))


def plain_str(s):
	# the body serializer's strings (SPEC §1.5): raw UTF-8, \" \\ and control escapes
	return json.dumps(s, ensure_ascii=False)


def plain(v, indent=None, level=0):
	"""Ordinary JSON (raw UTF-8), members in insertion order; pretty when indent is set."""
	if v is None:
		return 'null'
	if v is True:
		return 'true'
	if v is False:
		return 'false'
	if isinstance(v, Raw):
		return str(v)
	if isinstance(v, int):
		return str(v)
	if isinstance(v, str):
		return plain_str(v)
	if isinstance(v, (dict, Pairs)):
		items = list(v.items()) if isinstance(v, dict) else list(v)
		parts = [plain_str(k) + (': ' if indent is not None else ':') + plain(x, indent, level + 1)
			 for k, x in items]
		opener, closer = '{', '}'
	elif isinstance(v, list):
		parts = [plain(x, indent, level + 1) for x in v]
		opener, closer = '[', ']'
	else:
		raise TypeError(type(v))
	if not parts:
		return opener + closer
	if indent is None:
		return opener + ','.join(parts) + closer
	pad = '\n' + ' ' * (indent * (level + 1))
	return opener + pad + (',' + pad).join(parts) + '\n' + ' ' * (indent * level) + closer


def member(p, name, default=None):
	if isinstance(p, Pairs):
		for k, x in p:
			if k == name:
				return x
		return default
	return p.get(name, default)


# --------------------------------------------------------------------------- crypto

def b64u(b):
	return base64.urlsafe_b64encode(b).decode('ascii').rstrip('=')


def mac(key_bytes, msg_bytes):
	return b64u(hmac.new(key_bytes, msg_bytes, hashlib.sha256).digest())


def fingerprint(key_bytes):
	# SPEC §3: first 8 bytes, in hex, of HMAC-SHA256(key, "la-receipt fingerprint v1")
	return hmac.new(key_bytes, b'la-receipt fingerprint v1', hashlib.sha256).digest()[:8].hex()


class Key:
	"""One keyring line: keyId, the secret token as written, the key bytes it means."""

	def __init__(self, key_id, token, key_bytes, opts=''):
		self.key_id, self.token, self.bytes, self.opts = key_id, token, key_bytes, opts

	def line(self):
		return ('%-24s %s  %s' % (self.key_id, self.token, self.opts)).rstrip()

	@property
	def fp(self):
		return fingerprint(self.bytes)


def text_key(key_id, secret, opts=''):
	return Key(key_id, 'text:' + secret, secret.encode('utf-8'), opts)


KID = 'liveauth-mcp-receipt-v1'
K0 = text_key(KID, 'vectors-secret-alpha-0123456789')
FOREIGN = text_key(KID, 'some-other-deployment-secret')


def keyring(*keys, header='# la-receipt test vectors: made-up secrets, used nowhere else', extra=''):
	return header + '\n' + ''.join(k.line() + '\n' for k in keys) + extra


# --------------------------------------------------------------------------- payloads

def guid(label):
	h = hashlib.sha256(label.encode('utf-8')).hexdigest()
	h = h[:12] + '4' + h[13:16] + '89ab'[int(h[16], 16) & 3] + h[17:32]
	return '%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


TOOL_WEATHER = guid('tool-weather-api')
TOOL_RESEARCH = guid('tool-paid-research')
TOOL_SEARCH = guid('tool-web-search')
PROJECT_A = guid('project-a')
PROJECT_B = guid('project-b')

TOOLS = {
	'weather-api': (TOOL_WEATHER, 'Weather API', 'forecast'),
	'paid-research-tool': (TOOL_RESEARCH, 'Paid Research Tool', 'web_fetch'),
	'web-search': (TOOL_SEARCH, 'Web Search', 'search'),
}

VERSION = 'mcp-call-receipt-v1'
ALG = 'HMAC-SHA256'


def fee_model(gross, bps, min_fee=1):
	# SPEC §1.6
	if gross <= 0 or bps <= 0:
		return 0
	return max(min_fee, (gross * bps) // 10000)


def P(label, tool='weather-api', **kw):
	"""A payload (SPEC §1.3) with deterministic values; keyword arguments override
	members (DROP removes one).  gross= sets grossSats and the fee and net that go with it."""
	tool_id, tool_name, method = TOOLS[tool]
	rev = guid('rev-' + label)
	p = {
		'agentId': 'agent_7',
		'createdAt': '2026-03-02T10:15:30.1234560Z',
		'feeBasisPoints': 500,
		'grossSats': 5,
		'idempotencyKey': 'idem-' + label,
		'mcpGateSessionId': guid('session-' + label),
		'mcpGateTokenId': guid('token-' + label),
		'mcpToolId': tool_id,
		'netSats': 4,
		'payingProjectId': PROJECT_A,
		'platformFeeSats': 1,
		'receiptId': 'mcp_receipt_' + rev.replace('-', ''),
		'requestId': '0HN7Q2B1K3L4M:' + hashlib.sha256(label.encode()).hexdigest()[:8].upper(),
		'revenueEventId': rev,
		'status': 'Charged',
		'toolMethodName': method,
		'toolName': tool_name,
		'toolSlug': tool,
		'version': VERSION,
	}
	if 'gross' in kw:
		g = kw.pop('gross')
		bps = kw.get('feeBasisPoints', 500)
		f = fee_model(g, bps)
		p.update(grossSats=g, platformFeeSats=f, netSats=g - f)
	if 'rev' in kw:
		r = kw.pop('rev')
		p.update(revenueEventId=r, receiptId='mcp_receipt_' + r.replace('-', ''))
	for k, x in kw.items():
		if x is DROP:
			p.pop(k, None)
		else:
			p[k] = x
	return p


def attestation(label, claims='{"estimates":[{"targetBlocks":1,"satPerVbyte":8.4}],"cached":false}',
		subject='tx_', observed='2026-03-02T10:15:29.5000000Z', sha=None):
	return {
		'attestationClaims': claims,
		'attestationClaimsSha256': sha if sha is not None else hashlib.sha256(claims.encode()).hexdigest(),
		'attestationKind': 'execution',
		'attestationNetwork': 'regtest',
		'attestationObservedAt': observed,
		'attestationOperation': 'bitcoin.get_fee_estimates',
		'attestationSource': 'liveauth-bitcoin-node',
		'attestationSubjectId': subject + hashlib.sha256(label.encode()).hexdigest()[:8] if subject else subject,
	}


def PA(label, **kw):
	"""A payload with the attestation group."""
	p = P(label)
	if 'attestationClaims' in kw and 'attestationClaimsSha256' not in kw and isinstance(kw['attestationClaims'], str):
		kw['attestationClaimsSha256'] = hashlib.sha256(kw['attestationClaims'].encode('utf-8')).hexdigest()
	p.update(attestation(label))
	for k, x in kw.items():
		if x is DROP:
			p.pop(k, None)
		else:
			p[k] = x
	return p


def trim_time(t):
	# SPEC §1.5: trailing fraction zeros trimmed; no fraction at all when it is zero
	if not isinstance(t, str) or '.' not in t or not t.endswith('Z'):
		return t
	head, frac = t[:-1].split('.', 1)
	frac = frac.rstrip('0')
	return head + ('.' + frac if frac else '') + 'Z'


BODY_ORDER = ['receiptId', 'revenueEventId', 'mcpToolId', 'toolName', 'toolSlug', 'toolMethodName',
	      'mcpGateTokenId', 'mcpGateSessionId', 'payingProjectId', 'agentId', 'grossSats',
	      'platformFeeSats', 'netSats', 'feeBasisPoints', 'status', 'idempotencyKey', 'requestId',
	      'createdAt']
ATT_BODY = [('kind', 'attestationKind'), ('operation', 'attestationOperation'),
	    ('observedAt', 'attestationObservedAt'), ('source', 'attestationSource'),
	    ('network', 'attestationNetwork'), ('subjectId', 'attestationSubjectId'),
	    ('canonicalClaims', 'attestationClaims'), ('claimsSha256', 'attestationClaimsSha256')]


def body_of(p):
	"""The body as LiveAuth writes it (SPEC §1.5) for payload p."""
	b = {}
	for k in BODY_ORDER:
		if member(p, k, DROP) is DROP:
			continue
		x = member(p, k)
		b[k] = trim_time(x) if k == 'createdAt' else x
	if member(p, 'attestationKind', DROP) is DROP:
		b['attestation'] = None
	else:
		a = {}
		for bk, pk in ATT_BODY:
			x = member(p, pk)
			a[bk] = trim_time(x) if bk == 'observedAt' else x
		b['attestation'] = a
	return b


def B(p, **kw):
	"""body_of(p) with members changed (DROP removes)."""
	b = body_of(p)
	for k, x in kw.items():
		if x is DROP:
			b.pop(k, None)
		else:
			b[k] = x
	return b


# --------------------------------------------------------------------------- records

SIGNED_CANONICALLY = {}  # canonical payload text -> payload dict (for the sign cross-check)
AUTO = object()


class Rec:
	"""One envelope (obj is its JSON structure), with the payload and key behind it."""

	def __init__(self, obj, payload, key):
		self.obj, self.payload, self.key = obj, payload, key

	def text(self, indent=None):
		return plain(self.obj, indent)


def env(p=None, *, ptext=None, pbytes=None, b64=None, key=K0, key_id=AUTO, sig=None, mac_bytes=None,
	version=VERSION, alg=ALG, body=AUTO, drop=(), set=None, order=None):
	"""Build an envelope.  The payload bytes are canon(p) unless ptext (text) or pbytes
	(bytes) say otherwise; the payload string is their base64url unless b64 is given; the
	signature is the MAC of that string under key unless sig (a string) or mac_bytes (the
	bytes to MAC instead) is given."""
	if pbytes is None:
		if ptext is None:
			ptext = canon(p)
			if isinstance(p, dict) and b64 is None and sig is None and mac_bytes is None:
				SIGNED_CANONICALLY.setdefault(ptext, p)
		pbytes = ptext.encode('utf-8', 'surrogatepass')
	if b64 is None:
		b64 = b64u(pbytes)
	if sig is None:
		sig = mac(key.bytes, mac_bytes if mac_bytes is not None else b64.encode('utf-8'))
	if body is AUTO:
		body = body_of(p) if isinstance(p, (dict, Pairs)) else None
	kid = key.key_id if key_id is AUTO else key_id
	e = {'version': version, 'payload': b64, 'signature': sig, 'signatureAlgorithm': alg, 'keyId': kid}
	if body is not None:
		e['body'] = body
	for k in drop:
		e.pop(k, None)
	for k, x in (set or {}).items():
		e[k] = x
	if order:
		e = {k: e[k] for k in order}
	return Rec(e, p, key)


def charge(rec, calls=48, used=796):
	"""The receipt inside a charge response (SPEC §1.1)."""
	p = rec.payload if isinstance(rec.payload, dict) else {}
	obj = {'status': 'ok', 'callsUsed': calls, 'satsUsed': used, 'grossSats': p.get('grossSats', 5),
	       'platformFeeSats': p.get('platformFeeSats', 1), 'netSats': p.get('netSats', 4),
	       'feeBasisPoints': p.get('feeBasisPoints', 500), 'revenueEventId': p.get('revenueEventId'),
	       'reason': None, 'receipt': rec.obj}
	return Rec(obj, rec.payload, rec.key)


def tool_result(rec, text='Forecast for Lisbon: 18 C, light wind.'):
	return Rec({'text': text, 'receipt': rec.obj}, rec.payload, rec.key)


def denial(reason='insufficient_balance'):
	return Rec({'status': 'denied', 'callsUsed': 50, 'satsUsed': 1000, 'grossSats': 0, 'platformFeeSats': 0,
		    'netSats': 0, 'feeBasisPoints': 500, 'revenueEventId': None, 'reason': reason,
		    'receipt': None}, None, None)


# --------------------------------------------------------------------------- expectations

REASONS = ['malformed_input', 'unsupported_version', 'unsupported_algorithm', 'malformed_envelope',
	   'unknown_key', 'bad_signature', 'key_revoked', 'malformed_payload', 'schema_violation',
	   'key_not_valid_at_time', 'noncanonical_payload', 'body_mismatch', 'amount_mismatch',
	   'fee_mismatch', 'id_mismatch', 'attestation_mismatch', 'test_receipt', 'unexpected_status']
FIRST_FLAG = REASONS.index('noncanonical_payload')


class Expect:
	def __init__(self, status, reasons=(), rec=None, key=None):
		reasons = sorted(reasons, key=REASONS.index)  # SPEC §2.3 table order
		if status == 'fail':
			assert len(reasons) == 1 and REASONS.index(reasons[0]) < FIRST_FLAG, reasons
		elif status == 'flag':
			assert reasons and all(REASONS.index(r) >= FIRST_FLAG for r in reasons), reasons
		else:
			assert not reasons
		self.status, self.reasons, self.rec = status, reasons, rec
		self.key = key if key is not None else (rec.key if rec is not None else None)


def OK(rec, key=None):
	return Expect('ok', (), rec, key)


def FLAG(rec, *reasons, key=None):
	return Expect('flag', reasons, rec, key)


def FAIL(reason):
	return Expect('fail', (reason,))


SKIPPED = Expect('skipped')


def out_value(s):
	# keep expected output to characters whose JSON form nobody can disagree on
	assert isinstance(s, str) and all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in s), s
	return '"' + s + '"'


def self_check_ok(p, min_fee):
	"""Guard against labelling mistakes: an `ok` payload must obey SPEC §1.6 and §2.3."""
	g, f, n, bps = (member(p, k) for k in ('grossSats', 'platformFeeSats', 'netSats', 'feeBasisPoints'))
	assert n == g - f and g >= 0 and f >= 0, p
	assert f == fee_model(g, bps, min_fee), (p, fee_model(g, bps, min_fee))
	assert member(p, 'receiptId') == 'mcp_receipt_' + member(p, 'revenueEventId').replace('-', ''), p
	assert member(p, 'status') == 'Charged', p


def out_line(source, line, e, min_fee):
	s = '{"source":%s,"line":%d,"status":"%s","reasons":[%s]' % (
		out_value(source), line, e.status, ','.join('"%s"' % r for r in e.reasons))
	if e.status in ('ok', 'flag'):
		p = e.rec.payload
		if e.status == 'ok':
			self_check_ok(p, min_fee)
		s += ',"keyId":%s,"keyFingerprint":"%s"' % (out_value(e.key.key_id), e.key.fp)
		for k in ('receiptId', 'revenueEventId', 'createdAt', 'toolSlug'):
			s += ',"%s":%s' % (k, out_value(member(p, k)))
		for k in ('grossSats', 'platformFeeSats', 'netSats'):
			s += ',"%s":%d' % (k, int(member(p, k)))
	return s + '}\n'


# --------------------------------------------------------------------------- inputs and cases

class Inp:
	"""Input bytes being assembled, with the expectation of each record and its line."""

	def __init__(self):
		self.buf = b''
		self.expects = []  # (line, Expect)

	def line_at(self, chunk):
		lead = len(chunk) - len(chunk.lstrip(b' \t\r\n'))
		return self.buf.count(b'\n') + chunk[:lead].count(b'\n') + 1

	def add(self, chunk, expect=None, nl=True):
		if isinstance(chunk, Rec):
			chunk = chunk.text()
		if isinstance(chunk, str):
			chunk = chunk.encode('utf-8')
		if expect is not None:
			self.expects.append((self.line_at(chunk), expect))
		self.buf += chunk + (b'\n' if nl else b'')
		return self

	def expect_at(self, line, expect):
		self.expects.append((line, expect))
		return self


CASES = []


class Case:
	def __init__(self, num, name, what, inp, keyring_text=None, files=None, env_vars=None, args=None,
		     status=None, fname='input.jsonl', min_fee=1):
		self.num, self.name, self.what, self.inp = num, name, what, inp
		self.keyring = keyring_text if keyring_text is not None else keyring(K0)
		self.files, self.env, self.args = files or {}, env_vars, args
		self.fname, self.min_fee = fname, min_fee
		if status is None:
			status = 0 if all(e.status in ('ok', 'skipped') for _, e in inp.expects) else 1
		self.status = status

	@property
	def dirname(self):
		return '%04d-%s' % (self.num, self.name)

	def expected_stdout(self):
		lines = sorted(self.inp.expects, key=lambda le: le[0])
		return ''.join(out_line(self.fname, ln, e, self.min_fee) for ln, e in lines)


def case(num, name, what, inp, **kw):
	assert all(c.num != num for c in CASES), num
	assert not CASES or num > CASES[-1].num, 'cases are added in order: %d' % num
	CASES.append(Case(num, name, what, inp, **kw))


def one(num, name, what, rec, expect, **kw):
	"""A case of one record on one line; expect may be an Expect or a function of rec."""
	if callable(expect):
		expect = expect(rec)
	case(num, name, what, Inp().add(rec, expect), **kw)


def ok(rec):
	return OK(rec)


def flag(*reasons):
	return lambda rec: FLAG(rec, *reasons)


def splice(p, find, replace):
	"""Canonical text of p with one substring replaced (for hand-made payload bytes)."""
	t = canon(p)
	assert t.count(find) == 1, (find, t)
	return t.replace(find, replace)


def splice_bytes(p, find, replace):
	t = canon(p).encode('ascii')
	assert t.count(find) == 1, (find, t)
	return t.replace(find, replace)


# =========================================================================== the cases
# Each block states what SPEC section it exercises.  Expectations are written by hand.

# ---- 0001-0011: record shapes (SPEC §1.1, §2.1) ----

p = P('0001')
one(1, 'ok-bare-envelope', 'a canonical receipt, bare envelope', env(p), ok)
p = P('0002', tool='paid-research-tool', gross=40)
one(2, 'ok-charge-response', 'the receipt member of a charge response', charge(env(p)), ok)
p = P('0003', tool='web-search', gross=100)
one(3, 'ok-tool-result', 'the receipt member of a stored tool result', tool_result(env(p)), ok)
one(4, 'skipped-receipt-null', 'a denied charge (receipt null) is skipped and does not count',
    denial(), SKIPPED)
one(5, 'receipt-string-malformed-input', 'twin of 0004: a receipt member that is a string',
    Rec({'status': 'ok', 'receipt': 'mcp-call-receipt-v1'}, None, None), FAIL('malformed_input'))
one(6, 'object-without-envelope', 'an object with neither payload+signature nor receipt',
    Rec({'status': 'ok', 'grossSats': 5, 'platformFeeSats': 1, 'netSats': 4}, None, None),
    FAIL('malformed_input'))
r = env(P('0007'))
one(7, 'payload-without-signature', 'payload but no signature member: not an envelope',
    Rec({k: x for k, x in r.obj.items() if k != 'signature'}, None, None), FAIL('malformed_input'))
one(8, 'json-number-record', 'a record that is a JSON number', Rec(Raw('42'), None, None),
    FAIL('malformed_input'))
one(9, 'json-string-record', 'a record that is a JSON string holding an envelope',
    Rec(env(P('0009')).text(), None, None), FAIL('malformed_input'))
one(10, 'receipt-empty-object', 'receipt {} is the envelope: no version',
    Rec({'status': 'ok', 'receipt': {}}, None, None), FAIL('unsupported_version'))
p = P('0011')
r = env(p)
r.obj['receipt'] = {'note': 'ignored: payload and signature make this the envelope'}
one(11, 'envelope-with-receipt-member', 'an object with payload and signature is the envelope even '
    'with a receipt member', r, ok)

# ---- 0012-0021: version and algorithm (SPEC §2.3) ----

one(12, 'version-v2', 'envelope version mcp-call-receipt-v2', env(P('0012'), version='mcp-call-receipt-v2'),
    FAIL('unsupported_version'))
one(13, 'version-missing', 'no envelope version', env(P('0013'), drop=('version',)),
    FAIL('unsupported_version'))
one(14, 'version-not-string', 'envelope version is the number 1', env(P('0014'), version=1),
    FAIL('unsupported_version'))
one(15, 'version-case-differs', 'MCP-CALL-RECEIPT-V1', env(P('0015'), version='MCP-CALL-RECEIPT-V1'),
    FAIL('unsupported_version'))
one(16, 'algorithm-hs256', 'signatureAlgorithm HS256', env(P('0016'), alg='HS256'),
    FAIL('unsupported_algorithm'))
one(17, 'algorithm-lowercase', 'signatureAlgorithm hmac-sha256', env(P('0017'), alg='hmac-sha256'),
    FAIL('unsupported_algorithm'))
one(18, 'algorithm-missing', 'no signatureAlgorithm', env(P('0018'), drop=('signatureAlgorithm',)),
    FAIL('unsupported_algorithm'))
one(19, 'version-and-algorithm-bad', 'both wrong: the first check (version) wins',
    env(P('0019'), version='v0', alg='none'), FAIL('unsupported_version'))
one(20, 'algorithm-bad-and-envelope-bad', 'bad algorithm and bad signature length: algorithm wins',
    env(P('0020'), alg='HMAC-SHA512', sig='short'), FAIL('unsupported_algorithm'))
p = P('0021')
one(21, 'envelope-members-reordered', 'envelope members in another order, body first',
    env(p, order=['body', 'keyId', 'signature', 'signatureAlgorithm', 'payload', 'version']), ok)

# ---- 0022-0040: envelope strictness (SPEC §2.3 malformed_envelope, strict base64url) ----

one(22, 'payload-not-string', 'payload is a number', env(P('0022'), set={'payload': 12345}),
    FAIL('malformed_envelope'))
one(23, 'payload-null', 'payload is null (still an envelope: the member exists)',
    env(P('0023'), set={'payload': None}), FAIL('malformed_envelope'))
one(24, 'signature-not-string', 'signature is an array', env(P('0024'), set={'signature': []}),
    FAIL('malformed_envelope'))
one(25, 'keyid-missing', 'no keyId', env(P('0025'), drop=('keyId',)), FAIL('malformed_envelope'))
one(26, 'keyid-not-string', 'keyId is a number', env(P('0026'), key_id=1), FAIL('malformed_envelope'))
r = env(P('0027'))
one(27, 'signature-42-chars', 'signature one character short',
    env(P('0027'), sig=r.obj['signature'][:42]), FAIL('malformed_envelope'))
one(28, 'signature-44-chars', 'signature with one extra character',
    env(P('0028'), sig=env(P('0028')).obj['signature'] + 'A'), FAIL('malformed_envelope'))
one(29, 'signature-padded', 'signature with its "=" padding kept (44 characters)',
    env(P('0029'), sig=env(P('0029')).obj['signature'] + '='), FAIL('malformed_envelope'))


def trailing_bits_sig(p):
	s = env(p).obj['signature']
	alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
	last = alphabet.index(s[-1])
	assert last & 3 == 0
	return s[:-1] + alphabet[last | 1]


one(30, 'signature-trailing-bits', 'signature whose last character has an unused bit set (twin of 0001)',
    env(P('0030'), sig=trailing_bits_sig(P('0030'))), FAIL('malformed_envelope'))
one(31, 'signature-standard-alphabet', 'signature in the standard base64 alphabet (+ and /)',
    env(P('0031'), sig=(lambda s: s[:10] + '+' + s[11:20] + '/' + s[21:])(env(P('0031')).obj['signature'])),
    FAIL('malformed_envelope'))
one(32, 'signature-with-space', 'a space inside the signature (43 characters)',
    env(P('0032'), sig=env(P('0032')).obj['signature'][:20] + ' ' + env(P('0032')).obj['signature'][21:]),
    FAIL('malformed_envelope'))
def mod4(p, want):
	"""Pad a string member until the base64url length of canon(p) is `want` mod 4."""
	for i in range(8):
		q = dict(p, requestId=p['requestId'] + 'x' * i)
		if len(b64u(canon(q).encode())) % 4 == want:
			return q
	raise AssertionError


p = mod4(P('0033'), 2)
b = b64u(canon(p).encode()) + '=' * (-len(b64u(canon(p).encode())) % 4)
assert b.endswith('=')
one(33, 'payload-padded', 'payload with "=" padding, MAC over that text',
    env(p, b64=b), FAIL('malformed_envelope'))


def std_alphabet(p):
	b = b64u(canon(p).encode())
	assert '-' in b or '_' in b
	return b.replace('-', '+').replace('_', '/')


p = P('0034', requestId='0HN7Q2B1K3L4M:~~~?>>')
one(34, 'payload-standard-alphabet', 'payload in the standard base64 alphabet, MAC over that text',
    env(p, b64=std_alphabet(p)), FAIL('malformed_envelope'))
p = P('0035')
b = b64u(canon(p).encode())
one(35, 'payload-with-space', 'a space inside the payload, MAC over that text',
    env(p, b64=b[:100] + ' ' + b[100:]), FAIL('malformed_envelope'))


p = mod4(P('0036'), 0)
one(36, 'payload-length-mod4-1', 'payload text with one character appended (length mod 4 = 1), MAC '
    'over that text', env(p, b64=b64u(canon(p).encode()) + 'A'), FAIL('malformed_envelope'))


def trailing_bits_payload(p):
	b = b64u(canon(p).encode())
	alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
	last = alphabet.index(b[-1])
	return b[:-1] + alphabet[last | 1]


p = mod4(P('0037'), 2)
one(37, 'payload-trailing-bits', 'payload whose last character has an unused bit set, MAC over that text',
    env(p, b64=trailing_bits_payload(p)), FAIL('malformed_envelope'))
p = mod4(P('0038'), 3)
one(38, 'payload-length-mod4-3-ok', 'twin of 0037: a payload of length 3 mod 4 with clean bits',
    env(p), ok)
one(39, 'payload-empty-string-signed', 'payload "" is valid base64url of nothing, correctly signed: '
    'the empty text is not JSON', env(None, ptext='', body=None), FAIL('malformed_payload'))
one(40, 'payload-base64-of-space-signed', 'payload decodes to a single space: not JSON',
    env(None, ptext=' ', body=None), FAIL('malformed_payload'))

# ---- 0041-0055: keys and signatures (SPEC §1.2, §2.3) ----

one(41, 'unknown-key', 'keyId not in the keyring', env(P('0041'), key=text_key('liveauth-mcp-receipt-v0', 'x')),
    FAIL('unknown_key'))
one(42, 'keyid-case-differs', 'keyId matched exactly: LiveAuth-MCP-Receipt-V1 is unknown',
    env(P('0042'), key_id='LiveAuth-MCP-Receipt-V1'), FAIL('unknown_key'))
one(43, 'bad-signature-foreign-secret', 'signed with a secret not in the keyring', env(P('0043'), key=FOREIGN),
    FAIL('bad_signature'))
p = P('0044')
r = env(p)
p2 = P('0044', gross=100)
one(44, 'payload-edited-after-signing', 'payload re-encoded with grossSats 100, signature of the original',
    env(p2, sig=r.obj['signature']), FAIL('bad_signature'))
p = P('0045')
one(45, 'mac-over-json-not-text', 'signature is the MAC of the decoded JSON, not of the base64url text',
    env(p, mac_bytes=canon(p).encode()), FAIL('bad_signature'))
p = P('0046')
one(46, 'signature-of-other-receipt', 'a valid signature of another receipt', env(p, sig=env(P('0001')).obj['signature']),
    FAIL('bad_signature'))
p = P('0047')
one(47, 'signature-flipped-bit', 'signature with one bit flipped in its first character',
    env(p, sig=('B' if env(p).obj['signature'][0] == 'A' else 'A') + env(p).obj['signature'][1:]),
    FAIL('bad_signature'))
KREV = text_key(KID, 'vectors-secret-alpha-0123456789', 'revoked')
one(48, 'key-revoked', 'the matching secret is marked revoked', env(P('0048')), FAIL('key_revoked'),
    keyring_text=keyring(KREV))
KB = text_key(KID, 'vectors-secret-bravo-9876543210')
one(49, 'key-revoked-other-secret-ok', 'twin of 0048: the keyId has a revoked secret and an active one; '
    'the active one signed', env(P('0049'), key=KB), ok, keyring_text=keyring(KREV, KB))
one(50, 'key-revoked-and-bad-body', 'revoked key and a wrong body: the fail ends the record',
    env(P('0050'), body=B(P('0050'), grossSats=999)), FAIL('key_revoked'), keyring_text=keyring(KREV))
KOPS = text_key('ops-2026', 'vectors-ops-secret-2026')
one(51, 'keyid-swapped', 'signed with ops-2026\'s secret but labelled liveauth-mcp-receipt-v1',
    env(P('0051'), key=KOPS, key_id=KID), FAIL('bad_signature'), keyring_text=keyring(K0, KOPS))
one(52, 'keyid-other-label-ok', 'twin of 0051: the same receipt under its own label', env(P('0051'), key=KOPS), ok,
    keyring_text=keyring(K0, KOPS))
one(53, 'unknown-key-and-bad-payload', 'unknown key with a payload that is not base64url: envelope first',
    env(P('0053'), key=text_key('nobody', 'x'), b64='!!!'), FAIL('malformed_envelope'))
one(54, 'bad-signature-and-bad-payload-json', 'wrong secret over a payload that is not JSON: '
    'the MAC is checked before the payload is decoded', env(None, ptext='{"a":', key=FOREIGN, body=None),
    FAIL('bad_signature'))
one(55, 'revoked-and-bad-payload-json', 'revoked secret over a payload that is not JSON: key_revoked first',
    env(None, ptext='{"a":', body=None), FAIL('key_revoked'), keyring_text=keyring(KREV))

# ---- 0056-0079: decoded payload (SPEC §2.3 malformed_payload) ----

p = P('0056', agentId='agent_PLACEHOLDER')
one(56, 'payload-invalid-utf8', 'a 0xFF byte inside a string', env(p, pbytes=splice_bytes(p, b'PLACEHOLDER', b'\xff'), body=None),
    FAIL('malformed_payload'))
p = P('0057', agentId='agent_PLACEHOLDER')
one(57, 'payload-overlong-utf8', 'an overlong encoding of "/" (C0 AF)',
    env(p, pbytes=splice_bytes(p, b'PLACEHOLDER', b'\xc0\xaf'), body=None), FAIL('malformed_payload'))
p = P('0058', agentId='agent_PLACEHOLDER')
one(58, 'payload-utf8-surrogate-bytes', 'a surrogate encoded in UTF-8 (ED A0 80)',
    env(p, pbytes=splice_bytes(p, b'PLACEHOLDER', b'\xed\xa0\x80'), body=None), FAIL('malformed_payload'))
p = P('0059', agentId='agent_PLACEHOLDER')
one(59, 'payload-truncated-utf8', 'a multi-byte sequence cut short (E2 82)',
    env(p, pbytes=splice_bytes(p, b'PLACEHOLDER', b'\xe2\x82'), body=None), FAIL('malformed_payload'))
p = P('0060', agentId='agent_\ud800')
one(60, 'payload-lone-high-surrogate', 'escape \\uD800 with no low surrogate', env(p, body=None),
    FAIL('malformed_payload'))
p = P('0061', agentId='agent_\udc00x')
one(61, 'payload-lone-low-surrogate', 'escape \\uDC00 alone', env(p, body=None), FAIL('malformed_payload'))
p = P('0062', agentId='agent_PLACEHOLDER')
one(62, 'payload-reversed-surrogates', 'a low then a high surrogate escape',
    env(p, ptext=splice(p, 'PLACEHOLDER', '\\uDE00\\uD83D'), body=None), FAIL('malformed_payload'))
p = P('0063', agentId='agent_\U0001F600')
one(63, 'payload-surrogate-pair-ok', 'twin of 0060-0062: an emoji as an escaped pair', env(p), ok)
p = P('0064', agentId='agent_\u0000')
one(64, 'payload-nul-escape', 'a string holding U+0000 (\\u0000)', env(p, body=None), FAIL('malformed_payload'))
p = P('0065', agentId='agent_\u0001\u001f')
one(65, 'payload-control-escapes-ok', 'twin of 0064: U+0001 and U+001F are allowed', env(p), ok)
p = P('0066', agentId='agent_PLACEHOLDER')
one(66, 'payload-raw-control-byte', 'a raw 0x01 byte inside a string (not RFC 8259)',
    env(p, pbytes=splice_bytes(p, b'PLACEHOLDER', b'\x01'), body=None), FAIL('malformed_payload'))
p = P('0067')
pairs = Pairs(sorted(p.items(), key=lambda kv: utf16_key(kv[0])))
pairs.insert(1, ('agentId', 'agent_7'))
one(67, 'payload-duplicate-member', 'agentId twice with the same value', env(p, ptext=canon(pairs)),
    FAIL('malformed_payload'))
p = P('0068')
pairs = Pairs(sorted(p.items(), key=lambda kv: utf16_key(kv[0])))
pairs.append(('version', VERSION))
one(68, 'payload-duplicate-last-member', 'version twice, the second at the end', env(p, ptext=canon(pairs)),
    FAIL('malformed_payload'))
p = P('0069', zzFuture=Pairs([('a', 1), ('a', 2)]))
one(69, 'payload-duplicate-nested', 'a duplicate name inside a future member\'s object', env(p, body=None),
    FAIL('malformed_payload'))
p = P('0070', zzFuture={'a': 1, 'b': 2})
one(70, 'payload-nested-object-ok', 'twin of 0069: the same future member without the duplicate', env(p), ok)
p = P('0071')
one(71, 'payload-bom', 'a UTF-8 byte-order mark before the object', env(p, pbytes=b'\xef\xbb\xbf' + canon(p).encode()),
    FAIL('malformed_payload'))
p = P('0072')
one(72, 'payload-trailing-garbage', 'bytes after the object', env(p, pbytes=canon(p).encode() + b'x'),
    FAIL('malformed_payload'))
p = P('0073')
one(73, 'payload-trailing-object', 'a second value after the object', env(p, pbytes=canon(p).encode() + b'{}'),
    FAIL('malformed_payload'))
p = P('0074')
one(74, 'payload-truncated', 'the object cut before its last brace', env(p, pbytes=canon(p).encode()[:-1]),
    FAIL('malformed_payload'))


def deep(n):
	v = []
	for _ in range(n - 1):
		v = [v]
	return v


p = P('0075', zzDeep=deep(63))
assert canon(p).count('[') == 63
one(75, 'payload-depth-64', 'object plus 63 nested arrays: nesting 64 is allowed', env(p), ok)
p = P('0076', zzDeep=deep(64))
one(76, 'payload-depth-65', 'twin of 0075: object plus 64 nested arrays is too deep', env(p, body=None),
    FAIL('malformed_payload'))
p = P('0077')
one(77, 'payload-single-quotes', 'a string in single quotes',
    env(p, ptext=splice(p, '"status":"Charged"', '"status":\'Charged\'')), FAIL('malformed_payload'))
p = P('0078')
one(78, 'payload-leading-zero', 'grossSats written 05', env(p, ptext=splice(p, '"grossSats":5', '"grossSats":05')),
    FAIL('malformed_payload'))
p = P('0079')
one(79, 'payload-vertical-tab', 'a vertical tab (not JSON whitespace) before the first member',
    env(p, ptext='{\v' + canon(p)[1:]), FAIL('malformed_payload'))

# ---- 0080-0109: schema (SPEC §1.3, §2.3 schema_violation) ----

one(80, 'payload-array', 'the payload is an array of one receipt object', env([P('0080')], body=None),
    FAIL('schema_violation'))
one(81, 'payload-string', 'the payload is a JSON string', env('mcp-call-receipt-v1', body=None),
    FAIL('schema_violation'))
one(82, 'payload-null', 'the payload is JSON null', env(None, ptext='null', body=None),
    FAIL('schema_violation'))
one(83, 'payload-empty-object', 'the payload is {}', env({}, body=None), FAIL('schema_violation'))
one(84, 'missing-mcptoolid', 'mcpToolId absent', env(P('0084', mcpToolId=DROP)), FAIL('schema_violation'))
one(85, 'missing-nullable-agentid', 'agentId absent (null is written, never omitted)',
    env(P('0085', agentId=DROP)), FAIL('schema_violation'))
one(86, 'missing-createdat', 'createdAt absent', env(P('0086', createdAt=DROP)), FAIL('schema_violation'))
one(87, 'missing-version', 'version absent from the payload', env(P('0087', version=DROP)),
    FAIL('schema_violation'))
one(88, 'grosssats-string', 'grossSats "5"', env(P('0088', grossSats='5')), FAIL('schema_violation'))
one(89, 'grosssats-fraction', 'grossSats 5.0', env(P('0089', grossSats=Raw('5.0'))), FAIL('schema_violation'))
one(90, 'grosssats-exponent', 'grossSats 5e0', env(P('0090', grossSats=Raw('5e0'))), FAIL('schema_violation'))
one(91, 'grosssats-bool', 'grossSats true', env(P('0091', grossSats=True)), FAIL('schema_violation'))
one(92, 'grosssats-null', 'grossSats null', env(P('0092', grossSats=None)), FAIL('schema_violation'))
one(93, 'guid-uppercase', 'mcpToolId in upper-case hex', env(P('0093', mcpToolId=TOOL_WEATHER.upper())),
    FAIL('schema_violation'))
one(94, 'guid-no-hyphens', 'revenueEventId without hyphens',
    env(P('0094', revenueEventId=guid('rev-0094').replace('-', ''))), FAIL('schema_violation'))
one(95, 'guid-braces', 'mcpGateTokenId in braces', env(P('0095', mcpGateTokenId='{' + guid('t') + '}')),
    FAIL('schema_violation'))
one(96, 'guid-empty', 'payingProjectId ""', env(P('0096', payingProjectId='')), FAIL('schema_violation'))
one(97, 'createdat-6-digits', 'createdAt with 6 fraction digits',
    env(P('0097', createdAt='2026-03-02T10:15:30.123456Z')), FAIL('schema_violation'))
one(98, 'createdat-no-fraction', 'createdAt without fraction', env(P('0098', createdAt='2026-03-02T10:15:30Z')),
    FAIL('schema_violation'))
one(99, 'createdat-offset', 'createdAt with +00:00 instead of Z',
    env(P('0099', createdAt='2026-03-02T10:15:30.1234560+00:00')), FAIL('schema_violation'))
one(100, 'createdat-bad-date', 'createdAt on February 30', env(P('0100', createdAt='2026-02-30T10:15:30.1234560Z')),
    FAIL('schema_violation'))
one(101, 'version-differs-from-envelope', 'payload version mcp-call-receipt-v2 under a v1 envelope',
    env(P('0101', version='mcp-call-receipt-v2')), FAIL('schema_violation'))
one(102, 'toolname-null', 'toolName null (a string, or absent)', env(P('0102', toolName=None)),
    FAIL('schema_violation'))
p = P('0103', toolName=DROP)
one(103, 'toolname-absent-18-members', 'twin of 0102: the oldest payloads have 18 members, no toolName',
    env(p), ok)
p = P('0104', agentId=None, idempotencyKey=None, mcpGateSessionId=None, mcpGateTokenId=None,
      payingProjectId=None, requestId=None)
one(104, 'nullable-members-null', 'every nullable member null', env(p), ok)
one(105, 'mcptoolid-null', 'twin of 0104: mcpToolId is not nullable', env(P('0105', mcpToolId=None)),
    FAIL('schema_violation'))
one(106, 'status-number', 'status 1', env(P('0106', status=1)), FAIL('schema_violation'))
one(107, 'receiptid-format', 'receiptId not mcp_receipt_ + 32 hex digits', env(P('0107', receiptId='rcpt-0107')),
    FAIL('schema_violation'))
one(108, 'feebasispoints-string', 'feeBasisPoints "500"', env(P('0108', feeBasisPoints='500')),
    FAIL('schema_violation'))
one(109, 'agentid-number', 'agentId 7 (string or null)', env(P('0109', agentId=7)), FAIL('schema_violation'))

# ---- 0110-0119: attestation group (SPEC §1.3) ----

p = PA('0110')
one(110, 'attestation-ok', 'all eight attestation members, SHA-256 right', env(p), ok)
one(111, 'attestation-partial', 'twin of 0110: attestationNetwork missing (seven of eight)',
    env(PA('0111', attestationNetwork=DROP)), FAIL('schema_violation'))
one(112, 'attestation-only-sha', 'attestationClaimsSha256 alone', env(P('0112', attestationClaimsSha256='00' * 32)),
    FAIL('schema_violation'))
p = PA('0113', attestationSubjectId=None)
one(113, 'attestation-subject-null', 'attestationSubjectId null is allowed', env(p), ok)
one(114, 'attestation-subject-missing', 'twin of 0113: attestationSubjectId absent is a partial group',
    env(PA('0114', attestationSubjectId=DROP)), FAIL('schema_violation'))
one(115, 'attestation-claims-null', 'attestationClaims null (a string)', env(PA('0115', attestationClaims=None)),
    FAIL('schema_violation'))
one(116, 'attestation-observedat-format', 'attestationObservedAt without 7 fraction digits',
    env(PA('0116', attestationObservedAt='2026-03-02T10:15:29.5Z')), FAIL('schema_violation'))
p = PA('0117', attestationClaimsSha256=hashlib.sha256(b'something else').hexdigest())
one(117, 'attestation-sha-mismatch', 'attestationClaimsSha256 of other claims', env(p), flag('attestation_mismatch'))
p = PA('0118', attestationClaims='{"height":840000,"note":"caf\u00e9 <ok> & \'q\' +1"}')
one(118, 'attestation-claims-escapes-ok', 'claims with characters the canonical form escapes: the SHA-256 is '
    'over the UTF-8 of the decoded string', env(p), ok)
p = PA('0119', attestationClaims='{"height":840000,"note":"caf\u00e9 <ok> & \'q\' +1"}')
p['attestationClaimsSha256'] = hashlib.sha256(canon_str(p['attestationClaims'])[1:-1].encode()).hexdigest()
one(119, 'attestation-sha-over-escaped-text', 'twin of 0118: the SHA-256 of the escaped text is wrong',
    env(p), flag('attestation_mismatch'))

# ---- 0120-0129: future members and canonical order (SPEC §1.3, §1.4) ----

p = P('0120', aaFuture='kept', zzFuture={'nested': [1, 'two', None, True, False], 'x': {'y': 'z'}})
one(120, 'future-members-kept', 'members SPEC §1.3 does not list are allowed', env(p), ok)
p = P('0121', zzFuture={'x': 1, 'a': 2})
one(121, 'future-member-nested-unsorted', 'twin of 0120: a nested object with members out of order',
    env(p, ptext=splice(p, '{"a":2,"x":1}', '{"x":1,"a":2}')), flag('noncanonical_payload'))
p = P('0122', **{'zz\uff21': 'fullwidth A', 'zz\U0001d49c': 'script A'})
assert canon(p).index('zz\\uD835') < canon(p).index('zz\\uFF21')
one(122, 'key-order-utf16', 'U+1D49C sorts before U+FF21 in UTF-16 code-unit order', env(p), ok)
t = canon(p)
i, j = t.index(',"zz\\uD835'), t.index(',"zz\\uFF21')
k = t.find(',', j + 1)
k = k if k >= 0 else len(t) - 1
swapped = t[:i] + t[j:k] + t[i:j] + t[k:]
one(123, 'key-order-code-point', 'twin of 0122: code-point order is not the canonical order',
    env(p, ptext=swapped), flag('noncanonical_payload'))
p = P('0124', **{'zz+': 1, 'zz-': 2})
assert canon(p).index('zz\\u002B') < canon(p).index('"zz-"')
one(124, 'key-order-decoded-names', '"zz+" before "zz-": names sort as decoded, not as escaped', env(p), ok)
t = canon(p)
one(125, 'key-order-escaped-names', 'twin of 0124: sorted by their escaped text',
    env(p, ptext=t.replace('"zz\\u002B":1,"zz-":2', '"zz-":2,"zz\\u002B":1')), flag('noncanonical_payload'))
p = P('0126')
one(126, 'members-unsorted', 'members in body order, not sorted',
    env(p, ptext=canon(Pairs((k, p[k]) for k in BODY_ORDER + ['version']))), flag('noncanonical_payload'))
p = P('0127', zzDeep=[[], {}, [{}]])
one(127, 'empty-containers-ok', 'empty arrays and objects in a future member', env(p), ok)
p = P('0128', zzInt=-2147483648, zzBig=Raw('12345678901234567890'))
one(128, 'future-member-big-number', 'a future member holding a number beyond int64', env(p), ok)
p = P('0129', **{'zz\u00e9': 'accent in a name'})
one(129, 'future-member-escaped-name', 'a member name with a non-ASCII character, escaped', env(p), ok)

# ---- 0130-0149: canonical escaping (SPEC §1.4, noncanonical_payload) ----

ESCAPY = '"&\'+<>`\\/ \n\r\t\b\f\u0001\u001f\u007f caf\u00e9 \u65e5\u672c \U0001F600 \ufeff \u2028 \u2029 ~'
p = P('0130', agentId=ESCAPY, idempotencyKey='<script>alert("x")</script>', requestId='a+b&c=d\'e`f')
one(130, 'canonical-escapes-ok', 'strings full of characters SPEC §1.4 escapes, written canonically', env(p), ok)
p = P('0131', toolSlug='c++-tool', toolName='C++ <Tool> & "Co"')
one(131, 'escaped-slug-decoded-in-output', 'toolSlug c++-tool is written c\\u002B\\u002B-tool and reported '
    'decoded', env(p), ok)
p = P('0132')
one(132, 'noncanonical-spaces', 'a space after every colon and comma',
    env(p, ptext=json.dumps(dict(sorted(p.items())), separators=(', ', ': '))), flag('noncanonical_payload'))
p = P('0133')
one(133, 'noncanonical-pretty', 'the payload pretty-printed', env(p, ptext=json.dumps(dict(sorted(p.items())), indent=2)),
    flag('noncanonical_payload'))
p = P('0134')
one(134, 'noncanonical-leading-space', 'a space before the object (valid JSON, not canonical)',
    env(p, ptext=' ' + canon(p)), flag('noncanonical_payload'))
p = P('0135')
one(135, 'noncanonical-trailing-newline', 'a newline after the object (valid JSON, not canonical)',
    env(p, ptext=canon(p) + '\n'), flag('noncanonical_payload'))
p = P('0136', toolName='C+ tool')
one(136, 'noncanonical-lowercase-hex', '\\u002b instead of \\u002B',
    env(p, ptext=splice(p, 'C\\u002B tool', 'C\\u002b tool')), flag('noncanonical_payload'))
p = P('0137', toolName='C+ tool')
one(137, 'noncanonical-raw-plus', '+ written raw instead of \\u002B', env(p, ptext=splice(p, 'C\\u002B tool', 'C+ tool')),
    flag('noncanonical_payload'))
p = P('0138', toolName='say "hi"')
one(138, 'noncanonical-backslash-quote', '\\" instead of \\u0022',
    env(p, ptext=splice(p, 'say \\u0022hi\\u0022', 'say \\"hi\\"')), flag('noncanonical_payload'))
p = P('0139', toolName='caf\u00e9')
one(139, 'noncanonical-raw-utf8', 'e-acute as raw UTF-8 instead of \\u00E9',
    env(p, ptext=splice(p, 'caf\\u00E9', 'caf\u00e9')), flag('noncanonical_payload'))
p = P('0140', toolName='a/b')
one(140, 'noncanonical-escaped-slash', '\\/ (slash is not escaped)', env(p, ptext=splice(p, 'a/b', 'a\\/b')),
    flag('noncanonical_payload'))
p = P('0141', toolName='a/b')
one(141, 'canonical-slash-ok', 'twin of 0140: slash written as itself', env(p), ok)
p = P('0142', toolName='tab\there')
one(142, 'noncanonical-tab-as-u0009', '\\u0009 instead of \\t', env(p, ptext=splice(p, 'tab\\there', 'tab\\u0009here')),
    flag('noncanonical_payload'))
p = P('0143', toolName='del\u007f')
one(143, 'noncanonical-raw-del', 'DEL written raw instead of \\u007F', env(p, ptext=splice(p, 'del\\u007F', 'del\u007f')),
    flag('noncanonical_payload'))
p = P('0144', toolName='A')
one(144, 'noncanonical-escaped-letter', '\\u0041 instead of A', env(p, ptext=splice(p, '"toolName":"A"', '"toolName":"\\u0041"')),
    flag('noncanonical_payload'))
p = P('0145', gross=0, platformFeeSats=Raw('-0'))
one(145, 'noncanonical-minus-zero', 'platformFeeSats -0 (an integer, written 0 canonically)', env(p, body=None),
    flag('noncanonical_payload'))
p = P('0146', toolName='\U0001F600')
one(146, 'noncanonical-raw-astral', 'an emoji as raw UTF-8', env(p, ptext=splice(p, '\\uD83D\\uDE00', '\U0001F600')),
    flag('noncanonical_payload'))
p = P('0147', toolName='\U0001F600')
one(147, 'noncanonical-lowercase-pair', 'an emoji as \\ud83d\\ude00', env(p, ptext=splice(p, '\\uD83D\\uDE00', '\\ud83d\\ude00')),
    flag('noncanonical_payload'))
p = P('0148', toolName='bom\ufeffmiddle')
one(148, 'bom-inside-string-ok', 'U+FEFF inside a string (escaped) is not a byte-order mark', env(p), ok)
p = P('0149', toolName='sep\u2028\u2029')
one(149, 'line-separators-ok', 'U+2028 and U+2029 escaped', env(p), ok)

# ---- 0150-0169: amounts and the fee model (SPEC §1.6) ----

for num, g, f, n, exp in [
	(150, 1, 1, 0, None), (151, 1, 0, 1, 'fee_mismatch'),
	(152, 5, 1, 4, None), (153, 5, 0, 5, 'fee_mismatch'),
	(154, 39, 1, 38, None), (155, 39, 2, 37, 'fee_mismatch'),
	(156, 40, 2, 38, None), (157, 40, 1, 39, 'fee_mismatch'),
	(158, 100, 5, 95, None), (159, 100, 5, 94, 'amount_mismatch'),
]:
	p = P('%04d' % num, grossSats=g, platformFeeSats=f, netSats=n)
	what = 'gross %d at 500 bps: fee %d, net %d' % (g, f, n)
	one(num, 'fee-gross-%d-%s' % (g, 'ok' if exp is None else exp.replace('_', '-')),
	    what + ('' if exp is None else ' (wrong)'), env(p), ok if exp is None else flag(exp))

p = P('0160', feeBasisPoints=0, grossSats=100, platformFeeSats=0, netSats=100)
one(160, 'fee-zero-bps-ok', 'zero bps: no fee, the minimum does not apply', env(p), ok)
p = P('0161', feeBasisPoints=0, grossSats=100, platformFeeSats=1, netSats=99)
one(161, 'fee-zero-bps-min-fee', 'twin of 0160: a 1-sat minimum fee at zero bps is wrong', env(p), flag('fee_mismatch'))
p = P('0162', feeBasisPoints=-100, grossSats=100, platformFeeSats=0, netSats=100)
one(162, 'fee-negative-bps-ok', 'negative bps: no fee', env(p), ok)
p = P('0163', grossSats=0, platformFeeSats=0, netSats=0)
one(163, 'fee-gross-0-ok', 'gross 0: no fee', env(p), ok)
p = P('0164', grossSats=0, platformFeeSats=1, netSats=-1)
one(164, 'fee-gross-0-min-fee', 'twin of 0163: gross 0 with the 1-sat minimum', env(p), flag('fee_mismatch'))
p = P('0165', grossSats=-5, platformFeeSats=0, netSats=-5)
one(165, 'gross-negative', 'gross -5, fee 0, net -5: negative gross', env(p), flag('amount_mismatch'))
p = P('0166', grossSats=5, platformFeeSats=-1, netSats=6)
one(166, 'fee-negative', 'fee -1: negative and not the model\'s', env(p), flag('amount_mismatch', 'fee_mismatch'))
p = P('0167', grossSats=5, platformFeeSats=2, netSats=3)
one(167, 'min-fee-2-ok', '--min-fee-sats 2: gross 5 at 500 bps pays 2', env(p), ok, args='--min-fee-sats 2', min_fee=2)
p = P('0168', grossSats=5, platformFeeSats=1, netSats=4)
one(168, 'min-fee-2-fee-1', 'twin of 0167: fee 1 under a 2-sat minimum', env(p), flag('fee_mismatch'),
    args='--min-fee-sats 2', min_fee=2)
p = P('0169', grossSats=5, platformFeeSats=0, netSats=5)
one(169, 'min-fee-0-ok', '--min-fee-sats 0: gross 5 at 500 bps pays floor(0.25) = 0 (twin: 0153)', env(p), ok,
    args='--min-fee-sats 0', min_fee=0)
p = P('0170', grossSats=1, platformFeeSats=2, netSats=-1)
one(170, 'min-fee-above-gross', '--min-fee-sats 2 at gross 1: fee 2, net -1 (net may be negative)', env(p), ok,
    args='--min-fee-sats 2', min_fee=2)
p = P('0171', grossSats=2147483647, platformFeeSats=107374182, netSats=2040109465)
one(171, 'int32-max-gross', 'gross 2147483647 at 500 bps', env(p), ok)
one(172, 'int32-over', 'twin of 0171: gross 2147483648 is beyond the 32-bit range',
    env(P('0172', grossSats=2147483648, platformFeeSats=107374182, netSats=2040109466)), FAIL('schema_violation'))
p = P('0173', grossSats=-2147483648, platformFeeSats=0, netSats=-2147483648)
one(173, 'int32-min-gross', 'gross -2147483648: in range, negative', env(p), flag('amount_mismatch'))
one(174, 'int32-under', 'twin of 0173: net -2147483649 is beyond the 32-bit range',
    env(P('0174', grossSats=-2147483648, platformFeeSats=1, netSats=-2147483649)), FAIL('schema_violation'))
p = P('0175', grossSats=10, feeBasisPoints=2147483647, platformFeeSats=2147483, netSats=-2147473)
one(175, 'fee-bps-int32-max', 'bps 2147483647: the fee product needs 64 bits', env(p), ok)
p = P('0176', grossSats=2147483647, feeBasisPoints=2147483647, platformFeeSats=2147483647, netSats=0)
one(176, 'fee-model-beyond-int32', 'the model\'s fee (461168601413242) cannot be written in an int',
    env(p), flag('fee_mismatch'))
p = P('0177', grossSats=2147483647, feeBasisPoints=10000, platformFeeSats=2147483647, netSats=0)
one(177, 'fee-full-gross', '10000 bps takes the whole gross', env(p), ok)
p = P('0178', grossSats=7, feeBasisPoints=10000, platformFeeSats=7, netSats=1)
one(178, 'net-wrong', 'twin of 0177: net 1 where gross - fee = 0', env(p), flag('amount_mismatch'))
p = P('0179', grossSats=40, platformFeeSats=2, netSats=38)
one(179, 'min-fee-1-explicit', '--min-fee-sats 1 is the default', env(p), ok, args='--min-fee-sats 1')

# ---- 0180-0189: other flags alone and together (SPEC §2.3) ----

p = P('0180', receiptId='mcp_receipt_' + guid('rev-other').replace('-', ''))
one(180, 'id-mismatch', 'receiptId of another revenue event', env(p), flag('id_mismatch'))
p = P('0181', status='Test')
one(181, 'test-receipt', 'status Test: signed, never revenue', env(p), flag('test_receipt'))
p = P('0182', status='Refunded')
one(182, 'unexpected-status', 'status Refunded', env(p), flag('unexpected_status'))
p = P('0183', status='charged')
one(183, 'unexpected-status-lowercase', 'status charged (case matters)', env(p), flag('unexpected_status'))
p = P('0184', status='Test', grossSats=5, platformFeeSats=1, netSats=5)
one(184, 'test-and-amount', 'a Test receipt whose net is wrong', env(p), flag('amount_mismatch', 'test_receipt'))
p = PA('0185', status='Test', grossSats=40, platformFeeSats=1, netSats=38,
       receiptId='mcp_receipt_' + guid('rev-x').replace('-', ''), attestationClaimsSha256='ab' * 32)
one(185, 'seven-flags', 'noncanonical, body, amount, fee, id, attestation and test together',
    env(p, ptext=' ' + canon(p), body=B(p, toolSlug='other-tool')),
    flag('noncanonical_payload', 'body_mismatch', 'amount_mismatch', 'fee_mismatch', 'id_mismatch',
	 'attestation_mismatch', 'test_receipt'))
p = P('0186', status='Pending', grossSats=40, platformFeeSats=1, netSats=39)
one(186, 'fee-and-unexpected-status', 'fee_mismatch with status Pending', env(p),
    flag('fee_mismatch', 'unexpected_status'))
p = P('0187', grossSats=40, platformFeeSats=1, netSats=38)
one(187, 'fee-and-amount', 'fee 1 and net 38 at gross 40', env(p), flag('amount_mismatch', 'fee_mismatch'))
p = P('0188', toolName='x')
one(188, 'noncanonical-and-body', 'unsorted payload and a body that disagrees',
    env(p, ptext=canon(Pairs(reversed(sorted(p.items())))), body=B(p, grossSats=6)),
    flag('noncanonical_payload', 'body_mismatch'))
p = P('0189', status='Test', receiptId='mcp_receipt_' + guid('rev-y').replace('-', ''))
one(189, 'id-and-test', 'a Test receipt with a foreign receiptId', env(p), flag('id_mismatch', 'test_receipt'))

# ---- 0190-0219: the body (SPEC §1.5) ----

p = P('0190')
one(190, 'body-guid-uppercase', 'guids in the body in upper case: compared case-insensitively',
    env(p, body=B(p, revenueEventId=p['revenueEventId'].upper(), mcpToolId=p['mcpToolId'].upper(),
		  payingProjectId=p['payingProjectId'].upper())), ok)
p = P('0191')
one(191, 'body-guid-different', 'twin of 0190: mcpToolId of another tool', env(p, body=B(p, mcpToolId=TOOL_SEARCH)),
    flag('body_mismatch'))
p = P('0192', createdAt='2026-03-02T10:15:30.1234560Z')
assert body_of(p)['createdAt'] == '2026-03-02T10:15:30.123456Z'
one(192, 'body-time-trimmed', 'body createdAt with the trailing zero trimmed', env(p), ok)
p = P('0193', createdAt='2026-03-02T10:15:30.0000000Z')
assert body_of(p)['createdAt'] == '2026-03-02T10:15:30Z'
one(193, 'body-time-no-fraction', 'body createdAt with no fraction for a zero fraction', env(p), ok)
p = P('0194')
one(194, 'body-time-7-digits', 'body createdAt written exactly as the payload', env(p, body=B(p, createdAt=p['createdAt'])),
    ok)
p = P('0195')
one(195, 'body-time-one-tick-off', 'twin of 0192: body createdAt 100 ns later',
    env(p, body=B(p, createdAt='2026-03-02T10:15:30.1234561Z')), flag('body_mismatch'))
p = P('0196')
one(196, 'body-time-offset-same-instant', 'body createdAt in +01:00 naming the same instant',
    env(p, body=B(p, createdAt='2026-03-02T11:15:30.123456+01:00')), ok)
p = P('0197')
one(197, 'body-time-offset-other-instant', 'twin of 0196: the same clock time in +01:00 is an hour earlier',
    env(p, body=B(p, createdAt='2026-03-02T10:15:30.123456+01:00')), flag('body_mismatch'))
p = P('0198')
one(198, 'body-attestation-null-ok', 'no attestation group, body attestation null', env(p), ok)
p = PA('0199')
one(199, 'body-attestation-null-mismatch', 'twin of 0198: body attestation null while the payload has one',
    env(p, body=B(p, attestation=None)), flag('body_mismatch'))
p = PA('0200', attestationObservedAt='2026-03-02T10:15:29.0000000Z')
assert body_of(p)['attestation']['observedAt'] == '2026-03-02T10:15:29Z'
one(200, 'body-attestation-object-ok', 'body attestation object, observedAt trimmed', env(p), ok)
p = PA('0201')
a = dict(body_of(p)['attestation'], canonicalClaims='{"estimates":[]}')
one(201, 'body-attestation-claims-differ', 'twin of 0200: canonicalClaims differ', env(p, body=B(p, attestation=a)),
    flag('body_mismatch'))
p = P('0202')
a = body_of(PA('0202'))['attestation']
one(202, 'body-attestation-without-group', 'body attestation object, payload has no group',
    env(p, body=B(p, attestation=a)), flag('body_mismatch'))
p = P('0203')
one(203, 'body-unknown-member', 'body members with no payload counterpart are ignored',
    env(p, body=dict(body_of(p), displayName='Weather', pricing={'sats': 5}, toolId=TOOL_SEARCH)), ok)
p = P('0204')
one(204, 'body-absent-members', 'a body with only three members', env(p, body={'receiptId': p['receiptId'],
    'grossSats': 5, 'status': 'Charged'}), ok)
p = P('0205')
one(205, 'body-empty', 'an empty body compares nothing', env(p, body={}), ok)
p = P('0206')
one(206, 'body-absent', 'no body member at all', env(p, body=None), ok)
p = P('0207')
one(207, 'body-type-mismatch', 'body grossSats "5" where the payload has 5', env(p, body=B(p, grossSats='5')),
    flag('body_mismatch'))
p = P('0208')
one(208, 'body-null-vs-string', 'body agentId null, payload agent_7', env(p, body=B(p, agentId=None)),
    flag('body_mismatch'))
p = P('0209', agentId=None)
one(209, 'body-string-vs-null', 'body agentId "agent_7", payload null', env(p, body=B(p, agentId='agent_7')),
    flag('body_mismatch'))
p = P('0210', toolName='caf\u00e9 <b> & "q"')
one(210, 'body-escaped-strings-ok', 'body strings written with \\u escapes decode equal',
    env(p, body=Raw(plain(body_of(p)).replace('caf\u00e9 <b>', 'caf\\u00e9 \\u003cb>'))), ok)
p = P('0211')
one(211, 'body-gross-differs', 'body grossSats 6', env(p, body=B(p, grossSats=6)), flag('body_mismatch'))
p = P('0212')
one(212, 'body-slug-case-differs', 'strings are not case-insensitive: toolSlug Weather-API',
    env(p, body=B(p, toolSlug='Weather-API')), flag('body_mismatch'))
p = P('0213')
one(213, 'body-receiptid-uppercase', 'receiptId is not a guid: upper-case hex differs',
    env(p, body=B(p, receiptId=p['receiptId'].upper())), flag('body_mismatch'))
p = P('0214')
one(214, 'body-status-differs', 'body says Test, payload Charged', env(p, body=B(p, status='Test')),
    flag('body_mismatch'))
p = P('0215', toolName=DROP)
one(215, 'body-toolname-without-payload', 'body toolName with an 18-member payload: no counterpart, ignored',
    env(p, body=dict(body_of(p), toolName='Weather API')), ok)
p = P('0216')
one(216, 'body-time-not-a-time', 'body createdAt "yesterday"', env(p, body=B(p, createdAt='yesterday')),
    flag('body_mismatch'))
p = P('0217')
one(217, 'body-guid-null', 'body mcpGateTokenId null, payload has one', env(p, body=B(p, mcpGateTokenId=None)),
    flag('body_mismatch'))
p = P('0218')
one(218, 'body-net-differs', 'body netSats 5', env(p, body=B(p, netSats=5)), flag('body_mismatch'))
p = PA('0219', attestationSubjectId=None)
one(219, 'body-attestation-subject-null-ok', 'body attestation subjectId null matches null', env(p), ok)

# ---- 0220-0239: validity windows (SPEC §3 not-before / not-after) ----

KW = text_key(KID, 'vectors-window-secret', 'not-before=2026-03-01T00:00:00Z not-after=2026-04-01T00:00:00Z')
KWR = keyring(KW)
one(220, 'window-at-not-before', 'createdAt exactly not-before: valid',
    env(P('0220', createdAt='2026-03-01T00:00:00.0000000Z'), key=KW), ok, keyring_text=KWR)
one(221, 'window-before-not-before', 'twin of 0220: 100 ns before not-before',
    env(P('0221', createdAt='2026-02-28T23:59:59.9999999Z'), key=KW), FAIL('key_not_valid_at_time'), keyring_text=KWR)
one(222, 'window-just-before-not-after', 'createdAt 100 ns before not-after: valid',
    env(P('0222', createdAt='2026-03-31T23:59:59.9999999Z'), key=KW), ok, keyring_text=KWR)
one(223, 'window-at-not-after', 'twin of 0222: createdAt exactly not-after is outside',
    env(P('0223', createdAt='2026-04-01T00:00:00.0000000Z'), key=KW), FAIL('key_not_valid_at_time'), keyring_text=KWR)
KA = text_key(KID, 'vectors-rotation-old', 'not-after=2026-03-01T00:00:00Z')
KB2 = text_key(KID, 'vectors-rotation-new', 'not-before=2026-03-01T00:00:00Z')
inp = Inp()
r = env(P('0224a', createdAt='2026-02-28T23:59:59.9999999Z'), key=KA)
inp.add(r, OK(r))
r = env(P('0224b', createdAt='2026-03-01T00:00:00.0000000Z'), key=KB2)
inp.add(r, OK(r))
inp.add(env(P('0224c', createdAt='2026-03-01T00:00:00.0000000Z'), key=KA), FAIL('key_not_valid_at_time'))
inp.add(env(P('0224d', createdAt='2026-02-28T23:59:59.9999999Z'), key=KB2), FAIL('key_not_valid_at_time'))
case(224, 'window-rotation', 'one keyId, old secret until T, new from T: each valid only in its window', inp,
     keyring_text=keyring(KA, KB2))
one(225, 'window-checked-after-schema', 'a windowed key and a malformed createdAt: schema first',
    env(P('0225', createdAt='2026-02-30T00:00:00.0000000Z'), key=KW), FAIL('schema_violation'), keyring_text=KWR)
one(226, 'window-fail-ends-record', 'outside the window with a wrong body and fee: the fail ends the record',
    env(P('0226', createdAt='2025-12-31T23:59:59.0000000Z', grossSats=40, platformFeeSats=1, netSats=39), key=KW,
	body={'grossSats': 1}), FAIL('key_not_valid_at_time'), keyring_text=KWR)
KNA = text_key(KID, 'vectors-not-after-only', 'not-after=2026-03-02T10:15:30.1234560Z')
one(227, 'window-not-after-fraction', 'not-after with a fraction, createdAt equal to it',
    env(P('0227'), key=KNA), FAIL('key_not_valid_at_time'), keyring_text=keyring(KNA))
KNA2 = text_key(KID, 'vectors-not-after-only', 'not-after=2026-03-02T10:15:30.1234561Z')
one(228, 'window-not-after-fraction-ok', 'twin of 0227: not-after 100 ns later', env(P('0228'), key=KNA2), ok,
    keyring_text=keyring(KNA2))

# ---- 0240-0269: keyring forms (SPEC §3) ----

HEX_BYTES = hashlib.sha256(b'vectors hex secret').digest()
KHEX = Key('hex-key', 'hex:' + HEX_BYTES.hex(), HEX_BYTES)
one(240, 'keyring-hex', 'hex: secret, decoded to bytes', env(P('0240'), key=KHEX), ok, keyring_text=keyring(KHEX))
one(241, 'keyring-hex-not-text', 'twin of 0240: signed with the hex digits as text',
    env(P('0241'), key=text_key('hex-key', HEX_BYTES.hex())), FAIL('bad_signature'), keyring_text=keyring(KHEX))
KHEXU = Key('hex-key', 'hex:' + HEX_BYTES.hex().upper(), HEX_BYTES)
one(242, 'keyring-hex-uppercase', 'hex: digits in upper case', env(P('0242'), key=KHEXU), ok,
    keyring_text=keyring(KHEXU))
B64_BYTES = bytes.fromhex('fbefbeffffff') + hashlib.sha256(b'vectors base64 secret').digest()[:27]
assert len(B64_BYTES) % 3 == 0
KB64 = Key('b64-key', 'base64:' + base64.b64encode(B64_BYTES).decode(), B64_BYTES)
assert '+' in KB64.token and '/' in KB64.token and '=' not in KB64.token
one(243, 'keyring-base64', 'base64: secret in the standard alphabet (+ and /)', env(P('0243'), key=KB64), ok,
    keyring_text=keyring(KB64))
one(244, 'keyring-base64-not-text', 'twin of 0243: signed with the base64 text itself',
    env(P('0244'), key=text_key('b64-key', KB64.token[7:])), FAIL('bad_signature'), keyring_text=keyring(KB64))
B64P_BYTES = hashlib.sha256(b'vectors base64 padded secret').digest()
KB64P = Key('b64-key', 'base64:' + base64.b64encode(B64P_BYTES).decode(), B64P_BYTES)
assert KB64P.token.endswith('=')
one(245, 'keyring-base64-padded', 'base64: 32 bytes written with their "=" padding', env(P('0245'), key=KB64P), ok,
    keyring_text=keyring(KB64P))
ENV_SECRET = 'env-provided secret with spaces 0123456789'
KENV = Key('env-key', 'env:LAR_VECTORS_SECRET', ENV_SECRET.encode())
one(246, 'keyring-env', 'env: secret with spaces', env(P('0246'), key=KENV), ok, keyring_text=keyring(KENV),
    env_vars={'LAR_VECTORS_SECRET': ENV_SECRET})
one(247, 'keyring-env-other-value', 'twin of 0246: the variable holds another value',
    env(P('0247'), key=KENV), FAIL('bad_signature'), keyring_text=keyring(KENV),
    env_vars={'LAR_VECTORS_SECRET': ENV_SECRET + '!'})
KFILE = Key('file-key', 'file:secrets/file-key.secret', b'file secret value')
one(248, 'keyring-file-relative', 'file: relative to the keyring folder; one trailing newline removed',
    env(P('0248'), key=KFILE), ok, keyring_text=keyring(KFILE), files={'secrets/file-key.secret': b'file secret value\n'})
one(249, 'keyring-file-newline-not-key', 'twin of 0248: signed with the newline included',
    env(P('0249'), key=Key('file-key', '', b'file secret value\n')), FAIL('bad_signature'),
    keyring_text=keyring(KFILE), files={'secrets/file-key.secret': b'file secret value\n'})
KFILE2 = Key('file-key', 'file:secrets/file-key.secret', b'file secret value\n')
one(250, 'keyring-file-two-newlines', 'only one trailing newline is removed', env(P('0250'), key=KFILE2), ok,
    keyring_text=keyring(KFILE2), files={'secrets/file-key.secret': b'file secret value\n\n'})
KFILE3 = Key('file-key', 'file:file-key.secret', b'no newline at all')
one(251, 'keyring-file-no-newline', 'a file secret without a trailing newline', env(P('0251'), key=KFILE3), ok,
    keyring_text=keyring(KFILE3), files={'file-key.secret': b'no newline at all'})
KUTF = text_key('utf8-key', 'p\u00e4ssw\u00f6rd-\u00fcn\u00efc\u00f6de-\u65e5\u672c')
one(252, 'keyring-text-utf8', 'text: secret with non-ASCII characters: its UTF-8 bytes', env(P('0252'), key=KUTF), ok,
    keyring_text=keyring(KUTF))
one(253, 'keyring-text-latin1-not-key', 'twin of 0252: signed with the Latin-1 bytes of the secret',
    env(P('0253'), key=Key('utf8-key', '', 'p\u00e4ssw\u00f6rd'.encode('latin-1'))), FAIL('bad_signature'),
    keyring_text=keyring(text_key('utf8-key', 'p\u00e4ssw\u00f6rd')))
KM1 = text_key(KID, 'vectors-multi-one')
KM2 = Key(KID, 'hex:' + hashlib.sha256(b'multi two').hexdigest(), hashlib.sha256(b'multi two').digest())
KM3 = Key(KID, 'base64:' + base64.b64encode(hashlib.sha256(b'multi three').digest()[:30]).decode(),
	  hashlib.sha256(b'multi three').digest()[:30])
inp = Inp()
for lbl, k in (('0254a', KM1), ('0254b', KM2), ('0254c', KM3)):
	r = env(P(lbl), key=k)
	inp.add(r, OK(r))
inp.add(env(P('0254d'), key=FOREIGN), FAIL('bad_signature'))
case(254, 'keyring-several-secrets', 'three secrets under one keyId, each tried; a fourth secret fails', inp,
     keyring_text=keyring(KM1, KM2, KM3))
KHASH = text_key(KID, 'abc#def')
one(255, 'keyring-hash-inside-token', '"#" not after whitespace is part of the secret', env(P('0255'), key=KHASH), ok,
    keyring_text=keyring(KHASH))
one(256, 'keyring-hash-inside-token-twin', 'twin of 0255: the secret is not cut at "#"',
    env(P('0256'), key=text_key(KID, 'abc')), FAIL('bad_signature'), keyring_text=keyring(KHASH))
one(257, 'keyring-comments-and-blanks', 'comments at line start and after whitespace, blank lines, tabs',
    env(P('0257')), ok, keyring_text='# header\n\n   \n\t# indented comment\n' + KID + '\t'
    + K0.token + '   # trailing comment\n\n# end\n')
one(258, 'keyring-unknown-option', 'an unknown option is an error: exit 2, no verdicts', env(P('0258')), None,
    keyring_text=keyring(K0) + KID + '  text:second  revokd\n', status=2)
one(259, 'keyring-empty-text-secret', 'text: with nothing after it', env(P('0259')), None,
    keyring_text=keyring(K0) + 'empty  text:\n', status=2)
one(260, 'keyring-line-without-secret', 'a line with a keyId only', env(P('0260')), None,
    keyring_text=keyring(K0) + 'lonely-key-id\n', status=2)
one(261, 'keyring-env-empty', 'env: naming a variable that is set but empty', env(P('0261')), None,
    keyring_text=keyring(K0, KENV), env_vars={'LAR_VECTORS_SECRET': ''}, status=2)
one(262, 'keyring-bad-hex', 'hex: with an odd number of digits', env(P('0262')), None,
    keyring_text=keyring(K0) + 'hexy  hex:abc\n', status=2)
one(263, 'keyring-bad-time', 'not-before that is not an RFC 3339 time', env(P('0263')), None,
    keyring_text=keyring(K0) + 'timed  text:abc  not-before=yesterday\n', status=2)
one(264, 'keyring-unknown-form', 'a secret form other than text hex base64 env file', env(P('0264')), None,
    keyring_text=keyring(K0) + 'formy  rot13:abc\n', status=2)
r = env(P('0265'), key=text_key('cli-key', 'cli-secret-value'))
one(265, 'key-option', '--key adds a secret on the command line', r, ok, args='--key cli-key=text:cli-secret-value')
one(266, 'key-option-other-secret', 'twin of 0265: --key with another secret',
    env(P('0266'), key=text_key('cli-key', 'cli-secret-value')), FAIL('bad_signature'),
    args='--key cli-key=text:not-the-secret')
KSP = text_key(KID, 'vectors-secret-alpha-0123456789')
one(267, 'keyring-missing-file-secret', 'file: naming a file that does not exist', env(P('0267')), None,
    keyring_text=keyring(K0, Key('file-key', 'file:secrets/absent.secret', b'')), status=2)
one(268, 'keyring-same-secret-twice', 'the same secret listed twice, once revoked: the unrevoked one matches',
    env(P('0268')), ok, keyring_text=keyring(KREV, K0))
one(269, 'keyring-revoked-with-window', 'revoked and windowed: revoked wins over the window',
    env(P('0269', createdAt='2022-01-01T00:00:00.0000000Z'), key=KREV), FAIL('key_revoked'),
    keyring_text=keyring(text_key(KID, 'vectors-secret-alpha-0123456789', 'not-after=2021-01-01T00:00:00Z revoked')))

# ---- 0270-0299: input shapes and the reader (SPEC §2.1) ----

r1, r2, r3 = env(P('0270a')), charge(env(P('0270b', gross=40))), tool_result(env(P('0270c', gross=100)))
inp = Inp().add(r1, OK(r1)).add(r2, OK(r2)).add(r3, OK(r3)).add(denial(), SKIPPED)
case(270, 'jsonl-mixed-shapes', 'JSON Lines: bare, charge response, tool result, denial', inp)
r1, r2 = env(P('0271a')), env(P('0271b'))
doc = '[\n' + r1.text() + ',\n' + r2.text() + '\n]'
case(271, 'array-multiline', 'a top-level array, one element per line: each at its own line',
     Inp().add(doc).expect_at(2, OK(r1)).expect_at(3, OK(r2)), fname='input.json')
r1, r2, r3 = env(P('0272a')), charge(env(P('0272b'))), env(P('0272c', status='Test'))
doc = '[' + r1.text() + ',' + r2.text() + ',' + denial().text() + ',' + r3.text() + ']'
case(272, 'array-one-line', 'a top-level array on one line: every element at line 1',
     Inp().add(doc).expect_at(1, OK(r1)).expect_at(1, OK(r2)).expect_at(1, SKIPPED)
     .expect_at(1, FLAG(r3, 'test_receipt')), fname='input.json')
r1 = env(P('0273'))
doc = '[\n  null,\n  [' + r1.text() + '],\n  "text",\n  ' + r1.text() + '\n]'
case(273, 'array-odd-elements', 'array elements null, a nested array, a string: malformed_input each',
     Inp().add(doc).expect_at(2, FAIL('malformed_input')).expect_at(3, FAIL('malformed_input'))
     .expect_at(4, FAIL('malformed_input')).expect_at(5, OK(r1)), fname='input.json')
case(274, 'array-empty', 'an empty top-level array contributes nothing', Inp().add('[]'), fname='input.json')
r1 = charge(env(P('0275', gross=39)))
case(275, 'pretty-document', 'one pretty-printed charge response', Inp().add(r1.text(indent=2), OK(r1)),
     fname='input.json')
r1, r2, r3 = charge(env(P('0276a'))), env(P('0276b', gross=100)), tool_result(env(PA('0276c')))
inp = Inp().add(r1.text(indent=2), OK(r1)).add('').add(r2.text(indent=4), OK(r2)).add(r3.text(indent=1), OK(r3))
case(276, 'several-documents', 'three pretty-printed documents: each at the line it starts', inp, fname='input.json')
r1, r3 = env(P('0277a')), env(P('0277c'))
inp = Inp().add(r1, OK(r1)).add(r1.text()[:200], FAIL('malformed_input')).add(r3, OK(r3))
case(277, 'jsonl-truncated-line', 'a line cut short: one malformed_input, the next line verified', inp)
r1, r2 = env(P('0278a')), env(P('0278b'))
inp = Inp().add('hello', FAIL('malformed_input')).add('world').add(r1, OK(r1)).add('garbage } again',
	FAIL('malformed_input')).add(r2, OK(r2))
case(278, 'garbage-lines', 'text that is not JSON: one record where it starts, resuming at the next line '
     'starting with { or [ ("world" is skipped)', inp)
case(279, 'empty-input', 'an empty file: no records, exit 0', Inp())
case(280, 'whitespace-only-input', 'blank lines and spaces only: no records', Inp().add('\n  \n\t\n'))
r2 = env(P('0281'))
inp = Inp().add('{"broken": ', FAIL('malformed_input')).add('  ' + env(P('0281x')).text()).add(r2, OK(r2))
case(281, 'resync-skips-indented-line', 'after a broken value, a line starting with a space is no resync '
     'point', inp)
r3 = env(P('0282'))
inp = Inp().add('{"a":', FAIL('malformed_input')).add('{"b": 1,', FAIL('malformed_input')).add(r3, OK(r3))
case(282, 'resync-at-next-bracket-line', 'resync is at the next line after the value\'s start that begins '
     'with { or [, even when the parser read past it', inp)
r1, r2 = env(P('0283a')), env(P('0283b'))
inp = Inp()
inp.buf = r1.text().encode() + b'\r\n' + r2.text().encode() + b'\r\n'
inp.expects = [(1, OK(r1)), (2, OK(r2))]
case(283, 'crlf-lines', 'JSON Lines with CRLF line ends', inp)
r1, r2 = env(P('0284a')), env(P('0284b'))
inp = Inp().add('').add('').add(r1, OK(r1)).add('').add('   ').add(r2, OK(r2)).add('')
case(284, 'blank-lines-between', 'blank lines before and between records: line numbers count them', inp)
r1 = env(P('0285'))
inp = Inp().add('    ' + r1.text(), OK(r1))
case(285, 'indented-record', 'a record indented on its line', inp)
r1 = env(P('0286'))
inp = Inp().add(r1.text(), OK(r1), nl=False)
case(286, 'no-final-newline', 'the last line has no newline', inp)
r1, r2 = env(P('0287a')), env(P('0287b'))
inp = Inp().add(r1.text(indent=2), OK(r1)).add('{"broken": [1, 2,', FAIL('malformed_input')).add(r2.text(indent=2), OK(r2))
case(287, 'broken-between-documents', 'a broken value between two pretty documents', inp, fname='input.json')
r1 = env(P('0288'))
inp = Inp().add(b'\xff\xfe garbage bytes \x00\x01', FAIL('malformed_input')).add(r1, OK(r1))
case(288, 'binary-garbage', 'bytes that are not UTF-8 before a good line', inp)
r1, r2, r3 = env(P('0289a')), env(P('0289b')), env(P('0289c'))
inp = Inp().add('[' + r1.text() + ',', OK(r1)).add(r2.text() + ']', OK(r2)).add(r3, OK(r3))
case(289, 'array-then-jsonl', 'a top-level array over two lines, then a JSON Lines record', inp)
inp = Inp().add(denial(), SKIPPED).add(denial('tool_disabled'), SKIPPED)
case(290, 'only-skipped', 'only denials: nothing checked, exit 0', inp)
r1 = env(P('0291'))
inp = Inp().add(denial(), SKIPPED).add(r1.text()[:-1], FAIL('malformed_input'))
case(291, 'skipped-and-broken', 'twin of 0290: a denial and a broken line exits 1', inp)
r1 = env(P('0292'))
inp = Inp().add(tool_result(r1).text(indent=2), OK(r1))
case(292, 'pretty-tool-result', 'a pretty-printed tool result', inp, fname='input.json')
r1 = env(P('0293'))
inp = Inp().add(plain({'status': 'ok', 'receipt': r1.obj, 'receiptCopy': None}), OK(r1))
case(293, 'charge-response-extra-members', 'a charge response with members the reader does not know', inp)
r1 = env(P('0294'))
inp = Inp().add(plain({'receipt': {'receipt': r1.obj}}), FAIL('unsupported_version'))
case(294, 'receipt-in-receipt', 'a receipt member holding another receipt member: the outer one is the '
     'envelope, and it has no version', inp)

one(295, 'revoked-wrong-signature', 'twin of 0048: a keyId with only a revoked secret and a signature it '
    'does not make is bad_signature', env(P('0295'), key=FOREIGN), FAIL('bad_signature'), keyring_text=keyring(KREV))
p = P('0296', toolName='long ' * 20000)
one(296, 'payload-large', 'a 100,000-character toolName (a 235 KB line)', env(p), ok)


def body_numbers(p, **texts):
	"""body_of(p) as JSON text with the named numbers written as the given texts."""
	t = plain(body_of(p))
	for k, x in texts.items():
		old = '"%s": %s' % (k, plain(member(p, k)))
		if old not in t:
			old = '"%s":%s' % (k, plain(member(p, k)))
		assert old in t, old
		t = t.replace(old, '"%s": %s' % (k, x), 1)
	return Raw(t)


# SPEC §1.5: body numbers compare by value, exactly (not as doubles, not as text)
p = P('0297')
one(297, 'body-number-near-integer', 'body netSats 4.0000000000000001: a double would round it to 4, '
    'but it is not 4', env(p, body=body_numbers(p, netSats='4.0000000000000001')), flag('body_mismatch'))
p = P('0298')
one(298, 'body-number-other-forms-ok', 'body grossSats 5.0, netSats 0.4e1, platformFeeSats 100E-2, '
    'feeBasisPoints 500.000: the same values', env(p, body=body_numbers(p, grossSats='5.0', netSats='0.4e1',
    platformFeeSats='100E-2', feeBasisPoints='500.000')), ok)
p = P('0299')
one(299, 'body-number-long-text-ok', 'body grossSats 5 followed by a fraction of 80 zeros: the same value',
    env(p, body=body_numbers(p, grossSats='5.' + '0' * 80)), ok)
p = P('0300', gross=0)
one(300, 'body-number-zero-forms', 'gross 0: body grossSats 0.0, platformFeeSats -0.0e99999999999999999999 '
    'and netSats 0e-7 are all 0',
    env(p, body=body_numbers(p, grossSats='0.0', platformFeeSats='-0.0e99999999999999999999', netSats='0e-7')),
    ok)
p = P('0301')
one(301, 'body-number-sign-differs', 'body grossSats -5.0, payload 5', env(p, body=body_numbers(p, grossSats='-5.0')),
    flag('body_mismatch'))
p = P('0302')
one(302, 'body-number-far-exponent', 'body grossSats 5e99999999999999999999 is not 5',
    env(p, body=body_numbers(p, grossSats='5e99999999999999999999')), flag('body_mismatch'))


# =========================================================================== sample

def sample():
	"""The demo sample for the README: three days, three tools, mostly ok."""
	kr = ('# DEMO keyring for testvectors/sample: these secrets are made-up demo values,\n'
	      '# published on purpose. Never use them for anything real.\n')
	k1 = text_key(KID, 'demo-only-not-a-real-secret-2026', 'not-before=2026-01-01T00:00:00Z')
	k0 = Key(KID, 'hex:' + hashlib.sha256(b'la-receipt demo 2025').hexdigest(),
		 hashlib.sha256(b'la-receipt demo 2025').digest(), 'not-after=2026-01-01T00:00:00Z')
	kr += '# rotated out on 2026-01-01; kept to verify older receipts\n' + k0.line() + '\n' + k1.line() + '\n'
	inp = Inp()
	tools = ['weather-api', 'paid-research-tool', 'web-search']
	prices = {'weather-api': 5, 'paid-research-tool': 40, 'web-search': 10}
	bps = {'weather-api': 500, 'paid-research-tool': 500, 'web-search': 250}
	agents = ['agent_7', 'agent_12', None]
	n = 0

	def rec(day, hh, mm, tool, project=PROJECT_A, idem=None, label=None, **kw):
		nonlocal n
		n += 1
		lbl = label or 'sample-%02d' % n
		g = kw.pop('gross', prices[tool])
		b = bps[tool]
		f = fee_model(g, b)
		created = '2026-03-%02dT%02d:%02d:%02d.%07dZ' % (day, hh, mm, (n * 7) % 60, (n * 1234567) % 10000000)
		p = P(lbl, tool=tool, grossSats=g, feeBasisPoints=b, platformFeeSats=f, netSats=g - f,
		      createdAt=created, payingProjectId=project, agentId=agents[n % 3],
		      idempotencyKey=idem or 'idem-' + lbl)
		p.update(kw)
		return p

	lines = []
	day_tools = [(9, [(8, 2, 0), (9, 30, 1), (11, 5, 2), (13, 45, 0), (15, 0, 1), (17, 20, 2), (19, 55, 0)]),
		     (10, [(7, 40, 1), (9, 10, 0), (10, 35, 2), (12, 0, 0), (14, 25, 1), (16, 50, 2), (18, 15, 0)]),
		     (11, [(8, 5, 2), (9, 45, 0), (11, 30, 1), (13, 10, 2), (15, 40, 0), (20, 5, 1)])]
	for day, slots in day_tools:
		for hh, mm, t in slots:
			proj = PROJECT_B if (hh + mm) % 3 == 0 else PROJECT_A
			p = rec(day, hh, mm, tools[t], project=proj)
			r = env(p, key=k1)
			shape = (hh + day) % 5  # mostly charge responses, some stored tool results, a few bare
			r = tool_result(r) if shape == 3 else r if shape == 4 else charge(r, 3 + len(lines), 40 + 9 * len(lines))
			lines.append((r, OK(r)))
	# two Test receipts from the dashboard
	for hh in (10, 16):
		p = rec(10, hh, 1, 'weather-api', status='Test')
		r = env(p, key=k1)
		lines.append((r, FLAG(r, 'test_receipt')))
	# a double charge: same tool, project and idempotency key, two revenue events
	for mm in (20, 21):
		p = rec(11, 12, mm, 'paid-research-tool', idem='idem-retry-storm-42', label='sample-double-%d' % mm)
		r = charge(env(p, key=k1), 17 + mm, 400 + 40 * mm)
		lines.append((r, OK(r)))
	# a fee mismatch (fee 1 at gross 40)
	p = rec(10, 11, 11, 'paid-research-tool', platformFeeSats=1, netSats=39)
	r = env(p, key=k1)
	lines.append((r, FLAG(r, 'fee_mismatch')))
	# a body that disagrees with the signed payload
	p = rec(11, 14, 14, 'weather-api')
	r = env(p, key=k1, body=B(p, grossSats=500, netSats=499))
	lines.append((r, FLAG(r, 'body_mismatch')))
	# forged: payload edited to a bigger charge, original signature kept
	p = rec(9, 21, 0, 'web-search')
	sig = env(p, key=k1).obj['signature']
	p2 = dict(p, grossSats=10000, platformFeeSats=250, netSats=9750)
	lines.append((env(p2, key=k1, sig=sig), FAIL('bad_signature')))
	# signed by a key this operator does not have
	p = rec(10, 22, 0, 'weather-api')
	lines.append((env(p, key=text_key('liveauth-mcp-receipt-staging', 'staging-secret')), FAIL('unknown_key')))
	# a denied charge
	lines.append((denial(), SKIPPED))
	# in time order, as a day's log would be; the denial sits mid-morning of the 10th
	def when(item):
		r, e = item
		return member(r.payload, 'createdAt') if r.payload else '2026-03-10T10:30:00.0000000Z'
	lines.sort(key=when)
	redelivered = None
	for idx, (r, e) in enumerate(lines):
		inp.add(r, e)
		if idx == 4:
			redelivered = (r, e)
		if idx == 13:  # the same record delivered a second time, later
			inp.add(*redelivered)
		if idx == 20:
			inp.add('<html><body>502 Bad Gateway</body></html>', FAIL('malformed_input'))
	return kr, inp


# =========================================================================== sign cross-check

def sign_set():
	"""Payloads la-receipt sign must turn into exactly our envelopes (SPEC §1.2, §1.4, §1.5)."""
	ks = text_key('vectors-sign', 'vectors-sign-secret-\u00e9-0123456789')
	extra = [
		P('sign-escapes-1', agentId='"&\'+<>`', idempotencyKey='back\\slash /slash/',
		  requestId='ctl \n\r\t\b\f \u0001\u0002\u001e\u001f del\u007f'),
		P('sign-escapes-2', toolName='caf\u00e9 cr\u00e8me \u65e5\u672c\u8a9e \u03a9\u2248\u00e7',
		  toolMethodName='emoji \U0001F600 \U0001F389 \U00010348', agentId='\ufeffbom \u2028 \u2029 end'),
		P('sign-escapes-3', toolSlug='=SUM(A1:A9)', toolName='Tom\'s <Fetch> & "Co" `x`',
		  toolMethodName='tab\there', requestId=None, agentId=None),
		P('sign-createdat-zero', createdAt='2026-05-01T00:00:00.0000000Z'),
		P('sign-createdat-one-digit', createdAt='2026-05-01T12:34:56.1000000Z'),
		P('sign-createdat-seven', createdAt='2026-05-01T12:34:56.1234567Z'),
		PA('sign-attestation', attestationClaims='{"estimates":[{"targetBlocks":1}],"note":"<&>+\'"}',
		   attestationObservedAt='2026-05-01T12:34:55.1200000Z'),
		PA('sign-attestation-subject-null', attestationSubjectId=None),
		P('sign-no-toolname', toolName=DROP),
		P('sign-future', zzFuture={'b': [1, {'d': None, 'c': True}], 'a': 'x'}, aaFuture=-7),
		P('sign-long', toolName='x' * 3000, agentId='\u00e9' * 500),
		P('sign-empty-strings', toolName='', toolMethodName='', agentId='', requestId='', idempotencyKey=''),
	]
	payloads = []
	seen = set()

	def usable(p):
		t = canon(p)
		if t in seen:
			return False
		try:
			t.encode('utf-8')
			json.dumps(p, ensure_ascii=False).encode('utf-8')
		except UnicodeEncodeError:  # lone surrogates: sign parses strictly
			return False
		if '\\u0000' in t or t.count('[') > 63:
			return False

		def has_raw(v):
			if isinstance(v, (Raw, Pairs)):
				return True
			if isinstance(v, dict):
				return any(has_raw(x) for x in v.values())
			if isinstance(v, list):
				return any(has_raw(x) for x in v)
			return False
		return not has_raw(p)

	for p in extra + list(SIGNED_CANONICALLY.values()):
		if isinstance(p, dict) and usable(p):
			seen.add(canon(p))
			payloads.append(p)
	lines_in, lines_out, loose = [], [], []
	for i, p in enumerate(payloads):
		# written non-canonically: sign must canonicalise (order, raw UTF-8, \" escapes, spaces)
		items = list(p.items())
		if i % 2:
			items.reverse()
		sep = (', ', ': ') if i % 3 == 0 else (',', ':')
		lines_in.append(json.dumps(dict(items), ensure_ascii=False, separators=sep))
		b64 = b64u(canon(p).encode())
		sig = mac(ks.bytes, b64.encode())
		e = {'version': VERSION, 'payload': b64, 'signature': sig, 'signatureAlgorithm': ALG,
		     'keyId': ks.key_id, 'body': body_of(p)}
		lines_out.append(plain(e))
		if not body_defined(p):
			loose.append(i + 1)
	return ks, lines_in, lines_out, loose


def TIME_RE_OK(t):
	# the payload time format of SPEC §1.3, naming a real date and time
	if not (isinstance(t, str) and len(t) == 28 and t[10] == 'T' and t[19] == '.' and t[-1] == 'Z'
		and t[20:27].isdigit()):
		return False
	try:
		datetime.datetime.strptime(t[:19], '%Y-%m-%dT%H:%M:%S')
	except ValueError:
		return False
	return True


def body_defined(p):
	"""1 when SPEC §1.5 fixes the body's bytes: a schema-valid payload with every member."""
	strs = ['receiptId', 'revenueEventId', 'mcpToolId', 'toolName', 'toolSlug', 'toolMethodName', 'status',
		'version']
	nullable = ['mcpGateTokenId', 'mcpGateSessionId', 'payingProjectId', 'agentId', 'idempotencyKey', 'requestId']
	ints = ['grossSats', 'platformFeeSats', 'netSats', 'feeBasisPoints']
	if not all(isinstance(p.get(k), str) for k in strs):
		return False
	if not all(k in p and (p[k] is None or isinstance(p[k], str)) for k in nullable):
		return False
	if not all(type(p.get(k)) is int and -2**31 <= p[k] < 2**31 for k in ints):
		return False
	if not TIME_RE_OK(p.get('createdAt')):
		return False
	att = [k for k in p if k.startswith('attestation')]
	if att and (len(att) != 8 or not TIME_RE_OK(p['attestationObservedAt'])):
		return False
	return True


# =========================================================================== writing

def write(path, data):
	os.makedirs(os.path.dirname(path), exist_ok=True)
	if isinstance(data, str):
		data = data.encode('utf-8')
	with open(path, 'wb') as f:
		f.write(data)


README_HEAD = """# la-receipt test vectors

Numbered cases, each a folder `NNNN-short-name/` (numbers are never reused or renumbered; gaps
such as 0229-0239 are simply unused):

| file | meaning |
|---|---|
| `input.jsonl` or `input.json` | the input (`input.json` for pretty documents and top-level arrays) |
| `keyring.txt` | the keyring (SPEC §3); copy it with mode 0600 before use |
| `env` | optional: `KEY=VALUE` lines to export (for `env:` secrets); the value is the rest of the line |
| `args` | optional: extra arguments, split on spaces (`--min-fee-sats 2`, `--key ID=SECRET`) |
| other files | `file:` secrets, named relative to the keyring's folder |
| `expected.stdout` | the exact output of `la-receipt verify --format json -k keyring.txt $(cat args) input.jsonl`, run inside the folder (so `"source"` is the input's file name) |
| `expected.status` | its exit status (SPEC §2.4) |

Run them with `tests/t_vectors.sh` (ctest runs it; `LAR_BIN=path/to/la-receipt bash tests/t_vectors.sh`
by hand). The runner copies each case to a temporary folder, makes its files mode 0600, exports
`env`, and compares stdout byte for byte and the exit status.

Everything here is written by `gen.py` (Python 3 standard library only), an independent
model of LiveAuthCore's signing (SPEC §1.2, §1.4, §1.5). It makes receipts a canonicalising
signer cannot (invalid UTF-8, duplicate members, lone surrogates, BOM, nesting 65,
non-canonical spacing, escapes and order, MAC over the JSON instead of the text, ...).
The expected verdicts are written by hand in `gen.py`, reasoned from SPEC §2, never copied
from la-receipt's output. Output line layout follows SPEC §4.1; reasons are listed in the
order of the SPEC §2.3 table. `python3 gen.py` rewrites every file (deterministically: same
bytes every time); `python3 gen.py --out DIR` writes elsewhere, for comparison.

Conventions reasoned from the SPEC where it leaves room, so a disagreement is easy to find:

- Trailing or leading whitespace around the decoded payload is valid RFC 8259 JSON, so it
  is `noncanonical_payload`, not the "trailing bytes" of `malformed_payload` (0134, 0135).
- After a value that fails to parse, the reader resumes at the first line after the line
  where that value *began* whose first character is `{` or `[` (SPEC §2.1): lines in between
  get no record (0278, 0281, 0282).
- "Times as instants" (SPEC §1.5) admits a body time with an offset (0196, 0197).
- `base64:` secrets are standard RFC 4648 base64, padding included (0245).

## `sign/` — the sign cross-check

`sign/payloads.jsonl` holds payload objects, one per line, written NON-canonically (member
order reversed on every other line, raw UTF-8, `\\"` escapes, spaces on every third line):
every payload the generator signs canonically anywhere in the cases, plus payloads full of
characters SPEC §1.4 escapes. `la-receipt sign -k sign/keyring.txt --key-id vectors-sign
sign/payloads.jsonl` must print `sign/expected.jsonl`: the payload and signature strings always
byte for byte; the whole line (the body as SPEC §1.5 describes it, members in the order
receiptId … createdAt, attestation) for every line not listed in `sign/loose-lines.txt`
(payloads whose body SPEC §1.5 does not pin down: schema violations, no toolName).
The runner treats `\\u007f` and a raw DEL in the body as the same (SPEC §1.5 does not say).

## `sample/` — the demo sample

`sample/receipts.jsonl` (with `sample/keyring.txt`, clearly-fake demo secrets) is the README's
demo: three days of charges over three tools, two Test receipts, a double charge, a
re-delivered line, a fee mismatch, a body mismatch, a forged receipt, an unknown key, a
denial and a garbage line. `sample/expected.stdout` is its `verify --format json` output.

## Index

| # | name | what it checks | exit |
|---|---|---|---|
"""


def main():
	out = os.path.dirname(os.path.abspath(__file__))
	if len(sys.argv) == 3 and sys.argv[1] == '--out':
		out = sys.argv[2]
	elif len(sys.argv) != 1:
		print(__doc__.strip().split('\n')[-1], file=sys.stderr)
		return 2
	index = []
	for c in CASES:
		d = os.path.join(out, c.dirname)
		if os.path.isdir(d):
			shutil.rmtree(d)
		os.makedirs(d)
		write(os.path.join(d, c.fname), c.inp.buf)
		write(os.path.join(d, 'keyring.txt'), c.keyring)
		for name, data in c.files.items():
			write(os.path.join(d, name), data)
		if c.env:
			write(os.path.join(d, 'env'), ''.join('%s=%s\n' % kv for kv in c.env.items()))
		if c.args:
			write(os.path.join(d, 'args'), c.args + '\n')
		write(os.path.join(d, 'expected.stdout'), c.expected_stdout() if c.status != 2 else '')
		write(os.path.join(d, 'expected.status'), '%d\n' % c.status)
		index.append('| %04d | `%s` | %s | %d |\n' % (c.num, c.name, c.what.replace('|', '\\|'), c.status))
	kr, inp = sample()
	write(os.path.join(out, 'sample', 'keyring.txt'), kr)
	write(os.path.join(out, 'sample', 'receipts.jsonl'), inp.buf)
	sc = Case(0, 'sample', '', inp, fname='receipts.jsonl')
	write(os.path.join(out, 'sample', 'expected.stdout'), sc.expected_stdout())
	write(os.path.join(out, 'sample', 'expected.status'), '%d\n' % sc.status)
	ks, lines_in, lines_out, loose = sign_set()
	write(os.path.join(out, 'sign', 'keyring.txt'), keyring(ks, header='# sign cross-check: a made-up secret'))
	write(os.path.join(out, 'sign', 'payloads.jsonl'), ''.join(l + '\n' for l in lines_in))
	write(os.path.join(out, 'sign', 'expected.jsonl'), ''.join(l + '\n' for l in lines_out))
	write(os.path.join(out, 'sign', 'loose-lines.txt'),
	      '# lines of expected.jsonl whose body SPEC 1.5 does not fix: payload and signature only\n'
	      + ''.join('%d\n' % n for n in loose))
	write(os.path.join(out, 'README.md'), README_HEAD + ''.join(index))
	return 0


if __name__ == '__main__':
	sys.exit(main())
