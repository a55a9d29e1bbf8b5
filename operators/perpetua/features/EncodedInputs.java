package perpetua.features;

import java.util.ArrayList;
import java.util.List;

/**
 * What each input of one encoded row is, in words: the names of its wide slots, its embedding ids
 * and its factor ids, in the order the row holds them ({@code name=value}, {@code A*B=a,b} for a
 * cross, {@code @text=token} for a text n-gram). Filled by {@link FeatureEncoder#encode(
 * perpetua.schemas.Event, MicroBatch, EncodedInputs)} for an explanation; reused across rows.
 */
public final class EncodedInputs {
    /** One name per wide slot of the row. */
    public final List<String> slots = new ArrayList<>();

    /** One name per embedding id of the row, the fields' bags one after the other. */
    public final List<String> bagIds = new ArrayList<>();

    /** One name per factor id of the row. */
    public final List<String> factorIds = new ArrayList<>();

    /** Forgets the names of the last row. */
    public void clear() {
        slots.clear();
        bagIds.clear();
        factorIds.clear();
    }
}
