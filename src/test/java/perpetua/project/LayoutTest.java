package perpetua.project;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
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

/**
 * The project's shape: operators never depend on jobs, packages import only down their layers and
 * never in a circle, and the README tells the truth.
 */
class LayoutTest {
    /**
     * The packages of each source root from the top down: a package may import the packages below
     * it, never one above. Jobs stand above operators, and the generated schemas below all. Every
     * package of a source root has its place.
     */
    static final List<String> JOBS_LAYERS =
            List.of(
                    "perpetua.cli",
                    "perpetua.dashboard",
                    "perpetua.cluster",
                    "perpetua.replay",
                    "perpetua.job",
                    "perpetua.scoring",
                    "perpetua.runtime");

    static final List<String> OPERATORS_LAYERS =
            List.of(
                    "perpetua.learner",
                    "perpetua.ingest",
                    "perpetua.spec",
                    "perpetua.drift",
                    "perpetua.metrics",
                    "perpetua.model",
                    "perpetua.catalog",
                    "perpetua.features",
                    "perpetua.wire");

    private static JavaClasses mainClasses() {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("perpetua");
    }

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
    void layersNameEveryPackageOfTheirSourceRootOnce() throws IOException {
        assertThat(packagesUnder("jobs")).containsExactlyInAnyOrderElementsOf(JOBS_LAYERS);
        assertThat(packagesUnder("operators"))
                .containsExactlyInAnyOrderElementsOf(OPERATORS_LAYERS);
        List<String> all = new ArrayList<>(JOBS_LAYERS);
        all.addAll(OPERATORS_LAYERS);
        assertThat(all).doesNotHaveDuplicates();
    }

    @Test
    void packagesDependOnEachOtherWithoutCycles() {
        slices().matching("perpetua.(*)..")
                .should()
                .beFreeOfCycles()
                .because("a circle of packages cannot be read, tested or moved one at a time")
                .check(mainClasses());
    }

    @Test
    void packagesImportOnlyDownTheirLayers() {
        List<String> layers = new ArrayList<>(JOBS_LAYERS);
        layers.addAll(OPERATORS_LAYERS);
        layers.add("perpetua.schemas");
        JavaClasses classes = mainClasses();
        for (int i = 1; i < layers.size(); i++) {
            noClasses()
                    .that()
                    .resideInAPackage(layers.get(i) + "..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(
                            layers.subList(0, i).stream().map(p -> p + "..").toArray(String[]::new))
                    .because(layers.get(i) + " stands below " + layers.subList(0, i))
                    .check(classes);
        }
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
