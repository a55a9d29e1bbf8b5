package perpetua.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import perpetua.schemas.Event;

/**
 * A synthetic rating stream with the shape of a movie-rating log, fixed by a seed: users rate items
 * that have a multi-valued genre list and a decade, and a rating is low-rank in truth.
 *
 * <p>Each user has a bias and a taste vector, each item a bias, a quality vector and one to three
 * genres; a user's taste for a genre adds to the items of that genre. The rating is {@code 3.5 +
 * b_u + b_i + <p_u, q_i> + genre affinity + noise}, clipped to [0.5, 5] and rounded to half stars.
 * Users pick items by popularity (a Zipf-like law over items) among those they have not rated yet,
 * so the stream has popular items, as real ones do. Events carry {@code user}, {@code item}, {@code
 * genres} ("Comedy|Drama"), {@code decade} and the rating as label, in time order.
 */
public final class SyntheticRatings {
    public static final String[] GENRES = {
        "Action", "Comedy", "Drama", "Horror", "Romance", "SciFi", "Thriller", "Animation"
    };

    public final int users;
    public final int items;
    public final List<Event> events;

    private final double[] userBias;
    private final double[][] taste;
    private final double[] itemBias;
    private final double[][] quality;
    private final int[][] itemGenres;
    private final double[][] genreTaste;

    private SyntheticRatings(int users, int items, int ratings, String model, long seed) {
        this.users = users;
        this.items = items;
        Random r = new Random(seed);
        int rank = 3;
        userBias = new double[users];
        taste = new double[users][rank];
        genreTaste = new double[users][GENRES.length];
        for (int u = 0; u < users; u++) {
            userBias[u] = 0.4 * r.nextGaussian();
            for (int d = 0; d < rank; d++) {
                taste[u][d] = 0.6 * r.nextGaussian();
            }
            for (int g = 0; g < GENRES.length; g++) {
                genreTaste[u][g] = 0.5 * r.nextGaussian();
            }
        }
        itemBias = new double[items];
        quality = new double[items][rank];
        itemGenres = new int[items][];
        for (int i = 0; i < items; i++) {
            itemBias[i] = 0.5 * r.nextGaussian();
            for (int d = 0; d < rank; d++) {
                quality[i][d] = 0.6 * r.nextGaussian();
            }
            int n = 1 + r.nextInt(3);
            itemGenres[i] = r.ints(0, GENRES.length).distinct().limit(n).toArray();
        }
        // A user picks an item they have not rated, with weight 1 / (i + 5) (popularity) times
        // exp(2 (truth - 3.5)): people mostly watch what they expect to like.
        boolean[][] rated = new boolean[users][items];
        double[] weight = new double[items];
        List<Event> out = new ArrayList<>(ratings);
        for (int k = 0; k < ratings; k++) {
            int u = r.nextInt(users);
            double total = 0;
            for (int i = 0; i < items; i++) {
                weight[i] = rated[u][i] ? 0 : Math.exp(2 * (truth(u, i) - 3.5)) / (i + 5);
                total += weight[i];
            }
            int i = 0;
            if (total > 0) {
                double x = r.nextDouble() * total;
                while (i < items - 1 && (x -= weight[i]) > 0) {
                    i++;
                }
            } else {
                i = r.nextInt(items);
            }
            rated[u][i] = true;
            out.add(event(model, k, u, i, rating(u, i, r)));
        }
        this.events = List.copyOf(out);
    }

    /** A stream of {@code ratings} ratings by {@code users} users of {@code items} items. */
    public static SyntheticRatings of(int users, int items, int ratings, String model, long seed) {
        return new SyntheticRatings(users, items, ratings, model, seed);
    }

    /** The rating in truth, before noise and rounding. */
    public double truth(int u, int i) {
        double z = 3.5 + userBias[u] + itemBias[i];
        for (int d = 0; d < taste[u].length; d++) {
            z += taste[u][d] * quality[i][d];
        }
        for (int g : itemGenres[i]) {
            z += genreTaste[u][g] / itemGenres[i].length;
        }
        return z;
    }

    private double rating(int u, int i, Random r) {
        double z = truth(u, i) + 0.3 * r.nextGaussian();
        return Math.max(0.5, Math.min(5.0, Math.round(z * 2) / 2.0));
    }

    /** The genres of item {@code i} as an event carries them: "Comedy|Drama". */
    public String genres(int i) {
        StringBuilder b = new StringBuilder();
        for (int g : itemGenres[i]) {
            if (b.length() > 0) {
                b.append('|');
            }
            b.append(GENRES[g]);
        }
        return b.toString();
    }

    /** The decade of item {@code i}. */
    public String decade(int i) {
        return (1950 + 10 * (i % 7)) + "s";
    }

    private Event event(String model, int k, int u, int i, double rating) {
        return Event.newBuilder()
                .setId(model + "-" + k)
                .setModel(model)
                .setTime(1_000_000L + 1000L * k)
                .setCategorical(
                        Map.of(
                                "user", "u" + u, "item", "i" + i, "genres", genres(i), "decade",
                                decade(i)))
                .setLabel(rating)
                .build();
    }

    /** The same stream as implicit feedback: every rating an interaction, label 1. */
    public List<Event> interactions() {
        List<Event> out = new ArrayList<>(events.size());
        for (Event e : events) {
            out.add(Event.newBuilder(e).setLabel(1).build());
        }
        return out;
    }
}
