package perpetua.learner;

import java.util.HashSet;
import java.util.Set;

/**
 * The models that took a record, a timer or a flush since the last checkpoint: the ones whose state
 * the next checkpoint writes.
 *
 * <p>A stream's records come key after key of the same few models, so the name added last is
 * remembered and the same string again is not hashed into the set.
 */
final class TouchedModels {
    private final Set<String> names = new HashSet<>();

    // The name added last, in the set since: compared by identity.
    private String last;

    /** Model {@code name} was touched. */
    void add(String name) {
        if (name != last) {
            names.add(name);
            last = name;
        }
    }

    /** The models touched since the last {@link #clear}. */
    Iterable<String> names() {
        return names;
    }

    /** A checkpoint wrote them: none is touched any more. */
    void clear() {
        names.clear();
        last = null;
    }
}
