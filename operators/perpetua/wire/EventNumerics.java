package perpetua.wire;

import java.util.Arrays;

/**
 * An event's named numeric features in a {@code double[]}: what {@link EventBody} decodes an
 * event's {@code numeric} map into, so that no value is boxed until someone asks for a boxed one.
 */
public final class EventNumerics extends NamedValues<Double> {
    private double[] values;

    /** An empty map with room for {@code capacity} names. */
    public EventNumerics(int capacity) {
        super(capacity);
        values = new double[names.length];
    }

    /** The value at position {@code i}, unboxed. */
    public double value(int i) {
        return values[i];
    }

    /** Sets {@code name} to {@code value}, unboxed. */
    public void put(String name, double value) {
        int i = slot(name); // may grow the values array: index it after
        values[i] = value;
    }

    @Override
    Double valueAt(int i) {
        return values[i];
    }

    @Override
    void setValueAt(int i, Double value) {
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
