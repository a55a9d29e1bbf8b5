package perpetua.runtime;

import java.util.List;

/**
 * The US flights stream as Perpetua reads it: label {@code delay > 15}; features hour of day and
 * day of week (from {@code date}), {@code distance}, {@code origin} and {@code destination}; never
 * {@code delay} itself.
 */
public final class FlightsStream {
    public static final String MODEL = "flights";

    private FlightsStream() {}

    /** The column roles of a flights CSV (date, delay, distance, origin, destination). */
    public static CsvEvents.Roles roles() {
        CsvEvents.Roles r = new CsvEvents.Roles();
        r.model = MODEL;
        r.time = "date";
        r.timeFeatures = List.of("hour", "dow");
        r.label = "delay";
        r.labelAbove = 15.0;
        r.numeric = List.of("distance");
        r.categorical = List.of("origin", "destination");
        return r;
    }
}
