package perpetua.ingest;

import org.apache.flink.api.common.functions.MapFunction;
import perpetua.schemas.DeadLetter;

/**
 * Cuts the dead letters of an operator that does not bound its own to the {@link RecordLimits}, so
 * that none can exceed the dead-letter topic's limit and fail the sink. Stateless.
 */
public final class DeadLetterLimit implements MapFunction<DeadLetter, DeadLetter> {
    private static final long serialVersionUID = 1L;

    private final RecordLimits limits;

    public DeadLetterLimit(RecordLimits limits) {
        this.limits = limits;
    }

    @Override
    public DeadLetter map(DeadLetter letter) {
        return limits.bound(letter);
    }
}
