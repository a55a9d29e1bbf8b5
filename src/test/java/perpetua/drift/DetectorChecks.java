package perpetua.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Supplier;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/** Checks every detector must pass, on streams with changes at known positions. */
final class DetectorChecks {
    static final long SEED = 42;

    private DetectorChecks() {}

    /** The first DRIFT at or after the change, as a delay; -1 if none. */
    static long delayOfFirstDriftAfter(long[] drifts, long change) {
        for (long d : drifts) {
            if (d >= change) {
                return d - change;
            }
        }
        return -1;
    }

    /** No DRIFT before the change. */
    static long driftsBefore(long[] drifts, long change) {
        long k = 0;
        for (long d : drifts) {
            k += d < change ? 1 : 0;
        }
        return k;
    }

    /**
     * Serializes the detector half way through the stream with Flink's POJO serializer and checks
     * the copy goes on signalling exactly like the original.
     */
    @SuppressWarnings("unchecked")
    static <T extends DriftDetector> void survivesFlinkSerialization(
            Class<T> type, Supplier<T> make, double[] errors) throws Exception {
        TypeInformation<T> info = TypeInformation.of(type);
        assertThat(info).isInstanceOf(PojoTypeInfo.class);
        TypeSerializer<T> serializer = info.createSerializer(new SerializerConfigImpl());
        T original = make.get();
        int half = errors.length / 2;
        for (int i = 0; i < half; i++) {
            original.update(errors[i]);
        }
        DataOutputSerializer out = new DataOutputSerializer(1024);
        serializer.serialize(original, out);
        T copy = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        int signals = 0;
        for (int i = half; i < errors.length; i++) {
            DriftDetector.Signal a = original.update(errors[i]);
            assertThat(copy.update(errors[i])).as("signal at %d", i).isEqualTo(a);
            signals += a == DriftDetector.Signal.NONE ? 0 : 1;
        }
        assertThat(signals).as("the second half holds a change to signal").isPositive();
        assertThat(copy.statistics()).isEqualTo(original.statistics());
        assertThat(copy.seen()).isEqualTo(errors.length);
    }
}
