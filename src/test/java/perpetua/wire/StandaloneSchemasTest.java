package perpetua.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * The self-contained schemas for clients in other languages: one per record type, in step with the
 * schemas the job writes with, each parsed alone to the same fingerprint.
 */
class StandaloneSchemasTest {
    private static final Path DIR = Path.of("schemas/standalone");

    @Test
    void everyRecordTypeHasItsStandaloneSchemaInStep() throws Exception {
        for (Class<? extends SpecificRecord> type : WireFormat.TYPES) {
            Path file = DIR.resolve(type.getSimpleName() + ".avsc");
            assertThat(file).as("refresh with ./perpetua schemas").exists();
            assertThat(Files.readString(file))
                    .as(file + "; refresh with ./perpetua schemas")
                    .isEqualTo(WireFormat.standaloneSchema(type));
        }
        try (var files = Files.list(DIR)) {
            assertThat(files.count()).isEqualTo(WireFormat.TYPES.size());
        }
    }

    @Test
    void eachParsesAloneToTheFingerprintOnTheWire() throws Exception {
        for (Class<? extends SpecificRecord> type : WireFormat.TYPES) {
            Schema alone =
                    new Schema.Parser().parse(DIR.resolve(type.getSimpleName() + ".avsc").toFile());
            assertThat(SchemaNormalization.parsingFingerprint64(alone))
                    .as(type.getSimpleName())
                    .isEqualTo(SchemaNormalization.parsingFingerprint64(WireFormat.schemaOf(type)));
        }
    }

    @Test
    void theReadmesWorkedExampleIsTheFeedbackHeader() throws Exception {
        // README, "The fingerprint": Feedback's canonical form hashes to 0x12938ed772ab628a,
        // which travels little-endian after C3 01.
        byte[] message =
                WireFormat.codec(perpetua.schemas.Feedback.class)
                        .encode(
                                perpetua.schemas.Feedback.newBuilder()
                                        .setEventId("e1")
                                        .setModel("m")
                                        .setTime(0L)
                                        .setLabel(1)
                                        .build());
        assertThat(java.util.HexFormat.ofDelimiter(" ").formatHex(message))
                .isEqualTo("c3 01 8a 62 ab 72 d7 8e 93 12 04 65 31 02 6d 00 00 02");
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme)
                .contains("c3 01 8a 62 ab 72 d7 8e 93 12 04 65 31 02 6d 00 00 02")
                .contains(
                        SchemaNormalization.toParsingForm(
                                WireFormat.schemaOf(perpetua.schemas.Feedback.class)));
    }
}
