package perpetua.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/** What a recommender's spec may say, and which of its changes keep what the model learned. */
class RecommenderSpecTest {
    private static final ModelSpec MF =
            ModelSpec.newBuilder()
                    .setModel("movies")
                    .setTask(Task.REGRESSION)
                    .setFactors(16)
                    .setFactorFeatures(List.of("user", "movie"))
                    .setMultiValued(List.of("genres"))
                    .setItemFeature("movie")
                    .setItemFeatures(List.of("genres"))
                    .build();

    private static String problem(ModelSpec.Builder b) {
        return SpecRules.problem(b.build());
    }

    @Test
    void aRecommenderSpecIsUsable() {
        assertThat(SpecRules.problem(MF)).isNull();
        assertThat(problem(ModelSpec.newBuilder(MF).setTask(Task.BINARY).setNegativeSamples(4)))
                .isNull();
        assertThat(
                        problem(
                                ModelSpec.newBuilder(MF)
                                        .setUserHistory(10)
                                        .setRecentItems(10)
                                        .setItemActivity(true)))
                .isNull();
        assertThat(
                        problem(
                                ModelSpec.newBuilder(MF)
                                        .setTask(Task.BINARY)
                                        .setNegativeSamples(4)
                                        .setPairwise(true)
                                        .setRecentItems(5)
                                        .setCooccurrenceBits(16)))
                .isNull();
        // One interaction and its negatives per step.
        assertThat(
                        SpecRules.learningGroup(
                                ModelSpec.newBuilder(MF)
                                        .setTask(Task.BINARY)
                                        .setNegativeSamples(4)
                                        .setPairwise(true)
                                        .setMaxBatch(100)
                                        .build()))
                .isEqualTo(5);
    }

    @Test
    void cooccurrenceAndPairwiseLearningSayWhatTheyNeed() {
        assertThat(problem(ModelSpec.newBuilder(MF).setItemFeature(null).setCooccurrenceBits(10)))
                .contains("cooccurrenceBits need a recommender");
        assertThat(problem(ModelSpec.newBuilder(MF).setCooccurrenceBits(10)))
                .isEqualTo(
                        "model 'movies': cooccurrenceBits need recentItems >= 1: an item is paired"
                                + " with its user's last recentItems items");
        assertThat(problem(ModelSpec.newBuilder(MF).setRecentItems(5).setCooccurrenceBits(23)))
                .isEqualTo(
                        "model 'movies': cooccurrenceBits in 1..22 (a table of 2^bits counters),"
                                + " or 0 for none");
        assertThat(problem(ModelSpec.newBuilder(MF).setRecentItems(5).setCooccurrenceBits(-1)))
                .contains("cooccurrenceBits in 1..22");
        assertThat(problem(ModelSpec.newBuilder(MF).setTask(Task.BINARY).setPairwise(true)))
                .isEqualTo(
                        "model 'movies': pairwise learns each interaction against its sampled"
                                + " negatives: it needs negativeSamples >= 1 (a BINARY model)");
        assertThat(problem(ModelSpec.newBuilder(MF).setItemFeature(null).setPairwise(true)))
                .contains("pairwise needs a recommender with negativeSamples");
        assertThat(
                        problem(
                                ModelSpec.newBuilder(MF)
                                        .setTask(Task.BINARY)
                                        .setNegativeSamples(2)
                                        .setPairwise(true)
                                        .setLearnBatch(8)))
                .contains("leave learnBatch at 0");
    }

    @Test
    void unusableRecommenderSpecsSayWhy() {
        assertThat(problem(ModelSpec.newBuilder(MF).setNegativeSamples(2)))
                .isEqualTo(
                        "model 'movies': negativeSamples are for implicit feedback: a BINARY"
                                + " model");
        assertThat(
                        problem(
                                ModelSpec.newBuilder(MF)
                                        .setItemFeature(null)
                                        .setTask(Task.BINARY)
                                        .setNegativeSamples(1)))
                .contains("negativeSamples need a recommender");
        assertThat(problem(ModelSpec.newBuilder(MF).setItemFeature("user")))
                .contains("two named categoricals");
        assertThat(problem(ModelSpec.newBuilder(MF).setItemFeatures(List.of("movie"))))
                .contains("not the item or the user");
        assertThat(problem(ModelSpec.newBuilder(MF).setTask(Task.MULTICLASS).setClasses(3)))
                .contains("factors need a BINARY or REGRESSION model");
        assertThat(problem(ModelSpec.newBuilder(MF).setFactorBits(30))).contains("factorBits");
        assertThat(problem(ModelSpec.newBuilder(MF).setRankingK(0))).contains("rankingK >= 1");
        assertThat(problem(ModelSpec.newBuilder(MF).setHistoryUsers(1_000_000).setUserHistory(100)))
                .contains("historyUsers x userHistory");
        assertThat(problem(ModelSpec.newBuilder(MF).setExplainTop(0))).contains("explainTop");
        assertThat(problem(ModelSpec.newBuilder(MF).setUserHistory(10).setRecentItems(11)))
                .isEqualTo(
                        "model 'movies': recentItems in 0..userHistory (10): the recent items"
                                + " come from the user's history");
        assertThat(problem(ModelSpec.newBuilder(MF).setRecentItems(-1)))
                .contains("recentItems in 0..userHistory");
        assertThat(problem(ModelSpec.newBuilder(MF).setItemFeature(null).setRecentItems(3)))
                .contains("recentItems, itemActivity and cooccurrenceBits need a recommender");
        assertThat(problem(ModelSpec.newBuilder(MF).setItemFeature(null).setItemActivity(true)))
                .contains("recentItems, itemActivity and cooccurrenceBits need a recommender");
        ModelSpec challenger =
                ModelSpec.newBuilder(MF).setModel("other").setItemFeature("title").build();
        assertThat(problem(ModelSpec.newBuilder(MF).setChallengers(List.of(challenger))))
                .contains("same itemFeature and userFeature");
        ModelSpec withoutContext = ModelSpec.newBuilder(MF).setModel("plain").build();
        assertThat(
                        problem(
                                ModelSpec.newBuilder(MF)
                                        .setRecentItems(5)
                                        .setChallengers(List.of(withoutContext))))
                .contains("same recentItems, itemActivity and cooccurrenceBits");
        ModelSpec withCounts =
                ModelSpec.newBuilder(MF)
                        .setModel("counts")
                        .setRecentItems(5)
                        .setCooccurrenceBits(12)
                        .build();
        assertThat(
                        problem(
                                ModelSpec.newBuilder(MF)
                                        .setRecentItems(5)
                                        .setChallengers(List.of(withCounts))))
                .contains("same recentItems, itemActivity and cooccurrenceBits");
    }

    @Test
    void factorsAndMultiValuedFeaturesAreTheEncodingTheCatalogBoundsAreNot() {
        assertThat(SpecRules.incompatibility(MF, ModelSpec.newBuilder(MF).setFactors(8).build()))
                .startsWith("factors 16 -> 8");
        assertThat(
                        SpecRules.incompatibility(
                                MF, ModelSpec.newBuilder(MF).setMultiValued(List.of()).build()))
                .startsWith("multiValued");
        assertThat(
                        SpecRules.incompatibility(
                                MF, ModelSpec.newBuilder(MF).setItemFeature("title").build()))
                .startsWith("itemFeature and userFeature");
        assertThat(
                        SpecRules.incompatibility(
                                MF,
                                ModelSpec.newBuilder(MF)
                                        .setCatalogSize(10)
                                        .setRankingCandidates(20)
                                        .setExplainEvery(100)
                                        .build()))
                .isNull();
    }
}
