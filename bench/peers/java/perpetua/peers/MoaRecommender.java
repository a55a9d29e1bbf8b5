package perpetua.peers;

import java.util.ArrayList;
import java.util.List;
import moa.recommender.predictor.BRISMFPredictor;
import moa.recommender.predictor.BaselinePredictor;
import moa.recommender.predictor.RatingPredictor;
import moa.recommender.rc.data.RecommenderData;
import perpetua.catalog.InteractionMemory;
import perpetua.schemas.Event;

/**
 * MOA's online rating predictors ({@code moa.recommender.predictor}) as a {@link
 * RecommenderLearner}, used as MOA's own {@code EvaluateOnlineRecommender} task uses them: predict
 * the rating of (user, item), then set the rating in the predictor's data, which updates the model
 * (BRISMF trains the user's and the item's factors on it). Users and items are MOA's integer ids:
 * MovieLens's own ids.
 */
final class MoaRecommender implements RecommenderLearner {
    private final String name;
    private final RatingPredictor predictor;
    private final RecommenderData data;
    private final List<Integer> candidates = new ArrayList<>();

    private MoaRecommender(String name, RatingPredictor predictor) {
        this.name = name;
        this.predictor = predictor;
        this.data = predictor.getData();
    }

    /** BRISMF (biased regularized incremental simultaneous matrix factorization). */
    static MoaRecommender brismf(String name, String options) {
        BRISMFPredictor p = new BRISMFPredictor();
        if (!options.isEmpty()) {
            p.getOptions().setViaCLIString(options);
        }
        p.prepareForUse();
        return new MoaRecommender(name, p);
    }

    /** The baseline predictor: the user's and the item's mean ratings around the global mean. */
    static MoaRecommender baseline(String name) {
        BaselinePredictor p = new BaselinePredictor();
        p.prepareForUse();
        return new MoaRecommender(name, p);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double[] score(Event event, String[] items, InteractionMemory catalog) {
        candidates.clear();
        candidates.add(item(event));
        for (String item : items) {
            candidates.add(Integer.parseInt(item));
        }
        List<Double> ratings = predictor.predictRatings(user(event), candidates);
        double[] out = new double[candidates.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ratings.get(i);
        }
        return out;
    }

    @Override
    public double predictThenLearn(Event event) {
        double rating = predictor.predictRating(user(event), item(event));
        data.setRating(user(event), item(event), PeerStream.label(event));
        return rating;
    }

    private static int user(Event e) {
        return Integer.parseInt(e.getCategorical().get(RecommenderStreams.USER));
    }

    private static int item(Event e) {
        return Integer.parseInt(e.getCategorical().get(RecommenderStreams.ITEM));
    }
}
