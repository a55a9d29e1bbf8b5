package perpetua.cli;

import java.util.concurrent.Callable;
import perpetua.model.ScoringModel;
import perpetua.schemas.Recommendation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A recommender's top items for one user, from its latest snapshot, outside Flink. */
@Command(
        name = "recommend",
        mixinStandardHelpOptions = true,
        description =
                "The k items a recommender model (a spec with itemFeature) ranks first for a user,"
                        + " from its latest snapshot on the models topic, leaving out the items"
                        + " the snapshot remembers the user interacted with (at most the spec's"
                        + " userHistory most recent, for its historyUsers most recent users);"
                        + " prints the Recommendation record as a JSON line.")
final class Recommend implements Callable<Integer> {
    @Mixin KafkaAddress kafka;

    @Mixin ModelsTopic modelsTopic;

    @Option(names = "--model", required = true, description = "The recommender model.")
    String model;

    @Option(
            names = "--user",
            required = true,
            description = "The user: a value of the spec's userFeature.")
    String user;

    @Option(
            names = "--k",
            defaultValue = "10",
            description = "How many items (default: ${DEFAULT-VALUE}).")
    int k;

    @Override
    public Integer call() {
        if (k < 1) {
            throw new IllegalArgumentException("--k must be at least 1: " + k);
        }
        ScoringModel scoring = Score.latest(kafka, modelsTopic.name, model, "recommending");
        if (scoring == null) {
            return 1;
        }
        Recommendation r = scoring.recommend(user, k, System.currentTimeMillis());
        System.out.println(JsonRecords.line(r, 64));
        System.out.flush();
        System.err.printf(
                "model '%s' version %d: %d items for user '%s' of %,d in the catalog, %,d left out"
                        + " as the user's%n",
                model,
                r.getModelVersion(),
                r.getItems().size(),
                user,
                r.getCandidates() + r.getExcluded(),
                r.getExcluded());
        return 0;
    }
}
