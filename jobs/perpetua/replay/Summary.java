package perpetua.replay;

import java.util.Locale;
import java.util.Map;
import perpetua.schemas.Task;

/**
 * The quality and speed of one model over a whole replay.
 *
 * <p>The metrics are prequential over every labelled event of the replay (not only the last
 * window), computed by the Learner's own evaluator from the predictions that were served: accuracy
 * and log loss (classification), the exact AUC (binary), MAE and RMSE (regression), and whatever
 * else the metrics schema carries, by field name. {@code seconds} runs from the first event read to
 * the last prediction made, so it leaves out starting Flink and loading ND4J; {@code wallSeconds}
 * is the whole run, reading the CSV included.
 *
 * @param events predictions served (rows refused as dead letters are not among them)
 * @param labelled predictions measured against a label
 * @param deadLetters rows the job refused, with the reasons printed by the evaluator
 * @param version the model version that served the last prediction (the last batch's step comes
 *     after it)
 * @param metrics metric name to value, in the order of the metrics schema; unset ones left out
 */
public record Summary(
        String model,
        Task task,
        long events,
        long labelled,
        long deadLetters,
        long version,
        Map<String, Double> metrics,
        double seconds,
        double eventsPerSecond,
        double wallSeconds) {

    /** A metric by its field name in the metrics schema, or null when the replay has none. */
    public Double metric(String name) {
        return metrics.get(name);
    }

    public Double accuracy() {
        return metric("accuracy");
    }

    public Double auc() {
        return metric("auc");
    }

    public Double logLoss() {
        return metric("logLoss");
    }

    public Double mae() {
        return metric("mae");
    }

    public Double rmse() {
        return metric("rmse");
    }

    /** A recommender's hit rate at its rankingK over every ranked event. */
    public Double hitRate() {
        return metric("hitRate");
    }

    /** A recommender's NDCG at its rankingK over every ranked event. */
    public Double ndcg() {
        return metric("ndcg");
    }

    /**
     * The one-line summary: {@code summary model=NAME events=N labelled=N <metric>=x.xxxx ...
     * eventsPerSecond=N seconds=x.xx version=N deadLetters=N wallSeconds=x.x}.
     */
    public String line() {
        StringBuilder b = new StringBuilder("summary model=").append(model);
        b.append(" events=").append(events).append(" labelled=").append(labelled);
        for (Map.Entry<String, Double> m : Curve.shown(metrics).entrySet()) {
            b.append(String.format(Locale.ROOT, " %s=%.4f", m.getKey(), m.getValue()));
        }
        b.append(String.format(Locale.ROOT, " eventsPerSecond=%.0f", eventsPerSecond));
        b.append(String.format(Locale.ROOT, " seconds=%.2f", seconds));
        b.append(" version=").append(version).append(" deadLetters=").append(deadLetters);
        return b.append(String.format(Locale.ROOT, " wallSeconds=%.1f", wallSeconds)).toString();
    }
}
