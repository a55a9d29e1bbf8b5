package perpetua.replay;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import perpetua.runtime.Progress;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;

/**
 * What a replay measured: one summary per model and the curve of its metrics windows.
 *
 * <p>{@link #collect} reads a {@link ReplayJob}'s outputs to their end while the job runs, printing
 * the curve and the first refusals as they come, and checks that every row was either predicted or
 * refused.
 *
 * @param summaries one per model, in the order of the specs
 * @param curve the metrics windows of every model, in the order they came
 */
record ReplayResults(List<Summary> summaries, List<Curve.Point> curve) {
    /** Reasons of refused rows printed, at most. */
    private static final int REFUSALS_SHOWN = 5;

    /**
     * Reads the outputs of {@code run} to their end and waits for the job.
     *
     * @param started when the replay began ({@link System#nanoTime}), for its rows per second
     * @throws IllegalStateException when the job fails, an output cannot be read, or rows are lost
     */
    static ReplayResults collect(
            ReplayJob run,
            ReplayStream.Prepared prepared,
            Map<String, ModelSpec> models,
            PrintStream progress,
            Evaluate.Options options,
            long started)
            throws Exception {
        JobClient job = run.job();
        CloseableIterator<ReplayTally> tallies = run.tallies();
        CloseableIterator<Metrics> windows = run.windows();
        CloseableIterator<DeadLetter> refused = run.refused();
        CloseableIterator<ModelSnapshot> snapshots = run.snapshots();
        Curve curve = new Curve();
        Map<String, Long> refusedBy = new HashMap<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Thread curveThread =
                drain(
                        "curve",
                        windows,
                        failures,
                        new Consumer<>() {
                            final Set<String> headed = new HashSet<>();

                            @Override
                            public void accept(Metrics m) {
                                clear(options.ticker());
                                Curve.Point p = curve.add(m);
                                if (p == null) {
                                    progress.println(m.getEvent() + ": " + m.getDetail());
                                    return;
                                }
                                if (headed.add(p.series())) {
                                    progress.println(
                                            Curve.header(Curve.shown(p.metrics()).keySet()));
                                }
                                progress.println(Curve.line(p));
                            }
                        });
        Thread refusedThread =
                drain(
                        "dead letters",
                        refused,
                        failures,
                        d -> {
                            long n = refusedBy.merge(String.valueOf(d.getModel()), 1L, Long::sum);
                            if (n <= REFUSALS_SHOWN) {
                                clear(options.ticker());
                                progress.printf(
                                        "refused: row %d of the CSV, model %s: %s%n",
                                        prepared.csvRow(d.getOffset()),
                                        d.getModel(),
                                        d.getReason());
                            }
                        });

        Map<String, ModelSnapshot> lastSnapshot = new java.util.concurrent.ConcurrentHashMap<>();
        Thread snapshotThread =
                snapshots == null
                        ? null
                        : drain(
                                "snapshots",
                                snapshots,
                                failures,
                                s -> {
                                    if ("final".equals(s.getEvent())) {
                                        lastSnapshot.put(s.getModel(), s);
                                    }
                                });
        Map<String, ReplayTally> measured = new LinkedHashMap<>();
        Map<String, Long> predictedBy = new HashMap<>();
        // An iterator read to its end is closed; closing it again would ask a finished job.
        long toPredict = prepared.records();
        try {
            while (tallies.hasNext()) {
                ReplayTally t = tallies.next();
                if (t.done) {
                    measured.put(t.model, t);
                }
                predictedBy.put(t.model, t.events);
                if (options.ticker() != null) {
                    long soFar = predictedBy.values().stream().mapToLong(Long::longValue).sum();
                    options.ticker().update("replay", soFar, (double) soFar / toPredict);
                }
            }
            clear(options.ticker());
        } catch (RuntimeException e) {
            failures.add(e);
            closeQuietly(tallies);
        }
        try {
            job.getJobExecutionResult().get();
        } catch (ExecutionException e) {
            Throwable cause = ExceptionUtils.stripExecutionException(e);
            throw new IllegalStateException("the replay failed: " + rootMessage(cause), cause);
        }
        curveThread.join();
        refusedThread.join();
        if (snapshotThread != null) {
            snapshotThread.join();
            for (String model : models.keySet()) {
                if (lastSnapshot.containsKey(model)) {
                    options.finalSnapshots().accept(lastSnapshot.get(model));
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(
                    "reading the replay's results failed: " + rootMessage(failures.get(0)),
                    failures.get(0));
        }

        long predicted = measured.values().stream().mapToLong(t -> t.events).sum();
        long refusedAll = refusedBy.values().stream().mapToLong(Long::longValue).sum();
        if (predicted + refusedAll != prepared.records()) {
            throw new IllegalStateException(
                    String.format(
                            "the replay lost records: %d sent, %d predicted, %d refused",
                            prepared.records(), predicted, refusedAll));
        }
        double wallSeconds = (System.nanoTime() - started) / 1e9;
        List<Summary> summaries = new ArrayList<>();
        for (ModelSpec s : models.values()) {
            ReplayTally t = measured.get(s.getModel());
            if (t == null) {
                throw new IllegalStateException(
                        "the replay ended without the metrics of model '" + s.getModel() + "'");
            }
            summaries.add(
                    t.summary(s.getTask(), refusedBy.getOrDefault(s.getModel(), 0L), wallSeconds));
        }
        return new ReplayResults(summaries, curve.points());
    }

    /** Reads {@code it} to its end on a thread of its own; a failure is recorded, not thrown. */
    private static <T> Thread drain(
            String name, CloseableIterator<T> it, List<Throwable> failures, Consumer<T> each) {
        Thread t =
                new Thread(
                        () -> {
                            try {
                                while (it.hasNext()) {
                                    each.accept(it.next());
                                }
                            } catch (RuntimeException e) {
                                failures.add(e);
                                closeQuietly(it);
                            }
                        },
                        "evaluate-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void closeQuietly(CloseableIterator<?> it) {
        try {
            it.close();
        } catch (Exception ignored) {
            // the failure that led here is the one to report
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static void clear(Progress ticker) {
        if (ticker != null) {
            ticker.clear();
        }
    }
}
