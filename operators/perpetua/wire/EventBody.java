package perpetua.wire;

import java.io.EOFException;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays;
import perpetua.schemas.Event;

/**
 * Reads and writes the Avro binary body of an {@link Event} of the current schema without Avro's
 * generic machinery, and without boxing.
 *
 * <p>Avro's reader boxes every dense float into a {@code Float} on its way into the list (784 per
 * mnist event) and builds a hash map per named-feature map. This reader puts the dense floats
 * straight into a primitive {@link PrimitivesArrays.FloatArray}, the numerics into {@link
 * EventNumerics} and the categoricals into {@link EventCategoricals}, and takes model and feature
 * names from a cache of recurring strings. It reads only bodies of the current Event schema that
 * {@link BodyCheck} walked first; a body of any other writer schema goes through Avro's resolving
 * reader. The writer writes the same bytes as Avro's encoder, and reads the dense floats of a
 * primitive list without boxing them. Not thread-safe: each codec owns one.
 */
public final class EventBody {
    /** The fields this reader and writer know, in their order on the wire. */
    static final List<String> FIELDS =
            List.of(
                    "id",
                    "model",
                    "time",
                    "dense",
                    "numeric",
                    "categorical",
                    "text",
                    "label",
                    "weight",
                    "recommend");

    /**
     * Whether the current Event schema has exactly the fields this class reads and writes; when a
     * field is added, events go through Avro's reader and writer until this class learns it.
     */
    public static final boolean CURRENT = FieldList.of(Event.getClassSchema()).equals(FIELDS);

    private static final Schema DENSE = Event.getClassSchema().getField("dense").schema();

    private final BodyReader in = new BodyReader();
    private final BodyWriter out = new BodyWriter();

    /**
     * Reads the body of {@code length} bytes of {@code message} from {@code offset}.
     *
     * @throws EOFException when the body ends early or holds more than one Event
     */
    public Event read(byte[] message, int offset, int length) throws EOFException {
        in.reset(message, offset, length);
        Event e = new Event();
        e.setId(in.readString());
        e.setModel(in.readName());
        e.setTime(in.readLong());
        PrimitivesArrays.FloatArray dense = null;
        for (long count = in.readBlockCount(); count != 0; count = in.readBlockCount()) {
            if (count > in.left() / 4) {
                throw new EOFException("dense claims " + count + " floats");
            }
            if (dense == null) {
                dense = new PrimitivesArrays.FloatArray((int) count, DENSE);
            }
            for (long i = 0; i < count; i++) {
                dense.add(dense.size(), in.readFloat());
            }
        }
        e.setDense(dense != null ? dense : new PrimitivesArrays.FloatArray(0, DENSE));
        EventNumerics numeric = null;
        for (long count = in.readBlockCount(); count != 0; count = in.readBlockCount()) {
            if (count > in.left() / 9) {
                throw new EOFException("numeric claims " + count + " entries");
            }
            if (numeric == null) {
                numeric = new EventNumerics((int) count);
            }
            for (long i = 0; i < count; i++) {
                numeric.put(in.readName(), in.readDouble());
            }
        }
        e.setNumeric(numeric != null ? numeric : new EventNumerics(0));
        EventCategoricals categorical = null;
        for (long count = in.readBlockCount(); count != 0; count = in.readBlockCount()) {
            if (count > in.left() / 2) {
                throw new EOFException("categorical claims " + count + " entries");
            }
            if (categorical == null) {
                categorical = new EventCategoricals((int) count);
            }
            for (long i = 0; i < count; i++) {
                categorical.put(in.readName(), in.readRecurringString());
            }
        }
        e.setCategorical(categorical != null ? categorical : new EventCategoricals(0));
        e.setText(
                switch (in.readInt()) {
                    case 0 -> null;
                    case 1 -> in.readString();
                    default -> throw new EOFException("text: no such union branch");
                });
        e.setLabel(
                switch (in.readInt()) {
                    case 0 -> null;
                    case 1 -> in.readInt();
                    case 2 -> in.readDouble();
                    default -> throw new EOFException("label: no such union branch");
                });
        e.setWeight(in.readFloat());
        e.setRecommend(in.readInt());
        if (in.left() != 0) {
            throw new EOFException(in.left() + " bytes follow the Event body");
        }
        return e;
    }

    /**
     * Writes the body of {@code e} after {@code header} and returns the buffer, valid up to {@link
     * #size()}; the buffer is reused by the next write.
     */
    public byte[] write(byte[] header, Event e) {
        out.reset(header.length);
        System.arraycopy(header, 0, out.buffer(), 0, header.length);
        out.writeString(e.getId());
        out.writeString(e.getModel());
        out.writeLong(e.getTime());
        List<Float> dense = e.getDense();
        int n = dense.size();
        if (n > 0) {
            out.writeLong(n);
            if (dense instanceof PrimitivesArrays.FloatArray floats) {
                for (int i = 0; i < n; i++) {
                    out.writeFloat(floats.getFloat(i));
                }
            } else {
                for (Float f : dense) {
                    out.writeFloat(f);
                }
            }
        }
        out.writeLong(0);
        Map<String, Double> numeric = e.getNumeric();
        if (!numeric.isEmpty()) {
            out.writeLong(numeric.size());
            if (numeric instanceof EventNumerics values) {
                for (int i = 0; i < values.size(); i++) {
                    out.writeString(values.name(i));
                    out.writeDouble(values.value(i));
                }
            } else {
                for (Map.Entry<String, Double> entry : numeric.entrySet()) {
                    out.writeString(entry.getKey());
                    out.writeDouble(entry.getValue());
                }
            }
        }
        out.writeLong(0);
        Map<String, String> categorical = e.getCategorical();
        if (!categorical.isEmpty()) {
            out.writeLong(categorical.size());
            for (Map.Entry<String, String> entry : categorical.entrySet()) {
                out.writeString(entry.getKey());
                out.writeString(entry.getValue());
            }
        }
        out.writeLong(0);
        if (e.getText() == null) {
            out.writeInt(0);
        } else {
            out.writeInt(1);
            out.writeString(e.getText());
        }
        Object label = e.getLabel();
        if (label == null) {
            out.writeInt(0);
        } else if (label instanceof Integer i) {
            out.writeInt(1);
            out.writeInt(i);
        } else if (label instanceof Double d) {
            out.writeInt(2);
            out.writeDouble(d);
        } else {
            throw new IllegalArgumentException("label is neither int nor double: " + label);
        }
        out.writeFloat(e.getWeight());
        out.writeInt(e.getRecommend());
        return out.buffer();
    }

    /** The bytes of the last {@link #write}, header included. */
    public int size() {
        return out.size();
    }
}
