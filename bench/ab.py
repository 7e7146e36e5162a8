#!/usr/bin/env python3
"""bench/ab.py - is build B faster than build A?  A paired, interleaved comparison.

usage: python3 bench/ab.py A/la-receipt B/la-receipt [--rounds N] [--data DIR]
                           [--records N] [-- COMMAND ARGS...]

Runs the same command with the two binaries in turn, N rounds (A then B in
even rounds, B then A in odd ones), so that a slow spell of a shared machine
falls on both alike; prints each one's best and median wall time and median
CPU time, and for the pairs the median of B's time over A's and in how many
rounds B was faster.  On the project's 2-core VM the same binary varies by
25 % from minute to minute: a change is worth keeping when B wins most
rounds, not when one best time is lower.

The command defaults to `import -q` of bench/data/input-N.jsonl into a new
ledger (a fresh file each run); after `--` give another, e.g. `-- verify -q
--jobs 2`: the keyring and the input file are appended to it.  The input is
the one bench/run.py generates (run it once first).
"""
import argparse, glob, os, statistics, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import measure  # the benchmark's own timing of one run (wall, CPU, exit status)


def main():
    argv = sys.argv[1:]
    extra = []
    if '--' in argv:
        extra = argv[argv.index('--') + 1:]
        argv = argv[:argv.index('--')]
    ap = argparse.ArgumentParser()
    ap.add_argument('a')
    ap.add_argument('b')
    ap.add_argument('--rounds', type=int, default=21)
    ap.add_argument('--records', type=int, default=100000)
    ap.add_argument('--data', default=os.path.join(HERE, 'data'))
    o = ap.parse_args(argv)
    inp = os.path.join(o.data, 'input-%d.jsonl' % o.records)
    if not os.path.exists(inp):
        sys.exit('%s: no such file (python3 bench/run.py makes it)' % inp)
    led = os.path.join(o.data, 'ab.sqlite')

    def run(binary):
        if extra:
            cmd = [binary] + extra + ['-k', inp + '.keyring', inp]
        else:
            for f in glob.glob(led + '*'):
                os.remove(f)
            cmd = [binary, 'import', '-q', '-d', led, '-k', inp + '.keyring', inp]
        r = measure(cmd)
        if r['status'] != 0:
            sys.exit('%s exited with status %d' % (' '.join(cmd), r['status']))
        return r['wall'], r['cpu']

    ra, rb = [], []
    for i in range(o.rounds):
        if i % 2:
            rb.append(run(o.b))
            ra.append(run(o.a))
        else:
            ra.append(run(o.a))
            rb.append(run(o.b))
    for f in glob.glob(led + '*'):
        os.remove(f)
    for name, r in (('A', ra), ('B', rb)):
        print('%s %s: wall best %.3f s, median %.3f s; CPU median %.3f s' %
              (name, o.a if name == 'A' else o.b, min(w for w, _ in r), statistics.median(w for w, _ in r),
               statistics.median(c for _, c in r)))
    ratios = [b[0] / a[0] for a, b in zip(ra, rb)]
    print('B/A wall time: median ratio %.3f; B faster in %d of %d rounds' %
          (statistics.median(ratios), sum(x < 1 for x in ratios), o.rounds))


if __name__ == '__main__':
    main()
