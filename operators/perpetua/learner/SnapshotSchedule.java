package perpetua.learner;

import perpetua.schemas.ModelSpec;

/**
 * When a model's next scheduled snapshot is due: after {@code snapshotEveryBatches} learned
 * batches, or {@code snapshotEverySeconds} after the last snapshot, whichever comes first; never
 * while nothing was learned since the last one, so that a quiet model publishes nothing new.
 */
final class SnapshotSchedule {
    private int batchesSince;
    private long lastAt;

    /** A schedule whose last snapshot was at {@code lastAt}, {@code batchesSince} batches ago. */
    SnapshotSchedule(int batchesSince, long lastAt) {
        this.batchesSince = batchesSince;
        this.lastAt = lastAt;
    }

    /** Batches learned since the last snapshot. */
    int batchesSince() {
        return batchesSince;
    }

    /** Processing time of the last snapshot, or of the model's start before the first. */
    long lastAt() {
        return lastAt;
    }

    /** The served line moved on by {@code batches} learned batches. */
    void learned(int batches) {
        batchesSince += batches;
    }

    /** A snapshot was published at {@code now}: the schedule starts again from it. */
    void taken(long now) {
        batchesSince = 0;
        lastAt = now;
    }

    /** Whether {@code spec}'s schedule asks for a snapshot now: enough batches, or enough time. */
    boolean due(ModelSpec spec, long now) {
        if (batchesSince == 0) {
            return false;
        }
        int everyBatches = spec.getSnapshotEveryBatches();
        int everySeconds = spec.getSnapshotEverySeconds();
        return (everyBatches > 0 && batchesSince >= everyBatches)
                || (everySeconds > 0 && now - lastAt >= everySeconds * 1000L);
    }

    /**
     * When the time schedule asks for the next snapshot, or {@link Long#MAX_VALUE} when it asks for
     * none: nothing learned since the last, or no {@code snapshotEverySeconds}.
     */
    long dueAt(ModelSpec spec) {
        int everySeconds = spec.getSnapshotEverySeconds();
        return batchesSince == 0 || everySeconds <= 0
                ? Long.MAX_VALUE
                : lastAt + everySeconds * 1000L;
    }
}
