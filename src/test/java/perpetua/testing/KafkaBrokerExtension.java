package perpetua.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.util.FileUtils;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import perpetua.runtime.KafkaBroker;

/**
 * A real KRaft broker in the test's JVM for the whole test class, on a free port of 127.0.0.1, its
 * logs in a folder of its own that is deleted after the broker stopped.
 *
 * <p>Register it as a static field: {@code @RegisterExtension static final KafkaBrokerExtension
 * KAFKA = new KafkaBrokerExtension();}.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {
    private Path dir;
    private KafkaBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("perpetua-kafka-");
        broker = KafkaBroker.start(dir, 0);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (broker != null) {
                broker.close();
            }
        } finally {
            broker = null;
            if (dir != null) {
                FileUtils.deleteDirectory(dir.toFile());
            }
        }
    }

    /** The broker's {@code host:port}. */
    public String bootstrapServers() {
        if (broker == null) {
            throw new IllegalStateException("the broker runs only between beforeAll and afterAll");
        }
        return broker.bootstrapServers();
    }
}
