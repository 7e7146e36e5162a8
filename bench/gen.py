#!/usr/bin/env python3
"""bench/gen.py - realistic benchmark input: N charge responses of about 2 KB.

Payloads are generated here (unique receiptId/revenueEventId per record, a
handful of tools, projects and agents, attestation on one record in ten) and
signed by `la-receipt sign`, our own signing path; each envelope is then
wrapped in a charge response the way LiveAuth returns it, padded with a tool
result text to about 2 KB.

usage: gen.py LA_RECEIPT_BINARY N OUT.jsonl [--key-id ID --secret TEXT]
Deterministic for a given N.
"""
import hashlib, json, os, random, subprocess, sys, tempfile, uuid

def main():
    if len(sys.argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    binary, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    key_id, secret = 'bench-key', 'bench-secret-not-a-real-key-0123456789'
    rnd = random.Random(20261126)
    tools = [(str(uuid.UUID(int=rnd.getrandbits(128), version=4)), slug, name)
             for slug, name in [('weather-api', 'Weather'), ('web-fetch', 'Web fetch'),
                                ('paid-research-tool', 'Research'), ('geo-lookup', 'Geo lookup'),
                                ('btc-fees', 'Bitcoin fees')]]
    projects = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(20)] + [None]
    agents = ['agent_%d' % i for i in range(50)] + [None]
    tmpdir = tempfile.mkdtemp(prefix='lar-bench-')
    keyring = os.path.join(tmpdir, 'keyring.txt')
    with open(os.open(keyring, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
        f.write('%s text:%s\n' % (key_id, secret))
    payloads = os.path.join(tmpdir, 'payloads.jsonl')
    with open(payloads, 'w') as f:
        for i in range(n):
            rev = uuid.UUID(int=rnd.getrandbits(128), version=4)
            tool = tools[i % len(tools)]
            gross = rnd.choice([1, 5, 10, 40, 100, 250, 1000])
            bps = rnd.choice([0, 250, 500, 1000])
            fee = 0 if gross <= 0 or bps <= 0 else max(1, gross * bps // 10000)
            day = 1 + i % 28
            p = {
                'agentId': rnd.choice(agents),
                'createdAt': '2026-10-%02dT%02d:%02d:%02d.%07dZ' % (day, i % 24, i % 60, (i * 7) % 60, i % 10000000),
                'feeBasisPoints': bps, 'grossSats': gross,
                'idempotencyKey': 'req_%d' % i if i % 3 else None,
                'mcpGateSessionId': str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                'mcpGateTokenId': str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                'mcpToolId': tool[0], 'netSats': gross - fee,
                'payingProjectId': rnd.choice(projects), 'platformFeeSats': fee,
                'receiptId': 'mcp_receipt_' + rev.hex, 'requestId': '0HN7Q2B1K3L4M:%08X' % i,
                'revenueEventId': str(rev), 'status': 'Charged', 'toolMethodName': 'search',
                'toolName': tool[2], 'toolSlug': tool[1], 'version': 'mcp-call-receipt-v1',
            }
            if i % 10 == 0:
                claims = json.dumps({'estimates': [{'targetBlocks': 1, 'satPerVbyte': 8.4}], 'cached': False},
                                    separators=(',', ':'))
                p.update({'attestationClaims': claims,
                          'attestationClaimsSha256': hashlib.sha256(claims.encode()).hexdigest(),
                          'attestationKind': 'execution', 'attestationNetwork': 'mainnet',
                          'attestationObservedAt': p['createdAt'], 'attestationOperation': 'bitcoin.get_fee_estimates',
                          'attestationSource': 'liveauth-bitcoin-node', 'attestationSubjectId': 'tx_%08x' % i})
            f.write(json.dumps(p) + '\n')
    signed = subprocess.run([binary, 'sign', '-k', keyring, '--key-id', key_id, payloads],
                            check=True, capture_output=True).stdout.decode().splitlines()
    pad = ('Result of the tool call: ' + 'lorem ipsum dolor sit amet, consectetur adipiscing elit. ' * 9)[:80]
    with open(out, 'w') as f:
        for i, line in enumerate(signed):
            env = json.loads(line)
            resp = {'status': 'ok', 'callsUsed': 10 + i % 90, 'satsUsed': 1000 + i,
                    'grossSats': env['body']['grossSats'], 'platformFeeSats': env['body']['platformFeeSats'],
                    'netSats': env['body']['netSats'], 'feeBasisPoints': env['body']['feeBasisPoints'],
                    'revenueEventId': env['body']['revenueEventId'], 'reason': None,
                    'text': pad, 'receipt': env}
            f.write(json.dumps(resp, separators=(',', ':')) + '\n')
    print('%s: %d records, %d bytes; keyring %s' % (out, n, os.path.getsize(out), keyring), file=sys.stderr)
    print(keyring)
    return 0

if __name__ == '__main__':
    sys.exit(main())
