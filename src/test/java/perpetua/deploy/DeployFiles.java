package perpetua.deploy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The deployment files of the repository, and the readers the checks share. */
final class DeployFiles {
    /** The repository root: Maven runs the tests there. */
    static final Path ROOT = Path.of("").toAbsolutePath();

    static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
    static final Path FLINK_CONFIG_DIR = ROOT.resolve("deploy/flink");
    static final Path PROMETHEUS = ROOT.resolve("deploy/prometheus/prometheus.yml");
    static final Path GRAFANA_DATASOURCES = ROOT.resolve("deploy/grafana/provisioning/datasources");
    static final Path GRAFANA_PROVIDERS = ROOT.resolve("deploy/grafana/provisioning/dashboards");
    static final Path DASHBOARD = ROOT.resolve("deploy/grafana/dashboards/perpetua.json");
    static final Path KUBERNETES = ROOT.resolve("deploy/kubernetes");
    static final Path CREATE_TOPICS = ROOT.resolve("deploy/kafka/create-topics.sh");

    private DeployFiles() {}

    /** One YAML document, loaded with safe types only (maps, lists, scalars). */
    static Map<String, Object> yaml(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file)) {
            Object doc = yaml().load(in);
            if (!(doc instanceof Map<?, ?>)) {
                throw new IllegalArgumentException(file + " is not a YAML mapping");
            }
            return cast(doc);
        }
    }

    /** One YAML document from text. */
    static Map<String, Object> yaml(String text) {
        Object doc = yaml().load(text);
        if (!(doc instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("not a YAML mapping");
        }
        return cast(doc);
    }

    /** Every document of a multi-document YAML file. */
    static List<Map<String, Object>> yamlDocuments(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(file)) {
            for (Object doc : yaml().loadAll(in)) {
                if (doc != null) {
                    out.add(cast(doc));
                }
            }
        }
        return out;
    }

    /** A Flink configuration directory's {@code config.yaml} as Flink itself loads it. */
    static Configuration flinkConfig(Path dir) {
        return GlobalConfiguration.loadConfiguration(dir.toString());
    }

    @SuppressWarnings("unchecked")
    static <T> T cast(Object o) {
        return (T) o;
    }

    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new Yaml(new SafeConstructor(options));
    }
}
