#!/usr/bin/env python3
"""Turns the JMH JSON of KernelBenchmark into the crossover table of BENCHMARKS.md."""
import json
import sys

rows = {}
for result in json.load(open(sys.argv[1])):
    p = result["params"]
    key = (int(p["inputs"]), int(p["hidden"]), int(p["batch"]))
    rows.setdefault(key, {})[p["kernel"]] = result["primaryMetric"]["score"]

print("| inputs | hidden | batch | ND4J µs/step | primitive µs/step | faster | ratio | work (batch x in x out, largest product) |")
print("|---:|---:|---:|---:|---:|---|---:|---:|")
for (inputs, hidden, batch), k in sorted(rows.items()):
    nd4j, prim = k.get("ND4J"), k.get("PRIMITIVE")
    if nd4j is None or prim is None:
        continue
    faster = "ND4J" if nd4j < prim else "primitive"
    ratio = max(nd4j, prim) / min(nd4j, prim)
    work = batch * inputs * (hidden if hidden else 1)
    print(f"| {inputs:,} | {hidden} | {batch} | {nd4j:,.1f} | {prim:,.1f} | {faster} | {ratio:.2f}x | {work:,} |")
