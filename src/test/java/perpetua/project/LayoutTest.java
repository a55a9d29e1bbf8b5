package perpetua.project;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import perpetua.job.JobOptions;

/** The project's shape: operators never depend on jobs, and the README tells the truth. */
class LayoutTest {
    private static final Pattern PACKAGE =
            Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);

    private static List<Path> javaFiles(String root) throws IOException {
        try (Stream<Path> files = Files.walk(Path.of(root))) {
            return files.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    private static Set<String> packagesUnder(String root) throws IOException {
        Set<String> out = new TreeSet<>();
        for (Path f : javaFiles(root)) {
            Matcher m = PACKAGE.matcher(Files.readString(f));
            if (m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    @Test
    void operatorsNeverImportJobs() throws IOException {
        Set<String> jobPackages = packagesUnder("jobs");
        Set<String> operatorPackages = packagesUnder("operators");
        assertThat(jobPackages).isNotEmpty().doesNotContainAnyElementsOf(operatorPackages);
        List<String> violations = new ArrayList<>();
        for (Path f : javaFiles("operators")) {
            String source = Files.readString(f);
            for (String pkg : jobPackages) {
                if (source.contains("import " + pkg + ".") || source.contains(" " + pkg + ".")) {
                    violations.add(f + " uses " + pkg);
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void readmeOptionTableIsGeneratedFromTheOptionDefinitions() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String begin = "<!-- options:begin -->\n";
        String end = "<!-- options:end -->";
        int from = readme.indexOf(begin);
        int to = readme.indexOf(end);
        assertThat(from).as("README has the options markers").isNotNegative();
        assertThat(readme.substring(from + begin.length(), to))
                .as("README's option table; refresh it with ./perpetua options")
                .isEqualTo(JobOptions.markdownTable());
    }
}
