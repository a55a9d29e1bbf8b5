package perpetua.learner;

import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import perpetua.ingest.LearnerInput;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;

/**
 * The Learner of one model in Flink's keyed operator test harness, keyed by model as in the job.
 */
public final class LearnerHarness {
    private LearnerHarness() {}

    /** A harness set up (not opened) around a Learner of {@code spec}. */
    public static KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> of(
            ModelSpec spec) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, LearnerInput, Prediction> h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new LearnerOperator(Map.of(spec.getModel(), spec)),
                        LearnerInput::model,
                        Types.STRING);
        h.setup();
        return h;
    }

    /** An event as the Learner's input record. */
    public static StreamRecord<LearnerInput> record(Event e) {
        return new StreamRecord<>(LearnerInput.of(e));
    }
}
