#!/usr/bin/env python3
"""Turns the JMH JSON of KernelBenchmark into the crossover table of BENCHMARKS.md: per shape,
ND4J, the Java kernel on the vector API (VECTOR) and on plain loops (PRIMITIVE), which is fastest,
and what the rule of kernel AUTO picks (ND4J or the Java kernel) with what its pick costs against
the faster of ND4J and VECTOR."""
import json
import sys

# Kernels.ND4J_MIN_WORK_VECTORS: the threshold against the Java kernel on vectors
ND4J_MIN_WORK = 1 << 24
WIDE_INPUT = 4096
WIDE_MIN_WORK = 1 << 18

rows = {}
for result in json.load(open(sys.argv[1])):
    p = result["params"]
    key = (int(p["inputs"]), int(p["hidden"]), int(p["batch"]))
    rows.setdefault(key, {})[p["kernel"]] = result["primaryMetric"]["score"]


def auto(inputs, hidden, batch):
    # per layer; the largest product decides which kernel carries the step
    out = hidden if hidden else 1
    work = batch * inputs * out
    return "ND4J" if work >= ND4J_MIN_WORK or (inputs >= WIDE_INPUT and work >= WIDE_MIN_WORK) else "VECTOR"


def cell(v):
    return "" if v is None else f"{v:,.1f}"


print("| inputs | hidden | batch | ND4J µs/step | VECTOR µs/step | PRIMITIVE µs/step | fastest | AUTO picks | AUTO's cost |")
print("|---:|---:|---:|---:|---:|---:|---|---|---:|")
hits = total = 0
for (inputs, hidden, batch), k in sorted(rows.items()):
    present = {name: v for name, v in k.items() if v is not None}
    if not present:
        continue
    fastest = min(present, key=present.get)
    pick = auto(inputs, hidden, batch)
    cost = ""
    if "ND4J" in k and "VECTOR" in k:
        best = min(k["ND4J"], k["VECTOR"])
        total += 1
        ratio = k[pick] / best
        hits += ratio == 1.0
        cost = "best" if ratio == 1.0 else f"{ratio:.2f}x"
    print(f"| {inputs:,} | {hidden} | {batch} | {cell(k.get('ND4J'))} | {cell(k.get('VECTOR'))} "
          f"| {cell(k.get('PRIMITIVE'))} | {fastest} | {pick} | {cost} |")
print(f"\nAUTO picks the faster of ND4J and VECTOR in {hits} of {total} shapes.")
