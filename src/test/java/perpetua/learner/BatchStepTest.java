package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Prediction;
import perpetua.testing.Streams;

/** One micro-batch without Flink: its phases, and a champion that changes between batches only. */
class BatchStepTest {
    private static final String MODEL = "m";

    private final RecordingOutput out = new RecordingOutput();
    private final ChampionPolicy policy = new ChampionPolicy(out);
    private final BatchStep step = out.batchStep(policy);

    /** A slow SGD champion, and an Adam challenger that soon wins windows of 50 by 0.02. */
    private static ModelSpec spec(int maxBatch) {
        ModelSpec base = Streams.binarySpec(MODEL, maxBatch, 10_000);
        ModelSpec fast = ModelSpec.newBuilder(base).setModel("fast").setLearningRate(0.05f).build();
        ModelSpec.Builder champion =
                ModelSpec.newBuilder(base).setOptimizer(OptimizerKind.SGD).setLearningRate(0.001f);
        champion.setMetricsWindow(50).setChallengers(List.of(fast));
        return champion.setPromotionMargin(0.02f).setPromotionWindows(2).build();
    }

    @Test
    void aBatchPredictsEveryEventThenLearnsOnceAndMovesTheVersionOn() throws Exception {
        ModelSpec spec = Streams.binarySpec(MODEL, 20, 10_000);
        ModelRuntime m = new ModelRuntime(spec, Variant.fresh(spec), 0, 0);
        for (Event e : Streams.binaryEvents(MODEL, 20, 5)) {
            m.add(LearnerInput.of(e));
        }

        step.run(m);

        assertThat(out.predictions).hasSize(20).allMatch(p -> p.getModelVersion() == 0);
        assertThat(m.version()).isEqualTo(1);
        assertThat(m.champion().examplesSeen()).isEqualTo(20);
        assertThat(m.size()).isZero();
        assertThat(out.counters(MODEL).predictions.getCount()).isEqualTo(20);
        assertThat(out.counters(MODEL).batches.getCount()).isEqualTo(1);
    }

    @Test
    void aPromotionDecidedInABatchServesFromTheNextBatchOn() throws Exception {
        ModelSpec spec = spec(200);
        ModelRuntime m = new ModelRuntime(spec, Variant.fresh(spec), 0, 0);
        List<Event> events = Streams.binaryEvents(MODEL, 6000, 24);
        boolean promoted = false;
        for (int batch = 0; batch < 30 && !promoted; batch++) {
            Variant servedBy = m.champion();
            int before = out.predictions.size();
            int promotions = promotions();
            for (Event e : events.subList(batch * 200, batch * 200 + 200)) {
                m.add(LearnerInput.of(e));
            }

            step.run(m);

            // Windows of 50 close four times in a batch of 200; the champion stays all batch.
            List<Prediction> served = out.predictions.subList(before, out.predictions.size());
            float[] scores = servedBy.scores();
            for (int r = 0; r < served.size(); r++) {
                assertThat(served.get(r).getScores().get(1))
                        .as("batch %d row %d", batch, r)
                        .isCloseTo(scores[r * 2 + 1], within(0f));
            }
            promoted = promotions() > promotions;
            if (promoted) {
                assertThat(m.champion()).isNotSameAs(servedBy);
                assertThat(m.champion().name()).isEqualTo(MODEL);
                assertThat(m.spec().getLearningRate()).isEqualTo(0.05f);
                assertThat(m.challengers()).isEmpty();
            } else {
                assertThat(m.champion()).isSameAs(servedBy);
            }
        }
        assertThat(promoted).as("the faster challenger is promoted").isTrue();
    }

    private int promotions() {
        return (int)
                out.metrics.stream().map(Metrics::getEvent).filter("promotion"::equals).count();
    }
}
