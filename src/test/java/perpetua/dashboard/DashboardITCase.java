package perpetua.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import perpetua.cli.EventPublisher;
import perpetua.job.JobOptions;
import perpetua.job.KafkaIo;
import perpetua.job.OnlineLearningJob;
import perpetua.runtime.KafkaBroker;
import perpetua.runtime.KafkaConnection;
import perpetua.schemas.Event;
import perpetua.testing.Waits;

/**
 * The dashboard in a real browser (Debian's headless Chromium, driven by chromedriver) against a
 * running job on a real broker: the page lists the model, its curve gains points while events flow,
 * and the dead letters are counted; a screenshot is saved to {@code
 * target/dashboard/dashboard.png}. Skipped, saying why, where Chromium or chromedriver is absent.
 */
class DashboardITCase {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(1)
                            .build());

    @TempDir static Path dir;
    private static KafkaBroker broker;

    @BeforeAll
    static void startKafka() {
        Assumptions.assumeTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Debian's chromium and chromium-driver are not installed (/usr/bin/chromium,"
                        + " /usr/bin/chromedriver): the browser test of the dashboard is skipped;"
                        + " .ci/run installs them");
        broker = KafkaBroker.start(dir.resolve("kafka"), 0);
    }

    @AfterAll
    static void stopKafka() {
        if (broker != null) {
            broker.close();
        }
    }

    private static WebDriver chromium() throws Exception {
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER.toFile())
                        .usingAnyFreePort()
                        .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,1100",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"));
        return new ChromeDriver(service, options);
    }

    private static int points(WebDriver page, String model) {
        List<WebElement> box =
                page.findElements(By.cssSelector(".model-curves[data-model='" + model + "']"));
        return box.isEmpty() ? 0 : Integer.parseInt(box.get(0).getDomAttribute("data-points"));
    }

    @Test
    void thePageShowsTheModelsAndItsCurvesGrowWhileEventsFlow() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String bootstrap = broker.bootstrapServers();
        JobOptions options =
                JobOptions.fromArgs(
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic.events",
                        "events-" + run,
                        "--topic.predictions",
                        "predictions-" + run,
                        "--topic.metrics",
                        "metrics-" + run,
                        "--topic.models",
                        "models-" + run,
                        "--topic.models-history",
                        "history-" + run,
                        "--topic.deadletters",
                        "deadletters-" + run,
                        "--topic.feedback",
                        "feedback-" + run,
                        "--topic.control",
                        "control-" + run,
                        "--group-id",
                        "g-" + run,
                        "--transactional-id-prefix",
                        "t-" + run,
                        "--starting-offsets",
                        "earliest",
                        "--checkpoint-interval",
                        "500ms",
                        "--spec",
                        "{\"model\":\"m\",\"task\":\"BINARY\",\"numericFeatures\":[\"x\"],"
                                + "\"denseSize\":2,\"maxBatch\":32,\"metricsWindow\":250,"
                                + "\"snapshotEverySeconds\":1,\"driftDetector\":\"DDM\","
                                + "\"challengers\":[{\"model\":\"m-fast\","
                                + "\"learningRate\":0.3}]}");
        KafkaIo.createTopics(options, 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        OnlineLearningJob.configure(env, options);
        OnlineLearningJob.defineWorkflow(
                env,
                KafkaIo.events(options),
                OnlineLearningJob.Models.of(options),
                KafkaIo.sinks(options));
        JobClient job = env.executeAsync("dashboard-it");

        AtomicBoolean flowing = new AtomicBoolean(true);
        AtomicLong sent = new AtomicLong();
        Thread producer =
                new Thread(() -> produce(bootstrap, "events-" + run, flowing, sent), "it-events");
        producer.setDaemon(true);
        producer.start();

        Path screenshot = Path.of("target/dashboard/dashboard.png");
        try (Dashboard dashboard =
                Dashboard.start(
                        KafkaConnection.to(bootstrap),
                        new Dashboard.Followed(
                                "control-" + run,
                                "models-" + run,
                                "metrics-" + run,
                                "deadletters-" + run),
                        0)) {
            WebDriver page = chromium();
            try {
                page.get(dashboard.url());
                Waits.until(
                        "the page lists model m as learning",
                        Duration.ofSeconds(60),
                        () ->
                                page.findElements(
                                                        By.cssSelector(
                                                                "#models tr[data-model='m']"
                                                                        + " .state-learning"))
                                                .size()
                                        == 1);
                Waits.until(
                        "a curve of model m", Duration.ofSeconds(60), () -> points(page, "m") >= 2);
                int before = points(page, "m");
                long sentBefore = sent.get();
                // Without a reload: the page takes the new windows from the event stream.
                Waits.until(
                        "the curve of m gains points while events flow",
                        Duration.ofSeconds(60),
                        () -> points(page, "m") >= before + 4);
                assertThat(sent.get()).isGreaterThan(sentBefore);
                Waits.until(
                        "the dead letters counted",
                        Duration.ofSeconds(30),
                        () -> !text(page, By.id("deadletter-total")).equals("0"));
                assertThat(text(page, By.cssSelector("#models tr[data-model='m']")))
                        .contains("learning")
                        .contains("auc");
                assertThat(text(page, By.id("deadletter-latest")))
                        .contains("not an Avro single-object message");
                assertThat(page.findElements(By.cssSelector(".model-curves canvas"))).isNotEmpty();
                Files.createDirectories(screenshot.getParent());
                File shot = ((ChromeDriver) page).getScreenshotAs(OutputType.FILE);
                Files.copy(shot.toPath(), screenshot, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                page.quit();
            }
        } finally {
            flowing.set(false);
            producer.join(10_000);
            job.cancel().get();
        }
        assertThat(Files.size(screenshot)).isPositive();
    }

    /**
     * Labelled events at about 1,000 per second until stopped, whose concept turns around after
     * 8,000 (a drift to mark), with a record of no Avro at all every 500.
     */
    private static void produce(
            String bootstrap, String topic, AtomicBoolean flowing, AtomicLong sent) {
        Random rnd = new Random(5);
        long start = System.nanoTime();
        try (EventPublisher p = new EventPublisher(bootstrap, topic)) {
            for (long i = 0; flowing.get(); i++) {
                float a = (float) rnd.nextGaussian();
                float b = (float) rnd.nextGaussian();
                double x = rnd.nextGaussian();
                boolean positive = a + 0.5 * b + 0.3 * x + 0.3 * rnd.nextGaussian() > 0;
                if (i >= 8_000) {
                    positive = !positive;
                }
                p.send(
                        Event.newBuilder()
                                .setId("e-" + i)
                                .setModel("m")
                                .setTime(System.currentTimeMillis())
                                .setDense(List.of(a, b))
                                .setNumeric(java.util.Map.of("x", x))
                                .setCategorical(java.util.Map.of())
                                .setLabel(positive ? 1 : 0)
                                .setWeight(1f)
                                .build());
                if (i % 500 == 499) {
                    p.sendRaw("m", new byte[] {1, 2, 3});
                }
                sent.incrementAndGet();
                long due = start + i * 1_000_000L;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            p.flush();
        }
    }

    /**
     * The text of the element {@code by} finds, found again when the page redrew it between the
     * finding and the reading: the page replaces its rows as the event stream updates them.
     */
    private static String text(WebDriver page, By by) {
        for (int attempt = 0; ; attempt++) {
            try {
                return page.findElement(by).getText();
            } catch (StaleElementReferenceException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }
}
