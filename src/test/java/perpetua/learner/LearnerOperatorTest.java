package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import perpetua.ingest.DecodeAndValidate;
import perpetua.ingest.LearnerInput;
import perpetua.ingest.SourceRecord;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Tensor;
import perpetua.testing.Streams;
import perpetua.wire.WireFormat;

class LearnerOperatorTest {
    private static final String MODEL = "m";

    @Test
    void predictsBeforeItLearnsFromTheSameEvent() throws Exception {
        var h = LearnerHarness.of(Streams.binarySpec(MODEL, 1, 1000));
        h.open();
        Event e = Streams.binaryEvents(MODEL, 1, 1).get(0);
        h.processElement(LearnerHarness.record(e));
        h.processElement(LearnerHarness.record(e));
        List<Prediction> out = h.extractOutputValues();
        assertThat(out).hasSize(2);
        // The first prediction comes from the untrained model: version 0, P(1) = 0.5.
        assertThat(out.get(0).getModelVersion()).isZero();
        assertThat(out.get(0).getScores().get(1)).isEqualTo(0.5f);
        // The same event again is predicted by the model that has learned from it once.
        assertThat(out.get(1).getModelVersion()).isEqualTo(1);
        float towardsLabel = ((Integer) e.getLabel()) == 1 ? 1f : -1f;
        assertThat((out.get(1).getScores().get(1) - 0.5f) * towardsLabel).isPositive();
        h.close();
    }

    @Test
    void batchFlushesWhenItReachesMaxBatch() throws Exception {
        var h = LearnerHarness.of(Streams.binarySpec(MODEL, 4, 10_000));
        h.open();
        List<Event> events = Streams.binaryEvents(MODEL, 4, 2);
        for (int i = 0; i < 3; i++) {
            h.processElement(LearnerHarness.record(events.get(i)));
        }
        assertThat(h.extractOutputValues()).isEmpty();
        h.processElement(LearnerHarness.record(events.get(3)));
        List<Prediction> out = h.extractOutputValues();
        assertThat(out)
                .extracting(Prediction::getEventId)
                .containsExactly("m-0", "m-1", "m-2", "m-3");
        assertThat(out).allMatch(p -> p.getModelVersion() == 0);
        h.close();
    }

    @Test
    void batchFlushesOnTheTimerAfterMaxDelay() throws Exception {
        var h = LearnerHarness.of(Streams.binarySpec(MODEL, 100, 50));
        h.setProcessingTime(1_000);
        h.open();
        List<Event> events = Streams.binaryEvents(MODEL, 2, 3);
        h.processElement(LearnerHarness.record(events.get(0)));
        h.setProcessingTime(1_030);
        h.processElement(LearnerHarness.record(events.get(1)));
        h.setProcessingTime(1_049);
        assertThat(h.extractOutputValues()).isEmpty();
        h.setProcessingTime(1_050);
        assertThat(h.extractOutputValues()).hasSize(2);
        h.close();
    }

    @Test
    void snapshotThenRestoreGivesIdenticalPredictions() throws Exception {
        ModelSpec spec = Streams.binarySpec(MODEL, 16, 10_000);
        List<Event> events = Streams.binaryEvents(MODEL, 800, 4);
        var original = LearnerHarness.of(spec);
        original.open();
        for (Event e : events.subList(0, 700)) {
            original.processElement(LearnerHarness.record(e));
        }
        original.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState state = original.snapshot(1, 1);

        var restored = LearnerHarness.of(spec);
        restored.initializeState(state);
        restored.open();

        int before = original.extractOutputValues().size();
        for (Event e : events.subList(700, 800)) {
            original.processElement(LearnerHarness.record(e));
            restored.processElement(LearnerHarness.record(e));
        }
        original.prepareSnapshotPreBarrier(2);
        restored.prepareSnapshotPreBarrier(2);
        List<Prediction> a = original.extractOutputValues().subList(before, before + 100);
        List<Prediction> b = restored.extractOutputValues();
        assertThat(b).hasSize(100);
        assertThat(a.get(0).getModelVersion()).isGreaterThan(40);
        for (int i = 0; i < 100; i++) {
            assertThat(b.get(i).getModelVersion()).isEqualTo(a.get(i).getModelVersion());
            assertThat(b.get(i).getScores()).isEqualTo(a.get(i).getScores());
        }
        original.close();
        restored.close();
    }

    @Test
    void aRestoredModelPublishesTheVersionItGoesOnFrom() throws Exception {
        ModelSpec spec = Streams.binarySpec(MODEL, 16, 10_000);
        List<Event> events = Streams.binaryEvents(MODEL, 400, 9);
        var original = LearnerHarness.of(spec);
        original.open();
        for (Event e : events.subList(0, 320)) {
            original.processElement(LearnerHarness.record(e));
        }
        original.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState state = original.snapshot(1, 1);
        long servedBefore =
                original.extractOutputValues()
                        .get(original.extractOutputValues().size() - 1)
                        .getModelVersion();

        var restored = LearnerHarness.of(spec);
        restored.initializeState(state);
        restored.open();
        assertThat(values(restored.getSideOutput(LearnerOperator.SNAPSHOTS))).isEmpty();
        restored.processElement(LearnerHarness.record(events.get(320)));
        restored.prepareSnapshotPreBarrier(2);

        List<ModelSnapshot> snapshots = values(restored.getSideOutput(LearnerOperator.SNAPSHOTS));
        assertThat(snapshots).hasSize(1);
        assertThat(snapshots.get(0).getEvent()).isEqualTo("restored");
        // The 320 events were learned in 20 batches of 16: the version after the last of them.
        assertThat(snapshots.get(0).getVersion()).isEqualTo(20L).isGreaterThan(servedBefore);
        assertThat(restored.extractOutputValues().get(0).getModelVersion()).isEqualTo(20L);
        original.close();
        restored.close();
    }

    @Test
    void emitsMetricsPerWindowAndSnapshotsEveryNBatches() throws Exception {
        var h = LearnerHarness.of(Streams.binarySpec(MODEL, 10, 10_000));
        h.open();
        for (Event e : Streams.binaryEvents(MODEL, 1000, 5)) {
            h.processElement(LearnerHarness.record(e));
        }
        List<Metrics> metrics = values(h.getSideOutput(LearnerOperator.METRICS));
        List<ModelSnapshot> snapshots = values(h.getSideOutput(LearnerOperator.SNAPSHOTS));
        assertThat(metrics).hasSize(2); // windows of 500 labelled events
        assertThat(metrics.get(1).getAccuracy()).isGreaterThan(metrics.get(0).getAccuracy());
        assertThat(metrics.get(1).getAuc()).isGreaterThan(0.9);
        // One on creation, then 100 batches of 10 with one every 20 learned batches.
        assertThat(snapshots)
                .extracting(ModelSnapshot::getVersion)
                .containsExactly(0L, 20L, 40L, 60L, 80L, 100L);
        assertThat(snapshots.get(0).getEvent()).isEqualTo("created");
        assertThat(snapshots.get(5).getExamplesSeen()).isEqualTo(1000);
        h.close();
    }

    @Test
    void nanInputLeavesTheModelBitIdentical() throws Exception {
        List<Event> events = Streams.binaryEvents(MODEL, 400, 6);
        Event poisoned =
                Event.newBuilder(events.get(0))
                        .setId("poisoned")
                        .setDense(List.of(Float.NaN, 1f, 1f, 1f))
                        .setLabel(1)
                        .build();
        List<Event> withNaN = new ArrayList<>(events);
        withNaN.add(200, poisoned);

        ChainResult clean = runDecodeAndLearn(events);
        ChainResult dirty = runDecodeAndLearn(withNaN);

        assertThat(dirty.deadLetterReasons).singleElement().asString().contains("non-finite");
        assertThat(clean.deadLetterReasons).isEmpty();
        assertThat(dirty.lastSnapshot.getVersion()).isEqualTo(clean.lastSnapshot.getVersion());
        List<Tensor> a = clean.lastSnapshot.getTensors();
        List<Tensor> b = dirty.lastSnapshot.getTensors();
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).getData()).isEqualTo(a.get(i).getData());
        }
    }

    private record ChainResult(List<String> deadLetterReasons, ModelSnapshot lastSnapshot) {}

    /** Encodes the events, decodes and validates them, and learns from what passes. */
    private static ChainResult runDecodeAndLearn(List<Event> events) throws Exception {
        ModelSpec spec = Streams.binarySpec(MODEL, 10, 10_000);
        var decode =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new DecodeAndValidate("feedback", "control")));
        decode.open();
        WireFormat.Codec<Event> codec = WireFormat.codec(Event.class);
        long offset = 0;
        for (Event e : events) {
            decode.processElement(
                    new StreamRecord<>(
                            new SourceRecord("events", 0, offset++, 0L, codec.encode(e))));
        }
        List<String> reasons = new ArrayList<>();
        values(decode.getSideOutput(DecodeAndValidate.DEAD_LETTERS))
                .forEach(d -> reasons.add(d.getReason()));
        var learn = LearnerHarness.of(spec);
        learn.open();
        for (LearnerInput o : decode.extractOutputValues()) {
            learn.processElement(new StreamRecord<>(o));
        }
        List<ModelSnapshot> snapshots = values(learn.getSideOutput(LearnerOperator.SNAPSHOTS));
        decode.close();
        learn.close();
        return new ChainResult(reasons, snapshots.get(snapshots.size() - 1));
    }

    private static <T> List<T> values(java.util.Collection<StreamRecord<T>> records) {
        List<T> out = new ArrayList<>();
        if (records != null) {
            records.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }
}
