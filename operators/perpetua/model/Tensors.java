package perpetua.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import perpetua.schemas.Tensor;

/** Converts between {@code float[]} and the wire {@link Tensor}: float32, little-endian. */
public final class Tensors {

    private Tensors() {}

    /** Returns a tensor holding a copy of {@code data}, whose length must match {@code shape}. */
    public static Tensor toTensor(String name, int[] shape, float[] data) {
        return toTensor(name, shape, data, 0);
    }

    /** Returns a tensor holding a copy of {@code data[offset, offset + product(shape))}. */
    public static Tensor toTensor(String name, int[] shape, float[] data, int offset) {
        int length = elementCount(shape);
        if (offset < 0 || offset + length > data.length) {
            throw new IllegalArgumentException(
                    "tensor "
                            + name
                            + " needs "
                            + length
                            + " values from "
                            + offset
                            + ", the array has "
                            + data.length);
        }
        ByteBuffer bytes = ByteBuffer.allocate(length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data, offset, length);
        List<Integer> dims = new ArrayList<>(shape.length);
        for (int d : shape) {
            dims.add(d);
        }
        return Tensor.newBuilder().setName(name).setShape(dims).setData(bytes).build();
    }

    /** Returns the tensor's values, checked against its shape. */
    public static float[] toFloats(Tensor tensor) {
        ByteBuffer bytes = tensor.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int length = elementCount(shape(tensor));
        if (bytes.remaining() != length * Float.BYTES) {
            throw new IllegalArgumentException(
                    "tensor "
                            + tensor.getName()
                            + " of shape "
                            + tensor.getShape()
                            + " holds "
                            + bytes.remaining()
                            + " bytes, expected "
                            + length * Float.BYTES);
        }
        float[] out = new float[length];
        bytes.asFloatBuffer().get(out);
        return out;
    }

    /** Returns the tensor's shape as an array. */
    public static int[] shape(Tensor tensor) {
        List<Integer> dims = tensor.getShape();
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
        }
        return shape;
    }

    private static int elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape: " + d);
            }
            n *= d;
        }
        if (n > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("tensor too large: " + n + " values");
        }
        return (int) n;
    }
}
