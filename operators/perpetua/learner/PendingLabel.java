package perpetua.learner;

import perpetua.schemas.Event;

/**
 * An unlabelled event waiting for its label, with the predictions that were served for it: the
 * champion's first, then each challenger's, so that a late label scores what was served then.
 */
public class PendingLabel {
    public Event event;
    public float[] scores;
    public float[] predicted;

    /** The learner of each prediction: "" for the champion, else the challenger's name. */
    public String[] variants;

    public long version;
    public long expiresAt;

    public PendingLabel() {}
}
