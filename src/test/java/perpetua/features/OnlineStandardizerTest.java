package perpetua.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineStandardizerTest {

    @Test
    void matchesTwoPassMeanAndVariance() {
        Random random = new Random(7);
        double[] xs = new double[1000];
        OnlineStandardizer standardizer = new OnlineStandardizer(2);
        for (int i = 0; i < xs.length; i++) {
            // Large offset: the naive sum-of-squares formula would lose most digits here.
            xs[i] = 1e6 + 3.0 * random.nextGaussian();
            standardizer.update(1, xs[i]);
        }
        double mean = 0;
        for (double x : xs) {
            mean += x;
        }
        mean /= xs.length;
        double var = 0;
        for (double x : xs) {
            var += (x - mean) * (x - mean);
        }
        var /= xs.length;

        assertThat(standardizer.count(1)).isEqualTo(1000);
        assertThat(standardizer.mean(1)).isCloseTo(mean, within(1e-9));
        assertThat(standardizer.variance(1)).isCloseTo(var, within(1e-9 * var));
        assertThat(standardizer.standardize(1, mean + 2 * Math.sqrt(var)))
                .isCloseTo(2.0, within(1e-9));
        assertThat(standardizer.count(0)).isZero();
    }

    @Test
    void onlyCentresWhileTheScaleIsUnknown() {
        OnlineStandardizer standardizer = new OnlineStandardizer(1);
        standardizer.update(0, 5.0);
        // One observation: no variance yet.
        assertThat(standardizer.standardize(0, 7.0)).isZero();
        standardizer.update(0, 5.0);
        // Constant feature: variance 0, still only centred.
        assertThat(standardizer.standardize(0, 4.0)).isEqualTo(-1.0);
    }

    @Test
    void restoredStandardizerContinuesIdentically() {
        OnlineStandardizer original = new OnlineStandardizer(1);
        for (int i = 0; i < 10; i++) {
            original.update(0, i * 1.5);
        }
        OnlineStandardizer restored =
                new OnlineStandardizer(original.counts(), original.means(), original.m2s());
        original.update(0, 42.0);
        restored.update(0, 42.0);

        assertThat(restored.standardize(0, 3.0)).isEqualTo(original.standardize(0, 3.0));
        assertThat(restored.m2s()).containsExactly(original.m2s());
    }

    @Test
    void holdsValuesWithinThreeWhileItsMomentsAreYoung() {
        OnlineStandardizer standardizer = new OnlineStandardizer(1);
        standardizer.update(0, 10.0);
        standardizer.update(0, 10.1);
        // Two close values give a tiny deviation: 20 would be hundreds of deviations away.
        assertThat(standardizer.standardize(0, 20.0)).isEqualTo(OnlineStandardizer.WARM_UP_LIMIT);
        assertThat(standardizer.standardize(0, 0.0)).isEqualTo(-OnlineStandardizer.WARM_UP_LIMIT);
        for (int i = 2; i < OnlineStandardizer.WARM_UP; i++) {
            standardizer.update(0, i % 2 == 0 ? 10.0 : 10.1);
        }
        // Past the warm-up the moments are trusted.
        assertThat(standardizer.standardize(0, 20.0)).isGreaterThan(100);
    }

    @Test
    void standardizesByTheMomentsAsTheyAreAtEachCall() {
        // Reads between updates, and a copy taken mid-way, each as the moments are at that call:
        // by the mean and the root of m2 / count, computed again from the values seen so far.
        OnlineStandardizer standardizer = new OnlineStandardizer(1);
        OnlineStandardizer copy = new OnlineStandardizer(1);
        Random random = new Random(5);
        double sum = 0;
        double[] seen = new double[300];
        for (int n = 0; n < seen.length; n++) {
            double probe = random.nextGaussian() * 3;
            if (n >= 2) {
                double mean = sum / n;
                double m2 = 0;
                for (int k = 0; k < n; k++) {
                    m2 += (seen[k] - mean) * (seen[k] - mean);
                }
                double z = (probe - mean) / Math.sqrt(m2 / n);
                if (n < OnlineStandardizer.WARM_UP) {
                    z = Math.max(-3, Math.min(3, z));
                }
                assertThat(standardizer.standardize(0, probe)).isCloseTo(z, within(1e-9));
                assertThat(standardizer.standardize(0, probe)).isCloseTo(z, within(1e-9));
            }
            if (n % 50 == 25) {
                copy.copyFrom(standardizer);
                assertThat(copy.standardize(0, probe))
                        .isEqualTo(standardizer.standardize(0, probe));
            }
            seen[n] = 10 + random.nextGaussian() * (1 + n / 100.0);
            sum += seen[n];
            standardizer.update(0, seen[n]);
        }
        // The copy stayed where it was taken; the standardizer moved on.
        assertThat(copy.count(0)).isEqualTo(275);
        assertThat(copy.standardize(0, 12.0)).isNotEqualTo(standardizer.standardize(0, 12.0));
    }
}
