package perpetua.cli;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import perpetua.replay.Evaluate;
import perpetua.runtime.Progress;
import perpetua.schemas.ModelSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Replays a CSV file through the Learner in this JVM and reports each model's quality and speed.
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = {
            "Replay a CSV file through the job's Learner and Evaluator in process (local Flink, no"
                    + " Kafka), as fast as possible; print the metric curve and a summary line per"
                    + " model, and write curve.csv, curve.png and summary.txt.",
            "Example: perpetua evaluate --csv data/flights-100k.csv.gz --time date"
                    + " --time-features hour,dow --label delay --label-above 15 --numeric"
                    + " distance --categorical origin,destination --spec"
                    + " '{\"model\":\"flights\",\"task\":\"BINARY\",\"numericFeatures\":[\"distance\"]}'"
        })
final class EvaluateCommand implements Callable<Integer> {
    @Option(
            names = "--csv",
            required = true,
            description = "CSV file (plain or .gz) with a header.")
    Path csv;

    @Option(
            names = "--spec",
            required = true,
            description =
                    "Model spec: a JSON file or inline JSON (one object or an array). Repeat it,"
                            + " or give an array, to replay several models in one job.")
    List<String> specs = new ArrayList<>();

    @Option(
            names = "--shuffle-seed",
            description =
                    "Shuffle the rows with this seed before the replay (default: file order).")
    Long shuffleSeed;

    @Option(
            names = "--limit",
            defaultValue = "0",
            description = "Replay the first N rows, after shuffling (0: all).")
    long limit;

    @Option(
            names = "--out",
            description =
                    "Where curve.csv, curve.png and summary.txt go (default: target/evaluate/MODEL).")
    Path out;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "0..1")
    Perpetua.CsvRoles roles = new Perpetua.CsvRoles();

    @Override
    public Integer call() throws Exception {
        List<ModelSpec> models = new ArrayList<>();
        try {
            for (String s : specs) {
                models.addAll(Models.specs(s));
            }
        } catch (NoSuchFileException e) {
            System.err.println("no spec file " + e.getFile());
            return 2;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            System.err.println("the spec is not JSON: " + e.getOriginalMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        String name = String.join("+", models.stream().map(ModelSpec::getModel).toList());
        Path dir =
                out != null
                        ? out
                        : Path.of(System.getProperty("perpetua.home", "."))
                                .resolve("target/evaluate")
                                .resolve(name);
        Evaluate.Options options =
                Evaluate.Options.defaults()
                        .shuffleSeed(shuffleSeed)
                        .limit(limit)
                        .out(dir)
                        .progress(System.out)
                        .ticker(Progress.onStandardError());
        try {
            Evaluate.run(csv, roles.roles(name), models, options);
        } catch (NoSuchFileException e) {
            System.err.println("no file " + e.getFile());
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            return 1;
        }
        System.out.flush();
        return 0;
    }
}
