package perpetua.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NamedValuesTest {

    @Test
    void behavesAsAHashMapUnderRandomChanges() {
        Random random = new Random(11);
        for (int names : new int[] {3, NamedValues.LINEAR_LIMIT, 200}) {
            EventNumerics numerics = new EventNumerics(1);
            EventCategoricals categoricals = new EventCategoricals(0);
            Map<String, Double> numbers = new HashMap<>();
            Map<String, String> strings = new HashMap<>();
            for (int step = 0; step < 5000; step++) {
                String name = "f" + random.nextInt(names);
                switch (random.nextInt(5)) {
                    case 0, 1 -> {
                        double v = random.nextDouble();
                        assertThat(numerics.put(name, (Double) v)).isEqualTo(numbers.put(name, v));
                        assertThat(categoricals.put(name, "v" + v))
                                .isEqualTo(strings.put(name, "v" + v));
                    }
                    case 2 -> {
                        numerics.put(name, (double) step);
                        numbers.put(name, (double) step);
                    }
                    case 3 -> {
                        assertThat(numerics.remove(name)).isEqualTo(numbers.remove(name));
                        assertThat(categoricals.remove(name)).isEqualTo(strings.remove(name));
                    }
                    default -> {
                        assertThat(numerics.get(name)).isEqualTo(numbers.get(name));
                        assertThat(categoricals.containsKey(name))
                                .isEqualTo(strings.containsKey(name));
                    }
                }
                assertThat(numerics.size()).isEqualTo(numbers.size());
            }
            assertThat(numerics).isEqualTo(numbers);
            assertThat(numbers).isEqualTo(numerics);
            assertThat(numerics.hashCode()).isEqualTo(numbers.hashCode());
            assertThat(categoricals).isEqualTo(strings);
        }
    }

    @Test
    void keepsTheOrderTheNamesCameIn() {
        EventNumerics numerics = new EventNumerics(2);
        numerics.put("b", 2.0);
        numerics.put("a", 1.0);
        numerics.put("b", 3.0);
        assertThat(numerics.keySet()).containsExactly("b", "a");
        assertThat(numerics.value(0)).isEqualTo(3.0);
        assertThat(numerics.indexOf("a", 1)).isEqualTo(1);
        assertThat(numerics.indexOf("a", 0)).isEqualTo(1);
        assertThat(numerics.indexOf("c", 0)).isEqualTo(-1);
    }

    @Test
    void anIteratorRemovesAndAnEntryWritesThrough() {
        EventCategoricals categoricals = new EventCategoricals(4);
        categoricals.put("a", "1");
        categoricals.put("b", "2");
        categoricals.put("c", "3");
        Iterator<Map.Entry<String, String>> it = categoricals.entrySet().iterator();
        it.next().setValue("one");
        it.next();
        it.remove();
        assertThat(it.next().getKey()).isEqualTo("c");
        assertThat(it.hasNext()).isFalse();
        assertThat(categoricals).isEqualTo(Map.of("a", "one", "c", "3"));
    }
}
