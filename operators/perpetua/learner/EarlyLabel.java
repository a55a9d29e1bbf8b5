package perpetua.learner;

/**
 * A label that arrived before its event (a replay reads both topics at once), waiting for it, with
 * where it came from in case it has to become a dead letter.
 */
public class EarlyLabel {
    public double label;
    public long expiresAt;
    public String topic;
    public int partition;
    public long offset;
    public long publishedAt;
    public byte[] payload;

    public EarlyLabel() {}
}
