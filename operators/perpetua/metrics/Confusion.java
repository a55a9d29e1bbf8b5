package perpetua.metrics;

/**
 * Figures of a weighted confusion matrix {@code [label * classes + predicted]}: macro-F1 and
 * Cohen's kappa.
 */
final class Confusion {
    private Confusion() {}

    /**
     * Mean of the per-class F1 over the classes that occur as a label or a prediction, or null when
     * none does.
     */
    static Double macroF1(double[] confusion, int k) {
        double sum = 0.0;
        int present = 0;
        for (int c = 0; c < k; c++) {
            double tp = confusion[c * k + c];
            double row = 0.0; // weight labelled c: tp + fn
            double col = 0.0; // weight predicted c: tp + fp
            for (int j = 0; j < k; j++) {
                row += confusion[c * k + j];
                col += confusion[j * k + c];
            }
            if (row + col > 0) {
                // F1 = 2TP / (2TP + FP + FN) = 2TP / (row + col).
                sum += 2 * tp / (row + col);
                present++;
            }
        }
        return present == 0 ? null : sum / present;
    }

    /** Cohen's kappa, (p_o - p_e) / (1 - p_e), or null when p_e is 1 or the matrix is empty. */
    static Double kappa(double[] confusion, int k) {
        double total = 0.0;
        double agree = 0.0;
        double chance = 0.0;
        for (int c = 0; c < k; c++) {
            double row = 0.0;
            double col = 0.0;
            for (int j = 0; j < k; j++) {
                row += confusion[c * k + j];
                col += confusion[j * k + c];
            }
            total += row;
            agree += confusion[c * k + c];
            chance += row * col;
        }
        if (!(total > 0)) {
            return null;
        }
        double po = agree / total;
        double pe = chance / (total * total);
        return 1.0 - pe > 1e-12 ? (po - pe) / (1.0 - pe) : null;
    }
}
