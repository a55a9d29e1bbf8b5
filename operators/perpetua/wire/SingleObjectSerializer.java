package perpetua.wire;

import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;

/** Writes records of one type in Avro single-object encoding, for a Flink Kafka sink. */
public final class SingleObjectSerializer<T extends SpecificRecord>
        implements SerializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private transient WireFormat.Codec<T> codec;

    public SingleObjectSerializer(Class<T> type) {
        this.type = type;
    }

    @Override
    public void open(InitializationContext context) {
        codec = WireFormat.codec(type);
    }

    @Override
    public byte[] serialize(T element) {
        if (codec == null) {
            codec = WireFormat.codec(type);
        }
        return codec.encode(element);
    }
}
