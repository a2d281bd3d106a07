#!/usr/bin/env python3
"""Writes the figures of one `make bench` run (bench/run.sh's output: `== title` lines, each followed by its
result lines) into docs/benchmarks.md, between the `<!-- make-bench:begin -->` and `<!-- make-bench:end -->`
markers, with the machine, the date and the load average. `report.py RUN_OUTPUT BENCHMARKS_MD`."""
import datetime
import os
import platform
import re
import sys

out_path, doc_path = sys.argv[1], sys.argv[2]
sections, title = [], None
for line in open(out_path, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("== "):
        title = line[3:]
        sections.append((title, []))
    elif title is not None and line.strip():
        sections[-1][1].append(line.strip())

mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
cell = lambda s: s.replace("|", "\\|")
rows = [f"| {cell(t)} | {'<br>'.join(cell(r) for r in results) or '(no output)'} |" for t, results in sections]
block = "\n".join(
    [
        "<!-- make-bench:begin -->",
        f"Last `make bench` run: **{now}**, {os.cpu_count()} cores, {mem_gb:.0f} GB, Linux {platform.release()}, "
        f"load average at the end {load} (1 / 5 / 15 min). Written by `bench/report.py`; the sections below "
        "explain each figure.",
        "",
        "| benchmark | result |",
        "|---|---|",
        *rows,
        "<!-- make-bench:end -->",
    ]
)
doc = open(doc_path, encoding="utf-8").read()
pattern = re.compile(r"<!-- make-bench:begin -->.*?<!-- make-bench:end -->", re.S)
doc = pattern.sub(lambda _: block, doc) if pattern.search(doc) else doc.replace("\n## ", "\n" + block + "\n\n## ", 1)
open(doc_path, "w", encoding="utf-8").write(doc)
print(f"wrote {len(sections)} results into {doc_path}")
