#!/usr/bin/env python3
"""bench/measure.py - run a command and print its wall time, CPU time and
peak RSS as one JSON object: {"wall":s,"user":s,"sys":s,"maxrss_kb":n,"status":n}.
usage: measure.py [--stdout FILE] CMD [ARG...]"""
import json, os, resource, subprocess, sys, time

def main():
    args = sys.argv[1:]
    out = subprocess.DEVNULL
    if args[:1] == ['--stdout']:
        out = open(args[1], 'wb')
        args = args[2:]
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    print(json.dumps({'wall': round(wall, 4), 'user': round(ru.ru_utime, 4), 'sys': round(ru.ru_stime, 4),
                      'maxrss_kb': ru.ru_maxrss, 'status': os.waitstatus_to_exitcode(status)}))

if __name__ == '__main__':
    main()
