package perpetua.deploy;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;

/**
 * The wiring between compose, Prometheus and Grafana: Prometheus scrapes compose services on the
 * port Flink's reporter takes, Grafana's datasource is the compose Prometheus, and Grafana loads
 * dashboards from where compose mounts them.
 */
final class MonitoringFiles {
    static final String REPORTER_PORT = "metrics.reporter.prom.port";

    private MonitoringFiles() {}

    /** The first port of the reporter's port or range: the one a process alone on a host takes. */
    static int reporterPort(Configuration flink) {
        String port = flink.toMap().get(REPORTER_PORT);
        return Integer.parseInt(port.split("-")[0].strip());
    }

    /** Problems of a prometheus.yml against the compose services and the reporter's port. */
    static List<String> prometheusProblems(
            Map<String, Object> prometheus, ComposeFile compose, Configuration flink) {
        List<String> out = new ArrayList<>();
        int port = reporterPort(flink);
        List<Map<String, Object>> jobs = DeployFiles.cast(prometheus.get("scrape_configs"));
        if (jobs == null || jobs.isEmpty()) {
            out.add("no scrape_configs");
            return out;
        }
        List<String> scraped = new ArrayList<>();
        for (Map<String, Object> job : jobs) {
            String name = String.valueOf(job.get("job_name"));
            List<Map<String, Object>> statics = DeployFiles.cast(job.get("static_configs"));
            for (Map<String, Object> sc :
                    statics == null ? List.<Map<String, Object>>of() : statics) {
                for (Object target : (List<?>) sc.get("targets")) {
                    String[] hostPort = String.valueOf(target).split(":");
                    check(out, name, hostPort[0], Integer.parseInt(hostPort[1]), port, compose);
                    scraped.add(hostPort[0]);
                }
            }
            List<Map<String, Object>> dns = DeployFiles.cast(job.get("dns_sd_configs"));
            for (Map<String, Object> sd : dns == null ? List.<Map<String, Object>>of() : dns) {
                for (Object host : (List<?>) sd.get("names")) {
                    check(out, name, String.valueOf(host), (Integer) sd.get("port"), port, compose);
                    scraped.add(String.valueOf(host));
                }
            }
        }
        for (String flinkService : List.of("jobmanager", "taskmanager")) {
            if (!scraped.contains(flinkService)) {
                out.add("nothing scrapes " + flinkService);
            }
        }
        return out;
    }

    private static void check(
            List<String> out,
            String job,
            String host,
            int port,
            int reporter,
            ComposeFile compose) {
        if (!compose.services().containsKey(host)) {
            out.add(job + ": " + host + " is no compose service");
        }
        if (port != reporter) {
            out.add(job + ": " + host + ":" + port + " is not the reporter's port " + reporter);
        }
    }

    /** Problems of Grafana's datasource file: it must point at the compose Prometheus. */
    static List<String> datasourceProblems(Map<String, Object> datasources, ComposeFile compose) {
        List<String> out = new ArrayList<>();
        List<Map<String, Object>> list = DeployFiles.cast(datasources.get("datasources"));
        if (list == null || list.size() != 1) {
            out.add("expected one datasource");
            return out;
        }
        Map<String, Object> ds = list.get(0);
        if (!"prometheus".equals(ds.get("type"))) {
            out.add("datasource type " + ds.get("type") + " is not prometheus");
        }
        URI url = URI.create(String.valueOf(ds.get("url")));
        Map<String, Object> service = compose.services().get(url.getHost());
        if (service == null) {
            out.add("datasource url " + url + " names no compose service");
            return out;
        }
        List<String> none = new ArrayList<>();
        boolean listens =
                compose.ports(url.getHost(), service, none).stream()
                        .anyMatch(p -> p.target().equals(String.valueOf(url.getPort())));
        if (!listens) {
            out.add(
                    "datasource url "
                            + url
                            + ": "
                            + url.getHost()
                            + " does not serve port "
                            + url.getPort());
        }
        return out;
    }

    /** The datasource's uid, which the dashboard's panels name. */
    static String datasourceUid(Map<String, Object> datasources) {
        List<Map<String, Object>> list = DeployFiles.cast(datasources.get("datasources"));
        return String.valueOf(list.get(0).get("uid"));
    }

    /**
     * Problems of Grafana's dashboard provider: it must read where compose mounts the dashboards.
     */
    static List<String> providerProblems(Map<String, Object> providers, ComposeFile compose) {
        List<String> out = new ArrayList<>();
        List<Map<String, Object>> list = DeployFiles.cast(providers.get("providers"));
        List<?> volumes = (List<?>) compose.services().get("grafana").get("volumes");
        for (Map<String, Object> p : list) {
            Map<String, Object> options = DeployFiles.cast(p.get("options"));
            String path = String.valueOf(options.get("path"));
            boolean mounted =
                    volumes.stream()
                            .map(String::valueOf)
                            .map(v -> v.split(":"))
                            .anyMatch(
                                    v ->
                                            v[0].equals("./deploy/grafana/dashboards")
                                                    && v[1].equals(path));
            if (!mounted) {
                out.add(
                        "provider "
                                + p.get("name")
                                + " reads "
                                + path
                                + ", where compose mounts no dashboards");
            }
        }
        return out;
    }
}
