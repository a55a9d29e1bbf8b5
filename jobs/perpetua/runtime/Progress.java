package perpetua.runtime;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Progress of a long run on standard error: rows done, rows per second and, when the share done is
 * known, the time left.
 *
 * <p>On a terminal one line is redrawn in place twice a second and erased at the end; elsewhere (a
 * log file, a pipe, a test) a plain line is written every {@link #PLAIN_INTERVAL_SECONDS} seconds,
 * so that logs stay readable. Whether standard error is a terminal is what the {@code perpetua}
 * script finds ({@code -Dperpetua.stderr.terminal=true}), or else whether the JVM has a console.
 * Thread-safe.
 */
public final class Progress {
    /** Seconds between two plain lines when standard error is not a terminal. */
    public static final int PLAIN_INTERVAL_SECONDS = 10;

    private static final long TERMINAL_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final PrintStream out;
    private final boolean terminal;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final long start;
    private long lastShown;
    private boolean lineShown;

    /**
     * @param out where the progress goes
     * @param terminal redraw one line in place, or write a plain line per interval
     * @param clock nanoseconds, as {@link System#nanoTime()}
     */
    public Progress(PrintStream out, boolean terminal, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.intervalNanos =
                terminal
                        ? TERMINAL_INTERVAL_NANOS
                        : TimeUnit.SECONDS.toNanos(PLAIN_INTERVAL_SECONDS);
        this.clock = clock;
        this.start = clock.getAsLong();
        this.lastShown = start;
    }

    /** Progress on standard error, redrawn in place when it is a terminal. */
    public static Progress onStandardError() {
        boolean terminal =
                Boolean.getBoolean("perpetua.stderr.terminal") || System.console() != null;
        return new Progress(System.err, terminal, System::nanoTime);
    }

    /**
     * Reports {@code done} rows of {@code what}; shows them when the interval has passed.
     *
     * @param fraction the share of the whole run done, 0 to 1; NaN when unknown (no time left is
     *     shown then)
     */
    public synchronized void update(String what, long done, double fraction) {
        long now = clock.getAsLong();
        if (now - lastShown < intervalNanos) {
            return;
        }
        lastShown = now;
        String line = line(what, done, (now - start) / 1e9, fraction);
        if (terminal) {
            out.print("\r" + line + "\033[K");
            lineShown = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Erases the line redrawn in place, before other output or at the end. */
    public synchronized void clear() {
        if (lineShown) {
            out.print("\r\033[K");
            out.flush();
            lineShown = false;
        }
    }

    /**
     * One progress line: {@code publish: 1,234,567 rows, 45,678 rows/s, 37%, 0:42 left}; the share
     * and the time left only when {@code fraction} is known.
     */
    static String line(String what, long done, double seconds, double fraction) {
        double rate = seconds > 0 ? done / seconds : 0;
        StringBuilder s =
                new StringBuilder(String.format("%s: %,d rows, %,.0f rows/s", what, done, rate));
        if (!Double.isNaN(fraction) && fraction > 0 && fraction <= 1) {
            long left = Math.round(seconds * (1 - fraction) / fraction);
            s.append(String.format(", %.0f%%, %s left", 100 * fraction, clock(left)));
        }
        return s.toString();
    }

    private static String clock(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return h > 0 ? String.format("%d:%02d:%02d", h, m, sec) : String.format("%d:%02d", m, sec);
    }
}
