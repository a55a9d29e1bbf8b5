package perpetua.wire;

import java.io.IOException;

/**
 * The body of a single-object message does not match its writer schema: it is truncated, has bytes
 * left over, or holds a length, count, union branch or enum symbol that cannot be right.
 *
 * <p>The message says which field and why, in words fit for a dead letter.
 */
public final class MalformedBodyException extends IOException {
    private static final long serialVersionUID = 1L;

    MalformedBodyException(String reason) {
        super(reason);
    }
}
