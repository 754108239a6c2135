package dev.fence.reservation;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A kind of lock shared by every {@link WwMutex} and {@link WwAcquireContext} that may take part
 * in the same multi-object acquisition, the kernel's {@code struct ww_class}. It chooses the
 * deadlock-avoidance algorithm and hands out the stamps ("tickets") that order contexts: a smaller
 * stamp is an older context, and older contexts win.
 *
 * <ul>
 *   <li>{@link Algorithm#WAIT_DIE} ({@code DEFINE_WD_CLASS}): an older context waits for a younger
 *       holder; a younger context that meets an older holder (or an older waiter) while it holds
 *       other locks backs off ("dies"). Back-offs are cheap and frequent. The kernel's
 *       reservation objects use this class, and so does {@link Reservation#DEFAULT_CLASS}.</li>
 *   <li>{@link Algorithm#WOUND_WAIT} ({@code DEFINE_WW_CLASS}): a younger context waits for an
 *       older holder; an older context that blocks on a younger holder "wounds" it, and the
 *       wounded context backs off the next time it has to wait (or at once if it is already
 *       waiting). Fewer back-offs, each one costlier; the kernel documentation recommends it when
 *       few transactions typically compete.</li>
 * </ul>
 *
 * <p>Mutexes and contexts of different classes must not be mixed: locking a mutex with a context
 * of another class is an {@link IllegalArgumentException}. Instances are immutable apart from the
 * stamp counter and are safe to share.
 */
public final class WwClass {

    /** The deadlock-avoidance algorithm of a {@link WwClass}. */
    public enum Algorithm {
        /** Older waits, younger dies: the kernel's {@code DEFINE_WD_CLASS}. */
        WAIT_DIE,
        /** Older wounds younger, younger waits: the kernel's {@code DEFINE_WW_CLASS}. */
        WOUND_WAIT
    }

    private final String name;
    private final Algorithm algorithm;
    private final AtomicLong stamps = new AtomicLong();

    private WwClass(String name, Algorithm algorithm) {
        this.name = Objects.requireNonNull(name, "name");
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    }

    /**
     * Creates a class with the given algorithm.
     *
     * @param name a name for diagnostics
     * @param algorithm wait-die or wound-wait
     * @return the new class
     * @throws NullPointerException if either argument is null
     */
    public static WwClass create(String name, Algorithm algorithm) {
        return new WwClass(name, algorithm);
    }

    /**
     * Creates a wait-die class, the kernel's {@code DEFINE_WD_CLASS}.
     *
     * @param name a name for diagnostics
     * @return the new class
     * @throws NullPointerException if {@code name} is null
     */
    public static WwClass waitDie(String name) {
        return new WwClass(name, Algorithm.WAIT_DIE);
    }

    /**
     * Creates a wound-wait class, the kernel's {@code DEFINE_WW_CLASS}.
     *
     * @param name a name for diagnostics
     * @return the new class
     * @throws NullPointerException if {@code name} is null
     */
    public static WwClass woundWait(String name) {
        return new WwClass(name, Algorithm.WOUND_WAIT);
    }

    /**
     * The name given at creation.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The deadlock-avoidance algorithm.
     *
     * @return wait-die or wound-wait
     */
    public Algorithm algorithm() {
        return algorithm;
    }

    /**
     * Whether this class uses {@link Algorithm#WAIT_DIE}.
     *
     * @return {@code true} for wait-die, {@code false} for wound-wait
     */
    public boolean isWaitDie() {
        return algorithm == Algorithm.WAIT_DIE;
    }

    /** The next stamp; stamps only grow, so a smaller one (mod 2^64) is an older context. */
    long nextStamp() {
        return stamps.incrementAndGet();
    }

    @Override
    public String toString() {
        return "WwClass[" + name + ", " + algorithm + ']';
    }
}
