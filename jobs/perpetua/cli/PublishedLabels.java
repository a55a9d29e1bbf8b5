package perpetua.cli;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The label of each event the demo published, by its row in the file, for the demo's reader to
 * score the predictions it reads back: one byte an event, in chunks that the publishing thread
 * fills and the reading thread reads.
 *
 * <p>An event's id is its model's name, a dash and its row (as {@link perpetua.runtime.CsvEvents}
 * names the rows of a file without an id column), so a prediction's event id gives its row without
 * a map of every id, which over millions of events kept hundreds of megabytes alive for the garbage
 * collector to copy.
 */
final class PublishedLabels {
    private static final int CHUNK_BITS = 16;
    private static final int CHUNK = 1 << CHUNK_BITS;
    private static final VarHandle BYTES = MethodHandles.arrayElementVarHandle(byte[].class);

    private final String prefix;
    private final List<byte[]> chunks = new CopyOnWriteArrayList<>();

    /** Labels of the events of model {@code model}, whose ids are {@code model-row}. */
    PublishedLabels(String model) {
        this.prefix = model + "-";
    }

    /**
     * Remembers the label of the event of row {@code row} (from 1); called by one thread, in row
     * order.
     *
     * @param label the class index, 0 to 254, or null when the event has none
     */
    void put(long row, Integer label) {
        if (row < 1) {
            throw new IllegalArgumentException("rows count from 1, not " + row);
        }
        if (label != null && (label < 0 || label > 254)) {
            throw new IllegalArgumentException(
                    "a demo label is a class from 0 to 254, not " + label);
        }
        long index = row - 1;
        int chunk = (int) (index >>> CHUNK_BITS);
        while (chunks.size() <= chunk) {
            chunks.add(new byte[CHUNK]);
        }
        BYTES.setRelease(
                chunks.get(chunk),
                (int) (index & (CHUNK - 1)),
                (byte) (label == null ? 0 : label + 1));
    }

    /** The label of the event with id {@code eventId}, or null when none was remembered for it. */
    Integer get(String eventId) {
        long row = row(eventId);
        if (row < 1) {
            return null;
        }
        long index = row - 1;
        long chunk = index >>> CHUNK_BITS;
        if (chunk >= chunks.size()) {
            return null;
        }
        byte b = (byte) BYTES.getAcquire(chunks.get((int) chunk), (int) (index & (CHUNK - 1)));
        return b == 0 ? null : (b & 0xff) - 1;
    }

    /** The row in {@code eventId}, or -1 when it is not this model's {@code model-row}. */
    private long row(String eventId) {
        int n = eventId.length();
        if (n <= prefix.length() || n > prefix.length() + 18 || !eventId.startsWith(prefix)) {
            return -1;
        }
        long row = 0;
        for (int i = prefix.length(); i < n; i++) {
            char c = eventId.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            row = row * 10 + (c - '0');
        }
        return row;
    }
}
