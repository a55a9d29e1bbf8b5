package perpetua.wire;

import java.io.EOFException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.PrimitivesArrays;
import perpetua.schemas.Contribution;
import perpetua.schemas.Prediction;

/**
 * Writes and reads the Avro binary body of a {@link Prediction} without Avro's generic machinery:
 * the same bytes as Avro's encoder, the scores of a primitive list written and read without boxing.
 * The predictions sink writes one per event, and every reader of the topic reads one. Not
 * thread-safe: each codec owns one.
 */
final class PredictionBody {
    /** The fields this writer knows, in their order on the wire. */
    static final List<String> FIELDS =
            List.of(
                    "eventId",
                    "model",
                    "modelVersion",
                    "time",
                    "label",
                    "scores",
                    "publishedAt",
                    "predictedAt",
                    "rank",
                    "contributions");

    /**
     * Whether the current Prediction schema has exactly the fields this writer writes; when one is
     * added, predictions go through Avro's writer until this class learns it.
     */
    static final boolean CURRENT = FieldList.of(Prediction.getClassSchema()).equals(FIELDS);

    private static final Schema SCORES = Prediction.getClassSchema().getField("scores").schema();

    private final BodyWriter out = new BodyWriter();
    private final BodyReader in = new BodyReader();

    /**
     * Reads a body of the current schema that {@link BodyCheck} walked first: the scores into a
     * primitive float array, the model name from a cache.
     *
     * @throws EOFException when the body ends early or holds more than one Prediction
     */
    Prediction read(byte[] message, int offset, int length) throws EOFException {
        in.reset(message, offset, length);
        Prediction p = new Prediction();
        p.setEventId(in.readString());
        p.setModel(in.readRecurringString());
        p.setModelVersion(in.readLong());
        p.setTime(in.readLong());
        p.setLabel(
                switch (in.readInt()) {
                    case 0 -> in.readInt();
                    case 1 -> in.readDouble();
                    default -> throw new EOFException("label: no such union branch");
                });
        PrimitivesArrays.FloatArray scores = new PrimitivesArrays.FloatArray(0, SCORES);
        for (long count = in.readBlockCount(); count != 0; count = in.readBlockCount()) {
            if (count > in.left() / 4) {
                throw new EOFException("scores claims " + count + " floats");
            }
            for (long i = 0; i < count; i++) {
                scores.add(scores.size(), in.readFloat());
            }
        }
        p.setScores(scores);
        p.setPublishedAt(in.readLong());
        p.setPredictedAt(in.readLong());
        p.setRank(
                switch (in.readInt()) {
                    case 0 -> null;
                    case 1 -> in.readInt();
                    default -> throw new EOFException("rank: no such union branch");
                });
        List<Contribution> contributions = List.of();
        for (long count = in.readBlockCount(); count != 0; count = in.readBlockCount()) {
            // An input of one byte at least and a float of four.
            if (count > in.left() / 5) {
                throw new EOFException("contributions claims " + count + " entries");
            }
            if (contributions.isEmpty()) {
                contributions = new java.util.ArrayList<>((int) count);
            }
            for (long i = 0; i < count; i++) {
                contributions.add(new Contribution(in.readString(), in.readFloat()));
            }
        }
        p.setContributions(contributions);
        if (in.left() != 0) {
            throw new EOFException(in.left() + " bytes follow the Prediction body");
        }
        return p;
    }

    /**
     * Writes the body of {@code p} after {@code header} and returns the buffer, valid up to {@link
     * #size()}; the buffer is reused by the next write.
     */
    byte[] write(byte[] header, Prediction p) {
        out.reset(header.length);
        System.arraycopy(header, 0, out.buffer(), 0, header.length);
        out.writeString(p.getEventId());
        out.writeString(p.getModel());
        out.writeLong(p.getModelVersion());
        out.writeLong(p.getTime());
        Object label = p.getLabel();
        if (label instanceof Integer i) {
            out.writeInt(0);
            out.writeInt(i);
        } else if (label instanceof Double d) {
            out.writeInt(1);
            out.writeDouble(d);
        } else {
            throw new IllegalArgumentException("label is neither int nor double: " + label);
        }
        List<Float> scores = p.getScores();
        int n = scores.size();
        if (n > 0) {
            out.writeLong(n);
            if (scores instanceof PrimitivesArrays.FloatArray floats) {
                for (int i = 0; i < n; i++) {
                    out.writeFloat(floats.getFloat(i));
                }
            } else {
                for (Float f : scores) {
                    out.writeFloat(f);
                }
            }
        }
        out.writeLong(0);
        out.writeLong(p.getPublishedAt());
        out.writeLong(p.getPredictedAt());
        Integer rank = p.getRank();
        if (rank == null) {
            out.writeInt(0);
        } else {
            out.writeInt(1);
            out.writeInt(rank);
        }
        List<Contribution> contributions = p.getContributions();
        if (!contributions.isEmpty()) {
            out.writeLong(contributions.size());
            for (Contribution c : contributions) {
                out.writeString(c.getInput());
                out.writeFloat(c.getContribution());
            }
        }
        out.writeLong(0);
        return out.buffer();
    }

    /** The bytes of the last {@link #write}, header included. */
    int size() {
        return out.size();
    }
}
