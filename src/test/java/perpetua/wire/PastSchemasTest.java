package perpetua.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Kernel;
import perpetua.schemas.Loss;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/** Records written with a past schema version still decode with the current one. */
class PastSchemasTest {

    @Test
    void everyPastSchemaResolvesAgainstTheCurrentSchemaOfItsType() {
        Map<String, Schema> past = WireFormat.pastSchemas();
        assertThat(past)
                .containsKeys(
                        "ModelSpec-v1.avsc",
                        "ModelSnapshot-v1.avsc",
                        "DeadLetter-v1.avsc",
                        "ModelSpec-v2.avsc",
                        "ModelSnapshot-v2.avsc");
        for (Map.Entry<String, Schema> e : past.entrySet()) {
            Schema writer = e.getValue();
            Schema reader = currentSchema(writer.getFullName());
            assertThat(SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType())
                    .as(e.getKey())
                    .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
    }

    private static Schema currentSchema(String fullName) {
        try {
            Class<?> type = Class.forName(fullName);
            return (Schema) type.getField("SCHEMA$").get(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("no generated class for " + fullName, e);
        }
    }

    @Test
    void aDeadLetterWrittenBeforeItsCopyCouldBeCutCarriesItsWholePayload() throws Exception {
        Schema v1 = WireFormat.pastSchemas().get("DeadLetter-v1.avsc");
        GenericRecord old =
                new GenericRecordBuilder(v1)
                        .set("sourceTopic", "events")
                        .set("partition", 0)
                        .set("offset", 5L)
                        .set("time", 1L)
                        .set("reason", "why")
                        .set("payload", ByteBuffer.wrap(new byte[] {1, 2, 3}))
                        .build();
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        DeadLetter letter = WireFormat.codec(DeadLetter.class).decode(bytes);
        assertThat(letter.getReason()).isEqualTo("why");
        assertThat(letter.getPayload()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(letter.getPayloadBytes()).isNull();
        assertThat(letter.getPayloadTruncated()).isFalse();
    }

    @Test
    void aSpecWrittenBeforeLayersExistedIsALinearModelWithItsOptimizer() throws Exception {
        Schema v1 = WireFormat.pastSchemas().get("ModelSpec-v1.avsc");
        GenericRecord old =
                new GenericRecordBuilder(v1)
                        .set("model", "clicks")
                        .set(
                                "task",
                                new GenericData.EnumSymbol(v1.getField("task").schema(), "BINARY"))
                        .set("numericFeatures", List.of("distance"))
                        .set(
                                "optimizer",
                                new GenericData.EnumSymbol(
                                        v1.getField("optimizer").schema(), "SGD"))
                        .build();
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        ModelSpec spec = WireFormat.codec(ModelSpec.class).decode(bytes);
        assertThat(spec.getTask()).isEqualTo(Task.BINARY);
        assertThat(spec.getOptimizer()).isEqualTo(OptimizerKind.SGD);
        assertThat(spec.getHidden()).isEmpty();
        assertThat(spec.getEmbeddings()).isEmpty();
        assertThat(spec.getWide()).isTrue();
        assertThat(spec.getLoss()).isEqualTo(Loss.AUTO);
        assertThat(spec.getKernel()).isEqualTo(Kernel.AUTO);
    }

    @Test
    void aSpecWrittenBeforeLearningGroupsKeepsItsOptimizerAndLearnsInGroupsOfMaxBatch()
            throws Exception {
        Schema v2 = WireFormat.pastSchemas().get("ModelSpec-v2.avsc");
        GenericRecord old =
                new GenericRecordBuilder(v2)
                        .set("model", "clicks")
                        .set(
                                "task",
                                new GenericData.EnumSymbol(v2.getField("task").schema(), "BINARY"))
                        .build();
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(old).array();

        ModelSpec spec = WireFormat.codec(ModelSpec.class).decode(bytes);
        // What the old schema's defaults were is what the record carries, not today's defaults.
        assertThat(spec.getOptimizer()).isEqualTo(OptimizerKind.ADAM);
        assertThat(spec.getLearningRate()).isEqualTo(0.01f);
        assertThat(spec.getMaxBatch()).isEqualTo(256);
        assertThat(spec.getLearnBatch()).isZero();
        assertThat(perpetua.spec.SpecRules.learningGroup(spec)).isEqualTo(256);
    }
}
