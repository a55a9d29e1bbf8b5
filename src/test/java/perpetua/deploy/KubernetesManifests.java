package perpetua.deploy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.util.EnvironmentInformation;
import perpetua.job.JobOptions;
import perpetua.job.RuntimeOptions;

/**
 * The Kubernetes manifests: a {@code FlinkDeployment} for the Flink Kubernetes Operator and what it
 * mounts, checked against the operator's resource fields, Flink's options, the job's options, the
 * Perpetua image and deploy/flink/config.yaml.
 */
final class KubernetesManifests {
    /** The fields of a FlinkDeployment's spec, of its job, of a JobManager or TaskManager spec. */
    static final Set<String> SPEC_FIELDS =
            Set.of(
                    "image",
                    "imagePullPolicy",
                    "serviceAccount",
                    "flinkVersion",
                    "ingress",
                    "podTemplate",
                    "jobManager",
                    "taskManager",
                    "logConfiguration",
                    "mode",
                    "job",
                    "flinkConfiguration",
                    "restartNonce");

    static final Set<String> JOB_FIELDS =
            Set.of(
                    "jarURI",
                    "parallelism",
                    "entryClass",
                    "args",
                    "state",
                    "savepointTriggerNonce",
                    "initialSavepointPath",
                    "checkpointTriggerNonce",
                    "upgradeMode",
                    "allowNonRestoredState",
                    "savepointRedeployNonce",
                    "autoscalerResetNonce");
    static final Set<String> PROCESS_FIELDS = Set.of("resource", "replicas", "podTemplate");
    static final Set<String> RESOURCE_FIELDS = Set.of("cpu", "memory", "ephemeralStorage");

    /**
     * Keys of config.yaml the operator sets by itself: the REST port, the process sizes (from the
     * resources), the default parallelism (from the job's), the reporter's port (one process per
     * pod).
     */
    static final Set<String> OPERATOR_OWNED =
            Set.of(
                    "rest.port",
                    CoreOptions.DEFAULT_PARALLELISM.key(),
                    JobManagerOptions.TOTAL_PROCESS_MEMORY.key(),
                    TaskManagerOptions.TOTAL_PROCESS_MEMORY.key(),
                    MonitoringFiles.REPORTER_PORT);

    private final List<Map<String, Object>> documents;

    KubernetesManifests(List<Map<String, Object>> documents) {
        this.documents = documents;
    }

    /** The documents of the given kind. */
    List<Map<String, Object>> ofKind(String kind) {
        return documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    /**
     * Every problem of the FlinkDeployments.
     *
     * @param clusterConfig deploy/flink/config.yaml, whose settings the deployment must repeat
     * @param jobJar where the Perpetua image puts the job jar
     */
    List<String> problems(Configuration clusterConfig, String jobJar) {
        List<String> out = new ArrayList<>();
        List<Map<String, Object>> deployments = ofKind("FlinkDeployment");
        if (deployments.isEmpty()) {
            out.add("no FlinkDeployment");
        }
        for (Map<String, Object> d : deployments) {
            out.addAll(deploymentProblems(d, clusterConfig, jobJar));
        }
        return out;
    }

    private List<String> deploymentProblems(
            Map<String, Object> d, Configuration clusterConfig, String jobJar) {
        List<String> out = new ArrayList<>();
        if (!"flink.apache.org/v1beta1".equals(d.get("apiVersion"))) {
            out.add("apiVersion " + d.get("apiVersion") + " is not flink.apache.org/v1beta1");
        }
        Map<String, Object> meta = map(d.get("metadata"));
        if (meta.get("name") == null) {
            out.add("metadata.name missing");
        }
        Map<String, Object> spec = map(d.get("spec"));
        unknownFields(out, "spec", spec, SPEC_FIELDS);

        String image = String.valueOf(spec.get("image"));
        if (!ImageRefs.pinned(image)) {
            out.add("spec.image " + image + " is not pinned to a version");
        }
        String version = EnvironmentInformation.getVersion();
        String flinkVersion = "v" + version.replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2");
        if (!flinkVersion.equals(spec.get("flinkVersion"))) {
            out.add(
                    "spec.flinkVersion "
                            + spec.get("flinkVersion")
                            + " is not "
                            + flinkVersion
                            + " (Flink "
                            + version
                            + ")");
        }
        if (!Set.of("native", "standalone")
                .contains(String.valueOf(spec.getOrDefault("mode", "native")))) {
            out.add("spec.mode " + spec.get("mode") + " is neither native nor standalone");
        }
        if (spec.get("serviceAccount") == null) {
            out.add("spec.serviceAccount missing");
        }

        Map<String, String> flink = new HashMap<>();
        map(spec.get("flinkConfiguration"))
                .forEach(
                        (k, v) -> {
                            if (v instanceof String s) {
                                flink.put(k, s);
                            } else {
                                out.add("flinkConfiguration " + k + ": " + v + " is not a string");
                                flink.put(k, String.valueOf(v));
                            }
                        });
        new FlinkOptionCatalog().problems(flink).forEach(p -> out.add("flinkConfiguration " + p));
        Configuration conf = Configuration.fromMap(flink);
        out.addAll(clusterDifferences(flink, clusterConfig));

        for (String process : List.of("jobManager", "taskManager")) {
            Map<String, Object> p = map(spec.get(process));
            unknownFields(out, "spec." + process, p, PROCESS_FIELDS);
            Map<String, Object> resource = map(p.get("resource"));
            unknownFields(out, "spec." + process + ".resource", resource, RESOURCE_FIELDS);
            if (resource.get("memory") == null || resource.get("cpu") == null) {
                out.add("spec." + process + ".resource needs memory and cpu");
                continue;
            }
            ConfigOption<MemorySize> size =
                    process.equals("jobManager")
                            ? JobManagerOptions.TOTAL_PROCESS_MEMORY
                            : TaskManagerOptions.TOTAL_PROCESS_MEMORY;
            MemorySize memory = MemorySize.parse(String.valueOf(resource.get("memory")));
            if (!memory.equals(clusterConfig.get(size))) {
                out.add(
                        "spec."
                                + process
                                + ".resource.memory "
                                + resource.get("memory")
                                + " but "
                                + size.key()
                                + ": "
                                + clusterConfig.get(size));
            }
        }

        Map<String, Object> job = map(spec.get("job"));
        unknownFields(out, "spec.job", job, JOB_FIELDS);
        String jarUri = String.valueOf(job.get("jarURI"));
        if (!jarUri.equals("local://" + jobJar)) {
            out.add("spec.job.jarURI " + jarUri + " is not the image's job jar local://" + jobJar);
        }
        String entryClass = String.valueOf(job.get("entryClass"));
        try {
            Class.forName(entryClass);
        } catch (ClassNotFoundException e) {
            out.add("spec.job.entryClass " + entryClass + " does not exist");
        }
        List<String> args =
                ((List<?>) job.getOrDefault("args", List.of()))
                        .stream().map(String::valueOf).toList();
        try {
            JobArguments.disagreements(args, conf).forEach(p -> out.add("spec.job.args " + p));
            int parallelism =
                    JobOptions.fromArgs(args.toArray(String[]::new))
                            .get(RuntimeOptions.PARALLELISM);
            if (!Objects.equals(job.get("parallelism"), parallelism)) {
                out.add(
                        "spec.job.args --parallelism "
                                + parallelism
                                + " but spec.job.parallelism "
                                + job.get("parallelism"));
            }
        } catch (IllegalArgumentException e) {
            out.add("spec.job.args: " + e.getMessage().lines().findFirst().orElse(""));
        }
        String upgradeMode = String.valueOf(job.get("upgradeMode"));
        if (!Set.of("stateless", "last-state", "savepoint").contains(upgradeMode)) {
            out.add(
                    "spec.job.upgradeMode "
                            + upgradeMode
                            + " is none of stateless, last-state, savepoint");
        }
        if (!upgradeMode.equals("stateless")
                && !flink.containsKey("execution.checkpointing.savepoint-dir")) {
            out.add(upgradeMode + " upgrades need execution.checkpointing.savepoint-dir");
        }
        if (upgradeMode.equals("last-state") && !flink.containsKey("high-availability.type")) {
            out.add("last-state upgrades need high-availability.type");
        }
        if (!Set.of("running", "suspended").contains(String.valueOf(job.get("state")))) {
            out.add("spec.job.state " + job.get("state") + " is neither running nor suspended");
        }
        out.addAll(podTemplateProblems(map(spec.get("podTemplate"))));
        return out;
    }

    /** Settings of config.yaml that the deployment lacks or sets otherwise. */
    private static List<String> clusterDifferences(
            Map<String, String> flink, Configuration cluster) {
        List<String> out = new ArrayList<>();
        FlinkOptionCatalog catalog = new FlinkOptionCatalog();
        Configuration mine = Configuration.fromMap(flink);
        for (Map.Entry<String, String> e : cluster.toMap().entrySet()) {
            String key = e.getKey();
            if (OPERATOR_OWNED.contains(key)) {
                continue;
            }
            if (!flink.containsKey(key)) {
                out.add("flinkConfiguration lacks " + key + " of config.yaml");
                continue;
            }
            ConfigOption<?> option = catalog.option(key);
            Object theirs;
            Object ours;
            try {
                theirs = option == null ? e.getValue() : cluster.get(option);
                ours = option == null ? flink.get(key) : mine.get(option);
            } catch (IllegalArgumentException bad) {
                continue; // the catalog reports the value
            }
            if (!Objects.equals(theirs, ours)) {
                out.add("flinkConfiguration " + key + ": " + ours + " but config.yaml: " + theirs);
            }
        }
        return out;
    }

    private List<String> podTemplateProblems(Map<String, Object> template) {
        List<String> out = new ArrayList<>();
        Map<String, Object> podSpec = map(template.get("spec"));
        Set<String> claims = new java.util.HashSet<>();
        ofKind("PersistentVolumeClaim")
                .forEach(c -> claims.add(String.valueOf(map(c.get("metadata")).get("name"))));
        Set<String> volumes = new java.util.HashSet<>();
        for (Object v : (List<?>) podSpec.getOrDefault("volumes", List.of())) {
            Map<String, Object> volume = map(v);
            volumes.add(String.valueOf(volume.get("name")));
            Map<String, Object> pvc = map(volume.get("persistentVolumeClaim"));
            if (!pvc.isEmpty() && !claims.contains(String.valueOf(pvc.get("claimName")))) {
                out.add(
                        "podTemplate volume "
                                + volume.get("name")
                                + " claims "
                                + pvc.get("claimName")
                                + ", which no manifest defines");
            }
        }
        for (Object c : (List<?>) podSpec.getOrDefault("containers", List.of())) {
            Map<String, Object> container = map(c);
            if (!"flink-main-container".equals(container.get("name"))) {
                out.add(
                        "podTemplate container "
                                + container.get("name")
                                + " is not flink-main-container, which the operator merges");
            }
            for (Object m : (List<?>) container.getOrDefault("volumeMounts", List.of())) {
                String name = String.valueOf(map(m).get("name"));
                if (!volumes.contains(name)) {
                    out.add("podTemplate mounts " + name + ", which is no volume of the pod");
                }
            }
        }
        return out;
    }

    /** Problems of the claims: shared by every pod, so ReadWriteMany. */
    List<String> claimProblems() {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> c : ofKind("PersistentVolumeClaim")) {
            List<?> modes = (List<?>) map(c.get("spec")).getOrDefault("accessModes", List.of());
            if (!modes.contains("ReadWriteMany")) {
                out.add(
                        "PersistentVolumeClaim "
                                + map(c.get("metadata")).get("name")
                                + " is not ReadWriteMany");
            }
        }
        return out;
    }

    private static void unknownFields(
            List<String> out, String where, Map<String, Object> node, Set<String> known) {
        for (String key : node.keySet()) {
            if (!known.contains(key)) {
                out.add("unknown field " + where + "." + key);
            }
        }
    }

    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? DeployFiles.cast(m) : Map.of();
    }
}
