package perpetua.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static perpetua.testing.HostileRecords.GIGABYTES;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;
import perpetua.testing.HostileRecords;

/**
 * A codec walks every body against its writer schema before it decodes, so that a length or count
 * that the bytes cannot hold is refused, with the field and the figures, without allocating.
 */
class BoundedDecodingTest {
    private final WireFormat.Codec<Event> events = WireFormat.codec(Event.class);

    private static String refusal(WireFormat.Codec<?> codec, byte[] bytes) {
        try {
            codec.decode(bytes);
        } catch (MalformedBodyException e) {
            return e.getMessage();
        } catch (Exception e) {
            throw new AssertionError("expected a malformed body, got " + e, e);
        }
        throw new AssertionError("decoded " + bytes.length + " hostile bytes");
    }

    @Test
    void aStringThatClaimsGigabytesIsRefusedByItsField() {
        byte[] bytes = HostileRecords.eventIdClaiming(GIGABYTES);
        assertThat(bytes).hasSize(15);
        assertThat(refusal(events, bytes))
                .isEqualTo(
                        "field 'id' claims a string of 1500000000 bytes where 0 follow; truncated or corrupt");
    }

    @Test
    void anArrayThatClaimsGigabytesIsRefusedBeforeAListIsSizedForIt() {
        assertThat(refusal(events, HostileRecords.eventDenseClaiming(GIGABYTES)))
                .isEqualTo(
                        "field 'dense' claims an array block of 1500000000 items where 4 bytes"
                                + " follow (at least 4 per item); truncated or corrupt");
    }

    @Test
    void aBlockWithAByteSizeCannotHideItsCount() {
        assertThat(refusal(events, HostileRecords.eventDenseBlockClaiming(GIGABYTES)))
                .startsWith("field 'dense' claims an array block of 1500000000 items");
    }

    @Test
    void aMapThatClaimsGigabytesIsRefused() {
        assertThat(refusal(events, HostileRecords.eventNumericClaiming(GIGABYTES)))
                .isEqualTo(
                        "field 'numeric' claims a map block of 1500000000 items where 4 bytes"
                                + " follow (at least 9 per item); truncated or corrupt");
    }

    @Test
    void claimsInLabelsAndSpecsAreRefusedToo() {
        assertThat(
                        refusal(
                                WireFormat.codec(Feedback.class),
                                HostileRecords.feedbackIdClaiming(GIGABYTES)))
                .isEqualTo(
                        "field 'eventId' claims a string of 1500000000 bytes where 3 follow; truncated or corrupt");
        assertThat(
                        refusal(
                                WireFormat.codec(ModelSpec.class),
                                HostileRecords.specFeaturesClaiming(GIGABYTES)))
                .startsWith("field 'numericFeatures' claims an array block of 1500000000 items");
    }

    @Test
    void aTruncatedBodySaysSoAndWhere() {
        Event e =
                Event.newBuilder()
                        .setId("e")
                        .setModel("m")
                        .setTime(1L)
                        .setDense(List.of(1f, 2f, 3f))
                        .build();
        byte[] whole = HostileRecords.encode(e);
        byte[] insideWeight = Arrays.copyOf(whole, whole.length - 2);
        assertThat(refusal(events, insideWeight))
                .isEqualTo(
                        "truncated: the Event body ends after "
                                + (insideWeight.length - WireFormat.HEADER_BYTES)
                                + " bytes, inside field 'weight'");
        // id and model (2 bytes each), time (1), the block count (1), two floats, half the third.
        byte[] insideDense = Arrays.copyOf(whole, WireFormat.HEADER_BYTES + 6 + 2 * 4 + 2);
        assertThat(refusal(events, insideDense))
                .isEqualTo(
                        "field 'dense' claims an array block of 3 items where 10 bytes follow (at"
                                + " least 4 per item); truncated or corrupt");
        byte[] insideId = Arrays.copyOf(whole, WireFormat.HEADER_BYTES + 1);
        assertThat(refusal(events, insideId))
                .isEqualTo(
                        "field 'id' claims a string of 1 bytes where 0 follow; truncated or"
                                + " corrupt");
    }

    @Test
    void bytesAfterTheBodyAreRefused() {
        byte[] whole =
                HostileRecords.encode(
                        Event.newBuilder().setId("e").setModel("m").setTime(1L).build());
        byte[] longer = Arrays.copyOf(whole, whole.length + 3);
        assertThat(refusal(events, longer))
                .isEqualTo(
                        "3 bytes follow the end of the Event body of "
                                + (longer.length - WireFormat.HEADER_BYTES)
                                + " bytes");
    }

    @Test
    void aUnionBranchOrEnumSymbolOutOfRangeIsRefused() {
        byte[] spec =
                HostileRecords.encode(
                        ModelSpec.newBuilder().setModel("m").setTask(Task.BINARY).build());
        byte[] badTask = spec.clone();
        // The body starts with the name (length 1 as zig-zag 2, then 'm'), then the task symbol.
        badTask[WireFormat.HEADER_BYTES + 2] = 0x7e; // symbol 63
        assertThat(refusal(WireFormat.codec(ModelSpec.class), badTask))
                .isEqualTo("enum symbol 63 where Task has 3 symbols in field 'task'");

        Event e = Event.newBuilder().setId("e").setModel("m").setTime(1L).build();
        byte[] badLabel = HostileRecords.encode(e);
        // label is the third-to-last field: a union index before the 4-byte weight and the
        // 1-byte request size (0).
        badLabel[badLabel.length - 6] = 0x08; // branch 4 of 3
        assertThat(refusal(events, badLabel))
                .isEqualTo("union branch 4 where the union has 3 branches in field 'label'");
    }

    @Test
    void recordsOfEveryTypeStillDecodeWholeIncludingNestedAndRecursiveOnes() throws Exception {
        ModelSpec withChallenger =
                ModelSpec.newBuilder()
                        .setModel("champion")
                        .setTask(Task.BINARY)
                        .setNumericFeatures(List.of("a", "b"))
                        .setChallengers(
                                List.of(
                                        ModelSpec.newBuilder()
                                                .setModel("challenger")
                                                .setTask(Task.BINARY)
                                                .build()))
                        .build();
        assertThat(WireFormat.codec(ModelSpec.class).decode(HostileRecords.encode(withChallenger)))
                .isEqualTo(withChallenger);
        for (SpecificRecord r : WireFormatTest.oneOfEach()) {
            assertThat(WireFormat.decodeAny(HostileRecords.encode(r))).isEqualTo(r);
        }
        Event many =
                Event.newBuilder()
                        .setId("e")
                        .setModel("m")
                        .setTime(1L)
                        .setDense(java.util.Collections.nCopies(10_000, 0.5f))
                        .setNumeric(Map.of("x", 1.0, "y", 2.0))
                        .setCategorical(Map.of("c", ""))
                        .build();
        assertThat(events.decode(HostileRecords.encode(many))).isEqualTo(many);
    }

    @Test
    void aSpecNestedDeeperThanAnyReaderShouldRecurseIsRefused() {
        ModelSpec nested = ModelSpec.newBuilder().setModel("m0").setTask(Task.BINARY).build();
        for (int i = 1; i < 100; i++) {
            nested =
                    ModelSpec.newBuilder()
                            .setModel("m" + i)
                            .setTask(Task.BINARY)
                            .setChallengers(List.of(nested))
                            .build();
        }
        assertThat(refusal(WireFormat.codec(ModelSpec.class), HostileRecords.encode(nested)))
                .startsWith("fields nested deeper than 64 levels in field 'challengers[0].")
                .endsWith(".challengers[0]'");
    }

    @Test
    void theFingerprintReadsInWireOrder() {
        byte[] bytes = HostileRecords.encode(WireFormatTest.spec());
        for (int i = 0; i < 8; i++) {
            bytes[2 + i] = (byte) (0x01 + 0x22 * i);
        }
        assertThat(WireFormat.fingerprintHex(bytes)).isEqualTo("0123456789abcdef");
        assertThatThrownBy(() -> WireFormat.decodeAny(bytes))
                .hasMessage("unknown schema fingerprint 0123456789abcdef");
    }
}
