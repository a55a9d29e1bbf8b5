package perpetua.ingest;

import perpetua.schemas.Event;

/** A validated event and the time it was published to Kafka; the unit the Learner consumes. */
public class Observation {
    public Event event;
    public long publishedAt;

    public Observation() {}

    public Observation(Event event, long publishedAt) {
        this.event = event;
        this.publishedAt = publishedAt;
    }

    public String model() {
        return event.getModel();
    }
}
