package perpetua.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import perpetua.cluster.ClusterMember.Role;

/**
 * The operating system's side of a local cluster's members: starts each as its own process, waits
 * until it is ready, ends it, and reads the end of its logs to say why it died.
 *
 * <p>A member is known by its pid together with the instant the process started, which the
 * operating system reports at launch, so that a pid taken over by another process later is never
 * mistaken for the member.
 */
final class MemberProcesses {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** A check that may throw while the member starts up. */
    interface Check {
        boolean ok() throws IOException;
    }

    private final Path dir;
    private final ClusterLayout layout;

    MemberProcesses(Path dir, ClusterLayout layout) {
        this.dir = dir;
        this.layout = layout;
    }

    /** The java launcher of this JVM. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts {@code cmd} as member {@code role-index} in the cluster's directory, its standard
     * error to its error log and its standard output to {@code stdout}, or to its error log when
     * {@code stdout} is null.
     */
    ClusterMember launch(Role role, int index, List<String> cmd, Path stdout) throws IOException {
        Path log = layout.errorLog(role, index);
        Files.createDirectories(log.getParent());
        List<String> full = new ArrayList<>();
        // Its own session: the member must not get the terminal's Ctrl-C or hang-up.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            full.add("/usr/bin/setsid");
        }
        full.addAll(cmd);
        Files.writeString(layout.commandFile(role, index), String.join(" ", full));
        Process p =
                new ProcessBuilder(full)
                        .directory(dir.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .redirectOutput(
                                stdout == null
                                        ? ProcessBuilder.Redirect.appendTo(log.toFile())
                                        : ProcessBuilder.Redirect.to(stdout.toFile()))
                        .start();
        Instant started = p.toHandle().info().startInstant().orElse(Instant.now());
        return new ClusterMember(role, index, p.pid(), started, log);
    }

    /**
     * Waits until {@code ready} holds, failing with the member's log when its process exits first
     * and after a timeout.
     */
    void awaitReady(ClusterMember m, Check ready, String what)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!m.alive()) {
                throw new IllegalStateException(
                        m.name() + " exited while waiting for " + what + "; its log:\n" + tail(m));
            }
            try {
                if (ready.ok()) {
                    return;
                }
            } catch (IOException notYet) {
                // not answering yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(
                "timed out after " + READY_TIMEOUT + " waiting for " + what + "; see " + m.log());
    }

    /** The last lines of a member's logs, to say why it died. */
    String tail(ClusterMember m) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Path p : List.of(m.log(), layout.memberLog(m.role(), m.index()))) {
            if (Files.exists(p)) {
                List<String> all = Files.readAllLines(p, StandardCharsets.UTF_8);
                lines.addAll(all.subList(Math.max(0, all.size() - 20), all.size()));
            }
        }
        return String.join("\n", lines);
    }

    /** kill -9 of the member's process, as a crashed machine would go; waits until it is gone. */
    static void kill(ClusterMember m) throws InterruptedException {
        Optional<ProcessHandle> p = m.process();
        if (p.isPresent()) {
            p.get().destroyForcibly();
            awaitExit(p.get());
        }
    }

    /** Ends the member's process gracefully (SIGTERM), or kills it after a timeout. */
    static void stop(ClusterMember m) throws InterruptedException {
        Optional<ProcessHandle> p = m.process();
        if (p.isPresent()) {
            ProcessHandle h = p.get();
            h.destroy();
            try {
                h.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException | ExecutionException e) {
                h.destroyForcibly();
                awaitExit(h);
            }
        }
    }

    private static void awaitExit(ProcessHandle h) throws InterruptedException {
        try {
            h.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new IllegalStateException("process " + h.pid() + " does not end", e);
        }
    }
}
