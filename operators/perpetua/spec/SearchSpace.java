package perpetua.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import perpetua.model.Optimizer;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Search;

/**
 * The learners a spec's {@code search} tries, each a challenger spec of the model: the spec with
 * another optimizer, learning rate or hidden layers, named for what it is ({@code
 * flights~normalized_adagrad/lr=2/linear}).
 *
 * <p>The {@code auto} preset is the spec's own learner and, besides: linear NORMALIZED_ADAGRAD at
 * learning rates 0.5, 1 and 2 and, when the model has dense or numeric inputs for hidden layers to
 * read, NORMALIZED_ADAGRAD with a hidden layer of 64 (learning rates 0.3 and 1) and with layers of
 * 256 and 128 (0.3). These won on the benchmark streams where a linear model is not enough
 * (BENCHMARKS.md). The lists of a search combine: every optimizer with every learning rate and
 * every hidden layout; an empty list keeps the spec's own.
 */
public final class SearchSpace {
    /** The preset of candidates chosen for the task and the inputs. */
    public static final String AUTO = "auto";

    /** The most learners a search may run at once, its own included: its cost, at first. */
    public static final int MAX_LEARNERS = 16;

    /** Between a model's name and the description of one of its search's learners. */
    public static final String SEPARATOR = "~";

    private SearchSpace() {}

    /** One learner of a search: its optimizer, learning rate (0: its default) and layer widths. */
    private record Learner(OptimizerKind optimizer, float learningRate, List<Integer> widths) {
        static Learner of(ModelSpec s) {
            List<Integer> widths = new ArrayList<>();
            for (Layer l : s.getHidden()) {
                widths.add(l.getUnits());
            }
            return new Learner(s.getOptimizer(), effectiveRate(s), widths);
        }

        /** The spec with this learner: other fields as the spec's, hidden layers ReLU. */
        ModelSpec applyTo(ModelSpec base) {
            ModelSpec.Builder b = ModelSpec.newBuilder(base);
            b.setOptimizer(optimizer).setLearningRate(learningRate);
            if (!widths.equals(of(base).widths())) {
                List<Layer> layers = new ArrayList<>();
                for (int w : widths) {
                    layers.add(Layer.newBuilder().setUnits(w).build());
                }
                b.setHidden(layers);
            }
            return b.build();
        }
    }

    /**
     * The spec with its search's learners as challengers, after those it had: each named by {@link
     * #name}, without challengers or search of its own. A learner equal to the spec's own, or named
     * as a challenger already there, is left out. A spec without a search is returned as it is.
     */
    public static ModelSpec expand(ModelSpec spec) {
        if (spec.getSearch() == null) {
            return spec;
        }
        List<ModelSpec> challengers = new ArrayList<>(spec.getChallengers());
        for (ModelSpec c : candidates(spec)) {
            if (challengers.stream().noneMatch(h -> h.getModel().equals(c.getModel()))) {
                challengers.add(c);
            }
        }
        return ModelSpec.newBuilder(spec).setChallengers(challengers).build();
    }

    /** The search's learners besides the spec's own, as challenger specs. */
    static List<ModelSpec> candidates(ModelSpec spec) {
        Search search = spec.getSearch();
        Map<Learner, Boolean> learners = new LinkedHashMap<>();
        if (AUTO.equals(search.getPreset())) {
            for (float lr : new float[] {0.5f, 1f, 2f}) {
                learners.put(new Learner(OptimizerKind.NORMALIZED_ADAGRAD, lr, List.of()), true);
            }
            if (spec.getDenseSize() + spec.getNumericFeatures().size() > 0
                    || !spec.getEmbeddings().isEmpty()) {
                learners.put(
                        new Learner(OptimizerKind.NORMALIZED_ADAGRAD, 0.3f, List.of(64)), true);
                learners.put(new Learner(OptimizerKind.NORMALIZED_ADAGRAD, 1f, List.of(64)), true);
                learners.put(
                        new Learner(OptimizerKind.NORMALIZED_ADAGRAD, 0.3f, List.of(256, 128)),
                        true);
            }
        }
        Learner own = Learner.of(spec);
        boolean lists =
                !search.getOptimizers().isEmpty()
                        || !search.getLearningRates().isEmpty()
                        || !search.getWidths().isEmpty();
        if (lists) {
            List<OptimizerKind> optimizers =
                    search.getOptimizers().isEmpty()
                            ? List.of(spec.getOptimizer())
                            : search.getOptimizers();
            List<List<Integer>> widths =
                    search.getWidths().isEmpty() ? List.of(own.widths()) : search.getWidths();
            for (OptimizerKind o : optimizers) {
                List<Float> rates =
                        search.getLearningRates().isEmpty()
                                ? List.of(o == spec.getOptimizer() ? own.learningRate() : 0f)
                                : search.getLearningRates();
                for (float lr : rates) {
                    for (List<Integer> w : widths) {
                        ModelSpec probe =
                                ModelSpec.newBuilder(spec)
                                        .setOptimizer(o)
                                        .setLearningRate(lr)
                                        .build();
                        learners.put(new Learner(o, effectiveRate(probe), List.copyOf(w)), true);
                    }
                }
            }
        }
        learners.remove(own);
        List<ModelSpec> out = new ArrayList<>();
        for (Learner l : learners.keySet()) {
            ModelSpec learner = l.applyTo(spec);
            out.add(asCandidate(learner, spec.getModel()));
        }
        return out;
    }

    /**
     * The spec of a learner as a candidate of {@code model}'s search: named by {@link #name},
     * without challengers or a search of its own.
     */
    public static ModelSpec asCandidate(ModelSpec learner, String model) {
        return ModelSpec.newBuilder(learner)
                .setModel(name(model, learner))
                .setChallengers(List.of())
                .setSearch(null)
                .build();
    }

    /**
     * The name of a learner of {@code model}'s search: {@code model~optimizer/lr=RATE/hidden=64x32}
     * or {@code .../linear}.
     */
    public static String name(String model, ModelSpec learner) {
        return model + SEPARATOR + describe(learner);
    }

    /** A learner in words, as its search names it: optimizer, learning rate, hidden layers. */
    public static String describe(ModelSpec learner) {
        Learner l = Learner.of(learner);
        StringBuilder b =
                new StringBuilder(l.optimizer().name().toLowerCase(Locale.ROOT))
                        .append("/lr=")
                        .append(rate(l.learningRate()));
        if (l.widths().isEmpty()) {
            b.append("/linear");
        } else {
            b.append("/hidden=");
            for (int i = 0; i < l.widths().size(); i++) {
                b.append(i == 0 ? "" : "x").append(l.widths().get(i));
            }
        }
        return b.toString();
    }

    /** The number of learners the spec's search runs at first, its own included; 1 without. */
    public static int learners(ModelSpec spec) {
        return spec.getSearch() == null ? 1 : 1 + candidates(spec).size();
    }

    /** Null when the spec's search can run, otherwise why not. */
    static String problem(ModelSpec s) {
        Search search = s.getSearch();
        if (search == null) {
            return null;
        }
        if (!search.getPreset().isEmpty() && !AUTO.equals(search.getPreset())) {
            return "search preset is \"" + AUTO + "\" or empty, not \"" + search.getPreset() + "\"";
        }
        for (float lr : search.getLearningRates()) {
            if (!(lr >= 0) || Float.isInfinite(lr)) {
                return "search learning rates are >= 0 (0: the optimizer's default)";
            }
        }
        for (List<Integer> widths : search.getWidths()) {
            for (int w : widths) {
                if (w < 1) {
                    return "search widths are >= 1";
                }
            }
        }
        if (search.getRungWindows() < 1) {
            return "search rungWindows must be >= 1";
        }
        // A spec taken from a snapshot lists the search's learners already: each counts once.
        int n = 1 + expand(s).getChallengers().size();
        if (n > MAX_LEARNERS) {
            return "search runs "
                    + n
                    + " learners at once, more than "
                    + MAX_LEARNERS
                    + ": shorten its lists";
        }
        if (n < 2) {
            return "search has no learner besides the spec's own";
        }
        return null;
    }

    private static float effectiveRate(ModelSpec s) {
        return Optimizer.learningRate(s);
    }

    private static String rate(float lr) {
        return new java.math.BigDecimal(Float.toString(lr)).stripTrailingZeros().toPlainString();
    }
}
