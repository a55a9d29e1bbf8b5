package perpetua.wire;

import java.util.Arrays;

/**
 * An event's named categorical features in arrays: what {@link EventBody} decodes an event's {@code
 * categorical} map into, so that a model finds its features by position instead of by hashing.
 */
public final class EventCategoricals extends NamedValues<String> {
    private String[] values;

    /** An empty map with room for {@code capacity} names. */
    public EventCategoricals(int capacity) {
        super(capacity);
        values = new String[names.length];
    }

    /** The value at position {@code i}. */
    public String value(int i) {
        return values[i];
    }

    @Override
    String valueAt(int i) {
        return values[i];
    }

    @Override
    void setValueAt(int i, String value) {
        if (value == null) {
            throw new NullPointerException("a categorical value is never null");
        }
        values[i] = value;
    }

    @Override
    void moveValue(int from, int to) {
        values[to] = values[from];
    }

    @Override
    void grow(int capacity) {
        values = Arrays.copyOf(values, capacity);
    }
}
