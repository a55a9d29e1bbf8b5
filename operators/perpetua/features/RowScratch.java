package perpetua.features;

import java.util.Arrays;
import java.util.List;

/**
 * One row's sparse inputs while {@link FeatureEncoder} encodes it: the wide slots with their
 * values, the factor ids with theirs, and the embedding ids. Reused row after row, so that encoding
 * allocates nothing here once the arrays have grown to the widest row.
 */
final class RowScratch {
    int[] slots = new int[8];
    float[] slotValues = new float[8];
    int slotCount;
    int[] factors = new int[8];
    float[] factorValues = new float[8];
    int factorCount;
    int[] ids = new int[8];

    /** A new row starts: no slots, no factor ids. */
    void reset() {
        slotCount = 0;
        factorCount = 0;
    }

    void addSlot(int slot, float value) {
        if (slotCount == slots.length) {
            slots = Arrays.copyOf(slots, slotCount * 2);
            slotValues = Arrays.copyOf(slotValues, slotCount * 2);
        }
        slots[slotCount] = slot;
        slotValues[slotCount] = value;
        slotCount++;
    }

    void addFactor(int id, float value) {
        if (factorCount == factors.length) {
            factors = Arrays.copyOf(factors, factorCount * 2);
            factorValues = Arrays.copyOf(factorValues, factorCount * 2);
        }
        factors[factorCount] = id;
        factorValues[factorCount] = value;
        factorCount++;
    }

    /** Puts {@code id} at {@code count} of the embedding ids; returns the new count. */
    int addId(int count, int id) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count] = id;
        return count + 1;
    }

    /**
     * Puts the wide slots so far in slot order with their values and, when given, their names: few
     * enough that an insertion sort is the quick one.
     */
    void sortSlots(List<String> slotNames) {
        for (int i = 1; i < slotCount; i++) {
            int slot = slots[i];
            float value = slotValues[i];
            String name = slotNames == null ? null : slotNames.get(i);
            int j = i - 1;
            while (j >= 0 && slots[j] > slot) {
                slots[j + 1] = slots[j];
                slotValues[j + 1] = slotValues[j];
                if (slotNames != null) {
                    slotNames.set(j + 1, slotNames.get(j));
                }
                j--;
            }
            slots[j + 1] = slot;
            slotValues[j + 1] = value;
            if (slotNames != null) {
                slotNames.set(j + 1, name);
            }
        }
    }
}
