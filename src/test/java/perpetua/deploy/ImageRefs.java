package perpetua.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Image references and Dockerfiles: what is pinned, what a build copies from its context. */
final class ImageRefs {
    private static final java.util.regex.Pattern FULL_VERSION =
            java.util.regex.Pattern.compile("^v?\\d+\\.\\d+\\.\\d+");

    private ImageRefs() {}

    /**
     * Whether an image reference names one fixed release: a digest, or a tag with a full version
     * ({@code 4.2.0}, {@code v3.5.0}, {@code 2.2.1-scala_2.12-java17}); {@code latest} or {@code
     * 2.2} move. A registry port ({@code host:5000/name}) is no tag.
     */
    static boolean pinned(String image) {
        if (image.contains("@sha256:")) {
            return true;
        }
        String last = image.substring(image.lastIndexOf('/') + 1);
        int colon = last.indexOf(':');
        if (colon < 0) {
            return false;
        }
        String tag = last.substring(colon + 1);
        return FULL_VERSION.matcher(tag).find();
    }

    /**
     * Every problem of a Dockerfile built with {@code context}: unpinned bases, missing sources.
     */
    static List<String> dockerfileProblems(Path dockerfile, Path context) throws IOException {
        List<String> out = new ArrayList<>();
        String name = context.relativize(dockerfile).toString();
        Set<String> stages = new HashSet<>();
        List<String> ignored = dockerignore(context);
        int froms = 0;
        for (String line : instructions(dockerfile)) {
            String[] words = line.split("\\s+");
            String instruction = words[0].toUpperCase(Locale.ROOT);
            if (instruction.equals("FROM")) {
                froms++;
                List<String> args = withoutFlags(words);
                String base = args.get(0);
                if (!stages.contains(base) && !base.equals("scratch") && !pinned(base)) {
                    out.add(name + ": FROM " + base + " is not pinned to a version");
                }
                if (args.size() >= 3 && args.get(1).equalsIgnoreCase("AS")) {
                    stages.add(args.get(2));
                }
            } else if ((instruction.equals("COPY") || instruction.equals("ADD"))
                    && !line.contains("--from=")) {
                List<String> args = withoutFlags(words);
                for (String source : args.subList(0, args.size() - 1)) {
                    String path = source.replaceAll("/+$", "");
                    if (!Files.exists(context.resolve(path))) {
                        out.add(name + ": " + instruction + " source " + source + " is missing");
                    }
                    for (String pattern : ignored) {
                        if (path.equals(pattern) || path.startsWith(pattern + "/")) {
                            out.add(
                                    name
                                            + ": "
                                            + instruction
                                            + " source "
                                            + source
                                            + " is excluded by .dockerignore");
                        }
                    }
                }
            }
        }
        if (froms == 0) {
            out.add(name + ": no FROM");
        }
        return out;
    }

    /** The destinations of the Dockerfile's COPY instructions, in order. */
    static List<String> copyDestinations(Path dockerfile) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : instructions(dockerfile)) {
            String[] words = line.split("\\s+");
            if (words[0].equalsIgnoreCase("COPY")) {
                out.add(words[words.length - 1]);
            }
        }
        return out;
    }

    /** The Dockerfile's instructions, continuation lines joined and comments dropped. */
    static List<String> instructions(Path dockerfile) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : Files.readAllLines(dockerfile)) {
            String line = raw.strip();
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            out.add(current.append(line).toString().strip());
            current.setLength(0);
        }
        return out;
    }

    private static List<String> withoutFlags(String[] words) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i < words.length; i++) {
            if (!words[i].startsWith("--")) {
                out.add(words[i]);
            }
        }
        return out;
    }

    /** The plain path patterns of the context's .dockerignore (wildcard patterns left out). */
    private static List<String> dockerignore(Path context) throws IOException {
        Path file = context.resolve(".dockerignore");
        List<String> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (!line.isEmpty() && !line.startsWith("#") && !line.contains("*")) {
                out.add(line.replaceAll("/+$", ""));
            }
        }
        return out;
    }
}
