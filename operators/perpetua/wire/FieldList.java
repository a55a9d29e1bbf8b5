package perpetua.wire;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/** The names of a record schema's fields, in their order on the wire. */
final class FieldList {
    private FieldList() {}

    static List<String> of(Schema record) {
        List<String> names = new ArrayList<>();
        for (Schema.Field f : record.getFields()) {
            names.add(f.name());
        }
        return names;
    }
}
