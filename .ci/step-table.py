#!/usr/bin/env python3
"""Turns the JMH JSON of ModelStepBenchmark into the table of BENCHMARKS.md: per model and kernel,
microseconds per batch, events per second of the dense math, and its rate of floating-point
operations against ND4J's 512 x 512 GEMM measured in the same run.

A step's operations are counted as dense products, two per multiply-add: the forward pass (served
and reused for learning), the weight gradients, and the input gradients of every layer but the
first. The primitive kernel skips the zero inputs, so its rate can exceed what it computes.
"""
import json
import statistics
import sys

# (inputs, hidden widths, classes, batch) as ModelStepBenchmark.Shape has them.
SHAPES = {
    "MNIST_MLP": (784, [256], 10, 32),
    "MNIST_MLP_16": (784, [256], 10, 16),
    "MNIST_LINEAR": (784, [], 10, 16),
    "LETTER_MLP": (16, [128], 26, 16),
}


def flops_per_batch(shape):
    inputs, hidden, classes, batch = SHAPES[shape]
    widths = [inputs] + hidden + [classes]
    layers = [widths[i] * widths[i + 1] for i in range(len(widths) - 1)]
    forward = sum(layers)
    return 2 * batch * (forward + forward + sum(layers[1:]))


steps = {}
gemm = []
for r in json.load(open(sys.argv[1])):
    p = r["params"]
    us = r["primaryMetric"]["score"]
    if r["benchmark"].endswith("gemm512"):
        gemm.append(2 * 512**3 / (us * 1e-6) / 1e9)
    else:
        steps[(p["shape"], p["kernel"])] = us
gemm_rate = statistics.median(gemm) if gemm else float("nan")
print(f"ND4J GEMM 512 x 512 (float): {gemm_rate:.1f} GFLOP/s, median of {len(gemm)} measurements\n")
print("| model | kernel | rows per batch | µs per batch | events/s (dense math) | GFLOP/s | of GEMM |")
print("|---|---|---:|---:|---:|---:|---:|")
for (shape, kernel), us in sorted(steps.items()):
    batch = SHAPES[shape][3]
    rate = flops_per_batch(shape) / (us * 1e-6) / 1e9
    print(f"| {shape.lower().replace('_', ' ')} | {kernel} | {batch} | {us:,.1f} | {batch / us * 1e6:,.0f} "
          f"| {rate:.1f} | {rate / gemm_rate:.2f} |")
