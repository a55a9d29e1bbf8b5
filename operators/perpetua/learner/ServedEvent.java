package perpetua.learner;

import perpetua.schemas.Event;

/**
 * A served event waiting for its label, with the predictions that were served for it: the
 * champion's first, then each challenger's, so that a late label is measured against what was
 * served then. Kept in keyed map state, one timer each.
 */
public class ServedEvent {
    public Event event;
    public float[] scores;
    public float[] predicted;

    /** The learner of each prediction: "" for the champion, else the challenger's name. */
    public String[] variants;

    public long version;
    public long expiresAt;

    public ServedEvent() {}
}
