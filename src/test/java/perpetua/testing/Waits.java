package perpetua.testing;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits in tests for a condition, with a deadline and a failure message that says what was awaited.
 *
 * <p>Tests use this instead of sleeping for a fixed time: they go on as soon as the condition
 * holds, and fail with a clear message rather than hang when it never does.
 */
public final class Waits {

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private Waits() {}

    /**
     * Polls the condition until it holds.
     *
     * @param what a description of the condition, used in the failure message
     * @param timeout how long to wait at most
     * @param condition the condition; exceptions it throws propagate
     * @throws AssertionError when the condition does not hold within the timeout
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        untilPresent(what, timeout, () -> Optional.of(true).filter(t -> condition.getAsBoolean()));
    }

    /**
     * Polls the supplier until it yields a value, and returns that value.
     *
     * @param what a description of the awaited value, used in the failure message
     * @param timeout how long to wait at most
     * @param value yields the value once it is there and empty before; exceptions propagate
     * @return the first value the supplier yields
     * @throws AssertionError when no value arrives within the timeout
     */
    public static <T> T untilPresent(String what, Duration timeout, Supplier<Optional<T>> value) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> result = value.get();
            if (result.isPresent()) {
                return result.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("Timed out after " + timeout + " waiting for: " + what);
            }
            if (Thread.interrupted()) {
                throw new AssertionError("Interrupted while waiting for: " + what);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
