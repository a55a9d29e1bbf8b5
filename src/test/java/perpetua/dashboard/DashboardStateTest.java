package perpetua.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.SpecAction;
import perpetua.schemas.Task;

/** What the dashboard makes of the records it reads. */
class DashboardStateTest {
    private static Metrics window(String variant, long events, double auc, long version) {
        return Metrics.newBuilder()
                .setModel("m")
                .setTask(Task.BINARY)
                .setVersionFrom(version - 1)
                .setVersionTo(version)
                .setWindowStart(0L)
                .setWindowEnd(1000L * version)
                .setEvents(events)
                .setLabelled(events)
                .setEventsPerSecond(500.0)
                .setAuc(auc)
                .setLogLoss(0.5)
                .setAccuracy(0.8)
                .setVariant(variant)
                .build();
    }

    @Test
    void windowsBecomeCurvesPerLearnerAndSignalsMarkersAtTheirEvents() {
        DashboardState s = new DashboardState();
        s.apply(ModelSpec.newBuilder().setModel("m").setTask(Task.BINARY).build());
        assertThat(s.toJson().at("/models/m/state").asText()).isEqualTo("pending");

        JsonNode first = s.apply(window(null, 100, 0.7, 3));
        assertThat(first.get("kind").asText()).isEqualTo("point");
        assertThat(first.at("/point/metric").asDouble()).isEqualTo(0.7);
        assertThat(first.at("/point/loss").asDouble()).isEqualTo(0.5);
        s.apply(window(null, 100, 0.75, 6));
        s.apply(window("m-fast", 100, 0.8, 6));
        JsonNode drift =
                s.apply(
                        Metrics.newBuilder(window(null, 0, 0.0, 6))
                                .setEvent("drift")
                                .setDetector("DDM")
                                .setDetail("error rate rose")
                                .build());
        assertThat(drift.at("/marker/events").asLong()).isEqualTo(200);

        JsonNode all = s.toJson();
        assertThat(all.at("/models/m/state").asText()).isEqualTo("learning");
        assertThat(all.at("/models/m/version").asLong()).isEqualTo(6);
        assertThat(all.at("/models/m/lastMetrics/auc").asDouble()).isEqualTo(0.75);
        assertThat(all.get("curves")).hasSize(2);
        assertThat(all.at("/curves/0/learner").asText()).isEqualTo("champion");
        assertThat(all.at("/curves/0/points/1/events").asLong()).isEqualTo(200);
        assertThat(all.at("/curves/1/learner").asText()).isEqualTo("m-fast");
        assertThat(all.at("/markers/m/0/event").asText()).isEqualTo("drift");
        assertThat(all.get("sequence").asLong()).isEqualTo(5);
    }

    @Test
    void deadLettersAreCountedByTheKindOfTheirReason() {
        DashboardState s = new DashboardState();
        for (String reason :
                List.of(
                        "unknown model 'x'",
                        "unknown model 'y'",
                        "malformed Avro body: field 'id' claims a string of 9 bytes",
                        "wrong dense size 1, model 'bin' expects 2")) {
            s.apply(
                    DeadLetter.newBuilder()
                            .setSourceTopic("events")
                            .setPartition(0)
                            .setOffset(7)
                            .setTime(1L)
                            .setReason(reason)
                            .setPayload(ByteBuffer.allocate(0))
                            .build());
        }
        JsonNode d = s.toJson().get("deadLetters");
        JsonNode delta =
                s.apply(
                        DeadLetter.newBuilder()
                                .setSourceTopic("events")
                                .setPartition(0)
                                .setOffset(8)
                                .setTime(2L)
                                .setReason("unknown model 'z'")
                                .setPayload(ByteBuffer.allocate(0))
                                .build());
        assertThat(delta.get("kind").asText()).isEqualTo("deadLetter");
        assertThat(delta.get("reasonKind").asText()).isEqualTo("unknown model");
        assertThat(delta.get("reasonCount").asLong()).isEqualTo(3);
        assertThat(delta.get("total").asLong()).isEqualTo(5);
        assertThat(d.get("total").asLong()).isEqualTo(4);
        assertThat(d.get("byReason").get("unknown model").asLong()).isEqualTo(2);
        assertThat(d.get("byReason").get("malformed Avro body").asLong()).isEqualTo(1);
        assertThat(d.get("byReason").get("wrong dense size").asLong()).isEqualTo(1);
        assertThat(d.at("/latest/0/reason").asText()).startsWith("wrong dense size");
    }

    @Test
    void aRetireSpecRetiresAndCurvesStayBounded() {
        DashboardState s = new DashboardState();
        for (int i = 1; i <= DashboardState.MAX_POINTS + 10; i++) {
            s.apply(window(null, 10, 0.5, i));
        }
        JsonNode points = s.toJson().at("/curves/0/points");
        assertThat(points.size()).isLessThanOrEqualTo(DashboardState.MAX_POINTS);
        assertThat(points.get(points.size() - 1).get("events").asLong())
                .isEqualTo(10L * (DashboardState.MAX_POINTS + 10));
        s.apply(
                ModelSpec.newBuilder()
                        .setModel("m")
                        .setTask(Task.BINARY)
                        .setAction(SpecAction.RETIRE)
                        .build());
        assertThat(s.toJson().at("/models/m/state").asText()).isEqualTo("retired");
    }
}
