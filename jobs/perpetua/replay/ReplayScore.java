package perpetua.replay;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.PrimitivesArrays;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import perpetua.metrics.PrequentialEvaluator;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;

/**
 * Measures every prediction of a replay against its row's label inside the replay job, right after
 * the Learner, so that the predictions never leave the job: at a million events, collecting each
 * one to the evaluator's thread cost more than learning from it.
 *
 * <p>Keeps one {@link ReplayMetrics} per model, fed in the order the Learner served. Emits a
 * running count per model every {@link #PROGRESS_EVERY} predictions, and at the end of the replay
 * one final {@link ReplayTally} per model with its whole-replay metrics. The labels are read from
 * the file the evaluator wrote ({@link #writeLabels}), one float per replay position, NaN where a
 * row has none; a prediction's event id is its row's position. Runs at parallelism 1, as the whole
 * replay does.
 */
final class ReplayScore extends AbstractStreamOperator<ReplayTally>
        implements OneInputStreamOperator<Prediction, ReplayTally>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** A running count goes out per model every this many predictions. */
    static final int PROGRESS_EVERY = 4096;

    private final String labelsFile;
    private final List<ModelSpec> specs;
    private final int labelledRows;
    private transient float[] labels;
    private transient Map<String, ReplayMetrics> measured;
    private transient Served served;

    /**
     * @param labels the file of {@link #writeLabels}
     * @param specs the replayed models
     * @param labelledRows the replay's labelled rows (each model is measured on all of them)
     */
    ReplayScore(Path labels, List<ModelSpec> specs, int labelledRows) {
        this.labelsFile = labels.toAbsolutePath().toString();
        this.specs = List.copyOf(specs);
        this.labelledRows = labelledRows;
    }

    /** Writes one float per replay position, for {@link ReplayScore} to read. */
    static void writeLabels(float[] labels, Path file) throws IOException {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(4 + 4 * labels.length);
        bytes.putInt(labels.length);
        for (float l : labels) {
            bytes.putFloat(l);
        }
        Files.write(file, bytes.array());
    }

    @Override
    public void open() throws Exception {
        super.open();
        try (DataInputStream in =
                new DataInputStream(
                        new BufferedInputStream(Files.newInputStream(Path.of(labelsFile))))) {
            labels = new float[in.readInt()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = in.readFloat();
            }
        }
        measured = new LinkedHashMap<>();
        for (ModelSpec s : specs) {
            measured.put(
                    s.getModel(),
                    new ReplayMetrics(
                            s.getModel(),
                            s.getTask(),
                            s.getClasses(),
                            labelledRows,
                            PrequentialEvaluator.ranks(s) ? s.getRankingK() : 0));
        }
        served = new Served();
        served.scores = new float[0];
    }

    @Override
    public void processElement(StreamRecord<Prediction> record) {
        Prediction p = record.getValue();
        ReplayMetrics m = measured.get(p.getModel());
        if (m == null) {
            throw new IllegalStateException("a prediction of model '" + p.getModel() + "'");
        }
        served.model = p.getModel();
        served.row = Integer.parseInt(p.getEventId());
        served.predicted = ((Number) p.getLabel()).floatValue();
        List<Float> scores = p.getScores();
        int width = scores.size();
        if (served.scores.length != width) {
            served.scores = new float[width];
        }
        if (scores instanceof PrimitivesArrays.FloatArray floats) {
            for (int k = 0; k < width; k++) {
                served.scores[k] = floats.getFloat(k);
            }
        } else {
            for (int k = 0; k < width; k++) {
                served.scores[k] = scores.get(k);
            }
        }
        served.version = p.getModelVersion();
        served.readAt = p.getPublishedAt();
        served.predictedAt = p.getPredictedAt();
        Integer rank = p.getRank();
        served.rank = rank == null ? 0 : rank;
        m.add(served, labels[served.row]);
        if (m.events() % PROGRESS_EVERY == 0) {
            output.collect(new StreamRecord<>(ReplayTally.progress(p.getModel(), m.events())));
        }
    }

    @Override
    public void endInput() {
        for (ReplayMetrics m : measured.values()) {
            output.collect(new StreamRecord<>(m.tally()));
        }
    }
}
