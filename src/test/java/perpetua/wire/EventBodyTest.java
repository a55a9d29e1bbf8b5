package perpetua.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.generic.PrimitivesArrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Event;
import perpetua.schemas.Prediction;

class EventBodyTest {
    private final WireFormat.Codec<Event> events = WireFormat.codec(Event.class);
    private final WireFormat.Codec<Prediction> predictions = WireFormat.codec(Prediction.class);
    private final BinaryMessageEncoder<Event> avroEvents =
            new BinaryMessageEncoder<>(SpecificData.get(), Event.getClassSchema());
    private final BinaryMessageDecoder<Event> avroEventReader =
            new BinaryMessageDecoder<>(SpecificData.get(), Event.getClassSchema());
    private final BinaryMessageEncoder<Prediction> avroPredictions =
            new BinaryMessageEncoder<>(SpecificData.get(), Prediction.getClassSchema());
    private final BinaryMessageDecoder<Prediction> avroPredictionReader =
            new BinaryMessageDecoder<>(SpecificData.get(), Prediction.getClassSchema());

    /** Events that cover every field, every union branch and strings beyond ASCII. */
    static List<Event> variety() {
        Random random = new Random(7);
        List<Event> out = new ArrayList<>();
        String[] texts = {null, "", "plain words", "Zürich ✓ 漢字 😀", "lone \ud800 surrogate"};
        Object[] labels = {null, 0, 3, -7, 2.5, Double.MAX_VALUE};
        for (int i = 0; i < 30; i++) {
            List<Float> dense = new ArrayList<>();
            for (int d = 0; d < random.nextInt(4) * (i % 5 == 0 ? 200 : 3); d++) {
                dense.add(random.nextFloat() * 100 - 50);
            }
            Map<String, Double> numeric = new LinkedHashMap<>();
            for (int n = 0; n < (i % 7 == 0 ? 40 : random.nextInt(4)); n++) {
                numeric.put("n" + n, random.nextGaussian() * 1e6);
            }
            Map<String, String> categorical = new HashMap<>();
            for (int c = 0; c < random.nextInt(5); c++) {
                categorical.put("c" + c, c == 2 ? "vålue " + random.nextInt(9) : "v" + i);
            }
            out.add(
                    Event.newBuilder()
                            .setId("event-" + i + (i % 4 == 0 ? "-ü" : ""))
                            .setModel(i % 3 == 0 ? "flights" : "modèle")
                            .setTime(i % 2 == 0 ? -1L - i : 1_700_000_000_000L + i * 997L)
                            .setDense(dense)
                            .setNumeric(numeric)
                            .setCategorical(categorical)
                            .setText(texts[i % texts.length])
                            .setLabel(labels[i % labels.length])
                            .setWeight(i % 3 == 0 ? 1f : 0.25f * i)
                            .build());
        }
        return out;
    }

    @Test
    void theFastPathKnowsEveryFieldOfTheCurrentSchemas() {
        // When a field is added to Event or Prediction, EventBody and PredictionBody must learn
        // it: until then the codecs fall back to Avro's reader and writer, and lose their speed.
        assertThat(FieldList.of(Event.getClassSchema())).isEqualTo(EventBody.FIELDS);
        assertThat(EventBody.CURRENT).isTrue();
        assertThat(FieldList.of(Prediction.getClassSchema())).isEqualTo(PredictionBody.FIELDS);
        assertThat(PredictionBody.CURRENT).isTrue();
    }

    @Test
    void writesTheBytesAvroWrites() throws IOException {
        for (Event e : variety()) {
            assertThat(events.encode(e)).as(e.getId()).isEqualTo(bytes(avroEvents.encode(e)));
        }
    }

    @Test
    void readsWhatAvroReads() throws IOException {
        for (Event e : variety()) {
            byte[] message = bytes(avroEvents.encode(e));
            Event fast = events.decode(message);
            assertThat(fast).as(e.getId()).isEqualTo(avroEventReader.decode(message));
            assertThat(fast.getDense()).isInstanceOf(PrimitivesArrays.FloatArray.class);
            assertThat(fast.getNumeric()).isInstanceOf(EventNumerics.class);
            assertThat(fast.getCategorical()).isInstanceOf(EventCategoricals.class);
            assertThat(fast.getNumeric()).isEqualTo(e.getNumeric());
            assertThat(fast.getCategorical()).isEqualTo(e.getCategorical());
            assertThat(fast.getLabel()).isEqualTo(e.getLabel());
            assertThat(fast.getText()).isEqualTo(avroEventReader.decode(message).getText());
        }
    }

    @Test
    void writesAPrimitiveDecodedEventBackUnchanged() throws IOException {
        for (Event e : variety()) {
            byte[] message = bytes(avroEvents.encode(e));
            assertThat(events.encode(events.decode(message))).isEqualTo(message);
        }
    }

    @Test
    void readsBlocksThatGiveTheirSizeInBytes() throws IOException {
        // Other Avro writers may split an array into blocks with negative counts and byte sizes.
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(body, null);
        out.writeString("id");
        out.writeString("m");
        out.writeLong(5);
        out.writeLong(-2); // a block of 2 floats in 8 bytes
        out.writeLong(8);
        out.writeFloat(1.5f);
        out.writeFloat(-2f);
        out.writeLong(1); // then a block of one
        out.writeFloat(3f);
        out.writeLong(0);
        out.writeLong(-1); // numeric: one entry, its size given
        out.writeLong(10);
        out.writeString("x");
        out.writeDouble(4.0);
        out.writeLong(0);
        out.writeLong(0); // no categoricals
        out.writeIndex(0); // no text
        out.writeIndex(1); // label int 1
        out.writeInt(1);
        out.writeFloat(1f);
        out.writeInt(2); // a request for two recommendations
        out.flush();
        byte[] message = withHeader(body.toByteArray());
        Event e = events.decode(message);
        assertThat(e.getDense()).containsExactly(1.5f, -2f, 3f);
        assertThat(e.getNumeric()).isEqualTo(Map.of("x", 4.0));
        assertThat(e.getRecommend()).isEqualTo(2);
        assertThat(e).isEqualTo(avroEventReader.decode(message));
    }

    @Test
    void aNameThatComesAgainIsOneString() throws IOException {
        Event e = variety().get(1);
        Event first = events.decode(bytes(avroEvents.encode(e)));
        Event second = events.decode(bytes(avroEvents.encode(e)));
        assertThat(second.getModel()).isSameAs(first.getModel());
        assertThat(second.getId()).isEqualTo(first.getId()).isNotSameAs(first.getId());
    }

    @Test
    void recurringStringsOfEveryLengthReadAsAvroReadsThem() throws IOException {
        // Names and values up to 15 bytes are cached by their bytes packed into longs, longer
        // ones up to 48 bytes by their bytes, and longer ones not at all: every length, strings
        // that differ in one byte only, characters of two and three bytes, a string in the last
        // 16 bytes of its message, and more strings than the caches hold, each read twice.
        List<Event> all = new ArrayList<>();
        for (int length = 0; length <= 50; length++) {
            for (String unit : new String[] {"a", "ü", "✓"}) {
                StringBuilder b = new StringBuilder();
                while (b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                                + unit.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                        <= length) {
                    b.append(unit);
                }
                while (b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                        < length) {
                    b.append('z');
                }
                String value = b.toString();
                for (String other : new String[] {value, flipLast(value)}) {
                    all.add(shortEvent(value, other));
                }
            }
        }
        for (int i = 0; i < 20_000; i++) {
            all.add(shortEvent("n" + (i % 97), Integer.toString(i, 36)));
        }
        for (int round = 0; round < 2; round++) {
            for (Event e : all) {
                byte[] message = bytes(avroEvents.encode(e));
                assertThat(events.decode(message)).isEqualTo(avroEventReader.decode(message));
            }
        }
    }

    // The categorical value last in its message: only seven bytes follow it.
    private static Event shortEvent(String name, String value) {
        return Event.newBuilder()
                .setId("")
                .setModel(name)
                .setTime(0L)
                .setDense(List.of())
                .setNumeric(Map.of())
                .setCategorical(Map.of(name, value))
                .build();
    }

    private static String flipLast(String s) {
        return s.isEmpty()
                ? "q"
                : s.substring(0, s.length() - 1) + (char) (s.charAt(s.length() - 1) ^ 1);
    }

    @Test
    void modelAndFeatureNamesAreTheInternedStringsAndValuesAreNot() throws IOException {
        // A spec's names are interned where they are matched (FeatureEncoder), so a decoded
        // event's names are found by identity; a value is not interned.
        String value = new String("orig-" + 42);
        Event e =
                Event.newBuilder()
                        .setId("e")
                        .setModel(new String("flights-" + 1))
                        .setTime(0L)
                        .setDense(List.of())
                        .setNumeric(Map.of(new String("distance-" + 2), 1.0))
                        .setCategorical(Map.of(new String("origin-" + 3), value))
                        .build();
        Event decoded = events.decode(bytes(avroEvents.encode(e)));
        assertThat(decoded.getModel()).isSameAs("flights-1");
        assertThat(((EventNumerics) decoded.getNumeric()).name(0)).isSameAs("distance-2");
        EventCategoricals categorical = (EventCategoricals) decoded.getCategorical();
        assertThat(categorical.name(0)).isSameAs("origin-3");
        assertThat(categorical.value(0)).isEqualTo("orig-42").isNotSameAs("orig-42");
    }

    @Test
    void writesThePredictionBytesAvroWritesAndReadsThemBack() throws IOException {
        Prediction p =
                Prediction.newBuilder()
                        .setEventId("e-ü")
                        .setModel("m")
                        .setModelVersion(123_456_789L)
                        .setTime(-3L)
                        .setLabel(2)
                        .setScores(List.of(0.1f, 0.2f, 0.7f))
                        .setPublishedAt(1L)
                        .setPredictedAt(2L)
                        .build();
        assertThat(predictions.encode(p)).isEqualTo(bytes(avroPredictions.encode(p)));
        PrimitivesArrays.FloatArray scores =
                new PrimitivesArrays.FloatArray(
                        2, Prediction.getClassSchema().getField("scores").schema());
        scores.add(0, 0.25f);
        scores.add(1, 0.75f);
        p.setScores(scores);
        assertThat(predictions.encode(p)).isEqualTo(bytes(avroPredictions.encode(p)));
        p.setLabel(3.5);
        p.setScores(List.of());
        assertThat(predictions.encode(p)).isEqualTo(bytes(avroPredictions.encode(p)));
        assertThat(predictions.decode(predictions.encode(p))).isEqualTo(p);
        p.setLabel(7);
        p.setScores(List.of(0.5f, Float.NaN, -0f, 1e-30f));
        byte[] avro = bytes(avroPredictions.encode(p));
        Prediction fast = predictions.decode(avro);
        assertThat(fast).isEqualTo(avroPredictionReader.decode(avro));
        assertThat(fast.getScores()).isInstanceOf(PrimitivesArrays.FloatArray.class);
        assertThat(fast.getLabel()).isEqualTo(7);
        // A recommender's rank and an explained prediction's contributions.
        p.setRank(4);
        p.setContributions(
                List.of(
                        new perpetua.schemas.Contribution("c=x", 0.5f),
                        new perpetua.schemas.Contribution("(bias)", -0.25f)));
        avro = bytes(avroPredictions.encode(p));
        assertThat(predictions.encode(p)).isEqualTo(avro);
        assertThat(predictions.decode(avro)).isEqualTo(avroPredictionReader.decode(avro));
    }

    private static byte[] withHeader(byte[] body) {
        long fingerprint =
                org.apache.avro.SchemaNormalization.parsingFingerprint64(Event.getClassSchema());
        ByteBuffer b =
                ByteBuffer.allocate(WireFormat.HEADER_BYTES + body.length)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0xC3).put((byte) 0x01).putLong(fingerprint).put(body);
        return b.array();
    }

    private static byte[] bytes(ByteBuffer b) {
        return Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.limit());
    }
}
