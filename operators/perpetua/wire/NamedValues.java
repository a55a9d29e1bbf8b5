package perpetua.wire;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The named values of one event (its numerics or its categoricals) in arrays, in the order they
 * came, behind the {@link Map} that the Avro record declares.
 *
 * <p>An event names a handful of features, the same ones in the same order event after event, and a
 * model looks each up once per event: arrays searched from a hint (the position where the name was
 * last time) cost less than hashing the name into a {@link HashMap} that is built and dropped per
 * event. Past {@link #LINEAR_LIMIT} names a hash index is built, so that an event with very many
 * names costs no more than a hash map. Keys are unique: putting a name again replaces its value, as
 * a map's would. Not thread-safe.
 */
public abstract class NamedValues<V> extends AbstractMap<String, V> {
    /** Up to this many names are searched in order; past it a hash index is kept. */
    static final int LINEAR_LIMIT = 16;

    String[] names;
    int size;
    private HashMap<String, Integer> index;

    NamedValues(int capacity) {
        names = new String[Math.max(1, capacity)];
    }

    /** The value at position {@code i}, boxed as the map declares it. */
    abstract V valueAt(int i);

    /** Makes room for {@code capacity} names; values arrays follow the names' length. */
    abstract void grow(int capacity);

    /** Sets the value at position {@code i} to {@code value}, boxed as the map declares it. */
    abstract void setValueAt(int i, V value);

    /** Moves the value at position {@code from} to position {@code to}. */
    abstract void moveValue(int from, int to);

    /** The name at position {@code i}, in the order the names came. */
    public final String name(int i) {
        return names[i];
    }

    /** The position of {@code name}, or -1; position {@code hint} is tried first. */
    public final int indexOf(Object name, int hint) {
        if (hint >= 0 && hint < size && names[hint].equals(name)) {
            return hint;
        }
        return indexOf(name);
    }

    /** The position of {@code name}, or -1. */
    public final int indexOf(Object name) {
        if (index != null) {
            Integer i = index.get(name);
            return i == null ? -1 : i;
        }
        for (int i = 0; i < size; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The position for {@code name}: where it is, or a new last one. */
    final int slot(String name) {
        if (name == null) {
            throw new NullPointerException("a feature name is never null");
        }
        int i = indexOf(name);
        if (i >= 0) {
            return i;
        }
        if (size == names.length) {
            int capacity = Math.max(4, size * 2);
            names = Arrays.copyOf(names, capacity);
            grow(capacity);
        }
        names[size] = name;
        if (index != null) {
            index.put(name, size);
        } else if (size + 1 > LINEAR_LIMIT) {
            index = new HashMap<>();
            for (int k = 0; k <= size; k++) {
                index.put(names[k], k);
            }
        }
        return size++;
    }

    @Override
    public final int size() {
        return size;
    }

    @Override
    public final boolean containsKey(Object name) {
        return indexOf(name) >= 0;
    }

    @Override
    public final V get(Object name) {
        int i = indexOf(name);
        return i < 0 ? null : valueAt(i);
    }

    @Override
    public final V put(String name, V value) {
        int before = size;
        int i = slot(name);
        V old = i < before ? valueAt(i) : null;
        setValueAt(i, value);
        return old;
    }

    @Override
    public final V remove(Object name) {
        int i = indexOf(name);
        if (i < 0) {
            return null;
        }
        V old = valueAt(i);
        removeAt(i);
        return old;
    }

    @Override
    public final void clear() {
        Arrays.fill(names, 0, size, null);
        size = 0;
        index = null;
    }

    private void removeAt(int i) {
        for (int k = i + 1; k < size; k++) {
            names[k - 1] = names[k];
            moveValue(k, k - 1);
        }
        names[--size] = null;
        if (index != null) {
            index.clear();
            for (int k = 0; k < size; k++) {
                index.put(names[k], k);
            }
        }
    }

    @Override
    public final Set<Map.Entry<String, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Map.Entry<String, V>> iterator() {
                return new Iterator<>() {
                    private int next;
                    private int last = -1;

                    @Override
                    public boolean hasNext() {
                        return next < size;
                    }

                    @Override
                    public Map.Entry<String, V> next() {
                        if (next >= size) {
                            throw new NoSuchElementException();
                        }
                        last = next++;
                        return new Entry(last);
                    }

                    @Override
                    public void remove() {
                        if (last < 0) {
                            throw new IllegalStateException();
                        }
                        removeAt(last);
                        next = last;
                        last = -1;
                    }
                };
            }
        };
    }

    /** An entry that reads and writes through to its position. */
    private final class Entry implements Map.Entry<String, V> {
        private final int at;

        Entry(int at) {
            this.at = at;
        }

        @Override
        public String getKey() {
            return names[at];
        }

        @Override
        public V getValue() {
            return valueAt(at);
        }

        @Override
        public V setValue(V value) {
            V old = valueAt(at);
            setValueAt(at, value);
            return old;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Map.Entry<?, ?> e
                    && getKey().equals(e.getKey())
                    && java.util.Objects.equals(getValue(), e.getValue());
        }

        @Override
        public int hashCode() {
            return getKey().hashCode() ^ java.util.Objects.hashCode(getValue());
        }

        @Override
        public String toString() {
            return getKey() + "=" + getValue();
        }
    }
}
