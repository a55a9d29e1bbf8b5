package perpetua.model;

import perpetua.schemas.ModelSpec;

/**
 * A {@link NeuralModel}'s shape and kernels in one line of words, as logged when the model is
 * created: the task, the deep input (dense width and each embedded field's dim), each layer's size,
 * activation and kernel, the wide and factor tables, the parameter count and the kernel rule.
 */
final class ModelDescription {
    private ModelDescription() {}

    /** Describes the model of {@code spec} laid out as {@code p}, its layers on {@code kernels}. */
    static String of(ModelSpec spec, ParameterLayout p, DenseKernel[] kernels, int parameters) {
        StringBuilder b = new StringBuilder();
        b.append(p.task).append(", input ").append(p.denseWidth).append(" dense");
        for (int f = 0; f < p.fields; f++) {
            b.append(" + ")
                    .append(spec.getEmbeddings().get(f).getFeature())
                    .append(':')
                    .append(p.fieldDim[f]);
        }
        for (int l = 0; l < p.layers; l++) {
            b.append(", layer ")
                    .append(p.width[l])
                    .append('x')
                    .append(p.width[l + 1])
                    .append(' ')
                    .append(p.activation[l])
                    .append(" on ")
                    .append(kernels[l].name());
        }
        b.append(", output ")
                .append(p.width[p.layers])
                .append('x')
                .append(p.k)
                .append(" on ")
                .append(kernels[p.layers].name());
        if (p.wide) {
            b.append(", wide 2^").append(spec.getHashBits());
        }
        if (p.factorDim > 0) {
            b.append(", factors 2^").append(spec.getFactorBits()).append('x').append(p.factorDim);
        }
        b.append(", ")
                .append(parameters)
                .append(" parameters; kernel rule ")
                .append(Kernels.rule());
        return b.toString();
    }
}
