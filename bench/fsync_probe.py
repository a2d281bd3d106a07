#!/usr/bin/env python3
"""The disk's durable-write latency where MariaDB keeps its data: N appends of 512 bytes, each followed by
fdatasync (what one InnoDB commit needs at least). Prints p50/p90/p99/max in ms. `fsync_probe.py DIR [N]`."""
import os
import sys
import time

directory = sys.argv[1] if len(sys.argv) > 1 else "/var/lib/mysql"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
path = os.path.join(directory, f"hub-fsync-probe-{os.getpid()}")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
samples = []
try:
    block = b"x" * 512
    for _ in range(n):
        t = time.perf_counter()
        os.write(fd, block)
        os.fdatasync(fd)
        samples.append((time.perf_counter() - t) * 1000)
finally:
    os.close(fd)
    os.unlink(path)
samples.sort()
pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
print(f"fdatasync of 512 bytes x {n} in {directory}: p50 {pick(0.5):.2f} ms, p90 {pick(0.9):.2f} ms, "
      f"p99 {pick(0.99):.2f} ms, max {samples[-1]:.2f} ms")
