package perpetua.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * deploy/kubernetes/: a FlinkDeployment the Flink Kubernetes Operator accepts, running the Perpetua
 * image's job jar with the job's options and the settings of deploy/flink/config.yaml.
 */
class KubernetesManifestsTest {
    private static final Path MANIFEST = DeployFiles.KUBERNETES.resolve("perpetua.yaml");

    @Test
    void theFlinkDeploymentRunsTheImagesJobWithTheClustersSettings() throws Exception {
        KubernetesManifests manifests = new KubernetesManifests(allDocuments());

        assertThat(manifests.ofKind("FlinkDeployment")).hasSize(1);
        assertThat(manifests.problems(clusterConfig(), jobJar())).isEmpty();
        assertThat(manifests.claimProblems()).isEmpty();
    }

    @Test
    void itRunsTheImageThatComposeBuilds() throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);
        String built = String.valueOf(compose.services().get("jobmanager").get("image"));
        Map<?, ?> spec =
                (Map<?, ?>)
                        new KubernetesManifests(allDocuments())
                                .ofKind("FlinkDeployment")
                                .get(0)
                                .get("spec");

        assertThat(String.valueOf(spec.get("image"))).endsWith("/" + built);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "flinkVersion: v2_2 | flinkVersion: v1_20 | spec.flinkVersion v1_20 is not v2_2",
                "jarURI: local:///opt/flink/usrlib/perpetua.jar | jarURI: local:///opt/flink/lib/perpetua.jar"
                        + " | spec.job.jarURI local:///opt/flink/lib/perpetua.jar is not the image's job jar",
                "taskmanager.numberOfTaskSlots: \"2\" | taskmanager.numberOfTaskSlots: 2"
                        + " | flinkConfiguration taskmanager.numberOfTaskSlots: 2 is not a string",
                "upgradeMode: savepoint | upgradeMode: snapshot"
                        + " | spec.job.upgradeMode snapshot is none of",
                "state.backend.type: rocksdb | state.backend.type: hashmap"
                        + " | flinkConfiguration state.backend.type: hashmap but config.yaml: rocksdb",
                "parallelism: 2 | parallelism: 3"
                        + " | spec.job.args --parallelism 2 but spec.job.parallelism 3",
                "claimName: perpetua-flink-data | claimName: flink-data"
                        + " | podTemplate volume flink-data claims flink-data, which no manifest defines",
                "entryClass: perpetua.job.OnlineLearningJob | entryClass: perpetua.job.LearningJob"
                        + " | spec.job.entryClass perpetua.job.LearningJob does not exist",
                "perpetua-flink:0.1.0 | perpetua-flink:latest"
                        + " | spec.image registry.example.com/perpetua-flink:latest is not pinned",
                "  taskManager: |   taskManagers: | unknown field spec.taskManagers",
                "execution.checkpointing.savepoint-dir: | execution.checkpointing.savepoints-dir:"
                        + " | savepoint upgrades need execution.checkpointing.savepoint-dir",
                "restart-strategy.type: exponential-delay | restart-strategy.type: fixed-delay"
                        + " | flinkConfiguration restart-strategy.type: fixed-delay but config.yaml",
                "- --checkpoint-interval\\n      - 10s | - --checkpoint-interval\\n      - 30s"
                        + " | spec.job.args --checkpoint-interval 30 s but execution.checkpointing.interval",
                "memory: 3072m | memory: 4096m"
                        + " | spec.taskManager.resource.memory 4096m but taskmanager.memory.process.size",
                "[\"ReadWriteMany\"] | [\"ReadWriteOnce\"] | PersistentVolumeClaim perpetua-flink-data is not ReadWriteMany",
            })
    void aBrokenCopyIsCaught(String from, String to, String expected) throws Exception {
        String original = Files.readString(MANIFEST);
        String target = from.replace("\\n", "\n");
        assertThat(original).contains(target);
        String broken =
                original.replaceFirst(
                        Pattern.quote(target), Matcher.quoteReplacement(to.replace("\\n", "\n")));
        KubernetesManifests manifests = new KubernetesManifests(documents(broken));

        List<String> problems = new ArrayList<>(manifests.problems(clusterConfig(), jobJar()));
        problems.addAll(manifests.claimProblems());

        assertThat(problems).anySatisfy(p -> assertThat(p).contains(expected));
    }

    private static Configuration clusterConfig() {
        return DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR);
    }

    /** Where the Perpetua image puts the job jar: the Dockerfile's COPY into usrlib/. */
    private static String jobJar() throws IOException {
        return ImageRefs.copyDestinations(DeployFiles.ROOT.resolve("deploy/docker/Dockerfile"))
                .stream()
                .filter(d -> d.startsWith("/opt/flink/usrlib/") && d.endsWith(".jar"))
                .findFirst()
                .orElseThrow();
    }

    private static List<Map<String, Object>> allDocuments() throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(DeployFiles.KUBERNETES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                out.addAll(DeployFiles.yamlDocuments(f));
            }
        }
        return out;
    }

    private static List<Map<String, Object>> documents(String text) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
            out.add(DeployFiles.cast(doc));
        }
        return out;
    }
}
