package perpetua.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import perpetua.ingest.LearnerInput;
import perpetua.job.ModelSpecs;
import perpetua.learner.LearnerOperator;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Tensor;

/**
 * Replays the same 20,000 events of a linearly separable stream through the Learner (Flink's keyed
 * test harness) with the micro-batch timer firing after each event with a given probability, under
 * seeds 1 to 6 and never, and prints for each the steps learned, the accuracy of the last 2,000
 * predictions and a hash of the final parameters: whether where the flushes fell changed what was
 * learned.
 *
 * <p>{@code java ... perpetua.peers.FlushTimerReplay SPEC_JSON PROBABILITY}; the spec's model is
 * {@code m}, with 4 dense values, a numeric {@code x} and a categorical {@code c}.
 */
public final class FlushTimerReplay {
    private FlushTimerReplay() {}

    public static void main(String[] args) throws Exception {
        ModelSpec spec = ModelSpecs.parse(args[0]).get("m");
        double p = Double.parseDouble(args[1]);
        List<Event> events = events(20_000);
        for (int seed = 0; seed <= 6; seed++) {
            Random timer = new Random(seed);
            var h =
                    new KeyedOneInputStreamOperatorTestHarness<>(
                            new LearnerOperator(Map.of("m", spec)),
                            LearnerInput::model,
                            Types.STRING);
            h.open();
            long now = 0;
            int firings = 0;
            for (Event e : events) {
                h.processElement(new StreamRecord<>(LearnerInput.of(e)));
                if (seed > 0 && timer.nextDouble() < p) {
                    now += spec.getMaxDelayMs();
                    h.setProcessingTime(now);
                    firings++;
                }
            }
            h.prepareSnapshotPreBarrier(1L);
            List<Prediction> out = h.extractOutputValues();
            int right = 0;
            int last = 2_000;
            for (int i = events.size() - last; i < events.size(); i++) {
                if (((Number) out.get(i).getLabel()).intValue()
                        == ((Number) events.get(i).getLabel()).intValue()) {
                    right++;
                }
            }
            h.close();
            ModelSnapshot end = null;
            for (var r : h.getSideOutput(LearnerOperator.SNAPSHOTS)) {
                end = r.getValue();
            }
            long hash = 1;
            for (Tensor t : end.getTensors()) {
                hash = 31 * hash + t.getData().hashCode();
            }
            System.out.printf(
                    Locale.ROOT,
                    "timer %s: %d firings, last-window accuracy %.4f, version %d, parameters %016x%n",
                    seed == 0 ? "never" : "seed " + seed,
                    firings,
                    right / (double) last,
                    end.getVersion(),
                    hash);
        }
    }

    /** Label 1 when {@code 2 d0 - d1 + x / 10 + bias(c) > 0.9}: what a linear model can learn. */
    static List<Event> events(int n) {
        Random rnd = new Random(1);
        String[] cats = {"red", "green", "blue"};
        double[] bias = {0.5, -0.8, 0.0};
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] d = new float[4];
            for (int k = 0; k < 4; k++) {
                d[k] = (float) rnd.nextGaussian();
            }
            double x = 10 * rnd.nextGaussian() + 5;
            int c = rnd.nextInt(3);
            double z = 2 * d[0] - d[1] + x / 10 - 0.9 + bias[c];
            out.add(
                    Event.newBuilder()
                            .setId("e-" + i)
                            .setModel("m")
                            .setTime(0L)
                            .setDense(List.of(d[0], d[1], d[2], d[3]))
                            .setNumeric(Map.of("x", x))
                            .setCategorical(Map.of("c", cats[c]))
                            .setLabel(z > 0 ? 1 : 0)
                            .build());
        }
        return out;
    }
}
