package perpetua.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/**
 * Reads model specs from JSON: one object or an array, field names as in {@code ModelSpec.avsc}.
 *
 * <p>Absent fields take the schema's defaults; unknown fields and impossible values are errors that
 * name the model and the field.
 */
public final class ModelSpecs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelSpecs() {}

    public static Map<String, ModelSpec> fromFile(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /** The specs of the job: the file's and the inline JSON's, by model name. */
    public static Map<String, ModelSpec> fromOptions(JobOptions options) throws IOException {
        Map<String, ModelSpec> out = new LinkedHashMap<>();
        if (options.get(ModelSpecOptions.SPEC_FILE) != null) {
            out.putAll(fromFile(Path.of(options.get(ModelSpecOptions.SPEC_FILE))));
        }
        if (options.get(ModelSpecOptions.SPEC_JSON) != null) {
            out.putAll(parse(options.get(ModelSpecOptions.SPEC_JSON)));
        }
        return out;
    }

    public static Map<String, ModelSpec> parse(String json) throws IOException {
        JsonNode root = JSON.readTree(json);
        List<JsonNode> objects = new ArrayList<>();
        if (root.isArray()) {
            root.forEach(objects::add);
        } else {
            objects.add(root);
        }
        Map<String, ModelSpec> out = new LinkedHashMap<>();
        for (JsonNode node : objects) {
            ModelSpec spec = fromJson(node);
            if (out.put(spec.getModel(), spec) != null) {
                throw new IllegalArgumentException(
                        "model '" + spec.getModel() + "' is specified twice");
            }
        }
        return out;
    }

    public static ModelSpec fromJson(JsonNode node) {
        if (!node.isObject() || !node.hasNonNull("model") || !node.hasNonNull("task")) {
            throw new IllegalArgumentException(
                    "a model spec needs at least \"model\" and \"task\": " + node);
        }
        String name = node.get("model").asText();
        ModelSpec spec;
        try {
            spec =
                    ModelSpec.newBuilder()
                            .setModel(name)
                            .setTask(Task.valueOf(node.get("task").asText().toUpperCase()))
                            .build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "model '" + name + "': task must be one of BINARY, MULTICLASS, REGRESSION");
        }
        spec = apply(spec, node);
        validate(spec);
        return spec;
    }

    /** The fields given in {@code node} written over a copy of {@code base}. */
    private static ModelSpec apply(ModelSpec base, JsonNode node) {
        ModelSpec spec = ModelSpec.newBuilder(base).build();
        String name = node.hasNonNull("model") ? node.get("model").asText() : base.getModel();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            Schema.Field field = ModelSpec.SCHEMA$.getField(f.getKey());
            if (field == null) {
                throw new IllegalArgumentException(
                        "model '"
                                + name
                                + "': unknown field '"
                                + f.getKey()
                                + "'; known: "
                                + ModelSpec.SCHEMA$.getFields().stream()
                                        .map(Schema.Field::name)
                                        .toList());
            }
            switch (field.name()) {
                case "task" -> spec.setTask(Task.valueOf(f.getValue().asText().toUpperCase()));
                case "initSnapshot" ->
                        throw new IllegalArgumentException(
                                "model '" + name + "': give initFrom, not initSnapshot");
                case "challengers" -> spec.setChallengers(challengers(spec, f.getValue()));
                default ->
                        spec.put(field.pos(), convert(name, field, field.schema(), f.getValue()));
            }
        }
        return spec;
    }

    /** Challengers inherit every field of their champion that they do not set themselves. */
    private static List<ModelSpec> challengers(ModelSpec champion, JsonNode list) {
        if (!list.isArray()) {
            throw new IllegalArgumentException(
                    "model '" + champion.getModel() + "': challengers must be an array");
        }
        ModelSpec base = ModelSpec.newBuilder(champion).setChallengers(List.of()).build();
        List<ModelSpec> out = new ArrayList<>();
        for (JsonNode c : list) {
            if (!c.hasNonNull("model")) {
                throw new IllegalArgumentException(
                        "model '" + champion.getModel() + "': every challenger needs a name");
            }
            if (c.has("challengers")) {
                throw new IllegalArgumentException(
                        "model '" + champion.getModel() + "': a challenger has no challengers");
            }
            ModelSpec spec = apply(base, c);
            validate(spec);
            out.add(spec);
        }
        return out;
    }

    private static Object convert(String model, Schema.Field field, Schema s, JsonNode v) {
        String where = "model '" + model + "', field '" + field.name() + "'";
        switch (s.getType()) {
            case UNION:
                if (v.isNull()) {
                    return null;
                }
                for (Schema branch : s.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return convert(model, field, branch, v);
                    }
                }
                throw new IllegalArgumentException(where + ": unsupported union");
            case BOOLEAN:
                if (!v.isBoolean()) {
                    throw new IllegalArgumentException(where + " must be true or false");
                }
                return v.asBoolean();
            case INT:
                requireNumber(where, v);
                return v.asInt();
            case LONG:
                requireNumber(where, v);
                return v.asLong();
            case FLOAT:
                requireNumber(where, v);
                return (float) v.asDouble();
            case DOUBLE:
                requireNumber(where, v);
                return v.asDouble();
            case STRING:
                return v.asText();
            case ENUM:
                String symbol = v.asText().toUpperCase();
                if (!s.getEnumSymbols().contains(symbol)) {
                    throw new IllegalArgumentException(
                            where + " must be one of " + s.getEnumSymbols());
                }
                return org.apache.avro.specific.SpecificData.get().createEnum(symbol, s);
            case ARRAY:
                if (!v.isArray()) {
                    throw new IllegalArgumentException(where + " must be an array");
                }
                List<Object> items = new ArrayList<>();
                for (JsonNode item : v) {
                    items.add(convert(model, field, s.getElementType(), item));
                }
                return items;
            case RECORD:
                return record(model, field, s, v);
            default:
                throw new IllegalArgumentException(where + ": unsupported type " + s.getType());
        }
    }

    /**
     * A nested record (a hidden layer, an embedding) from a JSON object; absent fields take the
     * schema's defaults. A number stands for a layer of that many units and a string for an
     * embedding of that feature, so that {@code "hidden": [128, 64]} and {@code "embeddings":
     * ["origin"]} are enough for the common case.
     */
    private static Object record(String model, Schema.Field field, Schema s, JsonNode v) {
        String where = "model '" + model + "', field '" + field.name() + "'";
        JsonNode object = v;
        if (!v.isObject()) {
            String first = s.getFields().get(0).name();
            Schema.Type firstType = s.getFields().get(0).schema().getType();
            boolean fits =
                    (firstType == Schema.Type.INT && v.isInt())
                            || (firstType == Schema.Type.STRING && v.isTextual());
            if (!fits) {
                throw new IllegalArgumentException(
                        where + ": each item is an object with fields " + fieldNames(s));
            }
            object = JSON.createObjectNode().set(first, v);
        }
        org.apache.avro.generic.IndexedRecord out =
                (org.apache.avro.generic.IndexedRecord)
                        org.apache.avro.specific.SpecificData.get().newRecord(null, s);
        for (Schema.Field f : s.getFields()) {
            JsonNode value = object.get(f.name());
            if (value == null) {
                if (!f.hasDefaultValue()) {
                    throw new IllegalArgumentException(where + ": each item needs " + f.name());
                }
                out.put(f.pos(), org.apache.avro.specific.SpecificData.get().getDefaultValue(f));
            } else {
                out.put(f.pos(), convert(model, f, f.schema(), value));
            }
        }
        Iterator<String> names = object.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (s.getField(name) == null) {
                throw new IllegalArgumentException(
                        where + ": unknown field '" + name + "'; known: " + fieldNames(s));
            }
        }
        return out;
    }

    private static List<String> fieldNames(Schema s) {
        return s.getFields().stream().map(Schema.Field::name).toList();
    }

    private static void requireNumber(String where, JsonNode v) {
        if (!v.isNumber()) {
            throw new IllegalArgumentException(where + " must be a number, not " + v);
        }
    }

    /** Refuses specs no model can be built from. */
    public static void validate(ModelSpec s) {
        String problem = perpetua.spec.SpecRules.problem(s);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }
}
