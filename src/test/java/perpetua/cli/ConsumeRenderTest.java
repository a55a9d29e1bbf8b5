package perpetua.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;
import perpetua.wire.WireFormat;

class ConsumeRenderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rendersAnyPerpetuaRecordAsPlainJson() throws Exception {
        Prediction p =
                Prediction.newBuilder()
                        .setEventId("e7")
                        .setModel("m")
                        .setModelVersion(3)
                        .setTime(5L)
                        .setLabel(1)
                        .setScores(List.of(0.25f, 0.75f))
                        .build();
        JsonNode line =
                JSON.readTree(
                        Perpetua.Consume.render(WireFormat.codec(Prediction.class).encode(p), 64));
        assertThat(line.get("type").asText()).isEqualTo("Prediction");
        assertThat(line.at("/record/eventId").asText()).isEqualTo("e7");
        assertThat(line.at("/record/label").asInt()).isEqualTo(1);
        assertThat(line.at("/record/scores/1").asDouble()).isEqualTo(0.75);
    }

    @Test
    void largeTensorsPrintAsTheirSizeAndSmallBytesAsBase64() throws Exception {
        ModelSnapshot s =
                ModelSnapshot.newBuilder()
                        .setModel("m")
                        .setVersion(9)
                        .setTime(1L)
                        .setSpec(ModelSpec.newBuilder().setModel("m").setTask(Task.BINARY).build())
                        .setExamplesSeen(10)
                        .setTensors(
                                List.of(
                                        new Tensor(
                                                "hashed",
                                                List.of(1, 1024),
                                                ByteBuffer.allocate(4096)),
                                        new Tensor(
                                                "bias",
                                                List.of(1),
                                                ByteBuffer.wrap(new byte[] {1, 2, 3, 4}))))
                        .setMetrics(Map.of())
                        .build();
        JsonNode line =
                JSON.readTree(
                        Perpetua.Consume.render(
                                WireFormat.codec(ModelSnapshot.class).encode(s), 64));
        assertThat(line.at("/record/tensors/0/data/bytes").asInt()).isEqualTo(4096);
        assertThat(line.at("/record/tensors/1/data").asText()).isEqualTo("AQIDBA==");
        assertThat(line.at("/record/spec/task").asText()).isEqualTo("BINARY");
    }

    @Test
    void undecodableBytesPrintAsAnErrorLine() throws Exception {
        JsonNode line = JSON.readTree(Perpetua.Consume.render(new byte[] {1, 2, 3}, 64));
        assertThat(line.get("type").isNull()).isTrue();
        assertThat(line.get("error").asText()).contains("bad header");
        assertThat(line.get("bytes").asInt()).isEqualTo(3);
    }
}
