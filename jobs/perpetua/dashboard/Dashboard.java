package perpetua.dashboard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import perpetua.runtime.KafkaConnection;
import perpetua.runtime.TopicReader;
import perpetua.runtime.Topics;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.wire.WireFormat;

/**
 * The live dashboard: a web page on 127.0.0.1 that follows the control, models, metrics and
 * dead-letter topics ({@code read_committed}, from their beginning) and shows every model, its
 * learning curves with their drift and promotion markers, and the dead letters, updated as records
 * arrive.
 *
 * <p>The page ({@code /}) and its script come from this jar, the chart library (uPlot) from its
 * WebJar: nothing is fetched from elsewhere. {@code /api/state} is the whole state as JSON; {@code
 * /api/events} streams server-sent events, the whole state first ({@code state}) and then one
 * {@code delta} per change. A thread reads the topics, waiting for any that do not exist yet.
 */
public final class Dashboard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    /** The topics a dashboard follows. */
    public record Followed(String control, String models, String metrics, String deadLetters) {
        public static Followed defaults() {
            return new Followed("models.control", "models", "metrics", "deadletters");
        }

        List<String> all() {
            return List.of(control, models, metrics, deadLetters);
        }
    }

    private final DashboardState state = new DashboardState();
    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
    private final KafkaConnection kafka;
    private final Followed topics;
    private final Javalin server;
    private final Thread feed;
    private volatile boolean closed;

    private Dashboard(KafkaConnection kafka, Followed topics) {
        this.kafka = kafka;
        this.topics = topics;
        this.server =
                Javalin.create(
                        config -> {
                            config.startup.showJavalinBanner = false;
                            config.staticFiles.add("/dashboard", Location.CLASSPATH);
                            config.staticFiles.enableWebjars();
                            config.routes.get(
                                    "/api/state",
                                    ctx ->
                                            ctx.contentType("application/json")
                                                    .result(state.toJson().toString()));
                            config.routes.sse("/api/events", this::connect);
                        });
        this.feed = new Thread(this::follow, "perpetua-dashboard-feed");
        this.feed.setDaemon(true);
    }

    /**
     * Starts the page on 127.0.0.1:{@code port} (0: a free port) and the reading of the topics.
     *
     * @return the running dashboard; close it to stop both
     */
    public static Dashboard start(KafkaConnection kafka, Followed topics, int port) {
        Dashboard d = new Dashboard(kafka, topics);
        d.server.start("127.0.0.1", port);
        d.feed.start();
        LOG.info("Dashboard at {} following {} at {}", d.url(), topics.all(), kafka);
        return d;
    }

    /** The page's address, e.g. {@code http://127.0.0.1:8090/}. */
    public String url() {
        return "http://127.0.0.1:" + server.port() + "/";
    }

    /** The state the page shows, for tests and embedding. */
    public DashboardState state() {
        return state;
    }

    private void connect(SseClient client) {
        client.keepAlive();
        client.onClose(() -> clients.remove(client));
        // The whole state and the registration under one lock: no delta falls between them.
        synchronized (state) {
            client.sendEvent("state", state.toJson().toString());
            clients.add(client);
        }
    }

    private void publish(ObjectNode delta) {
        if (delta == null) {
            return;
        }
        String data = delta.toString();
        for (SseClient c : clients) {
            if (c.terminated()) {
                clients.remove(c);
            } else {
                c.sendEvent("delta", data);
            }
        }
    }

    /** Reads the four topics for as long as the dashboard runs. */
    private void follow() {
        while (!closed) {
            try {
                awaitTopics();
                publish(state.status("following " + String.join(", ", topics.all())));
                try (TopicReader reader = new TopicReader(kafka, topics.all(), true)) {
                    reader.read(null, r -> apply(r) && !closed);
                }
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.warn("Dashboard: reading {} failed; trying again: {}", kafka, e.getMessage());
                publish(state.status("cannot read Kafka: " + e.getMessage()));
                pause(Duration.ofSeconds(5));
            }
        }
    }

    private void awaitTopics() {
        while (!closed) {
            List<String> missing =
                    topics.all().stream().filter(t -> !Topics.exists(kafka, t)).toList();
            if (missing.isEmpty()) {
                return;
            }
            publish(state.status("waiting for topics " + String.join(", ", missing)));
            pause(Duration.ofSeconds(2));
        }
    }

    private final WireFormat.Codec<ModelSpec> specs = WireFormat.codec(ModelSpec.class);
    private final WireFormat.Codec<ModelSnapshot> snapshots = WireFormat.codec(ModelSnapshot.class);
    private final WireFormat.Codec<Metrics> metrics = WireFormat.codec(Metrics.class);
    private final WireFormat.Codec<DeadLetter> deadLetters = WireFormat.codec(DeadLetter.class);

    private boolean apply(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return true;
        }
        try {
            String t = r.topic();
            if (t.equals(topics.control())) {
                publish(state.apply(specs.decode(r.value())));
            } else if (t.equals(topics.models())) {
                publish(state.apply(snapshots.decode(r.value())));
            } else if (t.equals(topics.metrics())) {
                publish(state.apply(metrics.decode(r.value())));
            } else {
                publish(state.apply(deadLetters.decode(r.value())));
            }
        } catch (IOException | RuntimeException e) {
            // The job dead-letters bad input; a bad record here is only skipped.
            LOG.debug("Dashboard: skipping {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e);
        }
        return true;
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        feed.interrupt();
        clients.forEach(SseClient::close);
        server.stop();
        try {
            feed.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
