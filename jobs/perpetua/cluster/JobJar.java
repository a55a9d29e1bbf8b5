package perpetua.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The shaded job jar that {@code mvn -DskipTests package} leaves in a project's target/. */
public final class JobJar {
    private JobJar() {}

    /** The job jar of the project at {@code home}; fails with how to build it when missing. */
    public static Path in(Path home) throws IOException {
        Path target = home.resolve("target");
        if (Files.isDirectory(target)) {
            try (Stream<Path> files = Files.list(target)) {
                var jar =
                        files.filter(
                                        p -> {
                                            String n = p.getFileName().toString();
                                            return n.startsWith("perpetua-")
                                                    && n.endsWith(".jar")
                                                    && !n.endsWith("-tests.jar");
                                        })
                                .findFirst();
                if (jar.isPresent()) {
                    return jar.get();
                }
            }
        }
        throw new IllegalStateException(
                "no job jar in " + target + ": build it with `mvn -B -DskipTests package`");
    }
}
