#!/usr/bin/python3
"""Runs a command and prints its wall time and peak resident set size (ru_maxrss).

  /usr/bin/python3 tests/bench/peak_rss.py -- build/app/deepsvm extract ...
"""
import os
import sys
import time

args = sys.argv[1:]
if args and args[0] == "--":
    args = args[1:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(args[0], args)
_, status, usage = os.wait4(pid, 0)
print("exit %d, %.1f s, peak RSS %.0f MiB" % (os.waitstatus_to_exitcode(status), time.perf_counter() - t0,
                                               usage.ru_maxrss / 1024), file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
