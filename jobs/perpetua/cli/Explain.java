package perpetua.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import perpetua.model.Explainer;
import perpetua.model.ScoringModel;
import perpetua.runtime.CsvEvents;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What each input of each row of a CSV file added to a model's score, outside Flink. */
@Command(
        name = "explain",
        mixinStandardHelpOptions = true,
        description =
                "Explain the latest snapshot's score of each row of a CSV file: the largest"
                        + " contributions of its inputs (exact for linear, wide and factorization"
                        + " parts; integrated gradients for hidden layers, which add up to the"
                        + " score within a tolerance); prints one JSON line per row.")
final class Explain implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin KafkaAddress kafka;

    @Mixin ModelsTopic modelsTopic;

    @Option(names = "--csv", required = true, description = "CSV file with a header line.")
    Path csv;

    @Option(names = "--model", required = true, description = "Model name the events are for.")
    String model;

    @Option(
            names = "--top",
            defaultValue = "10",
            description =
                    "Contributions printed per row, largest first (default: ${DEFAULT-VALUE}).")
    int top;

    @CommandLine.ArgGroup(exclusive = false, multiplicity = "0..1")
    Perpetua.CsvRoles roles = new Perpetua.CsvRoles();

    @Override
    public Integer call() throws Exception {
        if (top < 1) {
            throw new IllegalArgumentException("--top must be at least 1: " + top);
        }
        ScoringModel scoring = Score.latest(kafka, modelsTopic.name, model, "explaining");
        if (scoring == null) {
            return 1;
        }
        long n = 0;
        try (CsvEvents events = new CsvEvents(csv, roles.roles(model))) {
            while (events.hasNext()) {
                Explainer.Explanation why = scoring.explain(events.next());
                System.out.println(JSON.writeValueAsString(line(why, scoring.version(), top)));
                n++;
            }
        }
        System.out.flush();
        System.err.printf(
                "explained %,d events with model '%s' version %d%n", n, model, scoring.version());
        return 0;
    }

    /**
     * One row's line: its score (log-odds, class logit or value), the sum of all contributions, and
     * the {@code top} largest.
     */
    static ObjectNode line(Explainer.Explanation why, long version, int top) {
        ObjectNode o = JSON.createObjectNode();
        o.put("eventId", why.eventId());
        o.put("modelVersion", version);
        o.put("score", why.score());
        o.put("outputClass", why.outputClass());
        o.put("sumOfContributions", why.total());
        o.put("inputs", why.terms().size());
        ArrayNode terms = o.putArray("contributions");
        for (Explainer.Term t : why.top(top)) {
            terms.addObject().put("input", t.input()).put("contribution", t.contribution());
        }
        return o;
    }
}
