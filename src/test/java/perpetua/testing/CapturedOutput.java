package perpetua.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Everything a run in this JVM writes while it is open: standard output, standard error, and every
 * log line at INFO and above (Kafka's client configuration dumps, Flink's job submission...), as an
 * operator's log file would hold them. Closing it puts logging and the streams back.
 */
public final class CapturedOutput implements AutoCloseable {
    private final StringWriter logs = new StringWriter();
    private final ByteArrayOutputStream streams = new ByteArrayOutputStream();
    private final PrintStream savedOut = System.out;
    private final PrintStream savedErr = System.err;
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
    private final Appender appender;
    private final Level savedRootLevel;
    private final Map<String, Appender> savedRootAppenders;

    public CapturedOutput() {
        Configuration config = context.getConfiguration();
        appender =
                WriterAppender.newBuilder()
                        .setName("captured-" + System.nanoTime())
                        .setTarget(logs)
                        .setLayout(
                                PatternLayout.newBuilder()
                                        .withPattern("%-5level %c - %msg%n%throwable")
                                        .build())
                        .build();
        appender.start();
        config.addAppender(appender);
        LoggerConfig root = config.getRootLogger();
        savedRootLevel = root.getLevel();
        savedRootAppenders = Map.copyOf(root.getAppenders());
        // The console appender goes quiet: INFO from every library would flood the test output.
        savedRootAppenders.keySet().forEach(root::removeAppender);
        root.addAppender(appender, Level.INFO, null);
        root.setLevel(Level.INFO);
        context.updateLoggers();
        PrintStream both = new PrintStream(streams, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
    }

    /** The log lines so far. */
    public String logs() {
        return logs.toString();
    }

    /** What was printed to standard output and standard error so far. */
    public String printed() {
        return streams.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        System.setOut(savedOut);
        System.setErr(savedErr);
        Configuration config = context.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        root.removeAppender(appender.getName());
        savedRootAppenders.values().forEach(a -> root.addAppender(a, null, null));
        root.setLevel(savedRootLevel);
        context.updateLoggers();
        appender.stop();
    }
}
