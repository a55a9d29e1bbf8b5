package perpetua.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A client of Flink's REST API, the one a JobManager serves beside its web UI: upload and run a job
 * jar, take savepoints, stop and cancel jobs, and read the cluster's state.
 *
 * <p>It needs nothing of Flink on the class path, so that a thin client deploys to any cluster.
 * Every call fails with the status and the JobManager's error text when the answer is not a
 * success.
 */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final String base;
    private final HttpClient http;

    /** A client of the JobManager at {@code hostPort}, such as {@code 127.0.0.1:8081}. */
    public FlinkRest(String hostPort) {
        String address = hostPort.contains("://") ? hostPort : "http://" + hostPort;
        this.base = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The REST address, such as {@code http://127.0.0.1:8081}. */
    public String address() {
        return base;
    }

    /** {@code GET /overview}: TaskManagers, slots and jobs by state. */
    public JsonNode overview() throws IOException {
        return get("/overview");
    }

    /** Whether the JobManager answers at all. */
    public boolean reachable() {
        try {
            overview();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code GET /taskmanagers}: the registered TaskManagers, each with its id and slots. */
    public List<JsonNode> taskManagers() throws IOException {
        return list(get("/taskmanagers").path("taskmanagers"));
    }

    /** {@code GET /jobs/overview}: every job the cluster knows, with its id, name and state. */
    public List<JsonNode> jobs() throws IOException {
        return list(get("/jobs/overview").path("jobs"));
    }

    /** {@code GET /jobs/ID}: one job with its state and vertices. */
    public JsonNode job(String jobId) throws IOException {
        return get("/jobs/" + jobId);
    }

    /** The job's state, such as RUNNING, RESTARTING or CANCELED. */
    public String jobState(String jobId) throws IOException {
        return job(jobId).path("state").asText();
    }

    /** {@code GET /jobs/ID/checkpoints}: counts, the latest checkpoints and history. */
    public JsonNode checkpoints(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/checkpoints");
    }

    /** {@code GET /jobs/ID/exceptions}: the root exception and the history of failures. */
    public JsonNode exceptions(String jobId) throws IOException {
        return get("/jobs/" + jobId + "/exceptions");
    }

    /** {@code GET /jobs/ID/vertices/VERTEX/taskmanagers}: where a vertex's subtasks run. */
    public JsonNode vertexTaskManagers(String jobId, String vertexId) throws IOException {
        return get("/jobs/" + jobId + "/vertices/" + vertexId + "/taskmanagers");
    }

    /** The ids of the metrics a vertex's subtasks report. */
    public JsonNode vertexMetricNames(String jobId, String vertexId) throws IOException {
        return get("/jobs/" + jobId + "/vertices/" + vertexId + "/subtasks/metrics");
    }

    /** The values of the named metrics of one vertex, summed over its subtasks. */
    public JsonNode vertexMetrics(String jobId, String vertexId, String... names)
            throws IOException {
        return get(
                "/jobs/"
                        + jobId
                        + "/vertices/"
                        + vertexId
                        + "/subtasks/metrics?get="
                        + String.join(",", names)
                        + "&agg=sum,max");
    }

    /** Uploads a job jar; returns the id the cluster gives it. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "perpetua-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode answer =
                send(
                        HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .timeout(Duration.ofMinutes(5))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())),
                        "upload " + jar);
        String file = answer.path("filename").asText();
        if (file.isEmpty()) {
            throw new IOException("the JobManager accepted the jar but named no file: " + answer);
        }
        return Path.of(file).getFileName().toString();
    }

    /** What to run from an uploaded jar. */
    public record Run(
            String entryClass,
            List<String> args,
            Integer parallelism,
            String savepointPath,
            boolean allowNonRestoredState) {}

    /** Runs the uploaded jar's main class on the JobManager; returns the new job's id. */
    public String runJar(String jarId, Run run) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        if (run.entryClass() != null) {
            body.put("entryClass", run.entryClass());
        }
        body.set("programArgsList", JSON.valueToTree(run.args()));
        if (run.parallelism() != null) {
            body.put("parallelism", run.parallelism());
        }
        if (run.savepointPath() != null) {
            body.put("savepointPath", run.savepointPath());
            body.put("allowNonRestoredState", run.allowNonRestoredState());
        }
        JsonNode answer = post("/jars/" + jarId + "/run", body, "run " + jarId);
        return answer.path("jobid").asText();
    }

    /** Deletes an uploaded jar. */
    public void deleteJar(String jarId) throws IOException {
        send(
                HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId))
                        .timeout(CALL_TIMEOUT)
                        .DELETE(),
                "delete jar " + jarId);
    }

    /**
     * Takes a savepoint of a running job and waits until it is written.
     *
     * @param stop also stops the job (stop-with-savepoint: sources stop, the last transactions are
     *     committed, then the job ends)
     * @param targetDirectory where the savepoint goes, or null for the cluster's default
     * @return the savepoint's path
     */
    public String savepoint(String jobId, boolean stop, String targetDirectory, Duration timeout)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        String path;
        if (stop) {
            path = "/jobs/" + jobId + "/stop";
            body.put("drain", false);
            if (targetDirectory != null) {
                body.put("targetDirectory", targetDirectory);
            }
        } else {
            path = "/jobs/" + jobId + "/savepoints";
            body.put("cancel-job", false);
            if (targetDirectory != null) {
                body.put("target-directory", targetDirectory);
            }
        }
        String request = post(path, body, "savepoint of " + jobId).path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + request);
            if ("COMPLETED".equals(status.path("status").path("id").asText())) {
                JsonNode op = status.path("operation");
                if (op.has("location")) {
                    return op.path("location").asText();
                }
                throw new IOException(
                        "the savepoint of job "
                                + jobId
                                + " failed: "
                                + op.path("failure-cause")
                                        .path("stack-trace")
                                        .asText(op.toString())
                                        .lines()
                                        .findFirst()
                                        .orElse(op.toString()));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(
                        "the savepoint of job " + jobId + " was not done after " + timeout);
            }
            Thread.sleep(250);
        }
    }

    /** The parallelism of each of the job's vertices, by vertex name. */
    public java.util.Map<String, Integer> parallelism(String jobId) throws IOException {
        java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (JsonNode v : job(jobId).path("vertices")) {
            out.put(v.path("name").asText(), v.path("parallelism").asInt());
        }
        return out;
    }

    /** Waits until the job and every one of its tasks run. */
    public void awaitRunning(String jobId, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode job = job(jobId);
            boolean running = "RUNNING".equals(job.path("state").asText());
            for (JsonNode v : job.path("vertices")) {
                running &= "RUNNING".equals(v.path("status").asText());
            }
            if (running) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(
                        "job "
                                + jobId
                                + " not running after "
                                + timeout
                                + ": "
                                + job.path("state"));
            }
            Thread.sleep(250);
        }
    }

    /**
     * Stops a running job with a savepoint, trying again while the job refuses it: a job that has
     * just recovered refuses checkpoints until its tasks have restored their state.
     *
     * @return the savepoint's path
     */
    public String stopWithSavepoint(String jobId, int attempts)
            throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            awaitRunning(jobId, Duration.ofMinutes(3));
            try {
                return savepoint(jobId, true, null, Duration.ofMinutes(5));
            } catch (IOException refused) {
                last = refused;
                Thread.sleep(3_000);
            }
        }
        throw last;
    }

    /** Cancels a job (without a savepoint). */
    public void cancel(String jobId) throws IOException {
        send(
                HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel"))
                        .timeout(CALL_TIMEOUT)
                        .method("PATCH", HttpRequest.BodyPublishers.noBody()),
                "cancel " + jobId);
    }

    private JsonNode get(String path) throws IOException {
        return send(
                HttpRequest.newBuilder(URI.create(base + path)).timeout(CALL_TIMEOUT).GET(),
                "GET " + path);
    }

    private JsonNode post(String path, JsonNode body, String what) throws IOException {
        return send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(CALL_TIMEOUT)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))),
                what);
    }

    private JsonNode send(HttpRequest.Builder request, String what) throws IOException {
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + what, e);
        } catch (IOException e) {
            throw new IOException(
                    what + " at " + base + " failed: " + e.getClass().getSimpleName(), e);
        }
        String text = response.body();
        if (response.statusCode() / 100 != 2) {
            throw new IOException(
                    what + " at " + base + ": HTTP " + response.statusCode() + ": " + errors(text));
        }
        return text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
    }

    /** The first lines of the JobManager's error answer, which holds a whole stack trace. */
    private static String errors(String text) {
        try {
            JsonNode errors = JSON.readTree(text).path("errors");
            List<String> out = new ArrayList<>();
            for (JsonNode e : errors) {
                e.asText().lines().limit(3).forEach(out::add);
            }
            return out.isEmpty() ? text : String.join(" | ", out);
        } catch (IOException notJson) {
            return text;
        }
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }
}
