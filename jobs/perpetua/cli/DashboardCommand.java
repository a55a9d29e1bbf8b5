package perpetua.cli;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import perpetua.dashboard.Dashboard;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code perpetua dashboard}: the live web page of a running job's models, curves and refusals. */
@Command(
        name = "dashboard",
        mixinStandardHelpOptions = true,
        description = {
            "Serve a live dashboard on 127.0.0.1: every model with its state, version, examples"
                    + " seen and last metrics, learning curves with drift and promotion markers,"
                    + " dead letters; updated as records arrive. Runs until Ctrl-C.",
            "Example: perpetua dashboard --bootstrap-servers kafka:9092 --port 8090"
        })
final class DashboardCommand implements Callable<Integer> {
    @Mixin KafkaAddress kafka;

    @Option(
            names = "--port",
            defaultValue = "8090",
            description = "Port on 127.0.0.1 (0: a free one; default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--topic.control",
            defaultValue = "models.control",
            description = "Control topic (default: ${DEFAULT-VALUE}).")
    String control;

    @Mixin ModelsTopic modelsTopic;

    @Option(
            names = "--topic.metrics",
            defaultValue = "metrics",
            description = "Metrics topic (default: ${DEFAULT-VALUE}).")
    String metrics;

    @Option(
            names = "--topic.deadletters",
            defaultValue = "deadletters",
            description = "Dead-letter topic (default: ${DEFAULT-VALUE}).")
    String deadLetters;

    @Override
    public Integer call() throws Exception {
        Dashboard d =
                Dashboard.start(
                        kafka.connection(),
                        new Dashboard.Followed(control, modelsTopic.name, metrics, deadLetters),
                        port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    d.close();
                                    stopped.countDown();
                                },
                                "perpetua-dashboard-stop"));
        System.out.println("dashboard: " + d.url() + " (Kafka at " + kafka.connection() + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
