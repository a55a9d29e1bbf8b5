package perpetua.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.IndexedRecord;

/**
 * Renders Avro records as one line of plain JSON (unions unwrapped, enums as names).
 *
 * <p>Bytes fields print as base64 up to {@code maxBytes}; longer ones (model tensors) print as
 * {@code {"bytes": N}} so that a snapshot stays readable on a terminal.
 */
public final class JsonRecords {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private JsonRecords() {}

    public static String line(IndexedRecord record, int maxBytes) {
        try {
            return JSON.writeValueAsString(node(record, maxBytes));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode node(Object v, int maxBytes) {
        if (v == null) {
            return F.nullNode();
        }
        if (v instanceof IndexedRecord r) {
            ObjectNode o = F.objectNode();
            for (Schema.Field f : r.getSchema().getFields()) {
                o.set(f.name(), node(r.get(f.pos()), maxBytes));
            }
            return o;
        }
        if (v instanceof ByteBuffer b) {
            ByteBuffer d = b.duplicate();
            if (d.remaining() > maxBytes) {
                return F.objectNode().put("bytes", d.remaining());
            }
            byte[] bytes = new byte[d.remaining()];
            d.get(bytes);
            return F.textNode(Base64.getEncoder().encodeToString(bytes));
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = F.objectNode();
            m.forEach((k, x) -> o.set(k.toString(), node(x, maxBytes)));
            return o;
        }
        if (v instanceof Collection<?> c) {
            ArrayNode a = F.arrayNode();
            c.forEach(x -> a.add(node(x, maxBytes)));
            return a;
        }
        if (v instanceof Integer i) {
            return F.numberNode(i);
        }
        if (v instanceof Long l) {
            return F.numberNode(l);
        }
        if (v instanceof Float x) {
            return Float.isFinite(x) ? F.numberNode(x) : F.textNode(x.toString());
        }
        if (v instanceof Double x) {
            return Double.isFinite(x) ? F.numberNode(x) : F.textNode(x.toString());
        }
        if (v instanceof Boolean b) {
            return F.booleanNode(b);
        }
        if (v instanceof GenericContainer || v instanceof Enum<?>) {
            return F.textNode(v.toString());
        }
        return F.textNode(v.toString());
    }
}
