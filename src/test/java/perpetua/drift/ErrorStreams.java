package perpetua.drift;

import java.util.SplittableRandom;

/** Error streams with changes at known positions, for drift detector tests and the bench. */
final class ErrorStreams {
    private ErrorStreams() {}

    /** 0/1 errors at rate {@code before} until position {@code at}, then at rate {@code after}. */
    static double[] bernoulli(long seed, int length, double before, double after, int at) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] errors = new double[length];
        for (int i = 0; i < length; i++) {
            errors[i] = random.nextDouble() < (i < at ? before : after) ? 1.0 : 0.0;
        }
        return errors;
    }

    /**
     * A learner's errors on SEA: the concepts 0, 1, 2, 3 in turn, {@code length / 4} examples each,
     * 10% label noise; drifts at length/4, length/2 and 3 length/4.
     */
    static double[] sea(long seed, int length) {
        SeaStream sea = new SeaStream(seed, 0.1);
        OnlineLogistic learner = new OnlineLogistic(3, 0.5, 100, 0.1);
        double[] errors = new double[length];
        int block = length / 4;
        for (int i = 0; i < length; i++) {
            int label = sea.next(Math.min(i / block, 3));
            errors[i] = learner.errorThenLearn(sea.x, label);
        }
        return errors;
    }

    /** A learner's errors on SEA's first concept only: no drift. */
    static double[] seaStationary(long seed, int length) {
        SeaStream sea = new SeaStream(seed, 0.1);
        OnlineLogistic learner = new OnlineLogistic(3, 0.5, 100, 0.1);
        double[] errors = new double[length];
        for (int i = 0; i < length; i++) {
            errors[i] = learner.errorThenLearn(sea.x, sea.next(0));
        }
        return errors;
    }

    /**
     * A learner's errors on a 10-dimensional hyperplane with 5% label noise that turns abruptly at
     * length/4, length/2 and 3 length/4.
     */
    static double[] hyperplane(long seed, int length) {
        RotatingHyperplaneStream plane = new RotatingHyperplaneStream(seed, 10, 0.0, 0.05);
        OnlineLogistic learner = new OnlineLogistic(10, 0.5, 100, 1.0);
        double[] errors = new double[length];
        int block = length / 4;
        for (int i = 0; i < length; i++) {
            if (i > 0 && i % block == 0) {
                plane.rotate();
            }
            errors[i] = learner.errorThenLearn(plane.x, plane.next());
        }
        return errors;
    }

    /** The positions (0-based) of the values after which the detector said DRIFT. */
    static long[] drifts(DriftDetector detector, double[] errors) {
        long[] found = new long[16];
        int k = 0;
        for (int i = 0; i < errors.length; i++) {
            if (detector.update(errors[i]) == DriftDetector.Signal.DRIFT) {
                if (k == found.length) {
                    found = java.util.Arrays.copyOf(found, k * 2);
                }
                found[k++] = i;
            }
        }
        return java.util.Arrays.copyOf(found, k);
    }
}
