package perpetua.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Metrics;
import perpetua.schemas.Task;
import perpetua.wire.WireFormat;

/** Metrics records written before windows and drift existed still decode. */
class MetricsSchemaTest {

    @Test
    void aRecordWrittenWithTheFirstMetricsSchemaDecodesWithTheNewFieldsNull() throws Exception {
        Schema v1;
        try (InputStream in =
                getClass().getClassLoader().getResourceAsStream("schemas/past/Metrics-v1.avsc")) {
            v1 = new Schema.Parser().parse(in);
        }
        GenericRecord old = new GenericData.Record(v1);
        old.put("model", "m");
        old.put("task", new GenericData.EnumSymbol(v1.getField("task").schema(), "BINARY"));
        old.put("versionFrom", 1L);
        old.put("versionTo", 2L);
        old.put("windowStart", 10L);
        old.put("windowEnd", 20L);
        old.put("events", 5L);
        old.put("labelled", 4L);
        old.put("eventsPerSecond", 500.0);
        old.put("accuracy", 0.75);
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        Metrics m = WireFormat.codec(Metrics.class).decode(bytes);
        assertThat(m.getTask()).isEqualTo(Task.BINARY);
        assertThat(m.getAccuracy()).isEqualTo(0.75);
        assertThat(m.getWindow()).isNull();
        assertThat(m.getF1()).isNull();
        assertThat(m.getStatistics()).isNull();
    }
}
