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
}
