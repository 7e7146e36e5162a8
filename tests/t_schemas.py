#!/usr/bin/env python3
"""t_schemas.py - keeps schemas/*.schema.json true to la-receipt's output and
to SPEC, and keeps them from being vacuous.

  1. Every schema is a valid JSON Schema (draft 2020-12).
  2. Receipts signed here with `la-receipt sign` (ok, flagged, failing and
     skipped records): every `verify --format json` line validates against
     verify-line.schema.json; the envelope and decoded payload of every ok
     and flag record validate against envelope/payload.schema.json.
  3. The same over the golden sample ($LAR_SHARED/golden, copied with mode
     0600; skipped when absent) and over testvectors/ (when present); and
     the schemas reject what la-receipt rejects: a schema_violation payload
     fails payload.schema.json unless its fault is one JSON Schema cannot
     express (a number written with a fraction or exponent, an impossible
     calendar date), and a malformed_envelope / unsupported_version /
     unsupported_algorithm envelope fails envelope.schema.json.
  4. Hand-made negatives: each schema rejects documents that break one rule.
  5. When the ledger commands exist (cli/cmd_import.c): the import summary,
     report reconcile and report dupes lines, and export jsonl objects.

Run by tests/t_schemas.sh (ctest registers only tests/t_*.sh).  Exit 0
pass, 1 fail, 77 skip (the jsonschema module is not importable).

Not for: checking verdicts (the golden check and tests/test_receipt.c do).
"""
import base64
import copy
import datetime
import glob
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("# python3 module jsonschema is not importable (Debian: python3-jsonschema): skipped")
    sys.exit(77)

BIN = os.environ.get("LAR_BIN")
SRC = os.environ.get("LAR_SRC")
SHARED = os.environ.get("LAR_SHARED", "/nonexistent")
if not BIN or not SRC:
    print("LAR_BIN and LAR_SRC must be set", file=sys.stderr)
    sys.exit(2)

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("not ok: " + what)
    return cond


def load_schema(name):
    with open(os.path.join(SRC, "schemas", name), encoding="utf-8") as f:
        return json.load(f)


SCHEMA_NAMES = ["envelope", "payload", "verify-line", "reconcile-line", "dupes-line", "import-summary"]
V = {}
for name in SCHEMA_NAMES:
    try:
        s = load_schema(name + ".schema.json")
        jsonschema.Draft202012Validator.check_schema(s)
        check(s.get("$schema") == "https://json-schema.org/draft/2020-12/schema",
              name + ".schema.json declares draft 2020-12")
        V[name] = jsonschema.Draft202012Validator(s)
        check(True, name + ".schema.json is a valid schema")
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        check(False, "%s.schema.json: %s" % (name, str(e).splitlines()[0]))
if len(V) != len(SCHEMA_NAMES):
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1)


def errors(name, doc):
    return [e.message for e in V[name].iter_errors(doc)]


def valid(name, doc, where):
    errs = errors(name, doc)
    return check(not errs, "%s: not valid against %s.schema.json: %s" % (where, name, "; ".join(errs[:3])))


def invalid(name, doc, where):
    return check(not V[name].is_valid(doc), "%s: %s.schema.json accepts it, and must not" % (where, name))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def run(args, cwd, env=None, stdin=None):
    p = subprocess.run([BIN] + args, cwd=cwd, env=env, input=stdin, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def envelope_of(rec):
    """SPEC §2.1: the envelope of a record, or None."""
    if not isinstance(rec, dict):
        return None
    if "payload" in rec and "signature" in rec:
        return rec
    r = rec.get("receipt")
    return r if isinstance(r, dict) else None


def verify_lines(stdout, where):
    """Parse and validate every `verify --format json` line; returns them by line number."""
    out = {}
    for n, l in enumerate(stdout.splitlines(), 1):
        try:
            o = json.loads(l)
        except ValueError:
            check(False, "%s: output line %d is not JSON: %.80s" % (where, n, l))
            continue
        valid("verify-line", o, "%s: verify line %d" % (where, n))
        if isinstance(o, dict) and isinstance(o.get("line"), int):
            out[o["line"]] = o
    return out


def check_records(lines_by_no, verdicts, where, negatives=True):
    """Validate envelope and payload of the ok/flag records of a one-record-per-line
    file; with negatives, check that the schemas reject what la-receipt rejects."""
    counted = {"ok": 0, "neg": 0}
    for n, v in sorted(verdicts.items()):
        text = lines_by_no.get(n)
        if text is None:
            continue
        try:
            rec = json.loads(text)
        except ValueError:
            continue  # not one whole record on this line (pretty-printed, several, broken)
        if not isinstance(rec, dict):
            continue  # a top-level array: its elements share the line
        env = envelope_of(rec)
        status, reasons = v.get("status"), v.get("reasons") or []
        if status in ("ok", "flag"):
            if not check(env is not None, "%s:%d: %s record without an envelope" % (where, n, status)):
                continue
            valid("envelope", env, "%s:%d: envelope (%s)" % (where, n, status))
            try:
                payload = json.loads(b64url_decode(env["payload"]))
            except ValueError as e:
                check(False, "%s:%d: %s record whose payload does not decode: %s" % (where, n, status, e))
                continue
            valid("payload", payload, "%s:%d: payload (%s)" % (where, n, status))
            # the verify line repeats signed values: they must be the payload's
            for k in ("receiptId", "revenueEventId", "createdAt", "toolSlug", "grossSats", "platformFeeSats",
                      "netSats"):
                check(v.get(k) == payload.get(k), "%s:%d: verify line %s is not the payload's" % (where, n, k))
            counted["ok"] += 1
        elif negatives and status == "fail" and env is not None:
            reason = reasons[0] if reasons else None
            if reason in ("malformed_envelope", "unsupported_version", "unsupported_algorithm"):
                invalid("envelope", env, "%s:%d: %s envelope" % (where, n, reason))
                counted["neg"] += 1
            elif reason == "schema_violation":
                payload, inexpressible = decode_strict(env.get("payload"))
                if payload is None or inexpressible:
                    continue
                invalid("payload", payload, "%s:%d: schema_violation payload" % (where, n))
                counted["neg"] += 1
    return counted


class _Float(Exception):
    pass


def decode_strict(p):
    """Decode a payload; returns (object or None, True when its schema fault is one
    JSON Schema cannot express: a number with a fraction or exponent, or a time
    that is well formed but not a real date)."""
    try:
        raw = b64url_decode(p)
        text = raw.decode("utf-8")
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError):
        return None, False
    floats = []

    def pf(s):
        floats.append(s)
        return float(s)
    try:
        obj = json.loads(text, parse_float=pf)
    except ValueError:
        return None, False
    inexpressible = bool(floats)
    if isinstance(obj, dict):
        for k in ("createdAt", "attestationObservedAt"):
            t = obj.get(k)
            if isinstance(t, str) and len(t) == 28:
                try:
                    datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")
                except ValueError:
                    inexpressible = True
    return obj, inexpressible


# ---------------------------------------------------------------- 2. signed here
tmp = tempfile.mkdtemp(prefix="t_schemas.", dir=os.environ.get("LAR_TMP") or None)
try:
    env = dict(os.environ, LC_ALL="C", TZ="UTC")
    env.pop("LA_RECEIPT_KEYRING", None)
    env.pop("LA_RECEIPT_LEDGER", None)
    keyring = os.path.join(tmp, "keyring.txt")
    with open(keyring, "w") as f:
        f.write("liveauth-mcp-receipt-v1 text:t-schemas-secret-0123456789\n")
        f.write("old text:t-schemas-old-secret not-after=2020-01-01T00:00:00Z\n")
    os.chmod(keyring, 0o600)

    base = {
        "agentId": "agent-7", "createdAt": "2026-03-14T09:26:53.5897930Z", "feeBasisPoints": 500,
        "grossSats": 40, "idempotencyKey": "call-0042", "mcpGateSessionId": None,
        "mcpGateTokenId": "dd8c700f-95f3-416e-a10f-9de0d271fd54",
        "mcpToolId": "3f2b8c1e-5a7d-4e9f-8b6a-0c1d2e3f4a5b", "netSats": 38,
        "payingProjectId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "platformFeeSats": 2,
        "receiptId": "mcp_receipt_0d4f6b8a2c1e4f7a9b3c5d7e9f1a2b3c", "requestId": None,
        "revenueEventId": "0d4f6b8a-2c1e-4f7a-9b3c-5d7e9f1a2b3c", "status": "Charged",
        "toolMethodName": "forecast", "toolName": "Weather API", "toolSlug": "weather-api",
        "version": "mcp-call-receipt-v1",
    }
    claims = '{"subject":"x","amount":5}'
    att = dict(base, attestationClaims=claims,
               attestationClaimsSha256=hashlib.sha256(claims.encode()).hexdigest(),
               attestationKind="payment", attestationNetwork="lightning",
               attestationObservedAt="2026-03-14T09:26:50.0000000Z", attestationOperation="charge",
               attestationSource="node-1", attestationSubjectId=None)
    old = dict(base)
    del old["toolName"]

    def event(p, i):
        """p as revenue event number i: its own revenueEventId and receiptId"""
        rid = "%08x-0000-4000-8000-%012x" % (i, i)
        return dict(p, revenueEventId=rid, receiptId="mcp_receipt_" + rid.replace("-", ""))

    # Every Charged case shares tool, paying project and idempotency key: a
    # double charge for report dupes.  amount_mismatch re-signs the first
    # receiptId with other amounts: a conflict.
    cases = [
        ("ok", base),
        ("ok, attestation", event(att, 2)),
        ("ok, 18 members", event(old, 3)),
        ("ok, a future member", event(dict(base, futureMember={"a": [1, 2]}), 4)),
        ("flag test_receipt", event(dict(base, status="Test"), 5)),
        ("flag amount_mismatch", dict(base, netSats=37)),
        ("flag attestation_mismatch", event(dict(att, attestationClaimsSha256="0" * 64), 7)),
        ("fail schema_violation", {k: v for k, v in event(base, 8).items() if k != "createdAt"}),
    ]
    with open(os.path.join(tmp, "payloads.jsonl"), "w") as f:
        for _, p in cases:
            f.write(json.dumps(p) + "\n")
    rc, out, err = run(["sign", "-k", keyring, "--key-id", "liveauth-mcp-receipt-v1", "payloads.jsonl"], tmp, env)
    check(rc == 0, "sign exits %d: %s" % (rc, err.strip()))
    signed = out.splitlines()
    check(len(signed) == len(cases), "sign wrote %d envelopes for %d payloads" % (len(signed), len(cases)))
    # signed in 2026 with a secret that the keyring retired in 2020: key_not_valid_at_time
    rc, out2, err = run(["sign", "--key", "old=text:t-schemas-old-secret", "--key-id", "old", "-"], tmp, env,
                        stdin=json.dumps(base).encode())
    check(rc == 0, "sign with the old key exits %d: %s" % (rc, err.strip()))
    records = signed + out2.splitlines() + [
        '{"status":"denied","receipt":null}',                       # skipped
        '{"status":"ok","grossSats":40,"receipt":' + signed[0] + "}",  # charge response
        "not json at all",                                          # malformed_input
        signed[0].replace('"keyId":"liveauth-mcp-receipt-v1"', '"keyId":"nobody"'),  # unknown_key
    ]
    with open(os.path.join(tmp, "records.jsonl"), "w") as f:
        f.write("\n".join(records) + "\n")
    rc, out, err = run(["verify", "--format", "json", "-k", keyring, "records.jsonl"], tmp, env)
    check(rc == 1, "verify of the made records exits %d, expected 1: %s" % (rc, err.strip()))
    verdicts = verify_lines(out, "made")
    check(len(verdicts) == len(records), "verify gave %d verdicts for %d records" % (len(verdicts), len(records)))
    seen = {v.get("status") for v in verdicts.values()}
    check(seen == {"ok", "flag", "fail", "skipped"}, "made records cover every status (got %s)" % sorted(seen))
    got = {tuple(v.get("reasons") or []) for v in verdicts.values()}
    for want in [("test_receipt",), ("amount_mismatch",), ("attestation_mismatch",), ("schema_violation",),
                 ("key_not_valid_at_time",), ("malformed_input",), ("unknown_key",)]:
        check(want in got, "made records: no verdict with reasons %s" % (list(want),))
    c = check_records({n: t for n, t in enumerate(records, 1)}, verdicts, "made")
    check(c["ok"] >= 8, "made: only %d ok/flag records checked" % c["ok"])

    # ------------------------------------------------------------ 3. golden, testvectors
    golden = os.path.join(SHARED, "golden")
    if os.path.isfile(os.path.join(golden, "receipts.jsonl")):
        g = os.path.join(tmp, "golden")
        os.mkdir(g)
        for fn in os.listdir(golden):
            shutil.copy(os.path.join(golden, fn), os.path.join(g, fn))
            os.chmod(os.path.join(g, fn), stat.S_IRUSR | stat.S_IWUSR)
        genv = dict(env)
        if os.path.exists(os.path.join(g, "env.sh")):
            for l in open(os.path.join(g, "env.sh")):
                if l.startswith("export "):
                    k, v = l[len("export "):].strip().split("=", 1)
                    genv[k] = v.strip("'")
        rc, out, err = run(["verify", "--format", "json", "-k", "keyring.txt", "receipts.jsonl"], g, genv)
        check(rc == 1, "golden: verify exits %d, expected 1: %s" % (rc, err.strip()[-200:]))
        verdicts = verify_lines(out, "golden")
        with open(os.path.join(g, "receipts.jsonl"), encoding="utf-8", errors="replace") as f:
            lines = {n: l.rstrip("\n") for n, l in enumerate(f, 1)}
        check(len(verdicts) >= 100, "golden: only %d verdicts" % len(verdicts))
        c = check_records(lines, verdicts, "golden")
        check(c["ok"] >= 30, "golden: only %d ok/flag records checked" % c["ok"])
        check(c["neg"] >= 10, "golden: only %d failing records checked against the schemas" % c["neg"])
        if os.path.exists(os.path.join(g, "multi.json")):
            rc, out, err = run(["verify", "--format", "json", "-k", "keyring.txt", "multi.json"], g, genv)
            check(rc == 1, "golden multi.json: verify exits %d, expected 1" % rc)
            check(len(verify_lines(out, "golden multi.json")) > 0, "golden multi.json: no verdicts")
    else:
        print("# %s not found: golden part skipped" % golden)

    tv = os.path.join(SRC, "testvectors")
    ndirs = 0
    for d in sorted(glob.glob(os.path.join(tv, "[0-9]*"))):
        if not os.path.isdir(d):
            continue
        name = "testvectors/" + os.path.basename(d)
        # the committed expected output must itself be valid
        exp = os.path.join(d, "expected.stdout")
        if os.path.isfile(exp):
            with open(exp, encoding="utf-8", errors="replace") as f:
                for n, l in enumerate(f, 1):
                    try:
                        o = json.loads(l)
                    except ValueError:
                        continue  # a text-format vector
                    valid("verify-line", o, "%s/expected.stdout line %d" % (name, n))
        kr = sorted(glob.glob(os.path.join(d, "keyring*")))
        inputs = sorted(glob.glob(os.path.join(d, "input*")))
        if len(kr) != 1 or len(inputs) != 1:
            continue
        w = os.path.join(tmp, "tv-" + os.path.basename(d))
        shutil.copytree(d, w)
        for root, _, files in os.walk(w):
            for fn in files:
                os.chmod(os.path.join(root, fn), stat.S_IRUSR | stat.S_IWUSR)
        venv = dict(env)
        if os.path.isfile(os.path.join(d, "env")):
            for l in open(os.path.join(d, "env"), encoding="utf-8"):
                if "=" in l:
                    k, v = l.rstrip("\n").split("=", 1)
                    venv[k] = v
        args = []
        if os.path.isfile(os.path.join(d, "args")):
            args = open(os.path.join(d, "args"), encoding="utf-8").read().split()
        rc, out, err = run(["verify", "--format", "json", "-k", os.path.basename(kr[0])] + args +
                           [os.path.basename(inputs[0])], w, venv)
        if rc == 2:
            continue  # a vector about an unusable keyring or input: no verdict lines
        verify_lines(out, name)
        with open(inputs[0], encoding="utf-8", errors="replace") as f:
            lines = {n: l.rstrip("\r\n") for n, l in enumerate(f, 1)}
        verdicts, count = {}, {}
        for l in out.splitlines():
            try:
                o = json.loads(l)
                verdicts[o["line"]] = o
                count[o["line"]] = count.get(o["line"], 0) + 1
            except (ValueError, KeyError, TypeError):
                pass
        check_records(lines, {k: v for k, v in verdicts.items() if count[k] == 1}, name)
        ndirs += 1
    print("# testvectors: %d cases checked" % ndirs)

    # ------------------------------------------------------------ 4. negatives
    def without(d, k):
        d = copy.deepcopy(d)
        del d[k]
        return d

    valid("payload", base, "hand-made payload")
    invalid("payload", without(base, "createdAt"), "payload missing createdAt")
    invalid("payload", without(base, "agentId"), "payload missing agentId (nullable members are required)")
    valid("payload", without(base, "toolName"), "payload without toolName (18 members)")
    invalid("payload", dict(base, toolName=None), "payload with toolName null")
    invalid("payload", dict(base, createdAt="2026-03-14T09:26:53.589793Z"), "createdAt with 6 fraction digits")
    invalid("payload", dict(base, createdAt="2026-03-14T09:26:53.5897930+00:00"), "createdAt with an offset")
    invalid("payload", dict(base, createdAt="2026-03-14T09:26:53.5897930Z\n"), "createdAt with a newline")
    invalid("payload", dict(base, createdAt="2026-13-14T09:26:53.5897930Z"), "createdAt in month 13")
    invalid("payload", dict(base, mcpToolId=base["mcpToolId"].upper()), "guid in upper case")
    invalid("payload", dict(base, mcpToolId=base["mcpToolId"] + "\n"), "guid with a trailing newline")
    invalid("payload", dict(base, mcpToolId=base["mcpToolId"].replace("-", "")), "guid without hyphens")
    valid("payload", dict(base, payingProjectId=None), "payingProjectId null")
    invalid("payload", dict(base, mcpToolId=None), "mcpToolId null")
    invalid("payload", dict(base, receiptId="mcp_receipt_" + "0D4F" * 8), "receiptId in upper case")
    invalid("payload", dict(base, receiptId="receipt_" + "0d4f" * 8), "receiptId without mcp_receipt_")
    invalid("payload", dict(base, grossSats=2 ** 31), "grossSats over the 32-bit range")
    invalid("payload", dict(base, netSats=-2 ** 31 - 1), "netSats under the 32-bit range")
    valid("payload", dict(base, netSats=-2 ** 31), "netSats at the 32-bit minimum")
    invalid("payload", dict(base, grossSats="40"), "grossSats as a string")
    invalid("payload", dict(base, feeBasisPoints=1.5), "feeBasisPoints with a fraction")
    invalid("payload", dict(base, version="mcp-call-receipt-v2"), "payload version v2")
    invalid("payload", [base], "payload that is an array")
    valid("payload", att, "payload with the attestation group")
    invalid("payload", without(att, "attestationSubjectId"), "attestation group without attestationSubjectId")
    invalid("payload", dict(base, attestationKind="payment"), "attestation group of one member")
    invalid("payload", dict(att, attestationObservedAt="2026-03-14T09:26:50Z"), "attestationObservedAt, no fraction")
    valid("payload", dict(att, attestationClaimsSha256="not hex"),
          "attestationClaimsSha256 that is not the hash (a flag, not a schema violation)")
    valid("payload", dict(base, status="Refunded"), "another status (a flag, not a schema violation)")
    valid("payload", dict(base, newMember=None), "a member the schema does not know")

    envl = json.loads(signed[0])
    valid("envelope", envl, "hand-made envelope")
    for k in ("payload", "signature", "keyId", "version", "signatureAlgorithm"):
        invalid("envelope", without(envl, k), "envelope without %s" % k)
    valid("envelope", without(envl, "body"), "envelope without body")
    invalid("envelope", dict(envl, version="mcp-call-receipt-v2"), "envelope version v2")
    invalid("envelope", dict(envl, signatureAlgorithm="HMAC-SHA512"), "signatureAlgorithm HMAC-SHA512")
    invalid("envelope", dict(envl, keyId=1), "keyId that is a number")
    invalid("envelope", dict(envl, signature=envl["signature"][:42]), "signature of 42 characters")
    invalid("envelope", dict(envl, signature=envl["signature"] + "="), "signature with padding")
    invalid("envelope", dict(envl, signature=envl["signature"][:42] + "B"), "signature with trailing bits set")
    invalid("envelope", dict(envl, signature="+" + envl["signature"][1:]), "signature with '+'")
    invalid("envelope", dict(envl, payload=envl["payload"] + "="), "payload with padding")
    invalid("envelope", dict(envl, payload=envl["payload"] + "\n"), "payload with a newline")
    invalid("envelope", dict(envl, payload="QR"), "payload with trailing bits set")
    invalid("envelope", dict(envl, payload="QUJDR"), "payload of length 1 mod 4")
    invalid("envelope", dict(envl, payload="QU/D"), "payload with '/'")
    valid("envelope", dict(envl, payload=b64url(b"{}")), "payload of length 2 mod 4")
    valid("envelope", dict(envl, extra=1), "envelope with an unknown member")

    ok_line = {"source": "day.jsonl", "line": 12, "status": "ok", "reasons": [],
               "keyId": "liveauth-mcp-receipt-v1", "keyFingerprint": "3f09c2d1a4b5e6f7",
               "receiptId": base["receiptId"], "revenueEventId": base["revenueEventId"],
               "createdAt": base["createdAt"], "toolSlug": "weather-api",
               "grossSats": 5, "platformFeeSats": 1, "netSats": 4}
    valid("verify-line", ok_line, "hand-made ok line")
    valid("verify-line", dict(ok_line, status="flag", reasons=["body_mismatch", "fee_mismatch"]),
          "hand-made flag line")
    bare = {"source": "day.jsonl", "line": 3, "status": "fail", "reasons": ["bad_signature"]}
    valid("verify-line", bare, "hand-made fail line")
    valid("verify-line", dict(bare, status="skipped", reasons=[]), "hand-made skipped line")
    invalid("verify-line", dict(ok_line, status="fail", reasons=["bad_signature"]),
            "fail line with payload values")
    invalid("verify-line", dict(bare, grossSats=5), "fail line with one payload value")
    invalid("verify-line", dict(bare, status="skipped", reasons=[], keyId="k"), "skipped line with a keyId")
    invalid("verify-line", dict(bare, reasons=["bad_signature", "key_revoked"]), "fail line with two reasons")
    invalid("verify-line", dict(bare, reasons=[]), "fail line without a reason")
    invalid("verify-line", dict(bare, reasons=["body_mismatch"]), "fail line with a flag reason")
    invalid("verify-line", dict(ok_line, reasons=["body_mismatch"]), "ok line with a reason")
    invalid("verify-line", dict(ok_line, status="flag"), "flag line without a reason")
    invalid("verify-line", dict(ok_line, status="flag", reasons=["bad_signature"]), "flag line with a fail reason")
    invalid("verify-line", without(ok_line, "netSats"), "ok line without netSats")
    invalid("verify-line", dict(ok_line, reasons=None), "reasons null")
    invalid("verify-line", without(bare, "source"), "line without source")
    invalid("verify-line", dict(bare, line=0), "line number 0")
    invalid("verify-line", dict(bare, status="error"), "unknown status")
    invalid("verify-line", dict(bare, reasons=["no_such_reason"]), "unknown reason code")
    invalid("verify-line", dict(ok_line, keyFingerprint="3F09C2D1A4B5E6F7"), "fingerprint in upper case")
    invalid("verify-line", dict(bare, secret="x"), "unknown member")

    group = {"day": "2026-03-14", "toolId": base["mcpToolId"], "toolSlug": "weather-api", "count": 3,
             "grossSats": 120, "platformFeeSats": 6, "netSats": 114, "discrepancies": 0}
    total = {"total": True, "count": 3, "grossSats": 120, "platformFeeSats": 6, "netSats": 114,
             "discrepancies": 0, "testReceipts": 1, "otherStatus": 0}
    valid("reconcile-line", group, "hand-made reconcile group")
    valid("reconcile-line", dict(group, projectId=None, agentId=None), "reconcile group with null project/agent")
    valid("reconcile-line", total, "hand-made reconcile total")
    invalid("reconcile-line", without(total, "testReceipts"), "reconcile total without testReceipts")
    invalid("reconcile-line", dict(total, total=False), "reconcile total false")
    invalid("reconcile-line", dict(group, total=True), "reconcile group with total")
    invalid("reconcile-line", without(group, "toolSlug"), "reconcile group with toolId but no toolSlug")
    invalid("reconcile-line", {k: group[k] for k in ("count", "grossSats", "platformFeeSats", "netSats",
                                                     "discrepancies")}, "reconcile group without a field")
    invalid("reconcile-line", dict(group, day="2026-3-14"), "reconcile day not YYYY-MM-DD")
    invalid("reconcile-line", dict(group, count=-1), "reconcile negative count")

    dc = {"kind": "double_charge", "toolId": base["mcpToolId"], "payingProjectId": None,
          "idempotencyKey": "call-0042", "count": 2,
          "receiptIds": [base["receiptId"], "mcp_receipt_" + "1" * 32], "grossSats": 80, "overchargeSats": 40}
    cf = {"kind": "conflict", "receiptId": base["receiptId"], "count": 2}
    valid("dupes-line", dc, "hand-made double_charge")
    valid("dupes-line", cf, "hand-made conflict")
    invalid("dupes-line", dict(dc, count=1), "double_charge of one receipt")
    invalid("dupes-line", dict(dc, receiptIds=[base["receiptId"]]), "double_charge with one receiptId")
    invalid("dupes-line", dict(dc, idempotencyKey=None), "double_charge without an idempotency key")
    invalid("dupes-line", dict(cf, kind="dupe"), "unknown finding kind")
    invalid("dupes-line", without(cf, "receiptId"), "conflict without receiptId")

    summary = {"imported": 3, "alreadyPresent": 0, "conflicts": 0, "flagged": 1, "rejected": 2, "skipped": 1,
               "files": 1}
    valid("import-summary", summary, "hand-made import summary")
    invalid("import-summary", without(summary, "alreadyPresent"), "import summary without alreadyPresent")
    invalid("import-summary", dict(summary, rejected=-1), "import summary with a negative count")

    # ------------------------------------------------------------ 5. ledger commands
    if os.path.exists(os.path.join(SRC, "cli", "cmd_import.c")):
        ledger = os.path.join(tmp, "ledger.db")
        # import the made records twice: the second run finds them present
        for run_no in (1, 2):
            rc, out, err = run(["import", "-d", ledger, "-k", keyring, "--format", "json", "records.jsonl"],
                               tmp, env)
            check(rc == 1, "import run %d exits %d, expected 1 (some records fail): %s" % (run_no, rc,
                                                                                         err.strip()[-200:]))
            objs = [json.loads(l) for l in out.splitlines() if l.strip()]
            if check(len(objs) == 1, "import --format json wrote %d objects, expected 1" % len(objs)):
                valid("import-summary", objs[0], "import summary (run %d)" % run_no)
                if run_no == 2:
                    check(objs[0].get("imported") == 0 and objs[0].get("alreadyPresent", 0) > 0,
                          "second import of the same file: %s" % objs[0])
        rc, out, err = run(["report", "reconcile", "-d", ledger, "--format", "json",
                            "--by", "day,month,tool,method,project,agent,key"], tmp, env)
        check(rc in (0, 1), "report reconcile exits %d: %s" % (rc, err.strip()))
        objs = [json.loads(l) for l in out.splitlines() if l.strip()]
        check(len(objs) >= 2, "report reconcile wrote %d objects" % len(objs))
        for i, o in enumerate(objs):
            valid("reconcile-line", o, "report reconcile line %d" % (i + 1))
        check(bool(objs) and objs[-1].get("total") is True, "report reconcile: the last object is the total")
        rc, out, err = run(["report", "dupes", "-d", ledger, "--format", "json"], tmp, env)
        check(rc == 1, "report dupes exits %d, expected 1 (findings were planted): %s" % (rc, err.strip()))
        kinds = set()
        for i, l in enumerate(x for x in out.splitlines() if x.strip()):
            o = json.loads(l)
            valid("dupes-line", o, "report dupes line %d" % (i + 1))
            kinds.add(o.get("kind") if isinstance(o, dict) else None)
        check(kinds == {"double_charge", "conflict"}, "report dupes kinds: %s" % sorted(map(str, kinds)))
        rc, out, err = run(["export", "-d", ledger, "--format", "jsonl"], tmp, env)
        check(rc == 0, "export exits %d: %s" % (rc, err.strip()))
        n = 0
        for l in out.splitlines():
            o = json.loads(l)
            n += 1
            # the signed payload's members under their own names, plus keyId, keyFingerprint, flags
            valid("payload", o, "export jsonl line %d" % n)
            check(isinstance(o.get("flags"), list) and isinstance(o.get("keyFingerprint"), str),
                  "export jsonl line %d: flags and keyFingerprint" % n)
        check(n == 6, "export wrote %d receipts, expected 6 (one per authentic receiptId)" % n)
    else:
        print("# cli/cmd_import.c not present: ledger part skipped")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
