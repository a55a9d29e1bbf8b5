package perpetua.learner;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.Schema;
import perpetua.schemas.ModelSpec;

/**
 * The spec a promoted challenger serves under: the model's own spec, with the challenger's learner
 * in it.
 *
 * <p>Every field of {@link ModelSpec} is either the learner's (its task, input encoding,
 * architecture, optimizer and their hyper-parameters: what the challenger was made of) or the
 * model's (its name, batching, snapshots, metrics window, drift policy, label wait, promotion rule
 * and the other challengers). The promoted spec is the champion's with the learner's fields taken
 * from the challenger, field by field over the Avro schema, so no field can be forgotten; a field
 * that is in neither list stops the class from loading.
 */
final class PromotedSpec {
    /** The fields a challenger brings: what its learner is and how it was built. */
    static final Set<String> LEARNER_FIELDS =
            Set.of(
                    "task",
                    "classes",
                    "denseSize",
                    "denseScale",
                    "numericFeatures",
                    "hashBits",
                    "optimizer",
                    "learningRate",
                    "beta1",
                    "beta2",
                    "epsilon",
                    "l2",
                    "l1",
                    "wideOptimizer",
                    "momentum",
                    "rho",
                    "ftrlBeta",
                    "clipNorm",
                    "schedule",
                    "schedulePower",
                    "scheduleSteps",
                    "scheduleFactor",
                    "maxWeightNorm",
                    "hidden",
                    "init",
                    "seed",
                    "warmBias",
                    "loss",
                    "pairwise",
                    "huberDelta",
                    "embeddings",
                    "embeddingBits",
                    "sharedEmbeddings",
                    "wide",
                    "interactions",
                    "textNgrams",
                    "kernel",
                    "learnBatch",
                    "scaleDense",
                    "scaleTarget",
                    // How the challenger's own spec was published; the served line keeps none.
                    "action",
                    "freshStart",
                    "initFrom",
                    "initSnapshot",
                    "multiValued",
                    "factors",
                    "factorFeatures",
                    "factorBits");

    /** The fields that stay the model's: how it is served, measured, snapshotted and judged. */
    static final Set<String> MODEL_FIELDS =
            Set.of(
                    "model",
                    "challengers",
                    "maxBatch",
                    "maxDelayMs",
                    "snapshotEveryBatches",
                    "snapshotEverySeconds",
                    "metricsWindow",
                    "metricsWindowKind",
                    "metricsWindowMs",
                    "fadingFactor",
                    "labelWaitMs",
                    "implicitLabel",
                    "promotionMetric",
                    "promotionMargin",
                    "promotionWindows",
                    "driftDetector",
                    "driftDelta",
                    "driftThreshold",
                    "driftTolerance",
                    "driftMinInstances",
                    "driftReaction",
                    "driftBoostFactor",
                    "driftBoostBatches",
                    "search",
                    // A recommender's memory, ranking and explanations are the model's.
                    "userFeature",
                    "itemFeature",
                    "itemFeatures",
                    "negativeSamples",
                    "rankingCandidates",
                    "rankingK",
                    "sampling",
                    "catalogSize",
                    "historyUsers",
                    "userHistory",
                    "recentItems",
                    "itemActivity",
                    "cooccurrenceBits",
                    "explainEvery",
                    "explainTop");

    static {
        String problem = unclassified();
        if (problem != null) {
            throw new ExceptionInInitializerError(problem);
        }
    }

    private PromotedSpec() {}

    /**
     * The champion's spec with the challenger's learner fields, and {@code remaining} as its
     * challengers.
     */
    static ModelSpec of(ModelSpec champion, ModelSpec challenger, List<ModelSpec> remaining) {
        ModelSpec promoted = ModelSpec.newBuilder(champion).build();
        for (Schema.Field f : ModelSpec.getClassSchema().getFields()) {
            if (LEARNER_FIELDS.contains(f.name())) {
                promoted.put(
                        f.pos(),
                        challenger.getSpecificData().deepCopy(f.schema(), challenger.get(f.pos())));
            }
        }
        promoted.setChallengers(List.copyOf(remaining));
        return promoted;
    }

    /** Null when every field of the schema is in exactly one list, else which are not. */
    static String unclassified() {
        Set<String> neither = new TreeSet<>();
        Set<String> both = new TreeSet<>();
        for (Schema.Field f : ModelSpec.getClassSchema().getFields()) {
            boolean learner = LEARNER_FIELDS.contains(f.name());
            boolean model = MODEL_FIELDS.contains(f.name());
            if (!learner && !model) {
                neither.add(f.name());
            } else if (learner && model) {
                both.add(f.name());
            }
        }
        if (neither.isEmpty() && both.isEmpty()) {
            return null;
        }
        return "ModelSpec fields in neither LEARNER_FIELDS nor MODEL_FIELDS of PromotedSpec: "
                + neither
                + "; in both: "
                + both;
    }
}
