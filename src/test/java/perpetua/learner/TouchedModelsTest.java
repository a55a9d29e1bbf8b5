package perpetua.learner;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TouchedModelsTest {

    @Test
    void aModelTouchedAgainAfterACheckpointIsWrittenByTheNext() {
        TouchedModels touched = new TouchedModels();
        String a = "a";
        touched.add(a);
        touched.add(a);
        touched.add("b");
        assertThat(touched.names()).containsExactlyInAnyOrder("a", "b");

        touched.clear();
        assertThat(touched.names()).isEmpty();
        touched.add("b");
        touched.add("b");
        assertThat(touched.names()).containsExactly("b");

        touched.clear();
        // The same string as the last one before the checkpoint: it is touched again.
        touched.add("b");
        assertThat(touched.names()).containsExactly("b");
    }

    @Test
    void equalNamesInOtherStringsAreOneModel() {
        TouchedModels touched = new TouchedModels();
        touched.add(new String("m"));
        touched.add(new String("m"));
        assertThat(touched.names()).containsExactly("m");
    }
}
