package perpetua.ingest;

import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;

/** Flink type information for the generated Avro records, so they never fall back to Kryo. */
public final class AvroTypes {
    private AvroTypes() {}

    public static <T extends SpecificRecordBase> TypeInformation<T> of(Class<T> type) {
        return new AvroTypeInfo<>(type);
    }
}
