package perpetua.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Event;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

class LearningQueueTest {
    private static final ModelSpec SPEC =
            ModelSpec.newBuilder()
                    .setModel("m")
                    .setTask(Task.REGRESSION)
                    .setDenseSize(1)
                    .setHashBits(4)
                    .setEmbeddings(
                            List.of(
                                    perpetua.schemas.Embedding.newBuilder()
                                            .setFeature("k")
                                            .build()))
                    .build();

    private static Event event(int i) {
        return Event.newBuilder()
                .setId("e" + i)
                .setModel("m")
                .setTime(0L)
                .setDense(List.of((float) i))
                .setCategorical(Map.of("k", "v" + i))
                .setLabel((double) i)
                .build();
    }

    private static List<Float> labels(MicroBatch group) {
        List<Float> out = new ArrayList<>();
        for (int r = 0; r < group.size(); r++) {
            out.add(group.label(r));
        }
        return out;
    }

    @Test
    void rowsAreLearnedInGroupsInTheOrderTheyCame() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();
        LearningQueue queue = new LearningQueue(encoder, 3);
        for (int i = 1; i <= 7; i++) {
            encoder.encode(event(i), batch);
            queue.add(encoder, batch);
        }
        MicroBatch first = queue.nextGroup();
        assertThat(labels(first)).containsExactly(1f, 2f, 3f);
        queue.learned(first);
        assertThat(labels(queue.nextGroup())).containsExactly(4f, 5f, 6f);
        assertThat(queue.nextGroup()).isNull();
        assertThat(queue.waiting()).isEqualTo(1);
    }

    @Test
    void waitingRowsGoThroughStateAndRegroupWhenTheSizeChanges() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();
        LearningQueue queue = new LearningQueue(encoder, 4);
        for (int i = 1; i <= 3; i++) {
            encoder.encode(event(i), batch);
            queue.add(encoder, batch);
        }
        BatchRows rows = queue.toRows();
        LearningQueue restored = new LearningQueue(encoder, 4);
        restored.addRows(rows);
        assertThat(restored.waiting()).isEqualTo(3);
        assertThat(restored.nextGroup()).isNull();

        restored.resize(2);
        MicroBatch group = restored.nextGroup();
        assertThat(labels(group)).containsExactly(1f, 2f);
        // The rows kept their embedding bags and hashed slots.
        assertThat(group.bagStart()[2] - group.bagStart()[1]).isEqualTo(1);
        assertThat(group.bagIds()[1]).isEqualTo(batch.bagIds()[1]);
        assertThat(group.slotStart()[2]).isEqualTo(batch.slotStart()[2]);
        assertThat(restored.waiting()).isEqualTo(1);
    }

    private static Event labelled(int i, int label) {
        return Event.newBuilder(event(i)).setLabel(label).build();
    }

    @Test
    void pairwiseGroupsAreEachEventWithItsOwnNegativesAcrossARestore() {
        FeatureEncoder encoder = new FeatureEncoder(SPEC);
        MicroBatch batch = encoder.newBatch();
        LearningQueue queue = new LearningQueue(encoder, 3, true);
        // Event 1 with two negatives (full: closes at once), event 4 with none, event 5 with one,
        // then a stream's own negative event 7 and event 8 with two negatives.
        encoder.encode(labelled(1, 1), batch);
        queue.add(encoder, batch);
        queue.addNegative(encoder, labelled(2, 0));
        queue.addNegative(encoder, labelled(3, 0));
        encoder.encode(labelled(4, 1), batch);
        queue.add(encoder, batch);
        encoder.encode(labelled(5, 1), batch);
        queue.add(encoder, batch);
        queue.addNegative(encoder, labelled(6, 0));
        encoder.encode(labelled(7, 0), batch);
        queue.add(encoder, batch);
        encoder.encode(labelled(8, 1), batch);
        queue.add(encoder, batch);
        queue.addNegative(encoder, labelled(9, 0));
        List<List<Float>> groups = new ArrayList<>();
        for (MicroBatch g = queue.nextGroup(); g != null; g = queue.nextGroup()) {
            groups.add(labels(g));
            queue.learned(g);
        }
        // A short group closes when the next event comes; a group never mixes two events.
        assertThat(groups)
                .containsExactly(List.of(1f, 0f, 0f), List.of(1f), List.of(1f, 0f), List.of(0f));
        assertThat(queue.waiting()).isEqualTo(2);
        // Restored rows keep their groups: a positive starts one, a negative joins the open one.
        LearningQueue restored = new LearningQueue(encoder, 3, true);
        restored.addRows(queue.toRows());
        restored.addNegative(encoder, labelled(10, 0));
        assertThat(labels(restored.nextGroup())).containsExactly(1f, 0f, 0f);
        // Without pairwise the same rows are cut by size alone.
        LearningQueue plain = new LearningQueue(encoder, 3);
        encoder.encode(labelled(1, 1), batch);
        plain.add(encoder, batch);
        encoder.encode(labelled(4, 1), batch);
        plain.add(encoder, batch);
        plain.addNegative(encoder, labelled(6, 0));
        assertThat(labels(plain.nextGroup())).containsExactly(1f, 1f, 0f);
    }
}
