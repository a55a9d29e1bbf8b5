package perpetua.peers;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import perpetua.model.Backend;
import perpetua.schemas.Embedding;
import perpetua.schemas.Layer;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * The rate of a Perpetua model's dense math against the machine's GEMM rate, in the same run: the
 * floating-point operations of a model's dense layers per event, and ND4J's single-precision GEMM
 * with its threads sized as a Learner sizes them for one slot.
 */
final class DenseRate {
    private DenseRate() {}

    /**
     * Floating-point operations of one event through the dense layers, two per multiply-add: the
     * forward pass, the weight gradients, and the input gradients of every layer above the first
     * (and of the first too when embeddings feed it). 0 when the model has no dense layer wider
     * than its output.
     */
    static long flopsPerEvent(ModelSpec spec) {
        int inputs = spec.getDenseSize() + spec.getNumericFeatures().size();
        for (Embedding e : spec.getEmbeddings()) {
            inputs += e.getDim();
        }
        List<Integer> widths = new ArrayList<>();
        widths.add(inputs);
        for (Layer l : spec.getHidden()) {
            widths.add(l.getUnits());
        }
        widths.add(spec.getTask() == Task.MULTICLASS ? spec.getClasses() : 1);
        long forward = 0;
        long inputGradients = 0;
        for (int l = 0; l + 1 < widths.size(); l++) {
            long products = (long) widths.get(l) * widths.get(l + 1);
            forward += products;
            if (l > 0 || !spec.getEmbeddings().isEmpty()) {
                inputGradients += products;
            }
        }
        return 2 * (forward + forward + inputGradients);
    }

    /** ND4J's GEMM of two n x n float matrices, GFLOP/s: the best of several timed products. */
    static double gemmGflops(int n) {
        Backend.sizeThreads(1, null);
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 30; i++) {
            long t0 = System.nanoTime();
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return 2.0 * n * n * n / best;
    }
}
