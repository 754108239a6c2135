package dev.fence.syncfile.internal;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A thread-safe table of small integer handles that always hands out the lowest free number,
 * like a process fd table or the kernel's IDR with a fixed start.
 *
 * <p>Implementation overview. {@code slots} is a volatile reference to an
 * {@link AtomicReferenceArray}; slot {@code i} holds the object for handle {@code base + i}, or
 * null. Writers (install, remove, growth) hold {@code lock} and write only the current array;
 * growth copies the current array into a larger one and publishes it with a volatile write, after
 * which the old array is never written again. Readers take no lock: they read {@code slots} and
 * then one slot with volatile semantics. A reader that still holds the old array sees the table as
 * it was when the array was replaced, which is a state that existed during its call.
 * {@code lowestFree} (guarded by the lock) is a lower bound for the first free slot.
 *
 * @param <T> the kind of object the table holds
 */
public final class HandleTable<T> {

    private final int base;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile AtomicReferenceArray<T> slots = new AtomicReferenceArray<>(16);
    private int lowestFree;
    private int size;

    /**
     * Creates an empty table.
     *
     * @param base the first handle number (0 for fds, 1 for syncobj handles)
     */
    public HandleTable(int base) {
        if (base < 0) {
            throw new IllegalArgumentException("negative base: " + base);
        }
        this.base = base;
    }

    /**
     * Stores {@code value} under the lowest free handle.
     *
     * @param value the object, not null
     * @return its handle
     */
    public int install(T value) {
        Objects.requireNonNull(value, "value");
        lock.lock();
        try {
            AtomicReferenceArray<T> a = slots;
            int i = lowestFree;
            while (i < a.length() && a.get(i) != null) {
                i++;
            }
            if (i == a.length()) {
                if (a.length() >= Integer.MAX_VALUE / 2 - base) {
                    throw new IllegalStateException("handle table full");
                }
                AtomicReferenceArray<T> grown = new AtomicReferenceArray<>(a.length() * 2);
                for (int j = 0; j < a.length(); j++) {
                    grown.setPlain(j, a.get(j));
                }
                slots = grown; // volatile publish; `a` is never written again
                a = grown;
            }
            a.set(i, value);
            lowestFree = i + 1;
            size++;
            return base + i;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The object under {@code handle}, without locking.
     *
     * @param handle the handle
     * @return the object, or null if the handle is not in use
     */
    public T get(int handle) {
        AtomicReferenceArray<T> a = slots;
        int i = handle - base;
        if (handle < base || i >= a.length()) {
            return null;
        }
        return a.get(i);
    }

    /**
     * Frees {@code handle}.
     *
     * @param handle the handle
     * @return the object it held, or null if it was not in use
     */
    public T remove(int handle) {
        return remove(handle, null);
    }

    /**
     * Frees {@code handle} if it holds {@code expected} (any object when {@code expected} is
     * null).
     *
     * @param handle the handle
     * @param expected the object it must hold, or null for any
     * @return the object it held, or null if it was not in use or held something else
     */
    public T remove(int handle, T expected) {
        lock.lock();
        try {
            AtomicReferenceArray<T> a = slots;
            int i = handle - base;
            if (handle < base || i >= a.length()) {
                return null;
            }
            T old = a.get(i);
            if (expected != null && old != expected) {
                return null;
            }
            if (old != null) {
                a.set(i, null);
                size--;
                if (i < lowestFree) {
                    lowestFree = i;
                }
            }
            return old;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many handles are in use.
     *
     * @return the count
     */
    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes every entry and hands each to {@code action}, outside the lock.
     *
     * @param action receives each removed object
     */
    public void clear(Consumer<? super T> action) {
        Object[] removed;
        lock.lock();
        try {
            AtomicReferenceArray<T> a = slots;
            removed = new Object[size];
            int n = 0;
            for (int i = 0; i < a.length(); i++) {
                T v = a.get(i);
                if (v != null) {
                    removed[n++] = v;
                    a.set(i, null);
                }
            }
            size = 0;
            lowestFree = 0;
        } finally {
            lock.unlock();
        }
        for (Object o : removed) {
            @SuppressWarnings("unchecked")
            T v = (T) o;
            action.accept(v);
        }
    }
}
