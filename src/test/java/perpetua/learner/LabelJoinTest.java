package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.testing.Streams;

/** The delayed-label join without Flink: its state, its timers and the model's waiting count. */
class LabelJoinTest {
    private static final String MODEL = "m";

    private final RecordingOutput out = new RecordingOutput();
    private final RecordingOutput.HashMapState<String, ServedEvent> waiting =
            new RecordingOutput.HashMapState<>();
    private final RecordingOutput.HashMapState<String, EarlyLabel> early =
            new RecordingOutput.HashMapState<>();
    private final LabelJoin join = new LabelJoin(waiting, early, out);

    private static ModelRuntime model(Double implicitLabel) {
        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 10, 1000))
                        .setLabelWaitMs(5_000)
                        .setImplicitLabel(implicitLabel)
                        .build();
        return new ModelRuntime(spec, Variant.fresh(spec), 0, 0);
    }

    private static Event event(String id) {
        Event e = Streams.binaryEvents(MODEL, 1, 3).get(0);
        return Event.newBuilder(e).setId(id).setLabel(null).build();
    }

    private static LearnerInput label(String eventId, int label) {
        return LearnerInput.of(
                Feedback.newBuilder()
                        .setEventId(eventId)
                        .setModel(MODEL)
                        .setTime(0L)
                        .setLabel(label)
                        .build());
    }

    private static ServedEvent served(Event e, long expiresAt) {
        ServedEvent s = new ServedEvent();
        s.event = e;
        s.scores = new float[] {0.3f, 0.7f};
        s.predicted = new float[] {1f};
        s.variants = new String[] {""};
        s.expiresAt = expiresAt;
        return s;
    }

    @Test
    void aLabelJoinsItsServedEventAndClearsItsTimerAndState() throws Exception {
        ModelRuntime m = model(null);
        join.park(m, served(event("a"), 5_000));
        assertThat(m.pendingLabels()).isEqualTo(1);
        assertThat(out.timers).containsEntry(LabelJoin.WAITING + "a", 5_000L);

        ModelRuntime.Joined row = join.label(m, label("a", 1));

        assertThat(row.event().getId()).isEqualTo("a");
        assertThat(row.label()).isEqualTo(1f);
        assertThat(row.served().predicted).containsExactly(1f);
        assertThat(waiting.isEmpty()).isTrue();
        assertThat(out.timers).isEmpty();
        assertThat(m.pendingLabels()).isZero();
        assertThat(out.deadLetters).isEmpty();
    }

    @Test
    void aLabelThatComesFirstWaitsForItsEventAndLabelsIt() throws Exception {
        ModelRuntime m = model(null);
        out.now = 100;
        assertThat(join.label(m, label("b", 1))).isNull();
        assertThat(early.contains("b")).isTrue();
        assertThat(out.timers).containsEntry(LabelJoin.EARLY + "b", 5_100L);
        assertThat(m.pendingLabels()).isEqualTo(1);

        Event labelled = join.withEarlyLabel(m, event("b"));

        assertThat(labelled.getLabel()).isEqualTo(1);
        assertThat(early.isEmpty()).isTrue();
        assertThat(out.timers).isEmpty();
        assertThat(m.pendingLabels()).isZero();
        assertThat(join.withEarlyLabel(m, event("c")).getLabel()).isNull();
    }

    @Test
    void anExpiredWaitLearnsTheImplicitLabelOrNothing() throws Exception {
        ModelRuntime implicit = model(0.0);
        join.park(implicit, served(event("d"), 5_000));
        ModelRuntime.Joined row = join.expired(MODEL, LabelJoin.WAITING + "d", n -> implicit);
        assertThat(row.label()).isEqualTo(0f);
        assertThat(waiting.isEmpty()).isTrue();
        assertThat(implicit.pendingLabels()).isZero();
        assertThat(out.counters(MODEL).labelsExpired.getCount()).isEqualTo(1);

        ModelRuntime silent = model(null);
        join.park(silent, served(event("e"), 5_000));
        assertThat(join.expired(MODEL, LabelJoin.WAITING + "e", n -> silent)).isNull();
        assertThat(waiting.isEmpty()).isTrue();
        assertThat(silent.pendingLabels()).isZero();
        assertThat(out.counters(MODEL).labelsExpired.getCount()).isEqualTo(2);
    }

    @Test
    void aLabelWhoseEventNeverComesBecomesADeadLetter() throws Exception {
        ModelRuntime m = model(null);
        join.label(m, label("f", 1));

        assertThat(join.expired(MODEL, LabelJoin.EARLY + "f", n -> m)).isNull();

        assertThat(early.isEmpty()).isTrue();
        assertThat(m.pendingLabels()).isZero();
        assertThat(out.deadLetters)
                .singleElement()
                .satisfies(d -> assertThat(d.getReason()).contains("no event 'f'"));
        assertThat(out.counters(MODEL).feedbackUnmatched.getCount()).isEqualTo(1);
    }

    @Test
    void aSecondLabelForTheSameEventIsADeadLetter() throws Exception {
        ModelRuntime m = model(null);
        join.label(m, label("g", 1));
        assertThat(join.label(m, label("g", 0))).isNull();
        assertThat(out.deadLetters).hasSize(1);
        assertThat(m.pendingLabels()).isEqualTo(1);
        assertThat(List.copyOf(out.timers.keySet())).containsExactly(LabelJoin.EARLY + "g");
    }
}
