package perpetua.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions over the parameters' long dense ranges on the vector API, for the JVMs where {@link
 * VectorSupport} finds it; loaded only there.
 */
final class VectorMath {
    private static final VectorSpecies<Float> SPECIES = VectorKernel.SPECIES;
    private static final int L = SPECIES.length();

    private VectorMath() {}

    /**
     * The sum of {@code x[i]^2} over {@code [from, to)}: four vectors of running sums in float, so
     * that each lane sums a thirty-second of the range (a gradient norm for the step's guard, where
     * float's precision over that many terms is plenty), the four then summed in double.
     */
    static double sumOfSquares(float[] x, int from, int to) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int i = from;
        for (; i + 4 * L <= to; i += 4 * L) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, x, i);
            FloatVector v1 = FloatVector.fromArray(SPECIES, x, i + L);
            FloatVector v2 = FloatVector.fromArray(SPECIES, x, i + 2 * L);
            FloatVector v3 = FloatVector.fromArray(SPECIES, x, i + 3 * L);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        double sum =
                ((double) s0.reduceLanes(VectorOperators.ADD) + s1.reduceLanes(VectorOperators.ADD))
                        + ((double) s2.reduceLanes(VectorOperators.ADD)
                                + s3.reduceLanes(VectorOperators.ADD));
        for (; i < to; i++) {
            sum += (double) x[i] * x[i];
        }
        return sum;
    }

    /**
     * Whether {@code x[0, length)} holds finite values only: {@code v - v} is 0 for a finite value
     * and NaN for an infinite or NaN one, and a NaN stays in the running sum.
     */
    static boolean allFinite(float[] x, int length) {
        FloatVector sum = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < SPECIES.loopBound(length); i += L) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, i);
            sum = sum.add(v.sub(v));
        }
        boolean finite = sum.reduceLanes(VectorOperators.ADD) == 0f;
        for (; i < length; i++) {
            finite &= Float.isFinite(x[i]);
        }
        return finite;
    }
}
