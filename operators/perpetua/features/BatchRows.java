package perpetua.features;

/**
 * The rows of a {@link MicroBatch} as plain arrays, so that rows waiting to be learned can go into
 * Flink state: {@link MicroBatch#toRows()} and {@link MicroBatch#addRows}.
 */
public class BatchRows {
    public int size;
    public float[] dense;
    public int[] slotStart;
    public int[] slots;
    public float[] slotValues;
    public int[] bagStart;
    public int[] bagIds;

    /** A factorization machine's inputs per row (null in rows kept before they existed). */
    public int[] factorStart;

    public int[] factorIds;
    public float[] factorValues;
    public float[] labels;
    public float[] weights;

    public BatchRows() {}
}
