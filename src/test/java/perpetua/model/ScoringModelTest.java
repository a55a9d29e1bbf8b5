package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import perpetua.ingest.LearnerInput;
import perpetua.learner.LearnerOperator;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import perpetua.testing.Streams;
import perpetua.wire.WireFormat;

/** A scorer built from a snapshot predicts exactly as the Learner does at that version. */
class ScoringModelTest {
    private static final String MODEL = "m";

    @ParameterizedTest
    @EnumSource(
            value = Task.class,
            names = {"BINARY", "REGRESSION"})
    void scoresLikeTheLearnerAtTheSnapshotVersion(Task task) throws Exception {
        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec(MODEL, 10, 10_000))
                        .setTask(task)
                        .setSnapshotEveryBatches(1)
                        .build();
        List<Event> events = new ArrayList<>();
        for (Event e : Streams.binaryEvents(MODEL, 210, 7)) {
            if (task == Task.REGRESSION) {
                e.setLabel(((Integer) e.getLabel()).doubleValue());
            }
            events.add(e);
        }
        var h =
                new KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction>(
                        new LearnerOperator(Map.of(MODEL, spec)),
                        LearnerInput::model,
                        Types.STRING);
        h.setup();
        h.open();
        for (Event e : events.subList(0, 200)) {
            h.processElement(new StreamRecord<>(LearnerInput.of(e)));
        }
        List<ModelSnapshot> snapshots = new ArrayList<>();
        h.getSideOutput(LearnerOperator.SNAPSHOTS).forEach(r -> snapshots.add(r.getValue()));
        ModelSnapshot last = snapshots.get(snapshots.size() - 1);
        assertThat(last.getVersion()).isEqualTo(20);
        int before = h.extractOutputValues().size();
        List<Event> next = events.subList(200, 210);
        for (Event e : next) {
            h.processElement(new StreamRecord<>(LearnerInput.of(e)));
        }
        List<Prediction> expected = h.extractOutputValues().subList(before, before + 10);
        h.close();

        // Through the wire, as a scorer outside Flink gets it.
        var codec = WireFormat.codec(ModelSnapshot.class);
        ScoringModel scorer = ScoringModel.of(codec.decode(codec.encode(last)));
        assertThat(scorer.model()).isEqualTo(MODEL);
        assertThat(scorer.version()).isEqualTo(20);
        for (int round = 0; round < 2; round++) { // scoring twice: the moments never move
            List<Prediction> actual = scorer.score(next, 123L);
            assertThat(actual).hasSize(10);
            for (int i = 0; i < 10; i++) {
                Prediction a = actual.get(i);
                Prediction e = expected.get(i);
                assertThat(e.getModelVersion()).isEqualTo(20);
                assertThat(a.getModelVersion()).isEqualTo(e.getModelVersion());
                assertThat(a.getEventId()).isEqualTo(e.getEventId());
                assertThat(a.getModel()).isEqualTo(MODEL);
                assertThat(a.getTime()).isEqualTo(e.getTime());
                assertThat(a.getPredictedAt()).isEqualTo(123L);
                assertThat(a.getPublishedAt()).isZero();
                assertThat(a.getScores()).hasSameSizeAs(e.getScores());
                for (int k = 0; k < e.getScores().size(); k++) {
                    assertThat(a.getScores().get(k)).isCloseTo(e.getScores().get(k), within(1e-5f));
                }
                if (task == Task.REGRESSION) {
                    assertThat((Double) a.getLabel())
                            .isCloseTo((Double) e.getLabel(), within(1e-5));
                } else {
                    assertThat(a.getLabel()).isEqualTo(e.getLabel());
                }
            }
        }
    }
}
