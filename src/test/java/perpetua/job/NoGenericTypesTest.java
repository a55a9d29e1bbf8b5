package perpetua.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import perpetua.ingest.LearnerInputSerializer;
import perpetua.ingest.SourceRecord;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.testing.Streams;
import perpetua.wire.WireFormat;

/**
 * Every record type that travels between the job's operators, and every type the Learner keeps in
 * state, has a serializer of its own: none falls back to Kryo, which is slow and breaks when a
 * class changes. The job runs with Flink's generic types switched off, where a Kryo fallback fails
 * the job.
 */
class NoGenericTypesTest {
    private static final int EVENTS = 300;

    @Test
    void theJobRunsWithGenericTypesSwitchedOff() throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        // The setting is live: a generic type cannot make a serializer here.
        assertThatThrownBy(
                        () ->
                                new GenericTypeInfo<>(Object.class)
                                        .createSerializer(env.getConfig().getSerializerConfig()))
                .isInstanceOf(UnsupportedOperationException.class);

        ModelSpec spec =
                ModelSpec.newBuilder(Streams.binarySpec("m", 16, 100))
                        .setLabelWaitMs(60_000)
                        .setDriftDetector(DriftDetectorKind.ADWIN)
                        .setChallengers(
                                List.of(
                                        ModelSpec.newBuilder(Streams.binarySpec("m-fast", 16, 100))
                                                .setLearningRate(0.2f)
                                                .build()))
                        .build();
        List<SourceRecord> records = new ArrayList<>();
        WireFormat.Codec<Event> events = WireFormat.codec(Event.class);
        WireFormat.Codec<Feedback> labels = WireFormat.codec(Feedback.class);
        records.add(
                new SourceRecord(
                        "models.control",
                        0,
                        0,
                        0L,
                        WireFormat.codec(ModelSpec.class).encode(spec)));
        List<Event> stream = Streams.binaryEvents("m", EVENTS, 5);
        for (int i = 0; i < EVENTS; i++) {
            Event e = stream.get(i);
            boolean late = i % 3 == 0;
            Object label = e.getLabel();
            if (late) {
                e.setLabel(null);
            }
            records.add(new SourceRecord("events", 0, i, 0L, events.encode(e)));
            if (late) {
                Feedback f =
                        Feedback.newBuilder()
                                .setEventId(e.getId())
                                .setModel("m")
                                .setTime(e.getTime())
                                .setLabel(label)
                                .build();
                records.add(new SourceRecord("feedback", 0, i, 0L, labels.encode(f)));
            }
        }
        records.add(new SourceRecord("events", 0, EVENTS, 0L, new byte[] {1, 2, 3}));

        DataStream<SourceRecord> source =
                env.fromData(records, TypeInformation.of(SourceRecord.class));
        OnlineLearningJob.Learned learned =
                OnlineLearningJob.learn(
                        source,
                        new OnlineLearningJob.Models(
                                "feedback", "models.control", Map.of(), null, Map.of()));
        CloseableIterator<Prediction> predictions = learned.predictions().collectAsync();
        CloseableIterator<DeadLetter> deadLetters = learned.deadLetters().collectAsync();
        learned.metrics().sinkTo(new DiscardingSink<>());
        learned.snapshots().sinkTo(new DiscardingSink<>());

        StreamGraph graph = env.getStreamGraph(false);
        for (StreamNode node : graph.getStreamNodes()) {
            for (TypeSerializer<?> in : node.getTypeSerializersIn()) {
                assertThat(in).as(node.getOperatorName()).isNotInstanceOf(KryoSerializer.class);
            }
            if (node.getTypeSerializerOut() != null) {
                assertThat(node.getTypeSerializerOut())
                        .as(node.getOperatorName())
                        .isNotInstanceOf(KryoSerializer.class);
            }
            if (node.getOperatorName().equals("learner")) {
                assertThat(node.getTypeSerializersIn()[0])
                        .isInstanceOf(LearnerInputSerializer.class);
            }
        }

        JobClient job = env.executeAsync("no generic types");
        List<Prediction> served = new ArrayList<>();
        predictions.forEachRemaining(served::add);
        List<DeadLetter> refused = new ArrayList<>();
        deadLetters.forEachRemaining(refused::add);
        job.getJobExecutionResult().get();
        assertThat(served).hasSize(EVENTS);
        assertThat(served).allSatisfy(p -> assertThat(p.getScores()).hasSize(2));
        assertThat(refused).hasSize(1);
        assertThat(refused.get(0).getReason()).contains("not an Avro single-object message");
    }
}
