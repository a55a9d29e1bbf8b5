package perpetua.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import perpetua.cli.Perpetua;

/** Runs the perpetua command line in this JVM and captures what it prints to standard output. */
public final class Cli {
    /** The exit code and standard output of one command. */
    public record Run(int exitCode, String out) {}

    private Cli() {}

    public static Run perpetua(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            int code = Perpetua.commandLine().execute(args);
            System.out.flush();
            return new Run(code, bytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }
}
