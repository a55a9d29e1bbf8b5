package perpetua.job;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.cli.TopicReader;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelState;
import perpetua.wire.WireFormat;

/**
 * The latest committed snapshot of every model on the models topic: where a job that starts without
 * state resumes each model. Retired models are left out.
 */
public final class WarmStart {
    private static final Logger LOG = LoggerFactory.getLogger(WarmStart.class);

    private WarmStart() {}

    public static Map<String, ModelSnapshot> latest(String bootstrap, String modelsTopic) {
        Map<String, ModelSnapshot> latest = new HashMap<>();
        WireFormat.Codec<ModelSnapshot> codec = WireFormat.codec(ModelSnapshot.class);
        try (TopicReader reader = new TopicReader(bootstrap, modelsTopic, true)) {
            long n =
                    reader.readToEnd(
                            r -> {
                                try {
                                    // Keyed by model: a model's snapshots share a partition,
                                    // so the later offset is the later version.
                                    ModelSnapshot s = codec.decode(r.value());
                                    latest.put(s.getModel(), s);
                                } catch (Exception e) {
                                    LOG.warn(
                                            "skipping an unreadable record at {}@{} of {}: {}",
                                            r.partition(),
                                            r.offset(),
                                            modelsTopic,
                                            e.toString());
                                }
                            });
            latest.values().removeIf(s -> s.getState() == ModelState.RETIRED);
            LOG.info(
                    "warm start: read {} snapshots of {}, resuming {}",
                    n,
                    modelsTopic,
                    latest.keySet());
        } catch (IllegalArgumentException | TimeoutException missing) {
            LOG.info("warm start: no models topic {} ({})", modelsTopic, missing.getMessage());
        }
        return latest;
    }
}
