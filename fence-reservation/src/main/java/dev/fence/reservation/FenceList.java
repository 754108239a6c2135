package dev.fence.reservation;

import dev.fence.core.Fence;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * An immutable list over the first {@code size} elements of an array that nobody modifies once
 * the list exists: the per-usage views of a {@link Reservation} snapshot. Every mutator throws
 * {@link UnsupportedOperationException}, as {@link java.util.Collections#unmodifiableList} does,
 * also when it would change nothing (removing an absent fence, adding an empty collection at an
 * index): {@link Reservation#unsignaledFences} returns either this list or an unmodifiable copy,
 * and the two must behave alike. The iterator is a small final class so that a caller iterating
 * in place lets escape analysis remove it; list iterators and sublists are read-only wrappers.
 */
final class FenceList extends AbstractList<Fence> implements RandomAccess {

    private final Fence[] elements;
    private final int size;

    FenceList(Fence[] elements, int size) {
        this.elements = elements;
        this.size = size;
    }

    @Override
    public Fence get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size);
        }
        return elements[index];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Iterator<Fence> iterator() {
        return new Iter(elements, size);
    }

    @Override
    public void forEach(Consumer<? super Fence> action) {
        Objects.requireNonNull(action, "action"); // Iterable's contract, also when empty
        for (int i = 0; i < size; i++) {
            action.accept(elements[i]);
        }
    }

    @Override
    public Object[] toArray() {
        return Arrays.copyOf(elements, size, Object[].class);
    }

    @Override
    public int indexOf(Object o) {
        for (int i = 0; i < size; i++) {
            if (Objects.equals(o, elements[i])) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int lastIndexOf(Object o) {
        for (int i = size - 1; i >= 0; i--) {
            if (Objects.equals(o, elements[i])) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public ListIterator<Fence> listIterator(int index) {
        return readOnly().listIterator(index);
    }

    @Override
    public List<Fence> subList(int fromIndex, int toIndex) {
        return readOnly().subList(fromIndex, toIndex);
    }

    /** The read-only list iterator and sublist: AbstractList's call a mutator only for a change. */
    private List<Fence> readOnly() {
        return Collections.unmodifiableList(Arrays.asList(elements).subList(0, size));
    }

    @Override
    public boolean remove(Object o) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean addAll(Collection<? extends Fence> c) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean addAll(int index, Collection<? extends Fence> c) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean removeAll(Collection<?> c) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean retainAll(Collection<?> c) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean removeIf(Predicate<? super Fence> filter) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void replaceAll(UnaryOperator<Fence> operator) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void sort(Comparator<? super Fence> c) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void clear() {
        throw new UnsupportedOperationException();
    }

    private static final class Iter implements Iterator<Fence> {
        private final Fence[] elements;
        private final int size;
        private int next;

        Iter(Fence[] elements, int size) {
            this.elements = elements;
            this.size = size;
        }

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public Fence next() {
            if (next >= size) {
                throw new NoSuchElementException();
            }
            return elements[next++];
        }
    }
}
