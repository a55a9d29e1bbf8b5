package perpetua.ingest;

/**
 * The raw value of one Kafka record and where it came from, before it is decoded.
 *
 * <p>A Flink POJO: the position travels with the bytes so that a refused record becomes a dead
 * letter that names its topic, partition and offset.
 */
public class SourceRecord {
    public String topic;
    public int partition;
    public long offset;

    /** Kafka record timestamp: when the event was published. */
    public long timestamp;

    public byte[] value;

    public SourceRecord() {}

    public SourceRecord(String topic, int partition, long offset, long timestamp, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.value = value;
    }
}
