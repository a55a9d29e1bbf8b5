package perpetua.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DeadLetter;

class RecordLimitsTest {
    private final RecordLimits limits = new RecordLimits(1000, 2000, 10, 5, 8);

    private static DeadLetter.Builder letter(int payloadBytes) {
        byte[] payload = new byte[payloadBytes];
        for (int i = 0; i < payloadBytes; i++) {
            payload[i] = (byte) i;
        }
        return DeadLetter.newBuilder()
                .setSourceTopic("events")
                .setPartition(0)
                .setOffset(7)
                .setTime(1L)
                .setReason("why")
                .setModel("m")
                .setEventId("e")
                .setPayload(ByteBuffer.wrap(payload))
                .setPayloadBytes(payloadBytes);
    }

    @Test
    void aDeadLetterWithinTheLimitsComesBackEqual() {
        DeadLetter small = letter(8).build();
        assertThat(limits.bound(small)).isEqualTo(small);
    }

    @Test
    void aLongPayloadIsCutToItsBeginningAndTheLetterSaysSo() {
        DeadLetter cut = limits.bound(letter(100).build());
        assertThat(cut.getPayloadTruncated()).isTrue();
        assertThat(cut.getPayloadBytes()).isEqualTo(100);
        assertThat(cut.getPayload())
                .isEqualTo(ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4, 5, 6, 7}));
        assertThat(cut.getReason()).isEqualTo("why");
    }

    @Test
    void aLetterWithoutItsOriginalSizeGetsIt() {
        DeadLetter d = letter(3).setPayloadBytes(null).build();
        assertThat(limits.bound(d).getPayloadBytes()).isEqualTo(3);
    }

    @Test
    void aLongReasonIsCutAndSaysHowLongItWas() {
        String reason = "non-finite value NaN in numeric '" + "k".repeat(5000) + "'";
        DeadLetter cut = limits.bound(letter(1).setReason(reason).build());
        assertThat(cut.getReason())
                .hasSize(RecordLimits.MAX_REASON_CHARS)
                .startsWith("non-finite value NaN in numeric 'kkk")
                .endsWith("... (" + reason.length() + " characters in all)");
    }

    @Test
    void aReasonIsNeverCutBetweenTheHalvesOfASurrogatePair() {
        String tail = "... (2000 characters in all)";
        int end = RecordLimits.MAX_REASON_CHARS - tail.length();
        String reason = "a".repeat(end - 1) + "\uD83D\uDE00" + "b".repeat(2000 - end - 1);
        assertThat(reason).hasSize(2000);
        String cut = limits.bound(letter(1).setReason(reason).build()).getReason();
        assertThat(cut).isEqualTo("a".repeat(end - 1) + tail);
    }

    @Test
    void anIdOrModelNameOverItsLimitIsLeftOut() {
        DeadLetter d = limits.bound(letter(1).setModel("model").setEventId("e".repeat(11)).build());
        assertThat(d.getModel()).isEqualTo("model");
        assertThat(d.getEventId()).isNull();
        assertThat(limits.bound(letter(1).setModel("models").build()).getModel()).isNull();
    }

    @Test
    void reasonsNameTheLimitTheOptionAndTheMeasuredSize() {
        assertThat(limits.sizeRefusal(1000, false)).isNull();
        assertThat(limits.sizeRefusal(1001, false))
                .isEqualTo(
                        "record value is 1001 bytes, over the limit of 1000 (--max-record-bytes)");
        assertThat(limits.sizeRefusal(2001, true))
                .isEqualTo("record value is 2001 bytes, over the limit of 2000 (--max-spec-bytes)");
        assertThat(limits.idRefusal("event id", "0123456789")).isNull();
        assertThat(limits.idRefusal("event id", "0123456789a"))
                .isEqualTo("event id is 11 characters, over the limit of 10 (--max-id-length)");
        assertThat(limits.modelNameRefusal("model name", "abcdef"))
                .isEqualTo(
                        "model name is 6 characters, over the limit of 5"
                                + " (--max-model-name-length)");
    }

    @Test
    void limitsMustBePositive() {
        assertThatThrownBy(() -> new RecordLimits(1, 1, 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id 0");
    }
}
