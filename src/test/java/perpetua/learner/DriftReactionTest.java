package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;
import perpetua.ingest.DecodeAndValidate;
import perpetua.ingest.LearnerInput;
import perpetua.ingest.SourceRecord;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.MetricsWindowKind;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import perpetua.spec.SpecRules;
import perpetua.testing.Streams;
import perpetua.wire.WireFormat;

/**
 * Drift in the Learner: warnings and drifts of a model's error stream on the metrics topic, and the
 * reaction its spec chooses. The stream is the learnable binary stream of {@link Streams} with
 * every label flipped from event {@link #FLIP} on: an abrupt change of concept.
 */
class DriftReactionTest {
    private static final String MODEL = "m";
    private static final int FLIP = 2000;

    private LearnerOperator operator;
    private KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h;

    private static KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> open(
            LearnerOperator op, OperatorSubtaskState restoreFrom) throws Exception {
        var harness =
                new KeyedOneInputStreamOperatorTestHarness<>(op, LearnerInput::model, Types.STRING);
        harness.setProcessingTime(0);
        if (restoreFrom != null) {
            harness.initializeState(restoreFrom);
        }
        harness.open();
        return harness;
    }

    private void open(ModelSpec spec) throws Exception {
        operator = new LearnerOperator(Map.of(MODEL, spec));
        h = open(operator, null);
    }

    private static ModelSpec spec(
            DriftDetectorKind detector, DriftReaction reaction, int maxBatch) {
        return ModelSpec.newBuilder(Streams.binarySpec(MODEL, maxBatch, 10_000))
                .setMetricsWindow(250)
                .setDriftDetector(detector)
                .setDriftReaction(reaction)
                .build();
    }

    /** The stream of {@link Streams#binaryEvents}, its labels flipped from event FLIP on. */
    private static List<Event> flipped(int n, long seed) {
        List<Event> out = new ArrayList<>();
        List<Event> events = Streams.binaryEvents(MODEL, n, seed);
        for (int i = 0; i < n; i++) {
            Event e = events.get(i);
            out.add(
                    i < FLIP
                            ? e
                            : Event.newBuilder(e).setLabel(1 - (Integer) e.getLabel()).build());
        }
        return out;
    }

    private static void send(
            KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness,
            Event e)
            throws Exception {
        harness.processElement(new StreamRecord<>(LearnerInput.of(e)));
    }

    private static <T> List<T> side(
            KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> harness,
            OutputTag<T> tag) {
        Collection<StreamRecord<T>> records = harness.getSideOutput(tag);
        List<T> out = new ArrayList<>();
        if (records != null) {
            records.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private List<Metrics> records(String event) {
        return side(h, LearnerOperator.METRICS).stream()
                .filter(m -> event.equals(m.getEvent()))
                .toList();
    }

    private List<ModelSnapshot> snapshots(String event) {
        return side(h, LearnerOperator.SNAPSHOTS).stream()
                .filter(s -> event.equals(s.getEvent()))
                .toList();
    }

    @Test
    void anAbruptChangeIsAWarningThenADriftOnTheMetricsTopicAndAnAlert() throws Exception {
        open(spec(DriftDetectorKind.DDM, DriftReaction.ALERT, 10));
        for (Event e : flipped(3000, 31)) {
            send(h, e);
        }
        List<Metrics> drifts = records("drift");
        assertThat(drifts).isNotEmpty();
        Metrics drift = drifts.get(0);
        // Positions count the labelled examples the detector saw: event i is position i + 1.
        assertThat(drift.getPosition()).isBetween(FLIP + 1L, FLIP + 100L);
        assertThat(drift.getDetector()).isEqualTo("DDM");
        assertThat(drift.getVariant()).isNull();
        assertThat(drift.getStatistics()).containsKeys("p", "s", "pMin", "sMin", "n");
        assertThat(drift.getDetail()).startsWith("DDM drift after " + drift.getPosition());
        // Learned batches of 10 before the drift's batch: the version the signal came at.
        assertThat(drift.getVersionTo()).isEqualTo((drift.getPosition() - 1) / 10);
        Metrics warning = records("warning").get(0);
        assertThat(warning.getPosition()).isBetween(FLIP + 1L, drift.getPosition() - 1);
        LearnerMetrics counters = operator.metrics(MODEL);
        assertThat(counters.driftAlerts.getCount()).isEqualTo(drifts.size());
        assertThat(counters.drifts.getCount()).isEqualTo(drifts.size());
        assertThat(counters.driftWarnings.getCount()).isEqualTo(records("warning").size());
        // An alert changes nothing in the model.
        assertThat(operator.live(MODEL).champion().model().learningRateBoost()).isEqualTo(1f);
        assertThat(snapshots("replaced")).isEmpty();
        h.close();
    }

    @Test
    void reactionNoneRecordsTheDriftWithoutAnAlert() throws Exception {
        open(spec(DriftDetectorKind.DDM, DriftReaction.NONE, 10));
        for (Event e : flipped(3000, 31)) {
            send(h, e);
        }
        assertThat(records("drift")).isNotEmpty();
        assertThat(operator.metrics(MODEL).drifts.getCount()).isEqualTo(records("drift").size());
        assertThat(operator.metrics(MODEL).driftAlerts.getCount()).isZero();
        h.close();
    }

    @Test
    void boostRaisesTheLearningRateForNBatchesThroughARestoreThenRestoresIt() throws Exception {
        ModelSpec spec =
                ModelSpec.newBuilder(
                                spec(DriftDetectorKind.DDM, DriftReaction.BOOST_LEARNING_RATE, 10))
                        .setDriftBoostFactor(4f)
                        .setDriftBoostBatches(3)
                        .build();
        open(spec);
        List<Event> events = flipped(3000, 31);
        // Batches of 10 events: one flush per batch.
        int next = 0;
        while (records("drift").isEmpty()) {
            for (int i = 0; i < 10; i++) {
                send(h, events.get(next++));
            }
            if (records("drift").isEmpty()) {
                assertThat(operator.live(MODEL).champion().model().learningRateBoost())
                        .isEqualTo(1f);
            }
        }
        assertThat(next).isGreaterThan(FLIP);
        // The batch that showed the drift was learned boosted: two boosted batches to go.
        Variant champion = operator.live(MODEL).champion();
        assertThat(champion.model().learningRateBoost()).isEqualTo(4f);
        assertThat(champion.boostBatchesLeft()).isEqualTo(2);

        h.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState state = h.snapshot(1, 1);
        LearnerOperator restoredOperator = new LearnerOperator(Map.of(MODEL, spec));
        var restored = open(restoredOperator, state);
        int before = h.extractOutputValues().size();
        for (int batch = 1; batch <= 2; batch++) {
            for (int i = 0; i < 10; i++) {
                send(h, events.get(next));
                send(restored, events.get(next++));
            }
            for (LearnerOperator op : List.of(operator, restoredOperator)) {
                Variant c = op.live(MODEL).champion();
                assertThat(c.boostBatchesLeft()).isEqualTo(2 - batch);
                assertThat(c.model().learningRateBoost()).isEqualTo(batch == 1 ? 4f : 1f);
            }
        }
        List<Prediction> a = h.extractOutputValues().subList(before, before + 20);
        List<Prediction> b = restored.extractOutputValues();
        assertThat(b).hasSize(20);
        for (int i = 0; i < 20; i++) {
            assertThat(b.get(i).getModelVersion()).isEqualTo(a.get(i).getModelVersion());
            assertThat(b.get(i).getScores()).isEqualTo(a.get(i).getScores());
        }
        h.close();
        restored.close();
    }

    @Test
    void replaceSwapsInTheBackgroundStartedAtTheWarningEvenAcrossARestore() throws Exception {
        ModelSpec spec = spec(DriftDetectorKind.DDM, DriftReaction.REPLACE, 4);
        open(spec);
        List<Event> events = flipped(3000, 32);
        int next = 0;
        // Up to a flush in the middle of the warning: a background learns, no drift yet.
        while (true) {
            send(h, events.get(next++));
            ModelRuntime m = operator.live(MODEL);
            if (m.background() != null
                    && !m.replacementDue()
                    && m.background().examplesSeen() > 0) {
                break;
            }
        }
        assertThat(next).isGreaterThan(FLIP);
        assertThat(records("warning")).isNotEmpty();
        assertThat(records("drift")).isEmpty();
        long warningAt = records("warning").get(0).getPosition();
        assertThat(operator.live(MODEL).backgroundSince()).isEqualTo(warningAt);

        h.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState state = h.snapshot(1, 1);
        LearnerOperator restoredOperator = new LearnerOperator(Map.of(MODEL, spec));
        var restored = open(restoredOperator, state);
        int before = h.extractOutputValues().size();
        int servedBeforeReplacement = -1;
        while (next < events.size()) {
            send(h, events.get(next));
            send(restored, events.get(next++));
            if (servedBeforeReplacement < 0 && !snapshots("replaced").isEmpty()) {
                servedBeforeReplacement = h.extractOutputValues().size();
            }
        }

        ModelSnapshot replaced = snapshots("replaced").get(0);
        Metrics replacement = records("replacement").get(0);
        assertThat(replacement.getVersionTo()).isEqualTo(replaced.getVersion());
        assertThat(replacement.getVersionFrom()).isEqualTo(replaced.getVersion() - 1);
        assertThat(replacement.getDetector()).isEqualTo("DDM");
        assertThat(replacement.getDetail())
                .startsWith("background model replaced the champion of 'm' at version")
                .contains("it started at position " + warningAt);
        // The new champion is the background: it learned only since the warning.
        assertThat(replaced.getExamplesSeen())
                .isBetween((long) spec.getDriftMinInstances(), next - warningAt);
        assertThat(records("drift")).isNotEmpty();
        assertThat(records("drift").get(0).getPosition())
                .isLessThanOrEqualTo(replacement.getPosition());

        // The served version line goes on: it never resets and steps over the replacement.
        List<Long> versions =
                h.extractOutputValues().stream().map(Prediction::getModelVersion).toList();
        for (int i = 1; i < versions.size(); i++) {
            assertThat(versions.get(i)).isGreaterThanOrEqualTo(versions.get(i - 1));
        }
        assertThat(versions.get(servedBeforeReplacement - 1)).isLessThan(replaced.getVersion());
        assertThat(versions.get(servedBeforeReplacement)).isGreaterThan(replaced.getVersion());
        List<Long> snapshotVersions =
                side(h, LearnerOperator.SNAPSHOTS).stream().map(ModelSnapshot::getVersion).toList();
        for (int i = 1; i < snapshotVersions.size(); i++) {
            assertThat(snapshotVersions.get(i)).isGreaterThan(snapshotVersions.get(i - 1));
        }

        // The restored operator kept the background and made the same replacement.
        List<Prediction> a = h.extractOutputValues().subList(before, versions.size());
        List<Prediction> b = restored.extractOutputValues();
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).getModelVersion()).isEqualTo(a.get(i).getModelVersion());
            assertThat(b.get(i).getScores()).isEqualTo(a.get(i).getScores());
        }
        ModelSnapshot replacedAfterRestore =
                side(restored, LearnerOperator.SNAPSHOTS).stream()
                        .filter(s -> "replaced".equals(s.getEvent()))
                        .findFirst()
                        .orElseThrow();
        assertThat(replacedAfterRestore.getVersion()).isEqualTo(replaced.getVersion());
        assertThat(replacedAfterRestore.getTensors()).isEqualTo(replaced.getTensors());
        h.close();
        restored.close();
    }

    @Test
    void replaceWithoutAWarningStartsTheBackgroundAtTheDriftAndKeepsTheChallengers()
            throws Exception {
        ModelSpec base = spec(DriftDetectorKind.ADWIN, DriftReaction.REPLACE, 10);
        ModelSpec spec =
                ModelSpec.newBuilder(base)
                        .setChallengers(
                                List.of(
                                        ModelSpec.newBuilder(Streams.binarySpec(MODEL, 10, 10_000))
                                                .setModel("c")
                                                .setLearningRate(0.01f)
                                                .build()))
                        .build();
        open(spec);
        List<Event> events = flipped(3000, 33);
        for (Event e : events) {
            send(h, e);
        }
        assertThat(records("warning")).as("ADWIN has no warnings").isEmpty();
        Metrics drift = records("drift").get(0);
        assertThat(drift.getPosition()).isBetween(FLIP + 1L, FLIP + 300L);
        Metrics replacement = records("replacement").get(0);
        assertThat(replacement.getDetail())
                .contains("it started at position " + drift.getPosition());
        // The old champion served until the background had learned driftMinInstances examples:
        // a batch of 10 at a time, starting with the batch after the drift's.
        ModelSnapshot replaced = snapshots("replaced").get(0);
        assertThat(replaced.getExamplesSeen()).isBetween(30L, 39L);
        long driftBatchEnd = (drift.getPosition() + 9) / 10 * 10;
        assertThat(replacement.getPosition()).isEqualTo(driftBatchEnd + 40);
        assertThat(replaced.getSpec().getChallengers())
                .extracting(ModelSpec::getModel)
                .containsExactly("c");
        // The challenger learned on through the replacement: every labelled event.
        assertThat(operator.live(MODEL).challengers())
                .singleElement()
                .satisfies(c -> assertThat(c.examplesSeen()).isEqualTo(events.size()));
        assertThat(operator.live(MODEL).background()).isNull();
        h.close();
    }

    @Test
    void aTimeWindowClosesByItsTimerWithNoFurtherEventsAlsoAfterARestore() throws Exception {
        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 1, 10_000))
                        .setMetricsWindowKind(MetricsWindowKind.TIME)
                        .setMetricsWindowMs(1_000)
                        .build();
        open(spec);
        h.setProcessingTime(100);
        for (Event e : Streams.binaryEvents(MODEL, 3, 34)) {
            send(h, e);
        }
        assertThat(side(h, LearnerOperator.METRICS)).isEmpty();
        h.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState state = h.snapshot(1, 1);
        var restored = open(new LearnerOperator(Map.of(MODEL, spec)), state);

        for (var harness : List.of(h, restored)) {
            harness.setProcessingTime(999);
            assertThat(side(harness, LearnerOperator.METRICS)).isEmpty();
            harness.setProcessingTime(1_000);
            assertThat(side(harness, LearnerOperator.METRICS))
                    .singleElement()
                    .satisfies(
                            w -> {
                                assertThat(w.getWindow()).isEqualTo("time:1000ms");
                                assertThat(w.getWindowStart()).isZero();
                                assertThat(w.getWindowEnd()).isEqualTo(1_000);
                                assertThat(w.getEvents()).isEqualTo(3);
                                assertThat(w.getLabelled()).isEqualTo(3);
                                assertThat(w.getVersionTo()).isEqualTo(3);
                            });
            // An empty window is never due.
            harness.setProcessingTime(5_000);
            assertThat(side(harness, LearnerOperator.METRICS)).hasSize(1);
        }
        h.close();
        restored.close();
    }

    @Test
    void ddmIsRefusedForARegressionModel() throws Exception {
        ModelSpec regression =
                ModelSpec.newBuilder(Streams.binarySpec("r", 10, 10_000))
                        .setTask(Task.REGRESSION)
                        .setClasses(0)
                        .setDriftDetector(DriftDetectorKind.DDM)
                        .build();
        String problem = SpecRules.problem(regression);
        assertThat(problem)
                .isEqualTo(
                        "model 'r': DDM watches a stream of 0/1 errors; a REGRESSION model's loss"
                                + " needs ADWIN or PAGE_HINKLEY");
        assertThat(
                        SpecRules.problem(
                                ModelSpec.newBuilder(regression)
                                        .setDriftDetector(DriftDetectorKind.PAGE_HINKLEY)
                                        .build()))
                .isNull();
        assertThatThrownBy(() -> new LearnerOperator(Map.of("r", regression)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(problem);

        // From the control topic: a dead letter, and the Learner never sees it.
        var decode =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new DecodeAndValidate("feedback", "control")));
        decode.open();
        byte[] bytes = WireFormat.codec(ModelSpec.class).encode(regression);
        decode.processElement(new StreamRecord<>(new SourceRecord("control", 0, 7, 0L, bytes)));
        assertThat(decode.extractOutputValues()).isEmpty();
        List<DeadLetter> dead = new ArrayList<>();
        decode.getSideOutput(DecodeAndValidate.DEAD_LETTERS).forEach(r -> dead.add(r.getValue()));
        assertThat(dead)
                .singleElement()
                .extracting(DeadLetter::getReason)
                .isEqualTo("refused spec: " + problem);
        decode.close();
    }
}
