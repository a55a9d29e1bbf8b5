package perpetua.cli;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import perpetua.runtime.CsvEvents;
import perpetua.runtime.FlightsStream;
import perpetua.runtime.KafkaConnection;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.wire.WireFormat;

/**
 * The demo's input: the flights CSV published to the events topic at a steady rate, with each
 * event's label remembered so that the demo can score the predictions it reads back.
 *
 * <p>With late labels, events go out without their label, which follows on the feedback topic
 * {@link #LABEL_LAG} events later. A failure is handed to the demo's shared failure reference
 * rather than thrown, because publishing runs on a thread of its own.
 */
final class FlightsFeed {
    /** With late labels, a label is published this many events after its event. */
    static final int LABEL_LAG = 256;

    private final Path csv;
    private final long events;
    private final double rate;
    private final boolean lateLabels;
    private final String compression;
    private final AtomicReference<Throwable> failure;
    private final PublishedLabels labels = new PublishedLabels(FlightsStream.MODEL);
    private final AtomicLong published = new AtomicLong(-1);

    /**
     * A feed of {@code csv}, not yet started.
     *
     * @param events stop after this many events (0: the whole file)
     * @param rate events per second (0: as fast as possible)
     * @param lateLabels whether labels follow on the feedback topic instead of travelling inline
     * @param compression as {@link Compression#apply} takes it
     * @param failure where a publishing failure goes
     */
    FlightsFeed(
            Path csv,
            long events,
            double rate,
            boolean lateLabels,
            String compression,
            AtomicReference<Throwable> failure) {
        this.csv = csv;
        this.events = events;
        this.rate = rate;
        this.lateLabels = lateLabels;
        this.compression = compression;
        this.failure = failure;
    }

    /** The label of every event published so far. */
    PublishedLabels labels() {
        return labels;
    }

    /** How many events were published in all, or -1 while publishing goes on. */
    long published() {
        return published.get();
    }

    /** Publishes the file to the broker at {@code bootstrap}; returns when all is sent. */
    void publish(String bootstrap) {
        WireFormat.Codec<Feedback> feedbackCodec = WireFormat.codec(Feedback.class);
        ArrayDeque<Feedback> owed = new ArrayDeque<>();
        KafkaConnection kafka = KafkaConnection.to(bootstrap);
        try (CsvEvents rows = new CsvEvents(csv, FlightsStream.roles());
                EventPublisher publisher = new EventPublisher(kafka, "events", compression);
                EventPublisher feedback = new EventPublisher(kafka, "feedback", compression)) {
            Iterator<Event> remembered =
                    new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return rows.hasNext();
                        }

                        @Override
                        public Event next() {
                            Event e = rows.next();
                            labels.put(rows.row(), (Integer) e.getLabel());
                            if (!lateLabels) {
                                return e;
                            }
                            // The label follows LABEL_LAG events later, as a click or a fraud
                            // verdict would.
                            owed.add(
                                    Feedback.newBuilder()
                                            .setEventId(e.getId())
                                            .setModel(e.getModel())
                                            .setTime(e.getTime())
                                            .setLabel(e.getLabel())
                                            .build());
                            if (owed.size() > LABEL_LAG) {
                                Feedback f = owed.poll();
                                feedback.sendRaw(f.getModel(), feedbackCodec.encode(f));
                            }
                            return Event.newBuilder(e).setLabel(null).build();
                        }
                    };
            published.set(publisher.publish(remembered, events, rate, 0, n -> {}));
            for (Feedback f : owed) {
                feedback.sendRaw(f.getModel(), feedbackCodec.encode(f));
            }
            feedback.flush();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }
}
