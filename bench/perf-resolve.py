#!/usr/bin/env python3
"""Names JIT-compiled frames in a `perf record -g` of a .NET process and prints where CPU went.

perf cannot name them itself: with W^X (the default) the runtime maps JIT code from a memfd
("memfd:doublemapper"), so perf reports offsets into that file instead of the addresses that
/tmp/perf-PID.map (written when DOTNET_PerfMapEnabled=1) names. The MMAP2 events map them back.
Usage: perf-resolve.py PERF_DATA PID [TOP=30]
"""
import bisect, collections, re, subprocess, sys

data, pid = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 30

symbols = []
for line in open(f"/tmp/perf-{pid}.map"):
    parts = line.rstrip("\n").split(" ", 2)
    if len(parts) == 3:
        symbols.append((int(parts[0], 16), int(parts[1], 16), parts[2]))
symbols.sort()
starts = [s[0] for s in symbols]

script = subprocess.run(["perf", "script", "-i", data, "--show-mmap-events", "-F", "ip,sym,dso"],
                        capture_output=True, text=True).stdout
maps = []  # (file offset, length, mapped address) of each memfd mapping
for m in re.finditer(r"PERF_RECORD_MMAP2 .*?\[0x([0-9a-f]+)\(0x([0-9a-f]+)\) @ (0x[0-9a-f]+|0) .*doublemapper", script):
    maps.append((int(m.group(3), 16), int(m.group(2), 16), int(m.group(1), 16)))

def name_of(offset):
    for file_offset, length, address in maps:
        if file_offset <= offset < file_offset + length:
            a = address + offset - file_offset
            i = bisect.bisect_right(starts, a) - 1
            if i >= 0 and symbols[i][0] <= a < symbols[i][0] + symbols[i][1]:
                n = re.sub(r"\[[A-Za-z0-9]*\]$", "", symbols[i][2])
                return re.sub(r"^(instance )?(class |valuetype )?\S+ ", "", n)[:160]
    return None

first, inclusive, samples = collections.Counter(), collections.Counter(), 0
for block in script.split("\n\n"):
    frames = []
    for line in block.split("\n"):
        line = line.strip()
        if not line or line.startswith("dotnet ") or "PERF_RECORD" in line:
            continue
        parts = line.split(None, 1)
        if "doublemapper" in line:
            n = name_of(int(parts[0], 16))
            frames.append(("M", n or "(unnamed JIT code)"))
        elif len(parts) > 1:
            frames.append(("N", parts[1][:90]))
    if not frames:
        continue
    samples += 1
    managed = [n for k, n in frames if k == "M"]
    first[managed[0] if managed else "native only: " + frames[0][1]] += 1
    for n in set(managed):
        inclusive[n] += 1

print(f"samples: {samples}")
print("--- innermost managed frame (its own time plus the native and kernel code below it)")
for n, c in first.most_common(top):
    print(f"{c * 100 / samples:5.1f}%  {n}")
print("--- inclusive, managed frames")
for n, c in inclusive.most_common(top * 2):
    print(f"{c * 100 / samples:5.1f}%  {n}")
