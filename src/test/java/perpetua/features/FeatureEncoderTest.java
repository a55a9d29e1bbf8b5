package perpetua.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

class FeatureEncoderTest {

    private static final ModelSpec SPEC =
            ModelSpec.newBuilder()
                    .setModel("m")
                    .setTask(Task.REGRESSION)
                    .setDenseSize(2)
                    .setNumericFeatures(List.of("price", "age"))
                    .setHashBits(10)
                    .setScaleDense(false)
                    .build();

    private static Event event(Map<String, Double> numeric, Object label, float weight) {
        return Event.newBuilder()
                .setId("e")
                .setModel("m")
                .setTime(0L)
                .setDense(List.of(0.5f, -1f))
                .setNumeric(numeric)
                .setCategorical(Map.of("country", "DE"))
                .setLabel(label)
                .setWeight(weight)
                .build();
    }

    @Test
    void rowIsDenseThenNumericsInSpecOrderThenHashedSlots() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();

        encoder.encode(event(Map.of("age", 30.0, "price", 4.0, "ignored", 1.0), 2.5, 3f), batch);
        encoder.encode(event(Map.of("age", 50.0, "price", 8.0), 1, 1f), batch);
        encoder.commitMoments();
        encoder.encode(event(Map.of("age", 60.0, "price", 10.0), 1, 1f), batch);

        assertThat(encoder.denseWidth()).isEqualTo(4);
        float[] dense = batch.dense();
        // Rows before the first commit: no moments yet, so the numerics carry nothing.
        assertThat(Arrays.copyOf(dense, 4)).containsExactly(0.5f, -1f, 0f, 0f);
        assertThat(Arrays.copyOfRange(dense, 4, 8)).containsExactly(0.5f, -1f, 0f, 0f);
        // Third row, scaled by the committed moments: price mean 6, population sd 2:
        // (10 - 6) / 2 = 2; age mean 40, sd 10: (60 - 40) / 10 = 2.
        assertThat(Arrays.copyOfRange(dense, 8, 12)).containsExactly(0.5f, -1f, 2f, 2f);
        // The third row waits for the next commit.
        assertThat(encoder.standardizer().count(0)).isEqualTo(2);
        assertThat(batch.slotStart()[1]).isEqualTo(1);
        assertThat(batch.slots()[0]).isEqualTo(FeatureHasher.slot("country", "DE", 10));
        assertThat(batch.label(0)).isEqualTo(2.5f);
        assertThat(batch.weight(0)).isEqualTo(3f);
        assertThat(batch.label(1)).isEqualTo(1f);
    }

    @Test
    void missingNumericEncodesAsZeroAndLeavesItsMomentsAlone() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();

        encoder.encode(event(Map.of("price", 4.0), null, 2f), batch);
        encoder.commitMoments();

        assertThat(batch.dense()[3]).isZero();
        assertThat(encoder.standardizer().count(1)).isZero();
        assertThat(encoder.standardizer().count(0)).isEqualTo(1);
    }

    @Test
    void unlabelledRowGetsNaNLabelAndZeroWeight() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();

        encoder.encode(event(Map.of(), null, 2f), batch);
        encoder.encode(event(Map.of(), 1.5, 2f), batch);

        assertThat(batch.label(0)).isNaN();
        assertThat(batch.weight(0)).isZero();
        assertThat(batch.labelledCount()).isEqualTo(1);
    }

    @Test
    void aDecodedEventEncodesAsTheSameEventBuiltByHand() throws Exception {
        ModelSpec spec =
                ModelSpec.newBuilder()
                        .setModel("m")
                        .setTask(Task.BINARY)
                        .setDenseSize(3)
                        .setNumericFeatures(List.of("b", "a", "missing"))
                        .setHashBits(16)
                        .setInteractions(List.of("origin*destination", "hour*origin"))
                        .setTextNgrams(2)
                        .setEmbeddings(
                                List.of(
                                        perpetua.schemas.Embedding.newBuilder()
                                                .setFeature("origin")
                                                .setDim(4)
                                                .build(),
                                        perpetua.schemas.Embedding.newBuilder()
                                                .setFeature(FeatureEncoder.TEXT_FIELD)
                                                .setDim(4)
                                                .build()))
                        .build();
        perpetua.wire.WireFormat.Codec<Event> codec = perpetua.wire.WireFormat.codec(Event.class);
        FeatureEncoder byHand = new FeatureEncoder(spec);
        FeatureEncoder decoded = new FeatureEncoder(spec);
        MicroBatch handRows = byHand.newBatch();
        MicroBatch decodedRows = decoded.newBatch();
        for (int i = 0; i < 50; i++) {
            Map<String, String> categorical = new java.util.HashMap<>();
            categorical.put("origin", "SFO" + (i % 3));
            categorical.put("destination", "JFK");
            categorical.put("hour", Integer.toString(i % 24));
            categorical.put("dow", "d" + (i % 7));
            Event e =
                    Event.newBuilder()
                            .setId("e" + i)
                            .setModel("m")
                            .setTime(i)
                            .setDense(List.of(1f * i, -2f, 0.5f))
                            .setNumeric(
                                    i % 2 == 0
                                            ? Map.of("a", 1.0 * i, "b", -i * 3.0)
                                            : Map.of("b", 2.0))
                            .setCategorical(categorical)
                            .setText(i % 5 == 0 ? null : "Late flight, gate " + i + " changed")
                            .setLabel(i % 2)
                            .build();
            byHand.encode(e, handRows);
            decoded.encode(codec.decode(codec.encode(e)), decodedRows);
            byHand.commitMoments();
            decoded.commitMoments();
        }
        int n = handRows.size();
        assertThat(decodedRows.size()).isEqualTo(n);
        int slots = handRows.slotStart()[n];
        int ids = handRows.bagStart()[n * handRows.fields()];
        assertThat(Arrays.copyOf(decodedRows.dense(), n * handRows.denseWidth()))
                .containsExactly(Arrays.copyOf(handRows.dense(), n * handRows.denseWidth()));
        assertThat(Arrays.copyOf(decodedRows.slotStart(), n + 1))
                .containsExactly(Arrays.copyOf(handRows.slotStart(), n + 1));
        assertThat(Arrays.copyOf(decodedRows.slots(), slots))
                .containsExactly(Arrays.copyOf(handRows.slots(), slots));
        assertThat(Arrays.copyOf(decodedRows.slotValues(), slots))
                .containsExactly(Arrays.copyOf(handRows.slotValues(), slots));
        assertThat(Arrays.copyOf(decodedRows.bagIds(), ids))
                .containsExactly(Arrays.copyOf(handRows.bagIds(), ids));
        assertThat(Arrays.copyOf(decodedRows.labels(), n))
                .containsExactly(Arrays.copyOf(handRows.labels(), n));
    }

    @Test
    void categoricalSlotsComeInSlotOrderWhateverTheMapsOrder() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();
        Map<String, String> forwards = new java.util.LinkedHashMap<>();
        Map<String, String> backwards = new java.util.LinkedHashMap<>();
        for (int c = 0; c < 20; c++) {
            forwards.put("f" + c, "v" + c);
            backwards.put("f" + (19 - c), "v" + (19 - c));
        }
        for (Map<String, String> categorical : List.of(forwards, backwards)) {
            encoder.encode(
                    Event.newBuilder()
                            .setId("e")
                            .setModel("m")
                            .setTime(0L)
                            .setDense(List.of(0f, 0f))
                            .setCategorical(categorical)
                            .build(),
                    batch);
        }
        int[] first = Arrays.copyOfRange(batch.slots(), 0, 20);
        int[] second = Arrays.copyOfRange(batch.slots(), 20, 40);
        assertThat(first).isSorted().containsExactly(second);
        assertThat(first).contains(FeatureHasher.slot("f7", "v7", 10));
    }

    @Test
    void aMultiValuedCategoricalIsOneInputPerValueEachWeighingOneOverRootN() {
        ModelSpec spec =
                ModelSpec.newBuilder(SPEC)
                        .setNumericFeatures(List.of())
                        .setDenseSize(0)
                        .setMultiValued(List.of("genres"))
                        .setInteractions(List.of("genres*country"))
                        .setEmbeddings(List.of(new perpetua.schemas.Embedding("genres", 2)))
                        .setEmbeddingBits(6)
                        .setFactors(2)
                        .setFactorBits(8)
                        .build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = encoder.newBatch();
        EncodedInputs names = new EncodedInputs();
        Event e =
                Event.newBuilder()
                        .setId("e")
                        .setModel("m")
                        .setTime(0L)
                        .setCategorical(Map.of("genres", "Comedy||Romance|", "country", "DE"))
                        .build();
        encoder.encode(e, batch, names);

        float root = (float) (1 / Math.sqrt(2));
        Map<String, Float> wide = new java.util.HashMap<>();
        for (int j = 0; j < batch.slotStart()[1]; j++) {
            wide.put(names.slots.get(j), batch.slotValues()[j]);
            String name = names.slots.get(j);
            int expectedSlot =
                    name.startsWith("genres*country=")
                            ? FeatureHasher.slot(
                                    "genres*country", name.substring(15).replace(',', '\u0001'), 10)
                            : FeatureHasher.slot(
                                    name.substring(0, name.indexOf('=')),
                                    name.substring(name.indexOf('=') + 1),
                                    10);
            assertThat(batch.slots()[j]).as(name).isEqualTo(expectedSlot);
        }
        assertThat(wide)
                .containsOnly(
                        Map.entry("genres=Comedy", root),
                        Map.entry("genres=Romance", root),
                        Map.entry("country=DE", 1f),
                        Map.entry("genres*country=Comedy,DE", root),
                        Map.entry("genres*country=Romance,DE", root));
        assertThat(names.bagIds).containsExactly("genres=Comedy", "genres=Romance");
        assertThat(batch.bagIds()[0]).isEqualTo(FeatureHasher.slot("genres", "Comedy", 6));
        assertThat(names.factorIds)
                .containsExactlyInAnyOrder("genres=Comedy", "genres=Romance", "country=DE");
        for (int j = 0; j < 3; j++) {
            String name = names.factorIds.get(j);
            assertThat(batch.factorValues()[j]).isEqualTo(name.startsWith("genres") ? root : 1f);
        }
    }

    @Test
    void withoutTheSpecSayingSoAValueWithTheSeparatorIsOneValue() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();
        Event e =
                Event.newBuilder()
                        .setId("e")
                        .setModel("m")
                        .setTime(0L)
                        .setDense(List.of(0f, 0f))
                        .setCategorical(Map.of("genres", "Comedy|Romance"))
                        .build();
        encoder.encode(e, batch);
        assertThat(batch.slotStart()[1]).isEqualTo(1);
        assertThat(batch.slots()[0]).isEqualTo(FeatureHasher.slot("genres", "Comedy|Romance", 10));
        assertThat(batch.factorStart()[1]).isZero();
    }

    private static Event dense(float a, float b, double price) {
        return Event.newBuilder(event(Map.of("price", price), 1.0, 1f))
                .setDense(List.of(a, b))
                .build();
    }

    @Test
    void denseValuesAreDividedByTheLargestMagnitudeTheirColumnHasHad() {
        ModelSpec spec = ModelSpec.newBuilder(SPEC).setScaleDense(true).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = encoder.newBatch();

        encoder.encode(dense(50f, -2f, 1), batch);
        encoder.encode(dense(200f, 1f, 1), batch);
        encoder.commitMoments();
        encoder.encode(dense(100f, 4f, 1), batch);

        float[] d = batch.dense();
        // Before any commit a value is scaled by itself: +-1 (0 stays 0).
        assertThat(new float[] {d[0], d[1]}).containsExactly(1f, -1f);
        assertThat(new float[] {d[4], d[5]}).containsExactly(1f, 1f);
        // After it: by the largest magnitude so far, or its own when larger.
        assertThat(new float[] {d[8], d[9]}).containsExactly(0.5f, 1f);
        assertThat(encoder.denseScaler().maxAbs()).containsExactly(200f, 2f);
    }

    @Test
    void theLearnedCopyOfARowIsScaledWithEveryEventBeforeIt() {
        ModelSpec spec = ModelSpec.newBuilder(SPEC).setScaleDense(true).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch predicted = encoder.newBatch();
        MicroBatch learned = encoder.newBatch();

        for (double price : new double[] {4, 8, 6}) {
            encoder.encode(dense(1f, 1f, price), predicted);
            encoder.learningRow(predicted, learned);
        }
        // Predicted rows use the committed moments: none yet, so the numerics carry nothing.
        assertThat(predicted.dense()[2 * 4 + 2]).isZero();
        // The third learned row saw prices 4 and 8: mean 6, so (6 - 6) / 2 = 0; the second saw
        // only one price, too few for a scale.
        assertThat(learned.dense()[4 + 2]).isZero();
        assertThat(learned.dense()[2 * 4 + 2]).isZero();
        encoder.encode(dense(1f, 1f, 10), predicted);
        encoder.learningRow(predicted, learned);
        // The fourth saw 4, 8, 6: mean 6, population sd sqrt(8/3).
        assertThat(learned.dense()[3 * 4 + 2])
                .isCloseTo((float) (4 / Math.sqrt(8.0 / 3)), within(1e-6f));
        assertThat(predicted.dense()[3 * 4 + 2]).isZero();
        // Late labels are scaled the same way and leave the moments as they are.
        encoder.encodeCounted(dense(1f, 1f, 6), learned);
        assertThat(encoder.standardizer().count(0)).isZero();
        encoder.commitMoments();
        assertThat(encoder.standardizer().count(0)).isEqualTo(4);
        assertThat(encoder.standardizer().mean(0)).isEqualTo(7.0);
    }

    @Test
    void aScorerThatDiscardsItsRowsKeepsTheCommittedScaling() {
        ModelSpec spec = ModelSpec.newBuilder(SPEC).setScaleDense(true).build();
        FeatureEncoder encoder = new FeatureEncoder(spec);
        MicroBatch batch = encoder.newBatch();
        encoder.encode(dense(10f, 1f, 3), batch);
        encoder.encode(dense(20f, 1f, 5), batch);
        encoder.commitMoments();
        encoder.encode(dense(1000f, 1f, 500), batch);
        encoder.discardPending();
        encoder.encode(dense(10f, 1f, 5), batch);
        encoder.commitMoments();

        assertThat(encoder.denseScaler().maxAbs()[0]).isEqualTo(20f);
        assertThat(encoder.standardizer().count(0)).isEqualTo(3);
        assertThat(encoder.standardizer().mean(0)).isCloseTo(13.0 / 3, within(1e-12));
    }
}
