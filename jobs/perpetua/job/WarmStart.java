package perpetua.job;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.runtime.KafkaConnection;
import perpetua.runtime.ModelRegistry;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelState;

/**
 * The latest committed snapshot of every model on the models topic: where a job that starts without
 * state resumes each model. Retired models are left out.
 */
public final class WarmStart {
    private static final Logger LOG = LoggerFactory.getLogger(WarmStart.class);

    private WarmStart() {}

    public static Map<String, ModelSnapshot> latest(KafkaConnection kafka, String modelsTopic) {
        Map<String, ModelSnapshot> latest =
                new HashMap<>(ModelRegistry.read(kafka, null, modelsTopic).snapshots());
        latest.values().removeIf(s -> s.getState() == ModelState.RETIRED);
        LOG.info("warm start from {}: resuming {}", modelsTopic, latest.keySet());
        return latest;
    }
}
