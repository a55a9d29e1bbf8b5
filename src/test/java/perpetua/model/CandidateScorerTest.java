package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import perpetua.catalog.InteractionMemory;
import perpetua.features.FeatureEncoder;
import perpetua.features.MicroBatch;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.RecommendedItem;
import perpetua.schemas.Task;
import perpetua.testing.SyntheticRatings;

/** Scoring a user against the catalog: candidates, the top items, and a snapshot's recommender. */
class CandidateScorerTest {
    private static final ModelSpec SPEC =
            ModelSpec.newBuilder()
                    .setModel("movies")
                    .setTask(Task.REGRESSION)
                    .setHashBits(10)
                    .setFactors(4)
                    .setFactorBits(10)
                    .setMultiValued(List.of("genres"))
                    .setItemFeature("item")
                    .setItemFeatures(List.of("genres", "decade"))
                    .setOptimizer(OptimizerKind.ADAGRAD)
                    .setLearningRate(0.1f)
                    .build();

    /** A model that learned the stream, and the memory of the same stream. */
    private record Learned(NeuralModel model, FeatureEncoder encoder, InteractionMemory memory) {}

    private static Learned learn(List<Event> events) {
        return learn(SPEC, events);
    }

    /** Learns the stream as the job does: each event with the context its memory gives it. */
    private static Learned learn(ModelSpec spec, List<Event> events) {
        NeuralModel model = new NeuralModel(spec);
        FeatureEncoder encoder = new FeatureEncoder(spec);
        InteractionMemory memory =
                InteractionMemory.of(
                        null, 1000, 1000, 100, spec.getCooccurrenceBits(), spec.getRecentItems());
        MicroBatch batch = encoder.newBatch();
        for (Event e : events) {
            Event seen =
                    Event.newBuilder(e)
                            .setCategorical(memory.withContext(spec, e.getCategorical()))
                            .build();
            batch.clear();
            encoder.encode(seen, batch);
            encoder.commitMoments();
            model.learn(batch);
            Map<String, String> c = e.getCategorical();
            memory.record(
                    c.get("user"),
                    c.get("item"),
                    Map.of("genres", c.get("genres"), "decade", c.get("decade")),
                    Map.of());
        }
        return new Learned(model, encoder, memory);
    }

    private static float score(Learned l, Event e) {
        FeatureEncoder encoder =
                new FeatureEncoder(
                        l.model().spec(), l.encoder().standardizer(), l.encoder().denseScaler());
        MicroBatch batch = encoder.newBatch();
        encoder.encode(e, batch);
        encoder.discardPending();
        return l.model().scores(batch)[0];
    }

    @Test
    void aCandidateIsTheEventWithTheItemAndItsSideFeaturesSwappedIn() {
        SyntheticRatings ratings = SyntheticRatings.of(30, 200, 2000, "movies", 3);
        Learned l = learn(ratings.events);
        Event event =
                Event.newBuilder(ratings.events.get(0))
                        .setCategorical(
                                Map.of(
                                        "user", "u1",
                                        "item", "i2",
                                        "genres", ratings.genres(2),
                                        "decade", ratings.decade(2),
                                        "mood", "happy"))
                        .build();
        CandidateScorer scorer =
                new CandidateScorer(
                        l.model(), l.encoder().standardizer(), l.encoder().denseScaler());
        float[] s = scorer.scoreAgainst(event, new String[] {"i7", "i9"}, l.memory());

        // One forward pass over the event and its candidates, or over the event alone: the same
        // score up to the float sums' order.
        assertThat(s[0]).isCloseTo(score(l, event), within(1e-6f));
        Event seven =
                Event.newBuilder(event)
                        .setCategorical(
                                Map.of(
                                        "user", "u1",
                                        "item", "i7",
                                        "genres", ratings.genres(7),
                                        "decade", ratings.decade(7),
                                        "mood", "happy"))
                        .build();
        assertThat(s[1]).isCloseTo(score(l, seven), within(1e-6f));
        assertThat(s[2]).isNotEqualTo(s[1]);
    }

    @Test
    void theTopItemsAreTheBestScoredOfThoseTheUserHasNotSeen() {
        SyntheticRatings ratings = SyntheticRatings.of(30, 200, 2000, "movies", 3);
        Learned l = learn(ratings.events);
        CandidateScorer scorer =
                new CandidateScorer(
                        l.model(), l.encoder().standardizer(), l.encoder().denseScaler());
        Event base = CandidateScorer.userEvent(SPEC, l.memory(), "u4", null);

        CandidateScorer.TopItems top = scorer.recommend(base, "u4", 5, l.memory());

        // By hand: every unseen item of the catalog, scored one by one.
        List<Map.Entry<String, Float>> all = new ArrayList<>();
        for (int slot = 0; slot < l.memory().size(); slot++) {
            String item = l.memory().item(slot);
            if (!l.memory().history("u4").contains(item)) {
                Map<String, String> c = new HashMap<>(l.memory().features(slot));
                c.put("user", "u4");
                c.put("item", item);
                all.add(
                        Map.entry(
                                item, score(l, Event.newBuilder(base).setCategorical(c).build())));
            }
        }
        all.sort(Map.Entry.<String, Float>comparingByValue(Comparator.reverseOrder()));
        assertThat(top.candidates()).isEqualTo(all.size());
        assertThat(top.excluded()).isEqualTo(l.memory().history("u4").size()).isPositive();
        assertThat(top.items())
                .extracting(RecommendedItem::getItem)
                .containsExactlyElementsOf(
                        all.subList(0, 5).stream().map(Map.Entry::getKey).toList());
        // A rating model states its score in the label's units (the user's part scored once: the
        // same up to the float sums' order).
        assertThat(top.items().get(0).getScore())
                .isCloseTo(l.model().labelUnits(all.get(0).getValue()), within(1e-5f));
        assertThat(scorer.recommend(base, "u4", 0, l.memory()).items()).isEmpty();
    }

    @Test
    void aSnapshotRecommendsAndExplainsAsTheModelItCameFrom() {
        SyntheticRatings ratings = SyntheticRatings.of(30, 200, 1500, "movies", 4);
        Learned l = learn(ratings.events);
        ModelSnapshot snapshot =
                ModelSnapshot.newBuilder()
                        .setModel("movies")
                        .setVersion(l.model().steps())
                        .setTime(0L)
                        .setSpec(SPEC)
                        .setExamplesSeen(1500)
                        .setTensors(l.model().parameterTensors())
                        .setOptimizerState(l.model().optimizerTensors())
                        .setFeatureState(ModelRecords.featureTensors(l.encoder().standardizer()))
                        .setInteractions(l.memory().toRecord())
                        .build();
        ScoringModel scoring = ScoringModel.of(snapshot);
        CandidateScorer scorer =
                new CandidateScorer(
                        l.model(), l.encoder().standardizer(), l.encoder().denseScaler());

        assertThat(scoring.recommend("u2", 10, 5L).getItems())
                .isEqualTo(
                        scorer.recommend(
                                        CandidateScorer.userEvent(SPEC, l.memory(), "u2", null),
                                        "u2",
                                        10,
                                        l.memory())
                                .items());
        Event request =
                Event.newBuilder()
                        .setId("r")
                        .setModel("movies")
                        .setTime(0L)
                        .setCategorical(Map.of("user", "u2"))
                        .setRecommend(3)
                        .build();
        assertThat(scoring.recommend(request, 5L).getItems()).hasSize(3);

        Explainer.Explanation why = scoring.explain(ratings.events.get(7));
        assertThat(why.total())
                .isCloseTo(why.score(), org.assertj.core.api.Assertions.within(1e-4));
        assertThat(why.terms())
                .extracting(Explainer.Term::input)
                .contains("user=" + ratings.events.get(7).getCategorical().get("user"));
    }

    @Test
    void recentItemsAndActivityAreTheSameInputsForRankingRecommendingAndScoring() throws Exception {
        ModelSpec spec =
                ModelSpec.newBuilder(SPEC)
                        .setTask(Task.BINARY)
                        .setRecentItems(3)
                        .setItemActivity(true)
                        .build();
        SyntheticRatings ratings = SyntheticRatings.of(30, 200, 1500, "movies", 5);
        Learned l = learn(spec, ratings.interactions());
        InteractionMemory memory = l.memory();
        CandidateScorer scorer =
                new CandidateScorer(
                        l.model(), l.encoder().standardizer(), l.encoder().denseScaler());
        String user = "u3";
        String recent = memory.recent(user, 3);
        assertThat(recent.split("\\|")).hasSize(3);

        // A candidate drawn as of the 1,200th interaction is the event with its item, side
        // features and activity as of then: its recent items are the event's.
        Event event =
                Event.newBuilder(ratings.events.get(0))
                        .setCategorical(
                                Map.of(
                                        "user",
                                        user,
                                        "item",
                                        "i2",
                                        "genres",
                                        ratings.genres(2),
                                        "decade",
                                        ratings.decade(2),
                                        InteractionMemory.RECENT_FEATURE,
                                        recent,
                                        InteractionMemory.COUNT_FEATURE,
                                        "1",
                                        InteractionMemory.IDLE_FEATURE,
                                        "5"))
                        .build();
        String item = memory.item(0);
        float[] s = scorer.scoreAgainst(event, new String[] {item}, memory, 1200);
        Map<String, String> byHand = new HashMap<>(memory.features(item));
        byHand.put("user", user);
        byHand.put("item", item);
        byHand.put(InteractionMemory.RECENT_FEATURE, recent);
        byHand.put(InteractionMemory.COUNT_FEATURE, Integer.toString(memory.countBucket(item)));
        byHand.put(InteractionMemory.IDLE_FEATURE, Integer.toString(memory.idleBucket(item, 1200)));
        assertThat(s[0]).isCloseTo(score(l, event), within(1e-6f));
        assertThat(s[1])
                .isCloseTo(
                        score(l, Event.newBuilder(event).setCategorical(byHand).build()),
                        within(1e-6f));
        // As of another interaction the candidate idles otherwise, and scores otherwise.
        assertThat(memory.idleBucket(item, 1500)).isNotEqualTo(memory.idleBucket(item, 1200));
        assertThat(scorer.scoreAgainst(event, new String[] {item}, memory, 1500)[1])
                .isNotEqualTo(s[1]);

        // A snapshot recommends from the same recent items and activity as of its last
        // interaction, and scores an event with them.
        ModelSnapshot snapshot =
                ModelSnapshot.newBuilder()
                        .setModel("movies")
                        .setVersion(l.model().steps())
                        .setTime(0L)
                        .setSpec(spec)
                        .setExamplesSeen(1500)
                        .setTensors(l.model().parameterTensors())
                        .setOptimizerState(l.model().optimizerTensors())
                        .setFeatureState(ModelRecords.featureTensors(l.encoder().standardizer()))
                        .setInteractions(memory.toRecord())
                        .build();
        // As the models topic carries it: the spec keeps its context.
        var codec = perpetua.wire.WireFormat.codec(ModelSnapshot.class);
        ModelSnapshot published = codec.decode(codec.encode(snapshot));
        assertThat(published.getSpec().getRecentItems()).isEqualTo(3);
        assertThat(published.getSpec().getItemActivity()).isTrue();
        ScoringModel scoring = ScoringModel.of(published);
        Event base = CandidateScorer.userEvent(spec, memory, user, null);
        assertThat(base.getCategorical()).containsEntry(InteractionMemory.RECENT_FEATURE, recent);
        List<RecommendedItem> top = scoring.recommend(user, 5, 0L).getItems();
        List<Map.Entry<String, Float>> all = new ArrayList<>();
        for (int slot = 0; slot < memory.size(); slot++) {
            String candidate = memory.item(slot);
            if (!memory.history(user).contains(candidate)) {
                Map<String, String> c = new HashMap<>(memory.features(slot));
                c.put("user", user);
                c.put("item", candidate);
                c.put(InteractionMemory.RECENT_FEATURE, recent);
                memory.putActivity(candidate, memory.interactions(), c);
                all.add(
                        Map.entry(
                                candidate,
                                score(l, Event.newBuilder(base).setCategorical(c).build())));
            }
        }
        all.sort(Map.Entry.<String, Float>comparingByValue(Comparator.reverseOrder()));
        assertThat(top)
                .extracting(RecommendedItem::getItem)
                .containsExactlyElementsOf(
                        all.subList(0, 5).stream().map(Map.Entry::getKey).toList());
        Event bare =
                Event.newBuilder(event)
                        .setCategorical(
                                Map.of(
                                        "user",
                                        user,
                                        "item",
                                        item,
                                        "genres",
                                        memory.features(item).get("genres"),
                                        "decade",
                                        memory.features(item).get("decade")))
                        .build();
        Map<String, String> context = new HashMap<>(bare.getCategorical());
        context.put(InteractionMemory.RECENT_FEATURE, recent);
        memory.putActivity(item, memory.interactions(), context);
        double logit = score(l, Event.newBuilder(bare).setCategorical(context).build());
        assertThat(scoring.score(List.of(bare), 0L).get(0).getScores().get(1))
                .isCloseTo((float) (1.0 / (1.0 + Math.exp(-logit))), within(1e-5f));
    }

    @Test
    void aModelWithoutAnItemFeatureRecommendsNothing() {
        ModelSpec plain = ModelSpec.newBuilder(SPEC).setItemFeature(null).build();
        assertThatThrownBy(
                        () ->
                                new CandidateScorer(
                                        new NeuralModel(plain),
                                        new FeatureEncoder(plain).standardizer(),
                                        null))
                .hasMessageContaining("no recommender");
    }

    /** The top items with the user's part scored once, and with every candidate a whole row. */
    private static void joinedAsWholeRows(ModelSpec spec) {
        SyntheticRatings ratings = SyntheticRatings.of(30, 200, 2000, "movies", 3);
        Learned l = learn(spec, ratings.events);
        CandidateScorer scorer =
                new CandidateScorer(
                        l.model(), l.encoder().standardizer(), l.encoder().denseScaler());
        assertThat(scorer.joinsRows()).isTrue();
        for (String user : List.of("u1", "u4", "u17", "nobody")) {
            Event base = CandidateScorer.userEvent(spec, l.memory(), user, null);
            CandidateScorer.TopItems whole = scorer.recommend(base, user, 200, l.memory(), false);
            CandidateScorer.TopItems joined = scorer.recommend(base, user, 200, l.memory(), true);
            assertThat(joined.candidates()).isEqualTo(whole.candidates());
            assertThat(joined.excluded()).isEqualTo(whole.excluded());
            Map<String, Float> byItem = new HashMap<>();
            whole.items().forEach(i -> byItem.put(i.getItem(), i.getScore()));
            // Every item, with the same score up to the float sums' order.
            assertThat(joined.items()).hasSize(whole.items().size());
            for (RecommendedItem i : joined.items()) {
                assertThat(byItem).containsKey(i.getItem());
                assertThat(i.getScore()).isCloseTo(byItem.get(i.getItem()), within(1e-5f));
            }
            assertThat(joined.items().get(0).getItem()).isEqualTo(whole.items().get(0).getItem());
        }
    }

    @Test
    void aUsersPartScoredOnceGivesTheScoresOfWholeRows() {
        joinedAsWholeRows(SPEC);
    }

    @Test
    void aSequenceModelsUserPartScoredOnceGivesTheScoresOfWholeRows() {
        joinedAsWholeRows(
                ModelSpec.newBuilder(SPEC)
                        .setTask(Task.BINARY)
                        .setRecentItems(5)
                        .setItemActivity(true)
                        .setCooccurrenceBits(10)
                        .setInteractions(List.of("user*mood"))
                        .build());
    }

    @Test
    void aModelThatMixesUserAndItemElsewhereScoresWholeRows() {
        SyntheticRatings ratings = SyntheticRatings.of(10, 20, 50, "movies", 3);
        for (ModelSpec spec :
                List.of(
                        ModelSpec.newBuilder(SPEC).setInteractions(List.of("user*item")).build(),
                        ModelSpec.newBuilder(SPEC).setInteractions(List.of("genres*user")).build(),
                        ModelSpec.newBuilder(SPEC)
                                .setEmbeddings(List.of(new perpetua.schemas.Embedding("item", 3)))
                                .setEmbeddingBits(6)
                                .setHidden(
                                        List.of(
                                                new perpetua.schemas.Layer(
                                                        4, perpetua.schemas.Activation.RELU, 0f)))
                                .build())) {
            Learned l = learn(spec, ratings.events);
            CandidateScorer scorer =
                    new CandidateScorer(
                            l.model(), l.encoder().standardizer(), l.encoder().denseScaler());
            assertThat(scorer.joinsRows()).as(spec.toString()).isFalse();
            Event base = CandidateScorer.userEvent(spec, l.memory(), "u1", null);
            assertThatThrownBy(() -> scorer.recommend(base, "u1", 5, l.memory(), true))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(scorer.recommend(base, "u1", 5, l.memory()).items()).hasSize(5);
        }
    }
}
