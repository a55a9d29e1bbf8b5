package perpetua.features;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MicroBatchTest {

    @Test
    void growsPastItsInitialCapacityAndKeepsEveryRow() {
        MicroBatch batch = new MicroBatch(2, 1);
        for (int r = 0; r < 50; r++) {
            int[] slots = new int[r % 4];
            for (int j = 0; j < slots.length; j++) {
                slots[j] = r * 10 + j;
            }
            assertThat(batch.addRow(new float[] {r, -r}, slots, slots.length, r, 1f)).isEqualTo(r);
        }

        assertThat(batch.size()).isEqualTo(50);
        assertThat(batch.dense()[2 * 37 + 1]).isEqualTo(-37f);
        // Row 7 has 3 slots: 70, 71, 72.
        int start = batch.slotStart()[7];
        assertThat(batch.slotStart()[8] - start).isEqualTo(3);
        assertThat(batch.slots()[start + 2]).isEqualTo(72);
        assertThat(batch.label(49)).isEqualTo(49f);
    }

    @Test
    void rowsWithOtherDenseValuesHaveTheSameSparseInputsAndAnyOtherSlotOrIdDoesNot() {
        MicroBatch a = oneRow(2f, 6);
        a.addRow(new float[] {2f}, new int[] {4}, null, 1, new int[] {0}, new int[0], 0f, 1f);
        MicroBatch b = new MicroBatch(1, 1, 2);
        b.addRowFrom(a, 0, new float[] {-5f});
        b.addRowFrom(a, 1, new float[] {7f});

        assertThat(b.sameSparse(a, 2)).isTrue();
        assertThat(b.sameDense(a, 0)).isFalse();
        assertThat(oneRow(2f, 6).sameSparse(a, 1)).isTrue();
        assertThat(oneRow(3f, 6).sameSparse(a, 1)).isFalse(); // another slot value
        assertThat(oneRow(2f, 7).sameSparse(a, 1)).isFalse(); // another bag id
        assertThat(oneRow(2f, 6).sameSparse(a, 2)).isFalse(); // it has one row
    }

    /** A batch of one row: slots 3 and 8 (values 1 and {@code value}), a bag of {@code id}. */
    private static MicroBatch oneRow(float value, int id) {
        MicroBatch batch = new MicroBatch(1, 1, 2);
        batch.addRow(
                new float[] {1f},
                new int[] {3, 8},
                new float[] {1f, value},
                2,
                new int[] {1},
                new int[] {id},
                1f,
                1f);
        return batch;
    }

    @Test
    void clearForgetsRowsButKeepsCapacity() {
        MicroBatch batch = new MicroBatch(1);
        for (int r = 0; r < 40; r++) {
            batch.addRow(new float[] {1f}, new int[0], 0, Float.NaN, 1f);
        }
        float[] dense = batch.dense();

        batch.clear();
        batch.addRow(new float[] {2f}, new int[] {5}, 1, 1f, 1f);

        assertThat(batch.size()).isEqualTo(1);
        assertThat(batch.dense()).isSameAs(dense);
        assertThat(batch.slotStart()[1]).isEqualTo(1);
        assertThat(batch.labelledCount()).isEqualTo(1);
    }

    @Test
    void aRowsFactorInputsTravelWithItIntoAnotherBatchAndThroughState() {
        MicroBatch from = new MicroBatch(1, 0, 2);
        from.addRow(
                new float[] {1f},
                new int[] {3},
                new float[] {1f},
                1,
                null,
                new int[0],
                new int[] {4, 9},
                new float[] {1f, 0.5f},
                2,
                2f,
                1f);
        from.addRow(
                new float[] {2f},
                new int[0],
                new float[0],
                0,
                null,
                new int[0],
                new int[] {7, 8, 11},
                new float[] {0.25f, 1f, 1f},
                3,
                3f,
                1f);

        MicroBatch copy = new MicroBatch(1, 0, 1);
        copy.addRowFrom(from, 1, null);
        copy.addRowFrom(from, 0, new float[] {5f});
        MicroBatch restored = new MicroBatch(1, 0, 1);
        restored.addRows(copy.toRows());

        for (MicroBatch b : new MicroBatch[] {copy, restored}) {
            assertThat(b.size()).isEqualTo(2);
            assertThat(b.factorStart()[1]).isEqualTo(3);
            assertThat(b.factorStart()[2]).isEqualTo(5);
            assertThat(java.util.Arrays.copyOf(b.factorIds(), 5)).containsExactly(7, 8, 11, 4, 9);
            assertThat(java.util.Arrays.copyOf(b.factorValues(), 5))
                    .containsExactly(0.25f, 1f, 1f, 1f, 0.5f);
            assertThat(b.dense()[1]).isEqualTo(5f);
            assertThat(b.label(0)).isEqualTo(3f);
        }
    }
}
