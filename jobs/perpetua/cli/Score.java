package perpetua.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import perpetua.model.ScoringModel;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.ModelRegistry;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelState;
import perpetua.schemas.Prediction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Scores the rows of a CSV file with the latest snapshot of a model, outside Flink. */
@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        description =
                "Score the rows of a CSV file with the latest snapshot of a model on the models"
                        + " topic; prints Prediction records as JSON lines.")
final class Score implements Callable<Integer> {
    static final int BATCH = 256;

    @Mixin KafkaAddress kafka;

    @Mixin ModelsTopic modelsTopic;

    @Option(names = "--csv", required = true, description = "CSV file with a header line.")
    Path csv;

    @Option(names = "--model", required = true, description = "Model name the events are for.")
    String model;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "0..1")
    Perpetua.CsvRoles roles = new Perpetua.CsvRoles();

    @Override
    public Integer call() throws Exception {
        String name = model;
        ScoringModel model = latest(kafka, modelsTopic.name, name, "scoring");
        if (model == null) {
            return 1;
        }
        long n = 0;
        try (CsvEvents events = new CsvEvents(csv, roles.roles(name))) {
            List<Event> batch = new ArrayList<>(BATCH);
            while (events.hasNext()) {
                batch.add(events.next());
                if (batch.size() == BATCH || !events.hasNext()) {
                    for (Prediction p : model.score(batch, System.currentTimeMillis())) {
                        System.out.println(JsonRecords.line(p, 64));
                    }
                    n += batch.size();
                    batch.clear();
                }
            }
        }
        System.out.flush();
        System.err.printf(
                "scored %,d events with model '%s' version %d%n", n, name, model.version());
        return 0;
    }

    /**
     * The model of {@code name}'s latest snapshot on {@code topic}, or null (said on standard
     * error) when the topic holds none; a retired model's final snapshot, with a note that it is.
     */
    static ScoringModel latest(KafkaAddress kafka, String topic, String name, String doing) {
        ModelSnapshot snapshot =
                ModelRegistry.read(kafka.connection(), null, topic).snapshot(name).orElse(null);
        if (snapshot == null) {
            System.err.println("no snapshot of model '" + name + "' on topic '" + topic + "'");
            return null;
        }
        if (snapshot.getState() == ModelState.RETIRED) {
            System.err.println(
                    "model '" + name + "' is retired; " + doing + " with its final snapshot");
        }
        return ScoringModel.of(snapshot);
    }
}
