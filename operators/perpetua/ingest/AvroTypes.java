package perpetua.ingest;

import java.util.Objects;
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
    static final class AvroRecordType<T extends SpecificRecordBase> extends TypeInformation<T> {
        private static final long serialVersionUID = 1L;
        private final Class<T> type;

        AvroRecordType(Class<T> type) {
            this.type = Objects.requireNonNull(type);
        }

        @Override
        public boolean isBasicType() {
            return false;
        }

        @Override
        public boolean isTupleType() {
            return false;
        }

        @Override
        public int getArity() {
            return 1;
        }

        @Override
        public int getTotalFields() {
            return 1;
        }

        @Override
        public Class<T> getTypeClass() {
            return type;
        }

        @Override
        public boolean isKeyType() {
            return false;
        }

        @Override
        public TypeSerializer<T> createSerializer(SerializerConfig config) {
            return new AvroSerializer<>(type);
        }

        @Override
        public String toString() {
            return "Avro<" + type.getName() + ">";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AvroRecordType<?> other && other.type.equals(type);
        }

        @Override
        public int hashCode() {
            return type.hashCode();
        }

        @Override
        public boolean canEqual(Object o) {
            return o instanceof AvroRecordType<?>;
        }
    }
}
