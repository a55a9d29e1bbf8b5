package perpetua.features;

import java.util.Arrays;

/**
 * A reusable buffer of encoded rows that one forward and one backward pass consume together.
 *
 * <p>Each row holds {@code denseWidth} floats (row-major in {@link #dense()}), a variable number of
 * active hashed slots in compressed-sparse-row form (row {@code r} owns {@code
 * slots()[slotStart()[r] .. slotStart()[r + 1])}), a label (class index or regression value, NaN
 * when unknown) and an example weight (0 when unlabelled). A row may also hold the ids and values
 * of its inputs in a factorization machine's table, in the same compressed form ({@link
 * #factorStart()}). The arrays grow on demand and are kept across {@link #clear()}, so a steady
 * stream of batches allocates nothing; only the first {@link #size()} rows are valid.
 */
public final class MicroBatch {

    private static final int INITIAL_ROWS = 16;

    private final int denseWidth;
    private final int fields;
    private int size;
    private long changes;
    private float[] dense;
    private int[] slotStart;
    private int[] slots;
    private float[] slotValues;
    private int[] bagStart;
    private int[] bagIds;
    private int[] factorStart;
    private int[] factorIds = new int[0];
    private float[] factorValues = new float[0];
    private float[] label;
    private float[] weight;

    /** Creates an empty batch whose rows carry {@code denseWidth} dense values. */
    public MicroBatch(int denseWidth) {
        this(denseWidth, INITIAL_ROWS);
    }

    /** Creates an empty batch with room for {@code rowCapacity} rows before it grows. */
    public MicroBatch(int denseWidth, int rowCapacity) {
        this(denseWidth, 0, rowCapacity);
    }

    /** Creates an empty batch whose rows carry dense values and {@code fields} embedding bags. */
    public MicroBatch(int denseWidth, int fields, int rowCapacity) {
        if (denseWidth < 0 || fields < 0 || rowCapacity < 1) {
            throw new IllegalArgumentException(
                    "denseWidth must be >= 0 and rowCapacity >= 1: "
                            + denseWidth
                            + ", "
                            + rowCapacity);
        }
        this.denseWidth = denseWidth;
        this.fields = fields;
        this.dense = new float[rowCapacity * denseWidth];
        this.slotStart = new int[rowCapacity + 1];
        this.slots = new int[rowCapacity * 4];
        this.slotValues = new float[rowCapacity * 4];
        this.bagStart = new int[rowCapacity * fields + 1];
        this.bagIds = new int[rowCapacity * fields + 1];
        this.factorStart = new int[rowCapacity + 1];
        this.label = new float[rowCapacity];
        this.weight = new float[rowCapacity];
    }

    /** Forgets every row and keeps the buffers. */
    public void clear() {
        size = 0;
        changes++;
    }

    /**
     * Returns a count that moves whenever a row is added or the batch is cleared, so that a model
     * can tell whether the batch it last ran forward is still the same. Writes through the backing
     * arrays do not move it.
     */
    public long changes() {
        return changes;
    }

    /**
     * Appends one row whose slots all have value 1 and which has no embedding bag; the batch must
     * have no embedded field.
     *
     * @param denseRow the row's dense values; its first {@code denseWidth} entries are copied
     * @param rowSlots the row's active hashed slots; the first {@code slotCount} are copied
     * @param slotCount how many entries of {@code rowSlots} are active
     * @param rowLabel class index or regression value, NaN when unlabelled
     * @param rowWeight example weight; stored as 0 when the label is NaN
     */
    public int addRow(
            float[] denseRow, int[] rowSlots, int slotCount, float rowLabel, float rowWeight) {
        if (fields != 0) {
            throw new IllegalStateException("this batch needs the embedding bags of every row");
        }
        return addRow(denseRow, rowSlots, null, slotCount, null, null, rowLabel, rowWeight);
    }

    /**
     * Appends one row and returns its index.
     *
     * @param denseRow the row's dense values; its first {@code denseWidth} entries are copied
     * @param rowSlots the row's active hashed slots; the first {@code slotCount} are copied
     * @param rowValues the slots' values, or null when they are all 1
     * @param slotCount how many entries of {@code rowSlots} are active
     * @param bagEnds per embedded field, the end of its ids in {@code ids} (field f owns {@code
     *     ids[bagEnds[f - 1] .. bagEnds[f])}, from 0 for the first); null when there is no field
     * @param ids the embedding ids of every field, concatenated
     * @param rowLabel class index or regression value, NaN when unlabelled
     * @param rowWeight example weight; stored as 0 when the label is NaN
     */
    public int addRow(
            float[] denseRow,
            int[] rowSlots,
            float[] rowValues,
            int slotCount,
            int[] bagEnds,
            int[] ids,
            float rowLabel,
            float rowWeight) {
        return addRow(
                denseRow, rowSlots, rowValues, slotCount, bagEnds, ids, null, null, 0, rowLabel,
                rowWeight);
    }

    /**
     * Appends one row with its factorization inputs and returns its index.
     *
     * @param rowFactorIds the rows of the factor table the row's inputs use; the first {@code
     *     factorCount} are copied
     * @param rowFactorValues the inputs' values x_i
     * @param factorCount how many factor inputs the row has
     * @see #addRow(float[], int[], float[], int, int[], int[], float, float)
     */
    public int addRow(
            float[] denseRow,
            int[] rowSlots,
            float[] rowValues,
            int slotCount,
            int[] bagEnds,
            int[] ids,
            int[] rowFactorIds,
            float[] rowFactorValues,
            int factorCount,
            float rowLabel,
            float rowWeight) {
        if (denseRow.length < denseWidth) {
            throw new IllegalArgumentException(
                    "dense row has " + denseRow.length + " values, the batch needs " + denseWidth);
        }
        ensureRows(size + 1);
        int start = slotStart[size];
        ensureSlots(start + slotCount);
        System.arraycopy(denseRow, 0, dense, size * denseWidth, denseWidth);
        System.arraycopy(rowSlots, 0, slots, start, slotCount);
        if (rowValues == null) {
            Arrays.fill(slotValues, start, start + slotCount, 1f);
        } else {
            System.arraycopy(rowValues, 0, slotValues, start, slotCount);
        }
        slotStart[size + 1] = start + slotCount;
        if (fields > 0) {
            int bag = size * fields;
            int idStart = bagStart[bag];
            int idCount = bagEnds[fields - 1];
            ensureIds(idStart + idCount);
            System.arraycopy(ids, 0, bagIds, idStart, idCount);
            for (int f = 0; f < fields; f++) {
                bagStart[bag + f + 1] = idStart + bagEnds[f];
            }
        }
        int factorFrom = factorStart[size];
        if (factorFrom + factorCount > factorIds.length) {
            int capacity = Math.max(factorFrom + factorCount, factorIds.length * 2);
            factorIds = Arrays.copyOf(factorIds, capacity);
            factorValues = Arrays.copyOf(factorValues, capacity);
        }
        if (factorCount > 0) {
            System.arraycopy(rowFactorIds, 0, factorIds, factorFrom, factorCount);
            System.arraycopy(rowFactorValues, 0, factorValues, factorFrom, factorCount);
        }
        factorStart[size + 1] = factorFrom + factorCount;
        changes++;
        label[size] = rowLabel;
        // An unlabelled row must not pull the gradient, whatever weight its event carried.
        weight[size] = Float.isNaN(rowLabel) ? 0f : rowWeight;
        return size++;
    }

    /**
     * Appends row {@code r} of {@code source}, a batch of the same shape, and returns its index.
     *
     * @param dense the row's dense values instead of the source's, or null to copy them too
     */
    public int addRowFrom(MicroBatch source, int r, float[] dense) {
        if (source.denseWidth != denseWidth || source.fields != fields) {
            throw new IllegalArgumentException("rows of another shape");
        }
        int from = source.slotStart[r];
        int count = source.slotStart[r + 1] - from;
        ensureRows(size + 1);
        int start = slotStart[size];
        ensureSlots(start + count);
        if (dense != null) {
            System.arraycopy(dense, 0, this.dense, size * denseWidth, denseWidth);
        } else {
            System.arraycopy(
                    source.dense, r * denseWidth, this.dense, size * denseWidth, denseWidth);
        }
        System.arraycopy(source.slots, from, slots, start, count);
        System.arraycopy(source.slotValues, from, slotValues, start, count);
        slotStart[size + 1] = start + count;
        if (fields > 0) {
            int bag = size * fields;
            int idStart = bagStart[bag];
            int sourceStart = source.bagStart[r * fields];
            int idCount = source.bagStart[(r + 1) * fields] - sourceStart;
            ensureIds(idStart + idCount);
            System.arraycopy(source.bagIds, sourceStart, bagIds, idStart, idCount);
            for (int f = 0; f < fields; f++) {
                bagStart[bag + f + 1] = idStart + source.bagStart[r * fields + f + 1] - sourceStart;
            }
        }
        int factorFrom = source.factorStart[r];
        int factorCount = source.factorStart[r + 1] - factorFrom;
        int factorTo = factorStart[size];
        if (factorTo + factorCount > factorIds.length) {
            int capacity = Math.max(factorTo + factorCount, factorIds.length * 2);
            factorIds = Arrays.copyOf(factorIds, capacity);
            factorValues = Arrays.copyOf(factorValues, capacity);
        }
        System.arraycopy(source.factorIds, factorFrom, factorIds, factorTo, factorCount);
        System.arraycopy(source.factorValues, factorFrom, factorValues, factorTo, factorCount);
        factorStart[size + 1] = factorTo + factorCount;
        changes++;
        label[size] = source.label[r];
        weight[size] = source.weight[r];
        return size++;
    }

    /** Whether row {@code r} of {@code other} has the same dense values as row {@code r} here. */
    public boolean sameDense(MicroBatch other, int r) {
        return Arrays.equals(
                dense,
                r * denseWidth,
                (r + 1) * denseWidth,
                other.dense,
                r * denseWidth,
                (r + 1) * denseWidth);
    }

    /**
     * Whether the first {@code n} rows of this batch and of {@code other} have the same wide slots
     * and values and the same embedding bags: rows that differ at most in their dense values,
     * labels, weights and factor inputs.
     */
    public boolean sameSparse(MicroBatch other, int n) {
        if (n > size || n > other.size || fields != other.fields) {
            return false;
        }
        int slotEnd = slotStart[n];
        int bagEnd = n * fields;
        return Arrays.equals(slotStart, 0, n + 1, other.slotStart, 0, n + 1)
                && Arrays.equals(slots, 0, slotEnd, other.slots, 0, slotEnd)
                && Arrays.equals(slotValues, 0, slotEnd, other.slotValues, 0, slotEnd)
                && Arrays.equals(bagStart, 0, bagEnd + 1, other.bagStart, 0, bagEnd + 1)
                && Arrays.equals(bagIds, 0, bagStart[bagEnd], other.bagIds, 0, bagStart[bagEnd]);
    }

    /** A copy of the valid rows, for state. */
    public BatchRows toRows() {
        BatchRows rows = new BatchRows();
        rows.size = size;
        rows.dense = Arrays.copyOf(dense, size * denseWidth);
        rows.slotStart = Arrays.copyOf(slotStart, size + 1);
        rows.slots = Arrays.copyOf(slots, slotStart[size]);
        rows.slotValues = Arrays.copyOf(slotValues, slotStart[size]);
        rows.bagStart = Arrays.copyOf(bagStart, size * fields + 1);
        rows.bagIds = Arrays.copyOf(bagIds, bagStart[size * fields]);
        rows.factorStart = Arrays.copyOf(factorStart, size + 1);
        rows.factorIds = Arrays.copyOf(factorIds, factorStart[size]);
        rows.factorValues = Arrays.copyOf(factorValues, factorStart[size]);
        rows.labels = Arrays.copyOf(label, size);
        rows.weights = Arrays.copyOf(weight, size);
        return rows;
    }

    /** Appends the rows of {@link #toRows()} of a batch of the same shape. */
    public void addRows(BatchRows rows) {
        MicroBatch source = new MicroBatch(denseWidth, fields, Math.max(1, rows.size));
        source.dense = rows.dense;
        source.slotStart = rows.slotStart;
        source.slots = rows.slots;
        source.slotValues = rows.slotValues;
        source.bagStart = rows.bagStart;
        source.bagIds = rows.bagIds;
        // Rows kept before factorization inputs existed have none.
        if (rows.factorStart != null) {
            source.factorStart = rows.factorStart;
            source.factorIds = rows.factorIds;
            source.factorValues = rows.factorValues;
        }
        source.label = rows.labels;
        source.weight = rows.weights;
        source.size = rows.size;
        for (int r = 0; r < rows.size; r++) {
            addRowFrom(source, r, null);
        }
    }

    /** Returns the number of valid rows. */
    public int size() {
        return size;
    }

    /** Returns whether the batch holds no row. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Returns the number of dense values per row. */
    public int denseWidth() {
        return denseWidth;
    }

    /** Returns the number of embedded fields per row. */
    public int fields() {
        return fields;
    }

    /** Returns the rows that carry a label (non-NaN), learnable when their weight is positive. */
    public int labelledCount() {
        int n = 0;
        for (int r = 0; r < size; r++) {
            if (!Float.isNaN(label[r])) {
                n++;
            }
        }
        return n;
    }

    /** Returns the row-major dense values; the backing array, valid up to size x denseWidth. */
    public float[] dense() {
        return dense;
    }

    /** Returns the CSR row starts into {@link #slots()}; the backing array, size + 1 valid. */
    public int[] slotStart() {
        return slotStart;
    }

    /** Returns the active hashed slots of all rows; the backing array. */
    public int[] slots() {
        return slots;
    }

    /** Returns the values of {@link #slots()}; the backing array. */
    public float[] slotValues() {
        return slotValues;
    }

    /** Returns the starts of the embedding bags into {@link #bagIds()}; size x fields + 1 valid. */
    public int[] bagStart() {
        return bagStart;
    }

    /** Returns the embedding ids of all bags; the backing array. */
    public int[] bagIds() {
        return bagIds;
    }

    /** Returns the CSR row starts into {@link #factorIds()}; the backing array, size + 1 valid. */
    public int[] factorStart() {
        return factorStart;
    }

    /** Returns the factor table rows of all rows' factorization inputs; the backing array. */
    public int[] factorIds() {
        return factorIds;
    }

    /** Returns the values x_i of {@link #factorIds()}; the backing array. */
    public float[] factorValues() {
        return factorValues;
    }

    /** Returns the labels (NaN for unlabelled rows); the backing array. */
    public float[] labels() {
        return label;
    }

    /** Returns the example weights (0 for unlabelled rows); the backing array. */
    public float[] weights() {
        return weight;
    }

    /** Returns the label of row {@code r}. */
    public float label(int r) {
        return label[r];
    }

    /** Returns the weight of row {@code r}. */
    public float weight(int r) {
        return weight[r];
    }

    private void ensureRows(int rows) {
        if (rows <= label.length) {
            return;
        }
        int capacity = Math.max(rows, label.length * 2);
        dense = Arrays.copyOf(dense, capacity * denseWidth);
        slotStart = Arrays.copyOf(slotStart, capacity + 1);
        bagStart = Arrays.copyOf(bagStart, capacity * fields + 1);
        factorStart = Arrays.copyOf(factorStart, capacity + 1);
        label = Arrays.copyOf(label, capacity);
        weight = Arrays.copyOf(weight, capacity);
    }

    private void ensureSlots(int count) {
        if (count > slots.length) {
            int capacity = Math.max(count, slots.length * 2);
            slots = Arrays.copyOf(slots, capacity);
            slotValues = Arrays.copyOf(slotValues, capacity);
        }
    }

    private void ensureIds(int count) {
        if (count > bagIds.length) {
            bagIds = Arrays.copyOf(bagIds, Math.max(count, bagIds.length * 2));
        }
    }
}
