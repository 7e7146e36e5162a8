#!/usr/bin/env python3
"""bench/pyverify.py - the minimal stdlib Python verifier kept as the benchmark's
comparison: it checks only the MAC and the arithmetic (net = gross - fee), with
none of la-receipt's strictness.  Not a reference implementation.

usage: pyverify.py KEYID=TEXT_SECRET FILE
prints "N records, M ok" and exits 0.
"""
import base64, hashlib, hmac, json, sys

def main():
    key_id, secret = sys.argv[1].split('=', 1)
    key = secret.encode()
    n = ok = 0
    with open(sys.argv[2], 'rb') as f:
        for line in f:
            n += 1
            try:
                rec = json.loads(line)
                env = rec.get('receipt', rec)
                if env.get('keyId') != key_id:
                    continue
                p = env['payload']
                mac = hmac.new(key, p.encode('ascii'), hashlib.sha256).digest()
                sig = base64.urlsafe_b64decode(env['signature'] + '=')
                if not hmac.compare_digest(mac, sig):
                    continue
                pl = json.loads(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)))
                if pl['netSats'] == pl['grossSats'] - pl['platformFeeSats']:
                    ok += 1
            except (ValueError, KeyError, TypeError, AttributeError):
                pass
    print('%d records, %d ok' % (n, ok))
    return 0

if __name__ == '__main__':
    sys.exit(main())
