package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import perpetua.ingest.InputDecoder;
import perpetua.ingest.RecordLimits;
import perpetua.ingest.SourceRecord;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Prediction;
import perpetua.spec.SpecRules;
import perpetua.wire.WireFormat;

/** The job's limits keep every record it writes under the limit of the topic it writes to. */
class TopicLimitsTest {
    /** A Kafka record batch of one record: batch header, record header, varints. */
    private static final int KAFKA_OVERHEAD = 128;

    /** The character with the longest UTF-8 form that counts as one character in Java. */
    private static final String WIDE = "\u20ac";

    private static JobOptions atTheCeilings() {
        return JobOptions.fromArgs(
                "--bootstrap-servers",
                "localhost:1",
                "--max-id-length",
                String.valueOf(RecordLimitOptions.MAX_ID_LENGTH_CEILING),
                "--max-model-name-length",
                String.valueOf(RecordLimitOptions.MAX_MODEL_NAME_LENGTH_CEILING),
                "--deadletter-max-payload-bytes",
                "512kb");
    }

    private static int onTheWire(byte[] value, String key) {
        return value.length + key.getBytes(StandardCharsets.UTF_8).length + KAFKA_OVERHEAD;
    }

    @Test
    void theLargestDeadLetterTheLimitsAllowFitsTheDeadLetterTopic() {
        RecordLimits limits = atTheCeilings().limits();
        String model = WIDE.repeat(limits.maxModelNameLength());
        DeadLetter worst =
                limits.bound(
                        InputDecoder.deadLetter(
                                new SourceRecord("t".repeat(249), 0, 0, 0, new byte[8 << 20]),
                                WIDE.repeat(1_000_000),
                                model,
                                WIDE.repeat(limits.maxIdLength())));
        assertThat(worst.getModel()).isEqualTo(model);
        byte[] bytes = WireFormat.codec(DeadLetter.class).encode(worst);
        assertThat(onTheWire(bytes, model)).isLessThan(KafkaIo.OUTPUT_TOPIC_MAX_BYTES);
    }

    @Test
    void theLargestPredictionTheLimitsAllowFitsThePredictionsTopic() {
        RecordLimits limits = atTheCeilings().limits();
        String model = WIDE.repeat(limits.maxModelNameLength());
        Prediction worst =
                Prediction.newBuilder()
                        .setEventId(WIDE.repeat(limits.maxIdLength()))
                        .setModel(model)
                        .setModelVersion(Long.MAX_VALUE)
                        .setTime(Long.MAX_VALUE)
                        .setLabel(SpecRules.MAX_CLASSES - 1)
                        .setScores(Collections.nCopies(SpecRules.MAX_CLASSES, 1f))
                        .setPublishedAt(Long.MAX_VALUE)
                        .setPredictedAt(Long.MAX_VALUE)
                        .build();
        byte[] bytes = WireFormat.codec(Prediction.class).encode(worst);
        assertThat(onTheWire(bytes, model)).isLessThan(KafkaIo.OUTPUT_TOPIC_MAX_BYTES);
    }

    @Test
    void anOversizedRecordStillReachesTheJobThroughItsTopic() {
        JobOptions defaults = JobOptions.fromArgs("--bootstrap-servers", "localhost:1");
        assertThat(defaults.limits()).isEqualTo(RecordLimits.DEFAULTS);
        assertThat(KafkaIo.INPUT_TOPIC_MAX_BYTES).isGreaterThan(defaults.limits().maxRecordBytes());
        assertThat(KafkaIo.CONTROL_TOPIC_MAX_BYTES)
                .isGreaterThan(defaults.limits().maxSpecBytes())
                .isGreaterThan(KafkaIo.MAX_SNAPSHOT_BYTES);
    }

    @Test
    void limitsTakeUnitsAndAreRefusedOutsideTheirRange() {
        JobOptions two =
                JobOptions.fromArgs(
                        "--bootstrap-servers", "localhost:1", "--max-record-bytes", "2mb");
        assertThat(two.limits().maxRecordBytes()).isEqualTo(2 << 20);
        assertThatThrownBy(
                        () ->
                                JobOptions.fromArgs(
                                        "--bootstrap-servers",
                                        "localhost:1",
                                        "--max-id-length",
                                        "0"))
                .hasMessage("--max-id-length must lie in 1..65536, not 0");
        assertThatThrownBy(
                        () ->
                                JobOptions.fromArgs(
                                        "--bootstrap-servers",
                                        "localhost:1",
                                        "--deadletter-max-payload-bytes",
                                        "1mb"))
                .hasMessage("--deadletter-max-payload-bytes must lie in 0..524288, not 1048576");
    }

    @Test
    void aPayloadCopyOfZeroBytesKeepsOnlyTheReasonAndTheSize() {
        RecordLimits none =
                JobOptions.fromArgs(
                                "--bootstrap-servers",
                                "localhost:1",
                                "--deadletter-max-payload-bytes",
                                "0")
                        .limits();
        DeadLetter d =
                none.bound(
                        InputDecoder.deadLetter(
                                new SourceRecord("events", 0, 0, 0, new byte[10]),
                                "why",
                                null,
                                null));
        assertThat(d.getPayload()).isEqualTo(ByteBuffer.allocate(0));
        assertThat(d.getPayloadBytes()).isEqualTo(10);
        assertThat(d.getPayloadTruncated()).isTrue();
    }
}
