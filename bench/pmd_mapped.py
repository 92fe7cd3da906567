"""How much of each file the kernel maps with 2 MiB page-table entries.

usage: /usr/bin/python3 bench/pmd_mapped.py FILE...

Maps each file read-only, touches one byte per page, and prints the
mapping's FilePmdMapped from /proc/self/smaps: the part of the file the page
cache holds in 2 MiB folios, which a load maps and faults in bulk. How much
that is depends on how the file was written (docs/PERFORMANCE.md, "Write
pattern"). The touch time printed is Python's loop, not a load's cost.
"""
import mmap
import os
import re
import sys
import time


def pmd_mapped_kb(path):
    real = os.path.realpath(path)
    total = 0
    for block in re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", open("/proc/self/smaps").read()):
        if block.split("\n", 1)[0].endswith(real):
            m = re.search(r"FilePmdMapped:\s+(\d+) kB", block)
            total += int(m.group(1)) if m else 0
    return total


for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    m = mmap.mmap(fd, size, prot=mmap.PROT_READ)
    start = time.perf_counter()
    acc = 0
    for off in range(0, size, 4096):
        acc += m[off]
    took = time.perf_counter() - start
    print(f"{path}: {size / 2**20:.0f} MiB, mapped with 2 MiB entries: "
          f"{pmd_mapped_kb(path) / 1024:.0f} MiB (touch loop {took * 1000:.0f} ms)")
    m.close()
    os.close(fd)
