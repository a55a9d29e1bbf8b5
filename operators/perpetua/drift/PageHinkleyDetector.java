package perpetua.drift;

import java.util.Map;

/**
 * The Page-Hinkley test (Page 1954; Hinkley 1971) for a rise in the mean of the error stream.
 *
 * <p>With x̄_T the mean of the values since the last drift, the cumulative deviation is m_T = alpha
 * * m_{T-1} + (x_T - x̄_T - delta) and M_T its lowest value so far. The test signals a drift when
 * PH_T = m_T - M_T exceeds lambda, after at least {@code minInstances} values, and starts over.
 * delta is the size of change that is tolerated; lambda trades detection delay against false alarms
 * and is in the units of the stream (a fraction of errors for 0/1 errors, the loss's own units for
 * regression). alpha slightly below 1 lets old deviations fade (1 is the classic test). It has no
 * warning level.
 *
 * <p>State: nine numbers.
 */
public class PageHinkleyDetector extends StreamDetector {

    /**
     * The fading of the cumulative deviation a spec gets: none, the classic test. Fading (say 1 -
     * 1e-4) compares m_T with a minimum reached under a different equilibrium and raised the false
     * alarms on stationary 0/1 streams about tenfold when measured.
     */
    public static final double DEFAULT_ALPHA = 1.0;

    public double delta;
    public double lambda;
    public double alpha;
    public int minInstances;

    /** Values since the last drift, their mean, m_T and M_T. */
    public long n;

    public double mean;
    public double cumulative;
    public double minimum;

    /** At the last drift: PH_T, the mean, n; and whether there was one. */
    public double signalPh;

    public double signalMean;
    public long signalN;
    public boolean signalled;

    /** For Flink's POJO serializer only. */
    public PageHinkleyDetector() {}

    public PageHinkleyDetector(double delta, double lambda, double alpha, int minInstances) {
        if (!(delta >= 0) || !(lambda > 0) || !(alpha > 0 && alpha <= 1) || minInstances < 1) {
            throw new IllegalArgumentException(
                    "Page-Hinkley needs delta >= 0, lambda > 0, alpha in (0, 1], minInstances >= 1");
        }
        this.delta = delta;
        this.lambda = lambda;
        this.alpha = alpha;
        this.minInstances = minInstances;
    }

    @Override
    protected Signal take(double x) {
        n++;
        mean += (x - mean) / n;
        cumulative = alpha * cumulative + (x - mean - delta);
        minimum = n == 1 ? cumulative : Math.min(minimum, cumulative);
        double ph = cumulative - minimum;
        if (n >= minInstances && ph > lambda) {
            signalPh = ph;
            signalMean = mean;
            signalN = n;
            signalled = true;
            reset();
            return Signal.DRIFT;
        }
        return Signal.NONE;
    }

    @Override
    public String name() {
        return "PAGE_HINKLEY";
    }

    @Override
    protected boolean hasSignalled() {
        return signalled;
    }

    @Override
    protected void putStatistics(Map<String, Double> out) {
        out.put("ph", signalPh);
        out.put("lambda", lambda);
        out.put("mean", signalMean);
        out.put("n", (double) signalN);
    }

    @Override
    public void reset() {
        n = 0;
        mean = 0.0;
        cumulative = 0.0;
        minimum = 0.0;
    }
}
