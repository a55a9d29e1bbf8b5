package perpetua.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** Prometheus scrapes the compose Flink services; Grafana reads the compose Prometheus. */
class MonitoringFilesTest {

    @Test
    void prometheusScrapesTheJobManagerAndEveryTaskManagerOnTheReportersPort() throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);
        Configuration flink = DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR);

        assertThat(MonitoringFiles.reporterPort(flink)).isEqualTo(9249);
        assertThat(
                        MonitoringFiles.prometheusProblems(
                                DeployFiles.yaml(DeployFiles.PROMETHEUS), compose, flink))
                .isEmpty();
    }

    @Test
    void aScrapeOfAnotherPortOrHostIsCaught() throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);
        Configuration flink = DeployFiles.flinkConfig(DeployFiles.FLINK_CONFIG_DIR);
        String original = Files.readString(DeployFiles.PROMETHEUS);

        Map<String, Object> otherPort =
                DeployFiles.yaml(original.replace("jobmanager:9249", "jobmanager:9250"));
        Map<String, Object> otherHost =
                DeployFiles.yaml(
                        original.replace("names: [\"taskmanager\"]", "names: [\"flink-tm\"]"));

        assertThat(MonitoringFiles.prometheusProblems(otherPort, compose, flink))
                .singleElement()
                .asString()
                .contains("jobmanager:9250 is not the reporter's port 9249");
        assertThat(MonitoringFiles.prometheusProblems(otherHost, compose, flink))
                .containsExactlyInAnyOrder(
                        "flink-taskmanager: flink-tm is no compose service",
                        "nothing scrapes taskmanager");
    }

    @Test
    void grafanaReadsTheComposePrometheusAndTheMountedDashboards() throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);

        assertThat(
                        MonitoringFiles.datasourceProblems(
                                DeployFiles.yaml(
                                        DeployFiles.GRAFANA_DATASOURCES.resolve("prometheus.yml")),
                                compose))
                .isEmpty();
        assertThat(
                        MonitoringFiles.providerProblems(
                                DeployFiles.yaml(
                                        DeployFiles.GRAFANA_PROVIDERS.resolve("perpetua.yml")),
                                compose))
                .isEmpty();
    }

    @Test
    void aDatasourceOrProviderThatMissesTheComposeServicesIsCaught() throws Exception {
        ComposeFile compose = ComposeFile.read(DeployFiles.COMPOSE, DeployFiles.ROOT);
        String datasource =
                Files.readString(DeployFiles.GRAFANA_DATASOURCES.resolve("prometheus.yml"));
        String provider = Files.readString(DeployFiles.GRAFANA_PROVIDERS.resolve("perpetua.yml"));

        assertThat(
                        MonitoringFiles.datasourceProblems(
                                DeployFiles.yaml(
                                        datasource.replace("prometheus:9090", "prometheus:9091")),
                                compose))
                .singleElement()
                .asString()
                .contains("does not serve port 9091");
        assertThat(
                        MonitoringFiles.datasourceProblems(
                                DeployFiles.yaml(
                                        datasource.replace("prometheus:9090", "prom:9090")),
                                compose))
                .singleElement()
                .asString()
                .contains("names no compose service");
        assertThat(
                        MonitoringFiles.providerProblems(
                                DeployFiles.yaml(
                                        provider.replace(
                                                "path: /etc/grafana/dashboards",
                                                "path: /var/lib/grafana/dashboards")),
                                compose))
                .singleElement()
                .asString()
                .contains("reads /var/lib/grafana/dashboards");
    }
}
