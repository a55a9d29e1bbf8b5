package perpetua.model;

import perpetua.schemas.Kernel;
import perpetua.schemas.ModelSpec;

/**
 * Chooses the dense kernel of each layer from its shape and the model's batch size.
 *
 * <p>The rule comes from the kernel benchmark in {@code BENCHMARKS.md} (one training step, ND4J
 * against primitive loops, over inputs, hidden widths and batch sizes): ND4J's GEMM pays a fixed
 * cost per call (native call, copies in and out) that a product of {@code batch x in x out}
 * multiply-adds must amortize. Below {@link #ND4J_MIN_WORK} multiply-adds per product the plain
 * loops are faster; above it ND4J is. The Java kernel on the vector API holds out against ND4J up
 * to {@link #ND4J_MIN_WORK_VECTORS}: it won every shape of the benchmark at 32 rows, up to 8.2M
 * multiply-adds (1.85x there), and lost at 256 rows by at most 1.11x.
 */
public final class Kernels {

    /** Multiply-adds per product from which ND4J's GEMM beats the Java kernel's plain loops. */
    public static final long ND4J_MIN_WORK = 1L << 22;

    /** Multiply-adds per product from which ND4J's GEMM beats the Java kernel on vectors. */
    public static final long ND4J_MIN_WORK_VECTORS = 1L << 24;

    /** Inputs from which a layer is wide enough for ND4J at {@link #WIDE_MIN_WORK}. */
    public static final int WIDE_INPUT = 4096;

    /** Multiply-adds from which ND4J wins on a layer of at least {@link #WIDE_INPUT} inputs. */
    public static final long WIDE_MIN_WORK = 1L << 18;

    private Kernels() {}

    /** Returns the kernel for a layer of {@code in} inputs and {@code out} outputs. */
    public static Kernel choose(ModelSpec spec, int in, int out) {
        if (spec.getKernel() != Kernel.AUTO) {
            return spec.getKernel();
        }
        long work = (long) Math.max(1, spec.getMaxBatch()) * in * out;
        boolean nd4j = work >= minWork() || (in >= WIDE_INPUT && work >= WIDE_MIN_WORK);
        return nd4j ? Kernel.ND4J : Kernel.PRIMITIVE;
    }

    /**
     * Returns a new kernel of the given kind; PRIMITIVE, the Java kernel, runs on the vector API
     * where the JVM has it ({@link VectorSupport}) and the layer fills its vectors ({@link
     * VectorKernel#pays}), and on plain loops elsewhere.
     */
    public static DenseKernel create(Kernel kind, int in, int out) {
        switch (kind) {
            case ND4J:
                return new Nd4jKernel(in, out);
            case PRIMITIVE:
                return VectorSupport.enabled() && VectorKernel.pays(in, out)
                        ? new VectorKernel(in, out)
                        : new PrimitiveKernel(in, out);
            default:
                throw new IllegalArgumentException("no kernel of kind " + kind);
        }
    }

    // The threshold against the Java kernel this JVM runs.
    private static long minWork() {
        return VectorSupport.enabled() ? ND4J_MIN_WORK_VECTORS : ND4J_MIN_WORK;
    }

    /** Returns the rule in words, as it is logged when a model is created. */
    public static String rule() {
        return "AUTO: ND4J when maxBatch x in x out >= "
                + minWork()
                + ", or >= "
                + WIDE_MIN_WORK
                + " with >= "
                + WIDE_INPUT
                + " inputs; else PRIMITIVE, the Java kernel ("
                + VectorSupport.describe()
                + (VectorSupport.enabled() ? " for layers that fill a vector" : "")
                + ")";
    }
}
