package perpetua.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import perpetua.features.MicroBatch;
import perpetua.schemas.Embedding;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

class SparseBlocksTest {

    private static final float L2 = 0.5f;

    private ParameterLayout layout;
    private float[] params;
    private float[] grad;
    private SparseBlocks sparse;
    private MicroBatch batch;

    @BeforeEach
    void twoRowsSharingASlotAndAnId() {
        ModelSpec spec =
                ModelFixtures.spec(Task.BINARY, 3)
                        .setNumericFeatures(List.of())
                        .setDenseSize(1)
                        .setEmbeddings(List.of(new Embedding("colour", 2)))
                        .setEmbeddingBits(2)
                        .setL2(L2)
                        .build();
        layout = new ParameterLayout(spec);
        params = new float[layout.size];
        for (int i = 0; i < params.length; i++) {
            params[i] = 0.01f * (i + 1);
        }
        grad = new float[layout.size];
        sparse = new SparseBlocks(layout, params, grad, L2);
        batch = new MicroBatch(1, 1, 4);
        // Row 0: slots 1 (x 2) and 5, bag {0, 3}; row 1: slot 1, empty bag.
        batch.addRow(
                new float[] {7f},
                new int[] {1, 5},
                new float[] {2f, 1f},
                2,
                new int[] {2},
                new int[] {0, 3},
                1f,
                1f);
        batch.addRow(new float[] {-1f}, new int[] {1}, null, 1, new int[] {0}, new int[0], 0f, 1f);
    }

    private float wide(int slot) {
        return params[layout.hashedOffset + slot];
    }

    private int embedding(int id, int d) {
        return layout.tableOffset[0] + id * 2 + d;
    }

    @Test
    void gathersTheDenseValuesAndTheMeanEmbeddingOfEachBag() {
        int in = layout.width[0];
        float[] input = new float[2 * in];
        Arrays.fill(input, 99f);

        sparse.gatherEmbeddings(batch, input);

        int column = layout.fieldColumn[0];
        assertThat(input[0]).isEqualTo(7f);
        for (int d = 0; d < 2; d++) {
            float mean = 0.5f * (params[embedding(0, d)] + params[embedding(3, d)]);
            assertThat(input[column + d]).isCloseTo(mean, within(1e-7f));
            // An empty bag embeds as zeros, not as what the buffer held.
            assertThat(input[in + column + d]).isZero();
        }
        assertThat(input[in]).isEqualTo(-1f);
    }

    @Test
    void aBagOfOneEmbedsAsItsTableRow() {
        MicroBatch one = new MicroBatch(1, 1, 1);
        one.addRow(new float[] {3f}, new int[] {2}, null, 1, new int[] {1}, new int[] {2}, 1f, 1f);
        float[] input = new float[layout.width[0]];
        Arrays.fill(input, 99f);

        sparse.gatherEmbeddings(one, input);

        int column = layout.fieldColumn[0];
        assertThat(input[0]).isEqualTo(3f);
        assertThat(input[column]).isEqualTo(params[embedding(2, 0)]);
        assertThat(input[column + 1]).isEqualTo(params[embedding(2, 1)]);
    }

    @Test
    void theWideSumsKeptAddAsTheWidePartDid() {
        float[] logits = {0.25f, -0.25f};
        float[] sums = new float[2];
        sparse.addWide(batch, logits, sums);
        float[] again = {0.25f, -0.25f};

        sparse.addSums(2, again, sums);

        assertThat(sums[0]).isCloseTo(2f * wide(1) + wide(5), within(1e-7f));
        assertThat(again).containsExactly(logits);
    }

    @Test
    void addsTheWidePartToEachRowsLogit() {
        float[] logits = {0.25f, -0.25f};

        sparse.addWide(batch, logits);

        assertThat(logits[0]).isCloseTo(0.25f + 2f * wide(1) + wide(5), within(1e-7f));
        assertThat(logits[1]).isCloseTo(-0.25f + wide(1), within(1e-7f));
    }

    @Test
    void scattersOntoTheUsedIndicesAndListsEachOnce() {
        float[] outGrad = {0.5f, -1f};
        float[] inputGrad = new float[2 * layout.width[0]];
        int column = layout.fieldColumn[0];
        inputGrad[column] = 4f;
        inputGrad[column + 1] = -2f;

        sparse.scatter(batch, outGrad, inputGrad);

        int slot1 = layout.hashedOffset + 1;
        int slot5 = layout.hashedOffset + 5;
        assertThat(sparse.wideCount).isEqualTo(2);
        assertThat(sparse.activeWide).startsWith(slot1, slot5);
        assertThat(grad[slot1]).isCloseTo(2f * 0.5f - 1f + L2 * wide(1), within(1e-6f));
        assertThat(grad[slot5]).isCloseTo(0.5f + L2 * wide(5), within(1e-6f));
        assertThat(sparse.embCount).isEqualTo(4);
        assertThat(sparse.activeEmb)
                .startsWith(embedding(0, 0), embedding(0, 1), embedding(3, 0), embedding(3, 1));
        // Each id of a bag of two takes half of dLoss/dInput.
        assertThat(grad[embedding(3, 0)])
                .isCloseTo(2f + L2 * params[embedding(3, 0)], within(1e-6f));
        assertThat(grad[embedding(3, 1)])
                .isCloseTo(-1f + L2 * params[embedding(3, 1)], within(1e-6f));
        assertThat(grad[embedding(2, 0)]).isZero();
    }

    @Test
    void clearingZeroesTheSparseGradientAndForgetsTheActiveIndices() {
        sparse.scatter(batch, new float[] {1f, 1f}, new float[2 * layout.width[0]]);
        sparse.activate(layout.size - 2, 2);
        grad[layout.size - 1] = 3f;
        assertThat(sparse.embCount).isEqualTo(6);

        sparse.clearGradient();

        assertThat(sparse.wideCount).isZero();
        assertThat(sparse.embCount).isZero();
        assertThat(grad).containsOnly(0f);
    }

    @Test
    void aSecondPassListsTheIndicesItUsesAgain() {
        float[] inputGrad = new float[2 * layout.width[0]];
        sparse.scatter(batch, new float[] {1f, 1f}, inputGrad);
        sparse.clearGradient();

        sparse.scatter(batch, new float[] {1f, 1f}, inputGrad);

        assertThat(sparse.wideCount).isEqualTo(2);
        assertThat(sparse.embCount).isEqualTo(4);
    }
}
