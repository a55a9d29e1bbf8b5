package perpetua.bench;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
import perpetua.schemas.Kernel;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.OptimizerKind;
import perpetua.schemas.Task;

/**
 * The dense models of the benchmark streams, one micro-batch at a time: predict (the forward pass
 * that serves the batch) and learn (forward, backward and Adam), as the Learner runs them, on rows
 * shaped like the streams' (mnist: 784 pixels of which about one in five is not zero, scaled to [0,
 * 1]; letter: 16 standardized numerics). With each dense kernel, and ND4J's single-precision GEMM
 * of two 512 x 512 matrices beside them, so that a step's rate of floating-point operations can be
 * read against the machine's GEMM rate in the same run.
 *
 * <p>Each iteration starts from a new model, and each step learns the next of {@link #BATCHES}
 * batches, as a stream brings new rows to every step: an iteration measures a model's first
 * thousands of steps, the regime of the benchmark replays (the mnist stream is 625 batches).
 * Learning one batch over and over from one model, as this benchmark first did, the model memorised
 * it: its gradients and Adam's moments sank into subnormal floats (59,039 of the mnist MLP's
 * 407,060 moments after 24,000 steps), which x86 cores compute many times slower, and Adam's pass
 * took 107 instead of 57 us. With 64 batches but one model for the whole run it memorised those
 * too, and the step slowed from 245 to 277 us over ten iterations. (Adam's moments no longer go
 * subnormal, see {@code Adam}; a memorised batch's gradients still do.)
 *
 * <p>Run with {@code ./perpetua bench steps}; one operation is one batch (or one GEMM).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ModelStepBenchmark {

    /** The distinct batches a run cycles through; 3.2 MB of rows for mnist. */
    static final int BATCHES = 64;

    /** A model of a benchmark stream: its dense layers and its batch. */
    enum Shape {
        MNIST_MLP(784, List.of(256), 10, 32, 0.81),
        // the benchmark row's spec until it was re-chosen at maxBatch 32 (BENCHMARKS.md)
        MNIST_MLP_16(784, List.of(256), 10, 16, 0.81),
        MNIST_LINEAR(784, List.of(), 10, 16, 0.81),
        LETTER_MLP(16, List.of(128), 26, 16, 0.0);

        final int inputs;
        final List<Integer> hidden;
        final int classes;
        final int batch;
        final double zeros;

        Shape(int inputs, List<Integer> hidden, int classes, int batch, double zeros) {
            this.inputs = inputs;
            this.hidden = hidden;
            this.classes = classes;
            this.batch = batch;
            this.zeros = zeros;
        }

        /** Multiply-adds of one row's forward pass through the dense layers. */
        long forwardMultiplyAdds() {
            long sum = 0;
            int in = inputs;
            for (int h : hidden) {
                sum += (long) in * h;
                in = h;
            }
            return sum + (long) in * classes;
        }
    }

    @Param({"MNIST_MLP", "MNIST_MLP_16", "MNIST_LINEAR", "LETTER_MLP"})
    public String shape;

    @Param({"PRIMITIVE", "ND4J", "VECTOR"})
    public String kernel;

    private ModelSpec spec;
    private NeuralModel model;
    private MicroBatch[] batches;
    private int next;
    private float[] scores;
    private float[] predicted;
    private INDArray gemmA;
    private INDArray gemmB;
    private INDArray gemmC;

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
        Shape s = Shape.valueOf(shape);
        spec =
                ModelSpec.newBuilder()
                        .setModel("step")
                        .setTask(Task.MULTICLASS)
                        .setClasses(s.classes)
                        .setDenseSize(s.inputs)
                        .setNumericFeatures(List.of())
                        .setWide(false)
                        .setHidden(
                                s.hidden.stream()
                                        .map(h -> new Layer(h, Activation.RELU, 0f))
                                        .toList())
                        .setOptimizer(OptimizerKind.ADAM)
                        .setLearningRate(0.002f)
                        .setMaxBatch(s.batch)
                        .setKernel(javaKernel(kernel))
                        .build();
        batches = new MicroBatch[BATCHES];
        Random random = new Random(1);
        float[] row = new float[s.inputs];
        for (int k = 0; k < BATCHES; k++) {
            batches[k] = new MicroBatch(s.inputs, s.batch);
            for (int r = 0; r < s.batch; r++) {
                for (int j = 0; j < s.inputs; j++) {
                    row[j] =
                            random.nextDouble() < s.zeros
                                    ? 0f
                                    : (float)
                                            (s.zeros > 0
                                                    ? random.nextDouble()
                                                    : random.nextGaussian());
                }
                batches[k].addRow(row, new int[0], 0, random.nextInt(s.classes), 1f);
            }
        }
        scores = new float[s.batch * s.classes];
        predicted = new float[s.batch];
        gemmA = Nd4j.rand(DataType.FLOAT, 512, 512);
        gemmB = Nd4j.rand(DataType.FLOAT, 512, 512);
        gemmC = Nd4j.create(DataType.FLOAT, 512, 512);
    }

    /** A new model, as a new stream's, for every iteration. */
    @Setup(Level.Iteration)
    public void newModel() {
        model = new NeuralModel(spec);
        next = 0;
    }

    /** The served forward pass and the learning step of one batch, as a flush runs them. */
    @Benchmark
    public double predictAndLearn() {
        MicroBatch rows = batches[next];
        next = (next + 1) % BATCHES;
        model.predict(rows, scores, predicted);
        return model.learn(rows);
    }

    /** C = A B, 512 x 512 floats: 2 x 512^3 floating-point operations. */
    @Benchmark
    public INDArray gemm512() {
        return Nd4j.gemm(gemmA, gemmB, gemmC, false, false, 1.0, 0.0);
    }

    /** The spec's kernel for a benchmark kernel: VECTOR is the Java kernel on the vector API. */
    static Kernel javaKernel(String kernel) {
        return kernel.equals("VECTOR") ? Kernel.PRIMITIVE : Kernel.valueOf(kernel);
    }
}
