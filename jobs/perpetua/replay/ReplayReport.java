package perpetua.replay;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/** Writes a replay's curve (curve.csv, curve.png) and its summaries (summary.txt) to a folder. */
final class ReplayReport {
    private ReplayReport() {}

    static void write(
            Path dir,
            List<Curve.Point> points,
            List<Summary> summaries,
            Map<String, ModelSpec> models,
            PrintStream progress)
            throws IOException {
        Files.createDirectories(dir);
        Curve.writeCsv(points, dir.resolve("curve.csv"));
        Task task = models.values().iterator().next().getTask();
        String metric = Curve.mainMetric(task);
        Curve.writePng(
                points,
                metric,
                String.join(", ", models.keySet()) + ": " + metric + " per metrics window",
                dir.resolve("curve.png"));
        StringBuilder lines = new StringBuilder();
        summaries.forEach(s -> lines.append(s.line()).append('\n'));
        Files.writeString(dir.resolve("summary.txt"), lines, StandardCharsets.UTF_8);
        progress.println("wrote " + dir.resolve("curve.csv") + ", curve.png and summary.txt");
    }
}
