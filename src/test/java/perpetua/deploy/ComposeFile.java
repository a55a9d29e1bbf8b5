package perpetua.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A docker-compose file read the way Compose reads it (variables resolved to their defaults), and
 * the checks a file that no Docker engine here can run must pass.
 *
 * <p>{@link #problems()} reports: a key the Compose specification lacks; a service without a pinned
 * image or a buildable, pinned Dockerfile; a published port not bound to 127.0.0.1, or published
 * twice; a dependency on a missing service, an unknown condition, {@code service_healthy} on a
 * service without a health check, {@code service_completed_successfully} on one that restarts; a
 * malformed health check; a bind mount of a path that is missing or outside the repository; an
 * undeclared named volume; a variable without a default.
 */
final class ComposeFile {
    /** The keys of the Compose specification: top level, service, health check. */
    static final Set<String> TOP_LEVEL_KEYS =
            Set.of(
                    "version",
                    "name",
                    "include",
                    "services",
                    "networks",
                    "volumes",
                    "configs",
                    "secrets");

    static final Set<String> SERVICE_KEYS =
            Set.of(
                    "annotations",
                    "attach",
                    "build",
                    "blkio_config",
                    "cap_add",
                    "cap_drop",
                    "cgroup",
                    "cgroup_parent",
                    "command",
                    "configs",
                    "container_name",
                    "cpu_count",
                    "cpu_percent",
                    "cpu_shares",
                    "cpu_quota",
                    "cpu_period",
                    "cpu_rt_period",
                    "cpu_rt_runtime",
                    "cpus",
                    "cpuset",
                    "credential_spec",
                    "depends_on",
                    "deploy",
                    "develop",
                    "device_cgroup_rules",
                    "devices",
                    "dns",
                    "dns_opt",
                    "dns_search",
                    "domainname",
                    "entrypoint",
                    "env_file",
                    "environment",
                    "expose",
                    "extends",
                    "external_links",
                    "extra_hosts",
                    "group_add",
                    "healthcheck",
                    "hostname",
                    "image",
                    "init",
                    "ipc",
                    "isolation",
                    "labels",
                    "links",
                    "logging",
                    "mac_address",
                    "mem_limit",
                    "mem_reservation",
                    "mem_swappiness",
                    "memswap_limit",
                    "network_mode",
                    "networks",
                    "oom_kill_disable",
                    "oom_score_adj",
                    "pid",
                    "pids_limit",
                    "platform",
                    "ports",
                    "privileged",
                    "profiles",
                    "pull_policy",
                    "read_only",
                    "restart",
                    "runtime",
                    "scale",
                    "secrets",
                    "security_opt",
                    "shm_size",
                    "stdin_open",
                    "stop_grace_period",
                    "stop_signal",
                    "storage_opt",
                    "sysctls",
                    "tmpfs",
                    "tty",
                    "ulimits",
                    "user",
                    "userns_mode",
                    "uts",
                    "volumes",
                    "volumes_from",
                    "working_dir");

    static final Set<String> HEALTHCHECK_KEYS =
            Set.of(
                    "test",
                    "interval",
                    "timeout",
                    "retries",
                    "start_period",
                    "start_interval",
                    "disable");

    private static final Set<String> CONDITIONS =
            Set.of("service_started", "service_healthy", "service_completed_successfully");
    private static final Pattern DURATION = Pattern.compile("(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+");
    private static final Pattern VARIABLE =
            Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");
    static final String LOCALHOST = "127.0.0.1";

    /** The job as the compose file starts it: its service, main class and arguments. */
    record JobCommand(String service, String mainClass, List<String> args) {}

    /** A published port: host address, host port, container port. */
    record Port(String hostIp, String published, String target) {}

    private final Path base;
    private final Path root;
    private final Map<String, Object> doc;
    private final List<String> variableProblems = new ArrayList<>();

    private ComposeFile(Path base, Path root, Map<String, Object> raw) {
        this.base = base.toAbsolutePath().normalize();
        this.root = root.toAbsolutePath().normalize();
        this.doc = DeployFiles.cast(interpolate(raw));
    }

    /**
     * Reads {@code file}, which lies in the repository at {@code root}: relative paths resolve
     * against its directory, and bind mounts and build contexts must lie inside {@code root}.
     */
    static ComposeFile read(Path file, Path root) throws IOException {
        return new ComposeFile(file.toAbsolutePath().getParent(), root, DeployFiles.yaml(file));
    }

    /** A compose file's text, whose relative paths resolve against {@code base}. */
    static ComposeFile parse(String text, Path base, Path root) {
        return new ComposeFile(base, root, DeployFiles.yaml(text));
    }

    /** The services by name, in file order. */
    Map<String, Map<String, Object>> services() {
        Object services = doc.get("services");
        if (!(services instanceof Map<?, ?> m)) {
            return Map.of();
        }
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        m.forEach(
                (k, v) ->
                        out.put(
                                (String) k,
                                v instanceof Map<?, ?> s ? DeployFiles.cast(s) : Map.of()));
        return out;
    }

    /** Every problem, one line each, naming the service. */
    List<String> problems() throws IOException {
        List<String> out = new ArrayList<>(variableProblems);
        Map<String, Map<String, Object>> services = services();
        if (services.isEmpty()) {
            out.add("no services");
        }
        if (doc.containsKey("version")) {
            out.add("'version' is obsolete in the Compose specification");
        }
        for (String key : doc.keySet()) {
            if (!TOP_LEVEL_KEYS.contains(key) && !key.startsWith("x-")) {
                out.add("unknown top-level key " + key);
            }
        }
        Map<String, String> published = new HashMap<>();
        for (Map.Entry<String, Map<String, Object>> e : services.entrySet()) {
            String name = e.getKey();
            Map<String, Object> s = e.getValue();
            for (String key : s.keySet()) {
                if (!SERVICE_KEYS.contains(key) && !key.startsWith("x-")) {
                    out.add(name + ": unknown key " + key);
                }
            }
            out.addAll(imageProblems(name, s));
            for (Port p : ports(name, s, out)) {
                if (!LOCALHOST.equals(p.hostIp())) {
                    out.add(name + ": port " + p.published() + " is not bound to " + LOCALHOST);
                }
                String other = published.put(p.hostIp() + ":" + p.published(), name);
                if (other != null) {
                    out.add(
                            name
                                    + ": host port "
                                    + p.published()
                                    + " already published by "
                                    + other);
                }
            }
            out.addAll(dependencyProblems(name, s, services));
            out.addAll(healthcheckProblems(name, s));
            out.addAll(volumeProblems(name, s));
        }
        return out;
    }

    /** The service that runs the job: its command names the main class with --job-classname. */
    Optional<JobCommand> jobCommand() {
        for (Map.Entry<String, Map<String, Object>> e : services().entrySet()) {
            if (e.getValue().get("command") instanceof List<?> command) {
                List<String> words = command.stream().map(String::valueOf).toList();
                int at = words.indexOf("--job-classname");
                if (at >= 0 && at + 1 < words.size()) {
                    return Optional.of(
                            new JobCommand(
                                    e.getKey(),
                                    words.get(at + 1),
                                    words.subList(at + 2, words.size())));
                }
            }
        }
        return Optional.empty();
    }

    /** The published ports of a service; malformed entries become problems. */
    List<Port> ports(String name, Map<String, Object> s, List<String> problems) {
        List<Port> out = new ArrayList<>();
        if (!(s.get("ports") instanceof List<?> ports)) {
            return out;
        }
        for (Object entry : ports) {
            if (entry instanceof Map<?, ?> m) {
                Object published = m.get("published");
                if (published == null) {
                    problems.add(name + ": port " + m.get("target") + " has no published port");
                    continue;
                }
                out.add(
                        new Port(
                                String.valueOf(m.get("host_ip")),
                                String.valueOf(published),
                                String.valueOf(m.get("target"))));
                continue;
            }
            String spec = String.valueOf(entry).replaceAll("/(tcp|udp)$", "");
            String[] parts = spec.split(":");
            switch (parts.length) {
                case 3 -> out.add(new Port(parts[0], parts[1], parts[2]));
                case 2 -> out.add(new Port("0.0.0.0", parts[0], parts[1]));
                default ->
                        problems.add(name + ": port '" + entry + "' publishes on every interface");
            }
        }
        return out;
    }

    private List<String> imageProblems(String name, Map<String, Object> s) throws IOException {
        List<String> out = new ArrayList<>();
        Object image = s.get("image");
        Object build = s.get("build");
        if (image == null && build == null) {
            out.add(name + ": neither image nor build");
        }
        if (image != null && !ImageRefs.pinned(String.valueOf(image))) {
            out.add(name + ": image " + image + " is not pinned to a version");
        }
        if (build != null) {
            String context = ".";
            String dockerfile = "Dockerfile";
            if (build instanceof Map<?, ?> b) {
                context = String.valueOf(b.containsKey("context") ? b.get("context") : ".");
                if (b.containsKey("dockerfile")) {
                    dockerfile = String.valueOf(b.get("dockerfile"));
                }
            } else {
                context = String.valueOf(build);
            }
            Path contextDir = inRepository(name, "build context", context, out);
            if (contextDir != null) {
                Path df = contextDir.resolve(dockerfile).normalize();
                if (!Files.isRegularFile(df)) {
                    out.add(name + ": Dockerfile " + dockerfile + " is missing");
                } else {
                    ImageRefs.dockerfileProblems(df, contextDir)
                            .forEach(p -> out.add(name + ": " + p));
                }
            }
        }
        return out;
    }

    private List<String> dependencyProblems(
            String name, Map<String, Object> s, Map<String, Map<String, Object>> services) {
        List<String> out = new ArrayList<>();
        Map<String, String> conditions = new LinkedHashMap<>();
        Object dependsOn = s.get("depends_on");
        if (dependsOn instanceof List<?> l) {
            l.forEach(d -> conditions.put(String.valueOf(d), "service_started"));
        } else if (dependsOn instanceof Map<?, ?> m) {
            m.forEach(
                    (k, v) ->
                            conditions.put(
                                    String.valueOf(k),
                                    v instanceof Map<?, ?> c && c.get("condition") != null
                                            ? String.valueOf(c.get("condition"))
                                            : "service_started"));
        }
        for (Map.Entry<String, String> d : conditions.entrySet()) {
            Map<String, Object> target = services.get(d.getKey());
            if (target == null) {
                out.add(name + ": depends on " + d.getKey() + ", which is no service");
                continue;
            }
            String condition = d.getValue();
            if (!CONDITIONS.contains(condition)) {
                out.add(name + ": unknown condition " + condition + " on " + d.getKey());
            } else if (condition.equals("service_healthy") && !hasHealthcheck(target)) {
                out.add(
                        name
                                + ": waits for "
                                + d.getKey()
                                + " to be healthy, which has no health check");
            } else if (condition.equals("service_completed_successfully")) {
                Object restart = target.get("restart");
                if (restart != null && !String.valueOf(restart).equals("no")) {
                    out.add(
                            name
                                    + ": waits for "
                                    + d.getKey()
                                    + " to complete, which restarts ("
                                    + restart
                                    + ")");
                }
            }
        }
        return out;
    }

    private static boolean hasHealthcheck(Map<String, Object> s) {
        if (!(s.get("healthcheck") instanceof Map<?, ?> h)) {
            return false;
        }
        if (Boolean.TRUE.equals(h.get("disable"))) {
            return false;
        }
        return !(h.get("test") instanceof List<?> t && !t.isEmpty() && "NONE".equals(t.get(0)));
    }

    private static List<String> healthcheckProblems(String name, Map<String, Object> s) {
        List<String> out = new ArrayList<>();
        Object healthcheck = s.get("healthcheck");
        if (healthcheck == null) {
            return out;
        }
        if (!(healthcheck instanceof Map<?, ?> h)) {
            out.add(name + ": healthcheck is not a mapping");
            return out;
        }
        for (Object key : h.keySet()) {
            if (!HEALTHCHECK_KEYS.contains(String.valueOf(key))) {
                out.add(name + ": unknown healthcheck key " + key);
            }
        }
        Object test = h.get("test");
        if (test instanceof List<?> t) {
            String kind = t.isEmpty() ? "" : String.valueOf(t.get(0));
            List<String> rest =
                    t.stream().skip(1).map(String::valueOf).filter(x -> !x.isBlank()).toList();
            switch (kind) {
                case "CMD" -> {
                    if (rest.isEmpty()) {
                        out.add(name + ": healthcheck CMD without a command");
                    }
                }
                case "CMD-SHELL" -> {
                    if (rest.size() != 1) {
                        out.add(name + ": healthcheck CMD-SHELL takes one command string");
                    }
                }
                case "NONE" -> {}
                default ->
                        out.add(name + ": healthcheck test must start with CMD, CMD-SHELL or NONE");
            }
        } else if (!(test instanceof String str && !str.isBlank())
                && !Boolean.TRUE.equals(h.get("disable"))) {
            out.add(name + ": healthcheck without a test");
        }
        for (String key : List.of("interval", "timeout", "start_period", "start_interval")) {
            Object v = h.get(key);
            if (v != null && !DURATION.matcher(String.valueOf(v)).matches()) {
                out.add(name + ": healthcheck " + key + " '" + v + "' is not a duration");
            }
        }
        Object retries = h.get("retries");
        if (retries != null && !(retries instanceof Integer r && r >= 1)) {
            out.add(name + ": healthcheck retries '" + retries + "' is not a positive number");
        }
        return out;
    }

    private List<String> volumeProblems(String name, Map<String, Object> s) {
        List<String> out = new ArrayList<>();
        if (!(s.get("volumes") instanceof List<?> volumes)) {
            return out;
        }
        Map<?, ?> declared = doc.get("volumes") instanceof Map<?, ?> m ? m : Map.of();
        for (Object v : volumes) {
            String source;
            boolean bind;
            if (v instanceof Map<?, ?> m) {
                source = String.valueOf(m.get("source"));
                bind = "bind".equals(m.get("type"));
            } else {
                String[] parts = String.valueOf(v).split(":");
                if (parts.length < 2) {
                    continue; // an anonymous volume
                }
                source = parts[0];
                bind = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
            }
            if (bind) {
                Path host = inRepository(name, "bind mount", source, out);
                if (host != null && !Files.exists(host)) {
                    out.add(name + ": bind mount " + source + " does not exist in the repository");
                }
            } else if (!declared.containsKey(source)) {
                out.add(name + ": volume " + source + " is not declared under volumes");
            }
        }
        return out;
    }

    /** Resolves a path of the file against its directory; null (and a problem) if outside root. */
    private Path inRepository(String service, String what, String path, List<String> out) {
        if (path.startsWith("/") || path.startsWith("~")) {
            out.add(service + ": " + what + " " + path + " is outside the repository");
            return null;
        }
        Path resolved = base.resolve(path).normalize();
        if (!resolved.startsWith(root)) {
            out.add(service + ": " + what + " " + path + " is outside the repository");
            return null;
        }
        return resolved;
    }

    /** Replaces ${VAR:-default} and ${VAR-default} by the default, as with VAR unset. */
    private Object interpolate(Object node) {
        if (node instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, interpolate(v)));
            return out;
        }
        if (node instanceof List<?> l) {
            return l.stream().map(this::interpolate).toList();
        }
        if (node instanceof String str && str.contains("$")) {
            Matcher m = VARIABLE.matcher(str);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String replacement;
                if (m.group().equals("$$")) {
                    replacement = "$";
                } else if (m.group(2) != null && m.group(2).endsWith("-")) {
                    replacement = m.group(3);
                } else {
                    variableProblems.add("${" + m.group(1) + "} has no default");
                    replacement = "";
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(sb);
            return sb.toString();
        }
        return node;
    }
}
