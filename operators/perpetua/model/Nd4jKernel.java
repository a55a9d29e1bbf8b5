package perpetua.model;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import perpetua.schemas.Activation;

/**
 * A dense layer on ND4J: one BLAS GEMM per product, the bias a row-vector add and the activation
 * one ND4J transform, on buffers preallocated for the largest batch seen. The weights are copied
 * into ND4J memory once per call because the model's parameters live in a Java array (the optimizer
 * and the snapshots work on it); that copy and the copies of the input and output are part of what
 * the kernel benchmark measures.
 */
public final class Nd4jKernel extends DenseKernel {

    private int capacity;
    private boolean weightsStale = true;
    private INDArray aBuf; // [cap x in]
    private INDArray zBuf; // [cap x out]
    private INDArray daBuf; // [cap x in]
    private final INDArray wBuf; // [out x in]
    private final INDArray bBuf; // [1 x out]
    private final INDArray dwBuf; // [out x in]
    // Java views of the buffers' native memory, for bulk copies without a per-call object.
    private FloatPointer aPtr;
    private FloatPointer zPtr;
    private FloatPointer daPtr;
    private final FloatPointer wPtr;
    private final FloatPointer bPtr;
    private final FloatPointer dwPtr;
    // Views of the first n rows, cached for the last n so that a steady batch size allocates
    // nothing.
    private int viewRows = -1;
    private INDArray aView;
    private INDArray zView;
    private INDArray daView;

    /** Creates the kernel of a layer with {@code in} inputs and {@code out} outputs. */
    public Nd4jKernel(int in, int out) {
        super(in, out);
        this.wBuf = Nd4j.create(DataType.FLOAT, out, in);
        this.dwBuf = Nd4j.create(DataType.FLOAT, out, in);
        this.bBuf = Nd4j.create(DataType.FLOAT, 1, out);
        this.wPtr = pointer(wBuf);
        this.dwPtr = pointer(dwBuf);
        this.bPtr = pointer(bBuf);
    }

    @Override
    public void forward(float[] a, int n, float[] params, int w, int b, Activation act, float[] z) {
        ensureRows(n);
        aPtr.put(a, 0, n * in);
        if (weightsStale) {
            wPtr.put(params, w, out * in);
            bPtr.put(params, b, out);
            weightsStale = false;
        }
        Nd4j.gemm(aView, wBuf, zView, false, true, 1.0, 0.0);
        zView.addiRowVector(bBuf);
        switch (act) {
            case RELU:
                Transforms.relu(zView, false);
                break;
            case LEAKY_RELU:
                Transforms.leakyRelu(zView, Activations.LEAK, false);
                break;
            case TANH:
                Transforms.tanh(zView, false);
                break;
            case SIGMOID:
                Transforms.sigmoid(zView, false);
                break;
            case IDENTITY:
                break;
            default:
                throw new IllegalArgumentException("unknown activation " + act);
        }
        zPtr.get(z, 0, n * out);
    }

    @Override
    public void backward(
            float[] dz, float[] a, int n, float[] params, int w, int b, float[] grad, float[] da) {
        ensureRows(n);
        // aBuf still holds the input of the forward pass; zBuf is free to take dz.
        zPtr.put(dz, 0, n * out);
        Nd4j.gemm(zView, aView, dwBuf, true, false, 1.0, 0.0);
        dwPtr.get(grad, w, out * in);
        java.util.Arrays.fill(grad, b, b + out, 0f);
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                grad[b + o] += dz[r * out + o];
            }
        }
        if (da != null) {
            // wBuf holds W from the forward pass: the step comes after the backward pass.
            Nd4j.gemm(zView, wBuf, daView, false, false, 1.0, 0.0);
            daPtr.get(da, 0, n * in);
        }
    }

    private void ensureRows(int n) {
        if (n > capacity) {
            int cap = Math.max(n, Math.max(16, capacity * 2));
            aBuf = Nd4j.create(DataType.FLOAT, cap, in);
            zBuf = Nd4j.create(DataType.FLOAT, cap, out);
            daBuf = Nd4j.create(DataType.FLOAT, cap, in);
            aPtr = pointer(aBuf);
            zPtr = pointer(zBuf);
            daPtr = pointer(daBuf);
            capacity = cap;
            viewRows = -1;
        }
        if (n != viewRows) {
            aView = rows(aBuf, n);
            zView = rows(zBuf, n);
            daView = rows(daBuf, n);
            viewRows = n;
        }
    }

    private static INDArray rows(INDArray buffer, int n) {
        return n == buffer.rows()
                ? buffer
                : buffer.get(NDArrayIndex.interval(0, n), NDArrayIndex.all());
    }

    private static FloatPointer pointer(INDArray buffer) {
        return new FloatPointer(buffer.data().addressPointer());
    }

    @Override
    public void weightsChanged() {
        weightsStale = true;
    }

    @Override
    public String name() {
        return "ND4J";
    }
}
