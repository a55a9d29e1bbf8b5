package perpetua.drift;

import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/** Drift detectors as a model spec names and tunes them, and the rules a spec must follow. */
public final class DriftDetectors {

    private DriftDetectors() {}

    /**
     * The detector the spec names, or null for NONE: ADWIN(driftDelta, driftMinInstances),
     * DDM(driftMinInstances), PAGE_HINKLEY(driftTolerance, driftThreshold, alpha 1,
     * driftMinInstances).
     */
    public static DriftDetector forSpec(ModelSpec spec) {
        return switch (spec.getDriftDetector()) {
            case NONE -> null;
            case ADWIN -> new AdwinDetector(spec.getDriftDelta(), spec.getDriftMinInstances());
            case DDM -> new DdmDetector(spec.getDriftMinInstances());
            case PAGE_HINKLEY ->
                    new PageHinkleyDetector(
                            spec.getDriftTolerance(),
                            spec.getDriftThreshold(),
                            PageHinkleyDetector.DEFAULT_ALPHA,
                            spec.getDriftMinInstances());
        };
    }

    /** Returns null when the spec's drift fields are usable, otherwise why not. */
    public static String problem(ModelSpec spec) {
        String m = "model '" + spec.getModel() + "': ";
        DriftDetectorKind kind = spec.getDriftDetector();
        if (kind == DriftDetectorKind.DDM && spec.getTask() == Task.REGRESSION) {
            return m
                    + "DDM watches a stream of 0/1 errors; a REGRESSION model's loss needs ADWIN"
                    + " or PAGE_HINKLEY";
        }
        if (kind == DriftDetectorKind.ADWIN
                && !(spec.getDriftDelta() > 0 && spec.getDriftDelta() < 1)) {
            return m + "driftDelta in (0, 1) for ADWIN";
        }
        if (kind == DriftDetectorKind.PAGE_HINKLEY
                && !(spec.getDriftTolerance() >= 0 && spec.getDriftThreshold() > 0)) {
            return m + "driftTolerance >= 0 and driftThreshold > 0 for PAGE_HINKLEY";
        }
        if (spec.getDriftMinInstances() < 1) {
            return m + "driftMinInstances >= 1";
        }
        if (spec.getDriftReaction() == DriftReaction.BOOST_LEARNING_RATE
                && !(spec.getDriftBoostFactor() > 0
                        && Float.isFinite(spec.getDriftBoostFactor())
                        && spec.getDriftBoostBatches() >= 1)) {
            return m + "driftBoostFactor > 0 and driftBoostBatches >= 1 for BOOST_LEARNING_RATE";
        }
        return null;
    }
}
