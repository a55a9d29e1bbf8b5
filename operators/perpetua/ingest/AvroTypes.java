package perpetua.ingest;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;

/**
 * Flink type information for the generated Avro records, so they never fall back to Kryo.
 *
 * <p>The records are serialized by Flink's {@link AvroSerializer}, as {@code AvroTypeInfo} does,
 * but without analysing them as POJOs: that analysis recurses forever on a recursive schema such as
 * {@code ModelSpec}, whose challengers are ModelSpecs.
 */
public final class AvroTypes {
    private AvroTypes() {}

    public static <T extends SpecificRecordBase> TypeInformation<T> of(Class<T> type) {
        return new AvroRecordType<>(type);
    }

    /** An opaque type serialized with {@link AvroSerializer}. */
    static final class AvroRecordType<T extends SpecificRecordBase> extends OpaqueType<T> {
        private static final long serialVersionUID = 1L;

        AvroRecordType(Class<T> type) {
            super(type);
        }

        @Override
        public TypeSerializer<T> createSerializer(SerializerConfig config) {
            return new AvroSerializer<>(getTypeClass());
        }

        @Override
        public String toString() {
            return "Avro<" + getTypeClass().getName() + ">";
        }
    }
}
