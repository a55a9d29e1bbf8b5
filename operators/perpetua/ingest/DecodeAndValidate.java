package perpetua.ingest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;

/**
 * Decodes the records of the events, feedback and control topics and lets only sound ones through;
 * everything else becomes a dead letter.
 *
 * <p>Output: a {@link LearnerInput} per sound record, by its topic an {@link Event}, a {@link
 * Feedback} or a {@link ModelSpec}. Side output {@link #DEAD_LETTERS}: one {@link DeadLetter} per
 * refused record with its source topic, partition, offset, the reason and the original bytes (cut
 * to the {@link RecordLimits}). Malformed or oversized bytes never throw and never make the job
 * allocate for a length they only claim ({@link InputDecoder}): the job keeps running and no model
 * sees the record. Checks that need a model's spec happen in the Learner. Stateless.
 */
public final class DecodeAndValidate extends ProcessFunction<SourceRecord, LearnerInput> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("deadletters", AvroTypes.of(DeadLetter.class));

    private final String feedbackTopic;
    private final String controlTopic;
    private final RecordLimits limits;
    private transient InputDecoder decoder;
    private transient Counter refused;

    /** As {@link #DecodeAndValidate(String, String, RecordLimits)} with the default limits. */
    public DecodeAndValidate(String feedbackTopic, String controlTopic) {
        this(feedbackTopic, controlTopic, RecordLimits.DEFAULTS);
    }

    /**
     * Records of {@code feedbackTopic} and {@code controlTopic} are labels and specs; others
     * events; {@code limits} bound the records and the dead letters.
     */
    public DecodeAndValidate(String feedbackTopic, String controlTopic, RecordLimits limits) {
        this.feedbackTopic = feedbackTopic;
        this.controlTopic = controlTopic;
        this.limits = limits;
    }

    @Override
    public void open(OpenContext context) {
        decoder = new InputDecoder(feedbackTopic, controlTopic, limits);
        refused = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(SourceRecord r, Context ctx, Collector<LearnerInput> out) {
        InputDecoder.Decoded d = decoder.decode(r);
        if (d.input() != null) {
            out.collect(d.input());
        } else {
            ctx.output(DEAD_LETTERS, d.refusal());
            refused.inc();
        }
    }

    /** A dead letter for record {@code r}; {@code model} and {@code eventId} may be null. */
    public static DeadLetter deadLetter(
            SourceRecord r, String reason, String model, String eventId) {
        return InputDecoder.deadLetter(r, reason, model, eventId);
    }
}
