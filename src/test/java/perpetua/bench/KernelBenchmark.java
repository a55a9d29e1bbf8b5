package perpetua.bench;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import perpetua.features.MicroBatch;
import perpetua.model.Backend;
import perpetua.model.NeuralModel;
import perpetua.model.VectorSupport;
import perpetua.schemas.Activation;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * One training step (forward, backward, Adam) of a binary model over dense inputs, with the ND4J
 * kernel and with the primitive kernel, across input sizes, hidden widths (0: a linear model) and
 * batch sizes. The figures decide {@link perpetua.model.Kernels#choose}.
 *
 * <p>As in {@link ModelStepBenchmark}, each iteration starts from a new model and each step learns
 * the next of {@link #BATCHES} batches: one batch learned over and over by one model is memorised,
 * and its subnormal gradients measure the processor's slow path, not the kernel.
 *
 * <p>Run with {@code ./perpetua bench kernels}; one operation is one step of one batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KernelBenchmark {

    @Param({"16", "100", "1000", "10000"})
    public int inputs;

    @Param({"0", "64", "256"})
    public int hidden;

    @Param({"1", "32", "256"})
    public int batch;

    @Param({"ND4J", "PRIMITIVE", "VECTOR"})
    public String kernel;

    /** The distinct batches a run cycles through. */
    static final int BATCHES = 16;

    private ModelSpec spec;
    private NeuralModel model;
    private MicroBatch[] batches;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        // ND4J's threads as a Learner sizes them for a TaskManager of one slot on this machine.
        Backend.sizeThreads(1, null);
        // PRIMITIVE: the Java kernel's plain loops; VECTOR: the same kernel on the vector API.
        System.setProperty(VectorSupport.PROPERTY, String.valueOf(kernel.equals("VECTOR")));
        if (kernel.equals("VECTOR") && !VectorSupport.enabled()) {
            throw new IllegalStateException(
                    "kernel VECTOR: " + VectorSupport.describe() + "; ./perpetua bench passes it");
        }
        spec =
                ModelSpec.newBuilder()
                        .setModel("kernel")
                        .setTask(Task.BINARY)
                        .setDenseSize(inputs)
                        .setNumericFeatures(List.of())
                        .setWide(false)
                        .setHidden(
                                hidden == 0
                                        ? List.of()
                                        : List.of(new Layer(hidden, Activation.RELU, 0f)))
                        .setOptimizer(OptimizerKind.ADAM)
                        .setLearningRate(0.001f)
                        .setMaxBatch(batch)
                        .setKernel(ModelStepBenchmark.javaKernel(kernel))
                        .build();
        batches = new MicroBatch[BATCHES];
        Random random = new Random(1);
        float[] row = new float[inputs];
        for (int k = 0; k < BATCHES; k++) {
            batches[k] = new MicroBatch(inputs, batch);
            for (int r = 0; r < batch; r++) {
                for (int j = 0; j < inputs; j++) {
                    row[j] = (float) random.nextGaussian();
                }
                batches[k].addRow(row, new int[0], 0, random.nextInt(2), 1f);
            }
        }
    }

    /** A new model, as a new stream's, for every iteration. */
    @Setup(Level.Iteration)
    public void newModel() {
        model = new NeuralModel(spec);
        next = 0;
    }

    @Benchmark
    public double step() {
        MicroBatch rows = batches[next];
        next = (next + 1) % BATCHES;
        return model.learn(rows);
    }
}
