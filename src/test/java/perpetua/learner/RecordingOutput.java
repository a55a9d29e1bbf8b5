package perpetua.learner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import perpetua.schemas.DeadLetter;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSnapshot;
import perpetua.schemas.Prediction;
import perpetua.schemas.Recommendation;

/** The Learner's port for tests of its parts: outputs in lists, timers in a map, a hand clock. */
final class RecordingOutput implements LearnerOutput {
    final List<Prediction> predictions = new ArrayList<>();
    final List<Metrics> metrics = new ArrayList<>();
    final List<ModelSnapshot> snapshots = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    final List<Recommendation> recommendations = new ArrayList<>();

    /** Timers set and not cancelled: namespace to time. */
    final Map<String, Long> timers = new TreeMap<>();

    private final Map<String, LearnerMetrics> counters = new HashMap<>();
    long now;

    /** A batch step whose label join keeps its state in maps and whose outputs go here. */
    BatchStep batchStep(ChampionPolicy policy) {
        return new BatchStep(
                new LabelJoin(new HashMapState<>(), new HashMapState<>(), this), policy, this);
    }

    @Override
    public void prediction(Prediction p) {
        predictions.add(p);
    }

    @Override
    public void recommendation(Recommendation r) {
        recommendations.add(r);
    }

    @Override
    public void metrics(Metrics record) {
        metrics.add(record);
    }

    @Override
    public void snapshot(ModelSnapshot s) {
        snapshots.add(s);
    }

    @Override
    public void deadLetter(DeadLetter d) {
        deadLetters.add(d);
    }

    @Override
    public LearnerMetrics counters(String model) {
        return counters.computeIfAbsent(
                model, m -> new LearnerMetrics(new UnregisteredMetricsGroup(), m));
    }

    @Override
    public long now() {
        return now;
    }

    @Override
    public void wakeAt(String namespace, long time) {
        timers.put(namespace, time);
    }

    @Override
    public void cancel(String namespace, long time) {
        timers.remove(namespace, time);
    }

    /** Keyed map state of one key, in a plain map. */
    static final class HashMapState<K, V> implements MapState<K, V> {
        final Map<K, V> map = new HashMap<>();

        @Override
        public V get(K key) {
            return map.get(key);
        }

        @Override
        public void put(K key, V value) {
            map.put(key, value);
        }

        @Override
        public void putAll(Map<K, V> all) {
            map.putAll(all);
        }

        @Override
        public void remove(K key) {
            map.remove(key);
        }

        @Override
        public boolean contains(K key) {
            return map.containsKey(key);
        }

        @Override
        public Iterable<Map.Entry<K, V>> entries() {
            return map.entrySet();
        }

        @Override
        public Iterable<K> keys() {
            return map.keySet();
        }

        @Override
        public Iterable<V> values() {
            return map.values();
        }

        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            return map.entrySet().iterator();
        }

        @Override
        public boolean isEmpty() {
            return map.isEmpty();
        }

        @Override
        public void clear() {
            map.clear();
        }
    }

    /** Keyed value state of one key, in a field. */
    static final class FieldState<T> implements ValueState<T> {
        T value;

        @Override
        public T value() {
            return value;
        }

        @Override
        public void update(T next) {
            value = next;
        }

        @Override
        public void clear() {
            value = null;
        }
    }
}
