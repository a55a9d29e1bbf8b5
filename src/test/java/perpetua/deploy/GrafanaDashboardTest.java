package perpetua.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Grafana dashboard read without a running job: its queries are PromQL over Flink reporter
 * metrics, on the provisioned datasource, and cover what an operator of Perpetua watches. That the
 * metrics exist is {@link MonitoringStackITCase}'s part.
 */
class GrafanaDashboardTest {

    @Test
    void everyQueryIsPromQlOverFlinkMetricsOnTheProvisionedDatasource() throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.read(DeployFiles.DASHBOARD);
        String uid =
                MonitoringFiles.datasourceUid(
                        DeployFiles.yaml(
                                DeployFiles.GRAFANA_DATASOURCES.resolve("prometheus.yml")));

        assertThat(dashboard.queries()).hasSizeGreaterThan(10);
        assertThat(dashboard.staticProblems(uid)).isEmpty();
    }

    @Test
    void coversThroughputLagQualityVersionDeadLettersHealthDriftAndCheckpoints() throws Exception {
        Set<String> names = GrafanaDashboard.read(DeployFiles.DASHBOARD).metricNames();
        String model = "flink_taskmanager_job_task_operator_model_";

        assertThat(names)
                .contains(
                        model + "predictions",
                        model + "accuracy",
                        model + "auc",
                        model + "rmse",
                        model + "modelVersion",
                        model + "unhealthyBatches",
                        model + "drifts",
                        "flink_taskmanager_job_task_operator_deadLetters",
                        "flink_taskmanager_job_task_operator_pendingRecords",
                        "flink_jobmanager_job_lastCheckpointDuration",
                        "flink_jobmanager_job_lastCheckpointSize");
    }

    @Test
    void readsSelectorsMatchersAndGroupingOfAQuery() {
        PromQl.Parsed p =
                PromQl.parse(
                        "sum by (model, job_name) (rate(flink_a{operator_name=\"x y\", model=~\"a|b\"}[1m]))"
                                + " / on (model) max without (tm_id) (flink_b)");

        assertThat(p.selectors())
                .containsExactly(
                        new PromQl.Selector(
                                "flink_a",
                                List.of(
                                        new PromQl.Matcher("operator_name", "=", "x y"),
                                        new PromQl.Matcher("model", "=~", "a|b"))),
                        new PromQl.Selector("flink_b", List.of()));
        assertThat(p.groupingLabels()).containsExactlyInAnyOrder("model", "job_name", "tm_id");
        assertThat(p.unknown()).isEmpty();
    }

    private static final String SCRAPE =
            """
            # TYPE flink_taskmanager_job_task_operator_model_accuracy gauge
            flink_taskmanager_job_task_operator_model_accuracy{model="alpha",operator_name="learner",subtask_index="0",} 0.91
            flink_taskmanager_job_task_operator_numRecordsIn{operator_name="decode_and_validate",subtask_index="0",} 6001.0
            flink_jobmanager_job_lastCheckpointDuration{job_name="perpetua_online_learning",} 657.0
            """;

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "max by (model) (flink_taskmanager_job_task_operator_model_accuracy{model=~\"$model\"})"
                        + " | {{model}} | ",
                "sum(rate(flink_taskmanager_job_task_operator_numRecordsIn{operator_name=\"decode_and_validate\"}[$__rate_interval]))"
                        + " | read | ",
                "max by (job_name) (flink_jobmanager_job_lastCheckpointDuration) | {{job_name}} | ",
                "max by (model) (flink_taskmanager_job_task_operator_model_acuracy) | {{model}}"
                        + " | no series flink_taskmanager_job_task_operator_model_acuracy",
                "sum(rate(flink_taskmanager_job_task_operator_numRecordsIn{operator_name=\"decode and validate\"}[1m]))"
                        + " | read | no series flink_taskmanager_job_task_operator_numRecordsIn",
                "max by (modle) (flink_taskmanager_job_task_operator_model_accuracy) | x"
                        + " | flink_taskmanager_job_task_operator_model_accuracy has no label modle",
                "max by (model) (flink_taskmanager_job_task_operator_model_accuracy) | {{job_name}}"
                        + " | legend label job_name is aggregated away",
            })
    void aQueryIsCheckedAgainstAScrape(String expr, String legend, String expected)
            throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.parse(dashboardWith(expr, legend));

        List<String> problems = dashboard.scrapeProblems(PrometheusScrape.parse(SCRAPE));

        if (expected == null) {
            assertThat(problems).isEmpty();
        } else {
            assertThat(problems).singleElement().asString().contains(expected);
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "rat(flink_a[1m]) | 'rat' is not PromQL",
                "max(flink_a{model=~\"$modl\"}) | $modl is no variable of the dashboard",
                "max(kafka_consumer_lag) | kafka_consumer_lag is not a metric of Flink's reporter",
                "sum(rate([1m])) | selects no metric",
            })
    void aQueryThatIsNotPromQlOverFlinkMetricsIsCaught(String expr, String expected)
            throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.parse(dashboardWith(expr, ""));

        assertThat(dashboard.staticProblems("ds")).singleElement().asString().contains(expected);
    }

    @Test
    void aPanelOnAnotherDatasourceIsCaught() throws Exception {
        GrafanaDashboard dashboard = GrafanaDashboard.parse(dashboardWith("max(flink_a)", ""));

        assertThat(dashboard.staticProblems("perpetua-prometheus"))
                .isNotEmpty()
                .allSatisfy(
                        p -> assertThat(p).contains("is not the provisioned perpetua-prometheus"));
    }

    /** A one-panel dashboard on datasource "ds" with a $model variable. */
    private static String dashboardWith(String expr, String legend) {
        String quoted = expr.replace("\\", "\\\\").replace("\"", "\\\"");
        return """
                {"panels": [{"id": 1, "type": "timeseries", "title": "p",
                  "datasource": {"type": "prometheus", "uid": "ds"},
                  "targets": [{"refId": "A", "datasource": {"uid": "ds"}, "expr": "%s", "legendFormat": "%s"}]}],
                 "templating": {"list": [{"name": "model", "datasource": {"uid": "ds"},
                  "query": {"query": "label_values(flink_taskmanager_job_task_operator_model_accuracy, model)"}}]}}
                """
                .formatted(quoted, legend);
    }
}
