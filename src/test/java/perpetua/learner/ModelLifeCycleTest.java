package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.ModelState;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Prediction;
import perpetua.schemas.SpecAction;
import perpetua.testing.Streams;

/** A model's life in the Learner: control records, late labels and challengers. */
class ModelLifeCycleTest {
    private static final String MODEL = "m";

    private final LearnerOperator operator = new LearnerOperator();
    private KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h;

    private void open() throws Exception {
        h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        operator, LearnerInput::model, Types.STRING);
        h.setProcessingTime(0);
        h.open();
    }

    private void send(Event e) throws Exception {
        h.processElement(new StreamRecord<>(LearnerInput.of(e)));
    }

    private void send(ModelSpec s) throws Exception {
        h.processElement(new StreamRecord<>(LearnerInput.of(s)));
    }

    private void label(String eventId, int label) throws Exception {
        h.processElement(
                new StreamRecord<>(
                        LearnerInput.of(
                                Feedback.newBuilder()
                                        .setEventId(eventId)
                                        .setModel(MODEL)
                                        .setTime(0L)
                                        .setLabel(label)
                                        .build())));
    }

    private void flush() throws Exception {
        h.prepareSnapshotPreBarrier(0);
    }

    private static Event unlabelled(Event e) {
        return Event.newBuilder(e).setLabel(null).build();
    }

    private <T> List<T> side(org.apache.flink.util.OutputTag<T> tag) {
        Collection<StreamRecord<T>> records = h.getSideOutput(tag);
        List<T> out = new ArrayList<>();
        if (records != null) {
            records.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private List<Prediction> predictions() {
        return h.extractOutputValues();
    }

    private Prediction last() {
        List<Prediction> p = predictions();
        return p.get(p.size() - 1);
    }

    @Test
    void createUpdateAndRetireAtRunTime() throws Exception {
        open();
        List<Event> events = Streams.binaryEvents(MODEL, 400, 21);
        send(events.get(0));
        assertThat(side(LearnerOperator.DEAD_LETTERS))
                .singleElement()
                .extracting(DeadLetter::getReason)
                .isEqualTo("unknown model 'm'");

        send(Streams.binarySpec(MODEL, 10, 10_000));
        assertThat(side(LearnerOperator.SNAPSHOTS))
                .singleElement()
                .satisfies(s -> assertThat(s.getEvent()).isEqualTo("created"));
        for (Event e : events.subList(0, 200)) {
            send(e);
        }
        // Without numerics, so that the moments, which learn from every event, stay out of it.
        Event probe =
                Event.newBuilder(unlabelled(events.get(300)))
                        .setNumeric(java.util.Map.of())
                        .build();
        send(probe);
        flush();
        Prediction before = last();
        assertThat(before.getModelVersion()).isEqualTo(20);

        // A new learning rate applies to the live model: same weights, same version.
        ModelSpec faster =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 10, 10_000))
                        .setLearningRate(0.5f)
                        .build();
        send(faster);
        assertThat(last(side(LearnerOperator.SNAPSHOTS)).getEvent()).isEqualTo("updated");
        assertThat(last(side(LearnerOperator.SNAPSHOTS)).getSpec().getLearningRate())
                .isEqualTo(0.5f);
        send(probe);
        flush();
        assertThat(last().getModelVersion()).isEqualTo(20);
        assertThat(last().getScores()).isEqualTo(before.getScores());

        // Another input encoding cannot keep the weights: refused, unless it asks to start anew.
        ModelSpec wider = ModelSpec.newBuilder(faster).setHashBits(12).build();
        send(wider);
        assertThat(last(side(LearnerOperator.DEAD_LETTERS)).getReason())
                .isEqualTo(
                        "update of 'm' refused: hashBits 10 -> 12 changes the architecture or the"
                                + " input encoding; set freshStart to start the model anew");
        send(probe);
        flush();
        assertThat(last().getScores()).isEqualTo(before.getScores());
        send(ModelSpec.newBuilder(wider).setFreshStart(true).build());
        assertThat(last(side(LearnerOperator.SNAPSHOTS)).getEvent()).isEqualTo("restarted");
        send(probe);
        flush();
        assertThat(last().getScores().get(1)).isEqualTo(0.5f);
        assertThat(last().getModelVersion()).isEqualTo(20);

        int predicted = predictions().size();
        send(ModelSpec.newBuilder(wider).setAction(SpecAction.RETIRE).build());
        ModelSnapshot retired = last(side(LearnerOperator.SNAPSHOTS));
        assertThat(retired.getState()).isEqualTo(ModelState.RETIRED);
        assertThat(retired.getEvent()).isEqualTo("retired");
        send(events.get(201));
        assertThat(predictions()).hasSize(predicted);
        assertThat(last(side(LearnerOperator.DEAD_LETTERS)).getReason())
                .isEqualTo("unknown model 'm'");
        h.close();
    }

    @Test
    void lateLabelsScoreTheServedPredictionAndExpireIntoTheImplicitLabel() throws Exception {
        open();
        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 4, 10_000))
                        .setLabelWaitMs(1_000)
                        .setImplicitLabel(0.0)
                        .setMetricsWindow(4)
                        .build();
        send(spec);
        List<Event> events = Streams.binaryEvents(MODEL, 4, 22);
        for (Event e : events) {
            send(unlabelled(e));
        }
        assertThat(predictions()).hasSize(4).allMatch(p -> p.getScores().get(1) == 0.5f);
        assertThat(operator.pendingLabels(MODEL)).isEqualTo(4);

        label("m-0", 1);
        label("m-1", 0);
        // A label for an event not seen (yet) waits for it as long as an event would.
        label("nobody", 1);
        assertThat(side(LearnerOperator.DEAD_LETTERS)).isEmpty();
        flush();
        assertThat(operator.pendingLabels(MODEL)).isEqualTo(3);

        h.setProcessingTime(1_000);
        flush();
        assertThat(operator.pendingLabels(MODEL)).isZero();
        assertThat(last(side(LearnerOperator.DEAD_LETTERS)).getReason())
                .startsWith("no event 'nobody' waits for a label in model 'm'");

        // All four were served P(1) = 0.5, so class 1: right for m-0 only (labels 1, 0, 0, 0),
        // and each costs ln 2 in log loss, whatever the model learned since.
        Metrics window = last(side(LearnerOperator.METRICS));
        assertThat(window.getLabelled()).isEqualTo(4);
        assertThat(window.getAccuracy()).isCloseTo(0.25, within(1e-9));
        assertThat(window.getLogLoss()).isCloseTo(Math.log(2), within(1e-6));
        // One step: the two feedback labels wait until the two implicit ones complete a
        // learning group of maxBatch = 4 labelled examples.
        send(unlabelled(events.get(0)));
        flush();
        assertThat(last().getModelVersion()).isEqualTo(1);
        h.close();
    }

    @Test
    void aLabelThatArrivesBeforeItsEventIsLearnedWithIt() throws Exception {
        open();
        send(
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 2, 10_000))
                        .setLabelWaitMs(1_000)
                        .setMetricsWindow(2)
                        .build());
        List<Event> events = Streams.binaryEvents(MODEL, 2, 25);
        label("m-0", 1);
        label("m-1", 0);
        assertThat(operator.pendingLabels(MODEL)).isEqualTo(2);
        send(unlabelled(events.get(0)));
        send(unlabelled(events.get(1)));
        assertThat(operator.pendingLabels(MODEL)).isZero();
        assertThat(predictions()).hasSize(2);
        Metrics window = last(side(LearnerOperator.METRICS));
        assertThat(window.getLabelled()).isEqualTo(2);
        // Served P(1) = 0.5, class 1: right for the first only.
        assertThat(window.getAccuracy()).isEqualTo(0.5);
        send(unlabelled(events.get(0)));
        flush();
        assertThat(last().getModelVersion()).isEqualTo(1);
        h.setProcessingTime(5_000);
        flush();
        assertThat(side(LearnerOperator.DEAD_LETTERS)).isEmpty();
        h.close();
    }

    @Test
    void waitingEventsAndEarlyLabelsSurviveARestore() throws Exception {
        open();
        send(
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 2, 10_000))
                        .setLabelWaitMs(1_000)
                        .setMetricsWindow(2)
                        .build());
        List<Event> events = Streams.binaryEvents(MODEL, 3, 26);
        send(unlabelled(events.get(0)));
        send(unlabelled(events.get(1)));
        label("m-2", 1);
        flush();
        var state = h.snapshot(1, 1);
        h.close();

        LearnerOperator restored = new LearnerOperator();
        h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        restored, LearnerInput::model, Types.STRING);
        h.setProcessingTime(0);
        h.initializeState(state);
        h.open();
        label("m-0", 1);
        label("m-1", 0);
        send(unlabelled(events.get(2)));
        flush();
        assertThat(restored.pendingLabels(MODEL)).isZero();
        Metrics window = last(side(LearnerOperator.METRICS));
        assertThat(window.getLabelled()).isEqualTo(2);
        h.close();
    }

    @Test
    void waitingEventsStayBoundedByWaitTimesRate() throws Exception {
        open();
        send(
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 8, 10_000))
                        .setLabelWaitMs(500)
                        .build());
        long most = 0;
        List<Event> events = Streams.binaryEvents(MODEL, 400, 23);
        // One event every 10 ms for 4 s, none ever labelled: 50 within any wait.
        for (int i = 0; i < events.size(); i++) {
            h.setProcessingTime(i * 10L);
            send(unlabelled(events.get(i)));
            most = Math.max(most, operator.pendingLabels(MODEL));
        }
        assertThat(most).isBetween(45L, 50L + 8L);
        h.setProcessingTime(10_000);
        flush();
        assertThat(operator.pendingLabels(MODEL)).isZero();
        h.close();
    }

    @Test
    void aChallengerThatLearnsFasterIsPromotedAndOneThatDoesNotNeverIs() throws Exception {
        open();
        ModelSpec base = Streams.binarySpec(MODEL, 10, 10_000);
        ModelSpec spec =
                ModelSpec.newBuilder(base)
                        .setOptimizer(OptimizerKind.SGD)
                        .setLearningRate(0.001f)
                        .setMetricsWindow(200)
                        .setPromotionWindows(2)
                        .setPromotionMargin(0.02f)
                        .setChallengers(
                                List.of(
                                        ModelSpec.newBuilder(base)
                                                .setModel("fast")
                                                .setLearningRate(0.05f)
                                                .build(),
                                        ModelSpec.newBuilder(base)
                                                .setModel("slower")
                                                .setOptimizer(OptimizerKind.SGD)
                                                .setLearningRate(0.0001f)
                                                .build()))
                        .build();
        send(spec);
        for (Event e : Streams.binaryEvents(MODEL, 2000, 24)) {
            send(e);
        }
        List<Metrics> metrics = side(LearnerOperator.METRICS);
        List<Metrics> promotions =
                metrics.stream().filter(m -> "promotion".equals(m.getEvent())).toList();
        assertThat(promotions)
                .singleElement()
                .satisfies(
                        p -> {
                            assertThat(p.getVariant()).isEqualTo("fast");
                            assertThat(p.getDetail())
                                    .contains("challenger 'fast' replaced the champion of 'm'");
                        });
        assertThat(metrics).anyMatch(m -> "slower".equals(m.getVariant()));
        ModelSnapshot promoted =
                side(LearnerOperator.SNAPSHOTS).stream()
                        .filter(s -> "promotion".equals(s.getEvent()))
                        .findFirst()
                        .orElseThrow();
        assertThat(promoted.getSpec().getModel()).isEqualTo(MODEL);
        assertThat(promoted.getSpec().getLearningRate()).isEqualTo(0.05f);
        assertThat(promoted.getSpec().getChallengers())
                .extracting(ModelSpec::getModel)
                .containsExactly("slower");
        // The served version line goes on through the promotion.
        List<Long> versions = predictions().stream().map(Prediction::getModelVersion).toList();
        for (int i = 1; i < versions.size(); i++) {
            assertThat(versions.get(i)).isGreaterThanOrEqualTo(versions.get(i - 1));
        }
        assertThat(versions.get(versions.size() - 1)).isEqualTo(199);
        h.close();
    }

    private static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }
}
