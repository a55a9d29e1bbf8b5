#!/usr/bin/env python3
"""Turns an async-profiler collapsed profile (with `threads`) of a replay or a demo run into the
per-event cost table of BENCHMARKS.md.

usage: profile-table.py [--broker] COLLAPSED EVENTS CPU_SECONDS

With --broker the profile is the demo's broker's: its samples are grouped by thread only.

Every sample of a Flink task thread is put in one phase (see SPECIFIC and GENERAL). Samples of the Flink task threads that no pattern matches are Flink's own
work (mailbox, timers, buffers). Samples of other threads are grouped by thread. A phase's share of
the samples times the process's CPU time (user + system), over the events, is its CPU cost per
event: sampling loses about the same share on every thread, so shares are what the profile measures
and the CPU time is what scales them.
"""
import re
import sys
from collections import defaultdict

# A sample's phase is the innermost frame, from the leaf towards the root, that a pattern of SPECIFIC
# matches; only when none does, the innermost that a pattern of GENERAL matches. SPECIFIC names the
# entry points of a phase (a kernel's helper loops belong to whichever of its forward or backward
# called them); GENERAL names whole packages, for the rest of their work.
SPECIFIC = [
    ("validate", r"perpetua/wire/BodyCheck|perpetua/ingest/(EventValidator|RecordLimits)"),
    ("decode", r"perpetua/wire/(WireFormat\$Codec\.decode|EventBody)|perpetua/ingest/InputDecoder"),
    ("prediction building", r"perpetua/model/ModelRecords\.prediction|perpetua/learner/PredictionBuilder"),
    ("encode features", r"perpetua/features/|perpetua/learner/ModelRuntime\.add"),
    ("optimizer", r"perpetua/model/(Adam|Sgd|AdaGrad|RmsProp|Momentum|Ftrl|StatefulOptimizer|Optimizer|GuardedStep)[.$]"),
    ("backward", r"perpetua/model/ForwardBackward\.(backward|scatter|clearSparse)|perpetua/model/\w+Kernel\.backward"),
    ("forward", r"perpetua/model/ForwardBackward\.(forward|gather|addWide|applyDropout)|perpetua/model/NeuralModel\.predict|perpetua/model/\w+Kernel\.forward"),
    ("set-up", r"perpetua/model/Backend|StreamTask\.restore"),
    ("evaluator", r"perpetua/metrics/|perpetua/drift/|perpetua/learner/ChampionPolicy|perpetua/replay/(ReplayMetrics|ReplayScore)"),
    ("sink", r"perpetua/wire/SingleObjectSerializer|perpetua/replay/Served|connector/kafka/sink|org/apache/kafka/clients/producer|operators/collect/CollectSink"),
    ("hand-over", r"RecordWriter|SpanningRecordDeserializer|StreamElementSerializer|PojoSerializer|AvroSerializer|LearnerInputSerializer|RecordDeserializer|BufferBuilder|NonSpanningWrapper"),
    ("source", r"perpetua/replay/ReplaySource|connector/kafka/source|org/apache/kafka/clients/consumer|connector/datagen|SourceReader"),
]
GENERAL = [
    ("learn (other)", r"perpetua/model/"),
    ("learner (other)", r"perpetua/learner/"),
    ("decode", r"perpetua/ingest/"),
]
COMPILED = [[(name, re.compile(p)) for name, p in tier] for tier in (SPECIFIC, GENERAL)]
ORDER = [
    "decode", "validate", "hand-over", "encode features", "forward", "backward", "optimizer",
    "learn (other)", "evaluator", "prediction building", "sink", "learner (other)", "source",
    "Flink task (other)",
]


def task_thread(name):
    # Flink names a task's thread after its chain, ending in "(subtask/parallelism)#attempt"; the
    # Kafka source's fetcher thread is named after its task, and counts as its source.
    return re.search(r"\(\d+/\d+\)#\d+", name) is not None


def other_thread(name):
    if name.startswith("[C1 Compiler") or name.startswith("[C2 Compiler"):
        return "JIT compilers"
    if name.startswith("[GC ") or name.startswith("[G1 "):
        return "garbage collector"
    if name.startswith("[main"):
        return "main thread (replay: CSV and set-up; demo: set-up and the reader of the outputs)"
    if name.startswith("[perpetua-demo-producer"):
        return "demo producer (CSV, encoding, Kafka producer)"
    if "collect-sink" in name or name.startswith("[Thread-"):
        return "result collection (client side)"
    if name.startswith("[kafka-producer") or name.startswith("[kafka-"):
        return "Kafka clients"
    return "other threads"


def broker_thread(name):
    if name.startswith("[C1 Compiler") or name.startswith("[C2 Compiler"):
        return "JIT compilers"
    if name.startswith("[GC ") or name.startswith("[G1 "):
        return "garbage collector"
    if "request-handler" in name:
        return "request handlers (produce, fetch, transactions)"
    if "network-thread" in name or "socket-acceptor" in name:
        return "network threads"
    if name.startswith("[DestroyJavaVM") or name.startswith("[main"):
        return "start-up (main thread)"
    if re.search(r"raft|controller|metadata|quorum|heartbeat|lifecycle", name):
        return "KRaft metadata and controller"
    if re.search(r"Txn|Transaction|group-coordinator|AddPartitionsToTxn", name):
        return "transaction and group coordinators"
    return "other threads"


def samples(path):
    """Each stack of a collapsed profile, as its frames (the thread first), with its count."""
    for line in open(path):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if stack:
            yield stack.split(";"), int(count)


def broker_table(path, events, cpu):
    groups = defaultdict(int)
    total = 0
    for frames, n in samples(path):
        total += n
        groups[broker_thread(frames[0])] += n
    per_event = cpu / total * 1e6 / events if total else 0.0
    print(f"broker: samples {total:,}, CPU {cpu:.1f} s, {events:,.0f} events: "
          f"{cpu * 1e6 / events:.2f} µs of CPU per event in all\n")
    print("| broker thread | share of CPU | µs per event |")
    print("|---|---:|---:|")
    for name, n in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {100.0 * n / total:.1f}% | {n * per_event:.2f} |")


def main():
    if sys.argv[1] == "--broker":
        broker_table(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
        return
    path, events, cpu = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    phases = defaultdict(int)
    others = defaultdict(int)
    total = 0
    for frames, n in samples(path):
        total += n
        thread = frames[0]
        if not task_thread(thread):
            others[other_thread(thread)] += n
            continue
        phase = "Flink task (other)"
        for tier in COMPILED:
            hit = next(
                (name for frame in reversed(frames[1:]) for name, p in tier if p.search(frame)),
                None)
            if hit:
                phase = hit
                break
        phases[phase] += n
    per_event = cpu / total * 1e6 / events if total else 0.0
    print(f"samples {total:,}, CPU {cpu:.1f} s, {events:,.0f} events: "
          f"{cpu * 1e6 / events:.2f} µs of CPU per event in all\n")
    print("| phase | share of CPU | µs per event |")
    print("|---|---:|---:|")
    task_total = 0
    for name in ORDER:
        n = phases.get(name, 0)
        task_total += n
        print(f"| {name} | {100.0 * n / total:.1f}% | {n * per_event:.2f} |")
    print(f"| **Flink task threads, all** | **{100.0 * task_total / total:.1f}%** | "
          f"**{task_total * per_event:.2f}** |")
    # Starting the operators (loading ND4J) happens once, on a task thread, whatever the events.
    others["operator set-up (once)"] = phases.get("set-up", 0)
    for name, n in sorted(others.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {100.0 * n / total:.1f}% | {n * per_event:.2f} |")


if __name__ == "__main__":
    main()
