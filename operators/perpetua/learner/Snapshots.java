package perpetua.learner;

import perpetua.model.ModelRecords;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelState;

/** Builds the {@link ModelSnapshot} of a live model's champion: everything to resume or score. */
final class Snapshots {
    private Snapshots() {}

    static ModelSnapshot of(ModelRuntime m, long now, String event, ModelState state) {
        Variant v = m.champion;
        return ModelSnapshot.newBuilder()
                .setModel(m.name)
                .setVersion(m.version)
                .setTime(now)
                .setSpec(m.spec)
                .setExamplesSeen(v.examplesSeen)
                .setTensors(v.model.parameterTensors())
                .setOptimizerState(v.model.optimizerTensors())
                .setFeatureState(ModelRecords.featureTensors(v.encoder.standardizer()))
                .setMetrics(v.evaluator.summary())
                .setState(state)
                .setEvent(event)
                .build();
    }
}
