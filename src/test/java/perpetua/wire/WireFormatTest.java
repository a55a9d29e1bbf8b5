package perpetua.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import perpetua.schemas.CatalogItem;
import perpetua.schemas.Contribution;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Event;
import perpetua.schemas.Feedback;
import perpetua.schemas.Interactions;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;
import perpetua.schemas.RecommendedItem;
import perpetua.schemas.Task;
import perpetua.schemas.Tensor;

class WireFormatTest {

    static ModelSpec spec() {
        return ModelSpec.newBuilder().setModel("m").setTask(Task.MULTICLASS).setClasses(3).build();
    }

    static List<SpecificRecord> oneOfEach() {
        return List.of(
                Event.newBuilder()
                        .setId("e1")
                        .setModel("m")
                        .setTime(42L)
                        .setDense(List.of(1f, 2f))
                        .setNumeric(Map.of("n", 3.5))
                        .setCategorical(Map.of("c", "x"))
                        .setText("hello")
                        .setLabel(2)
                        .setWeight(0.5f)
                        .setRecommend(3)
                        .build(),
                Feedback.newBuilder()
                        .setEventId("e1")
                        .setModel("m")
                        .setTime(43L)
                        .setLabel(1.5)
                        .build(),
                Prediction.newBuilder()
                        .setEventId("e1")
                        .setModel("m")
                        .setModelVersion(7)
                        .setTime(42L)
                        .setLabel(1)
                        .setScores(List.of(0.2f, 0.7f, 0.1f))
                        .setPublishedAt(40L)
                        .setPredictedAt(44L)
                        .setRank(4)
                        .setContributions(List.of(new Contribution("c=x", 0.5f)))
                        .build(),
                Metrics.newBuilder()
                        .setModel("m")
                        .setTask(Task.BINARY)
                        .setVersionFrom(1)
                        .setVersionTo(9)
                        .setWindowStart(1)
                        .setWindowEnd(2)
                        .setEvents(10)
                        .setLabelled(8)
                        .setEventsPerSecond(1e4)
                        .setAccuracy(0.75)
                        .setAuc(0.8)
                        .setLogLoss(0.4)
                        .setHitRate(0.5)
                        .setNdcg(0.3)
                        .setMrr(0.25)
                        .setRanked(8L)
                        .setRankingK(10)
                        .build(),
                ModelSnapshot.newBuilder()
                        .setModel("m")
                        .setVersion(9)
                        .setTime(5L)
                        .setSpec(spec())
                        .setExamplesSeen(100)
                        .setTensors(
                                List.of(
                                        new Tensor(
                                                "bias",
                                                List.of(1),
                                                ByteBuffer.wrap(
                                                        new byte[] {0, 0, (byte) 0x80, 0x3f}))))
                        .setMetrics(Map.of("accuracy", 0.9))
                        .setInteractions(
                                Interactions.newBuilder()
                                        .setItems(
                                                List.of(
                                                        CatalogItem.newBuilder()
                                                                .setItem("i1")
                                                                .setFeatures(Map.of("genre", "a"))
                                                                .setCount(2)
                                                                .build()))
                                        .setUsers(List.of())
                                        .setInteractions(2)
                                        .build())
                        .build(),
                spec(),
                DeadLetter.newBuilder()
                        .setSourceTopic("events")
                        .setPartition(1)
                        .setOffset(99)
                        .setTime(3L)
                        .setReason("why")
                        .setPayload(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                        .build(),
                Recommendation.newBuilder()
                        .setRequestId("r1")
                        .setModel("m")
                        .setModelVersion(9)
                        .setUser("u")
                        .setTime(1L)
                        .setItems(List.of(new RecommendedItem("i1", 0.9f)))
                        .setCandidates(5)
                        .setExcluded(1)
                        .build());
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void everySchemaRoundTripsThroughSingleObjectEncoding() throws Exception {
        List<SpecificRecord> records = oneOfEach();
        assertThat(records)
                .extracting(Object::getClass)
                .containsExactlyElementsOf(WireFormat.TYPES);
        for (SpecificRecord r : records) {
            WireFormat.Codec codec = WireFormat.codec(r.getClass());
            byte[] bytes = codec.encode(r);
            assertThat(bytes[0]).isEqualTo((byte) 0xC3);
            assertThat(bytes[1]).isEqualTo((byte) 0x01);
            assertThat(codec.decode(bytes)).isEqualTo(r);
            assertThat(WireFormat.decodeAny(bytes)).isEqualTo(r);
        }
    }

    @Test
    void unknownFingerprintIsReportedAsMissingSchema() {
        byte[] bytes = WireFormat.codec(Event.class).encode((Event) oneOfEach().get(0));
        bytes[5] ^= 0x5A;
        assertThatThrownBy(() -> WireFormat.codec(Event.class).decode(bytes))
                .isInstanceOf(MissingSchemaException.class);
        assertThat(WireFormat.typeOf(WireFormat.fingerprint(bytes).getAsLong())).isNull();
    }

    @Test
    void anotherTypesRecordIsRecognisedByItsFingerprint() {
        byte[] bytes = WireFormat.codec(ModelSpec.class).encode(spec());
        assertThat(WireFormat.typeOf(WireFormat.fingerprint(bytes).getAsLong()))
                .isEqualTo(ModelSpec.class);
        assertThatThrownBy(() -> WireFormat.codec(Event.class).decode(bytes))
                .isInstanceOf(MissingSchemaException.class);
    }

    @Test
    void bytesWithoutTheHeaderAreRefused() {
        assertThatThrownBy(
                        () ->
                                WireFormat.codec(Event.class)
                                        .decode(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
                .isInstanceOf(BadHeaderException.class);
        assertThat(WireFormat.fingerprint(new byte[] {(byte) 0xC3})).isEmpty();
    }

    @Test
    void aCodecToldOfANewerSchemaReadsRecordsWrittenWithIt() throws Exception {
        // The next release's Prediction: the same fields and one more, with a default.
        org.apache.avro.Schema current = WireFormat.schemaOf(Prediction.class);
        List<org.apache.avro.Schema.Field> fields = new java.util.ArrayList<>();
        for (org.apache.avro.Schema.Field f : current.getFields()) {
            fields.add(new org.apache.avro.Schema.Field(f, f.schema()));
        }
        fields.add(
                new org.apache.avro.Schema.Field(
                        "releaseNote",
                        org.apache.avro.Schema.createUnion(
                                org.apache.avro.Schema.create(org.apache.avro.Schema.Type.NULL),
                                org.apache.avro.Schema.create(org.apache.avro.Schema.Type.STRING)),
                        null,
                        org.apache.avro.JsonProperties.NULL_VALUE));
        org.apache.avro.Schema newer =
                org.apache.avro.Schema.createRecord(
                        current.getName(), null, current.getNamespace(), false, fields);
        org.apache.avro.generic.GenericData.Record r =
                new org.apache.avro.generic.GenericData.Record(newer);
        r.put("eventId", "e7");
        r.put("model", "m");
        r.put("modelVersion", 12L);
        r.put("time", 1L);
        r.put("label", 1);
        r.put("scores", List.of(0.25f, 0.75f));
        r.put("publishedAt", 2L);
        r.put("predictedAt", 3L);
        r.put("rank", null);
        r.put("contributions", List.of());
        r.put("releaseNote", "next");
        ByteBuffer b =
                new org.apache.avro.message.BinaryMessageEncoder<
                                org.apache.avro.generic.GenericRecord>(
                                org.apache.avro.generic.GenericData.get(), newer)
                        .encode(r);
        byte[] message = new byte[b.remaining()];
        b.get(message);

        assertThatThrownBy(() -> WireFormat.codec(Prediction.class).decode(message))
                .isInstanceOf(MissingSchemaException.class);
        Prediction p = WireFormat.codec(Prediction.class, List.of(newer)).decode(message);
        assertThat(p.getEventId()).isEqualTo("e7");
        assertThat(p.getModelVersion()).isEqualTo(12L);
        assertThat(p.getScores()).containsExactly(0.25f, 0.75f);
    }
}
