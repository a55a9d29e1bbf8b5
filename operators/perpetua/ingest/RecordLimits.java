package perpetua.ingest;

import java.io.Serializable;
import java.nio.ByteBuffer;
import perpetua.schemas.DeadLetter;

/**
 * The sizes the job accepts on its input and allows on its dead letters, so that no input can
 * exhaust its memory and no output can exceed its topic's limit.
 *
 * <p>An input record over its size limit, an event id or model name over its length limit, is a
 * dead letter whose reason names the limit, its option and the measured size. Ids and model names
 * are the only strings that travel from input to predictions and metrics, so bounding them bounds
 * those records. A dead letter keeps its reason (itself cut at {@link #MAX_REASON_CHARS}) and the
 * first {@code deadLetterMaxPayloadBytes} bytes of the refused value, with the original size and a
 * flag saying whether it was cut.
 *
 * @param maxRecordBytes the largest Event or Feedback record value, bytes
 * @param maxSpecBytes the largest ModelSpec record value, bytes (a spec may carry the snapshot it
 *     starts from)
 * @param maxIdLength the longest event id, characters
 * @param maxModelNameLength the longest model name, characters
 * @param deadLetterMaxPayloadBytes the largest copy of a refused value that a dead letter carries
 */
public record RecordLimits(
        int maxRecordBytes,
        int maxSpecBytes,
        int maxIdLength,
        int maxModelNameLength,
        int deadLetterMaxPayloadBytes)
        implements Serializable {

    /** Option names, shared with the job's options so that a reason names the one to change. */
    public static final String MAX_RECORD_BYTES = "max-record-bytes";

    public static final String MAX_SPEC_BYTES = "max-spec-bytes";
    public static final String MAX_ID_LENGTH = "max-id-length";
    public static final String MAX_MODEL_NAME_LENGTH = "max-model-name-length";
    public static final String DEADLETTER_MAX_PAYLOAD_BYTES = "deadletter-max-payload-bytes";

    /** The longest reason a dead letter carries; a longer one is cut and says how long it was. */
    public static final int MAX_REASON_CHARS = 1000;

    /** 1 MiB records, 65 MiB specs, 1,024-character ids, 200-character names, 64 KiB copies. */
    public static final RecordLimits DEFAULTS =
            new RecordLimits(1 << 20, 65 << 20, 1024, 200, 64 << 10);

    public RecordLimits {
        if (maxRecordBytes < 1
                || maxSpecBytes < 1
                || maxIdLength < 1
                || maxModelNameLength < 1
                || deadLetterMaxPayloadBytes < 0) {
            throw new IllegalArgumentException(
                    String.format(
                            "record limits must be positive (the dead-letter copy may be 0):"
                                    + " record %d, spec %d, id %d, model name %d, copy %d",
                            maxRecordBytes,
                            maxSpecBytes,
                            maxIdLength,
                            maxModelNameLength,
                            deadLetterMaxPayloadBytes));
        }
    }

    /** Why a record value of {@code bytes} bytes is refused, or null when it fits. */
    public String sizeRefusal(int bytes, boolean spec) {
        int limit = spec ? maxSpecBytes : maxRecordBytes;
        return bytes <= limit
                ? null
                : "record value is "
                        + bytes
                        + " bytes, over the limit of "
                        + limit
                        + " (--"
                        + (spec ? MAX_SPEC_BYTES : MAX_RECORD_BYTES)
                        + ")";
    }

    /** Why an event id is refused for its length, or null when it fits (or is null). */
    public String idRefusal(String what, String id) {
        return id == null || id.length() <= maxIdLength
                ? null
                : what
                        + " is "
                        + id.length()
                        + " characters, over the limit of "
                        + maxIdLength
                        + " (--"
                        + MAX_ID_LENGTH
                        + ")";
    }

    /** Why a model name is refused for its length, or null when it fits (or is null). */
    public String modelNameRefusal(String what, String name) {
        return name == null || name.length() <= maxModelNameLength
                ? null
                : what
                        + " is "
                        + name.length()
                        + " characters, over the limit of "
                        + maxModelNameLength
                        + " (--"
                        + MAX_MODEL_NAME_LENGTH
                        + ")";
    }

    /**
     * The dead letter cut to these limits: the reason to {@link #MAX_REASON_CHARS}, the payload to
     * {@code deadLetterMaxPayloadBytes} (flagged, with the original size), and a model name or
     * event id over its limit left out. A letter within the limits comes back equal.
     */
    public DeadLetter bound(DeadLetter letter) {
        ByteBuffer payload = letter.getPayload();
        int size = payload.remaining();
        boolean cut = size > deadLetterMaxPayloadBytes;
        DeadLetter.Builder b = DeadLetter.newBuilder(letter);
        if (letter.getPayloadBytes() == null) {
            b.setPayloadBytes(size);
        }
        if (cut) {
            ByteBuffer head = payload.duplicate();
            head.limit(head.position() + deadLetterMaxPayloadBytes);
            byte[] copy = new byte[deadLetterMaxPayloadBytes];
            head.get(copy);
            b.setPayload(ByteBuffer.wrap(copy)).setPayloadTruncated(true);
        }
        String reason = letter.getReason();
        if (reason.length() > MAX_REASON_CHARS) {
            String tail = "... (" + reason.length() + " characters in all)";
            int end = MAX_REASON_CHARS - tail.length();
            if (Character.isHighSurrogate(reason.charAt(end - 1))) {
                end--;
            }
            b.setReason(reason.substring(0, end) + tail);
        }
        if (letter.getModel() != null && letter.getModel().length() > maxModelNameLength) {
            b.setModel(null);
        }
        if (letter.getEventId() != null && letter.getEventId().length() > maxIdLength) {
            b.setEventId(null);
        }
        return b.build();
    }
}
