package dev.fence.reservation;

import dev.fence.core.Fence;
import dev.fence.core.Fences;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A buffer shared between devices (producers and consumers that signal fences) and the CPU, with
 * the implicit synchronization of the kernel's {@code dma_buf}: a {@link ByteBuffer} plus a
 * {@link Reservation} holding the fences of the work that reads or writes it.
 *
 * <h2>Devices</h2>
 * Device work follows the reservation protocol: lock, take what it must wait for
 * ({@code reservation().singleton(Usage.forAccess(writes))}), add its own fence (WRITE or READ),
 * unlock, run after the dependencies, signal its fence.
 *
 * <h2>CPU access</h2>
 * {@link #beginCpuAccess(Direction)} waits for the fences its direction must respect: a CPU read
 * waits for writers ({@link Usage#WRITE} and KERNEL fences), a CPU write waits for readers and
 * writers ({@link Usage#READ} and below), like the kernel's {@code DMA_BUF_IOCTL_SYNC} with
 * {@code DMA_BUF_SYNC_START}. Unlike the kernel's ioctl, which only manages caches, the access is
 * then itself visible to implicit synchronization: until {@link #endCpuAccess(Direction)}, the
 * reservation carries a CPU fence (READ for CPU readers, WRITE for a CPU writer), so device work
 * submitted meanwhile waits for the CPU to finish, and CPU readers and writers exclude each other
 * (many readers, or one writer).
 *
 * <pre>{@code
 * buf.beginCpuAccess(SharedBuffer.Direction.READ);   // waits for pending device writes
 * try {
 *     process(buf.buffer());
 * } finally {
 *     buf.endCpuAccess(SharedBuffer.Direction.READ);
 * }
 * }</pre>
 *
 * <p>CPU accesses belong to threads: the thread that began an access ends it, with the same
 * direction. Ending an access that this thread did not begin, with a different direction, or
 * beginning a write inside one's own read (it would wait for itself) is an
 * {@link IllegalStateException}. Reads may nest: a nested read does not wait (the outer read
 * already did, and writers queued since wait for it), so it cannot deadlock against a writer
 * queued behind the outer read.
 *
 * <h2>Explicit synchronization bridge</h2>
 * {@link #exportFence(Direction)} and {@link #importFence(Fence, Direction)} are the kernel's
 * {@code DMA_BUF_IOCTL_EXPORT_SYNC_FILE} and {@code IMPORT_SYNC_FILE}: export a fence that
 * signals when the implicit fences a reader (or writer) would wait for have signalled; import an
 * explicitly synchronized job's fence so implicit users wait for it. Export, submit, import is
 * not atomic: serialize it yourself if others may add fences in between.
 */
public final class SharedBuffer {

    /** The direction of a CPU access or fence exchange, the kernel's {@code DMA_BUF_SYNC_*}. */
    public enum Direction {
        /** The CPU (or imported work) reads: {@code DMA_BUF_SYNC_READ}. */
        READ,
        /** The CPU (or imported work) writes: {@code DMA_BUF_SYNC_WRITE}. */
        WRITE,
        /** Both: {@code DMA_BUF_SYNC_RW}; synchronizes like {@link #WRITE}. */
        READ_WRITE;

        /**
         * Whether this direction writes.
         *
         * @return {@code true} for WRITE and READ_WRITE
         */
        public boolean writes() {
            return this != READ;
        }
    }

    /*
     * Implementation overview.
     *
     * cpuLock (a ReentrantLock, never held while waiting for fences or while user code runs)
     * guards: readFence and readers (the CPU read fence shared by all concurrent CPU readers, and
     * how many read accesses are open), writeFence / writeDirection / writer (the single open CPU
     * write access), and perThread (open accesses by thread, for misuse checks).
     *
     * beginCpuAccess: a read nested in this thread's open read only counts itself (no wait: see
     * the comment there). Otherwise wait (no lock held) for the fences of the direction's usage; then lock the
     * reservation (plain lock) and re-check: if new fences arrived meanwhile, unlock and wait
     * again. Otherwise, under cpuLock, install the CPU fence (a reader reuses the open read
     * fence), and unlock the reservation. Lock order: reservation, then cpuLock.
     *
     * endCpuAccess: under cpuLock, check and close the access; the last reader (or the writer)
     * takes the fence out of the fields and signals it after releasing cpuLock.
     */

    private static final class Open {
        int reads;
        Direction write;
    }

    private final ByteBuffer buffer;
    private final Reservation reservation;
    private final long readContext;
    private final long writeContext;
    private final ReentrantLock cpuLock = new ReentrantLock();
    private final Map<Thread, Open> perThread = new HashMap<>();
    private long cpuSeqno;
    private Fence readFence;
    private int readers;
    private Fence writeFence;

    /**
     * Wraps {@code buffer} with a new {@link Reservation} of {@link Reservation#DEFAULT_CLASS}.
     *
     * @param buffer the memory; shared, not copied
     * @throws NullPointerException if {@code buffer} is null
     */
    public SharedBuffer(ByteBuffer buffer) {
        this(buffer, new Reservation());
    }

    /**
     * Wraps {@code buffer} with the given reservation.
     *
     * @param buffer the memory; shared, not copied
     * @param reservation the reservation guarding it
     * @throws NullPointerException if either is null
     */
    public SharedBuffer(ByteBuffer buffer, Reservation reservation) {
        this.buffer = Objects.requireNonNull(buffer, "buffer");
        this.reservation = Objects.requireNonNull(reservation, "reservation");
        long ctx = Fence.allocateContexts(2);
        this.readContext = ctx;
        this.writeContext = ctx + 1;
    }

    /**
     * A buffer of {@code capacity} bytes on the Java heap.
     *
     * @param capacity the size in bytes
     * @return the new shared buffer
     * @throws IllegalArgumentException if {@code capacity} is negative
     */
    public static SharedBuffer allocate(int capacity) {
        return new SharedBuffer(ByteBuffer.allocate(capacity));
    }

    /**
     * The buffer itself (not a copy or duplicate): access it between
     * {@link #beginCpuAccess(Direction)} and {@link #endCpuAccess(Direction)}, or from device
     * work ordered by fences.
     *
     * @return the buffer
     */
    public ByteBuffer buffer() {
        return buffer;
    }

    /**
     * The reservation holding this buffer's fences.
     *
     * @return the reservation
     */
    public Reservation reservation() {
        return reservation;
    }

    /**
     * Starts a CPU access: waits (interruptibly, without time limit) for the fences
     * {@code direction} must respect, then registers the access so that work submitted later
     * waits for it. See the class comment.
     *
     * @param direction what the CPU will do
     * @throws InterruptedException if interrupted while waiting (no access is started)
     * @throws NullPointerException if {@code direction} is null
     * @throws IllegalStateException if this thread holds the reservation's lock, has an open
     *     write access, or asks for a write while it has an open read access
     */
    public void beginCpuAccess(Direction direction) throws InterruptedException {
        Objects.requireNonNull(direction, "direction");
        if (reservation.isHeldByCurrentThread()) {
            // Checked before waiting: the fences waited for may need this thread to unlock.
            throw new IllegalStateException("beginCpuAccess(" + direction + ") while this thread"
                    + " holds " + reservation + "'s lock");
        }
        Thread me = Thread.currentThread();
        cpuLock.lock();
        try {
            Open open = perThread.get(me);
            if (open != null && open.write != null) {
                throw new IllegalStateException("beginCpuAccess(" + direction + ") inside this"
                        + " thread's own " + open.write + " access to " + this);
            }
            if (open != null && open.reads > 0) {
                if (direction.writes()) {
                    throw new IllegalStateException("beginCpuAccess(" + direction + ") inside"
                            + " this thread's own READ access would wait for itself; end it first"
                            + " or begin with READ_WRITE");
                }
                // A nested read: the outer one already waited for the writers before it, and its
                // fence (still installed: readers > 0) holds back every writer queued since, so
                // there is nothing to wait for. Waiting would deadlock: a device writer queued
                // behind the outer read waits for this thread to end it.
                open.reads++;
                readers++;
                return;
            }
        } finally {
            cpuLock.unlock();
        }
        Usage usage = Usage.forAccess(direction.writes());
        for (;;) {
            reservation.await(usage);
            reservation.lockInterruptible();
            try {
                if (!reservation.testSignaled(usage)) {
                    continue; // fences were added while we waited: wait for those too
                }
                Fence toAdd = null;
                Usage addUsage = null;
                cpuLock.lock();
                try {
                    Open open = perThread.computeIfAbsent(me, t -> new Open());
                    if (direction.writes()) {
                        writeFence = Fence.create(writeContext, ++cpuSeqno);
                        open.write = direction;
                        toAdd = writeFence;
                        addUsage = Usage.WRITE;
                    } else {
                        if (readers == 0) {
                            readFence = Fence.create(readContext, ++cpuSeqno);
                            toAdd = readFence;
                            addUsage = Usage.READ;
                        }
                        readers++;
                        open.reads++;
                    }
                } finally {
                    cpuLock.unlock();
                }
                if (toAdd != null) {
                    reservation.reserveFences(1);
                    reservation.addFence(toAdd, addUsage);
                }
                return;
            } finally {
                reservation.unlock();
            }
        }
    }

    /**
     * Ends a CPU access begun by this thread with the same direction; the last CPU reader (or the
     * writer) signals its CPU fence, releasing work that waits for it.
     *
     * @param direction the direction given to {@link #beginCpuAccess(Direction)}
     * @throws NullPointerException if {@code direction} is null
     * @throws IllegalStateException if this thread has no open access with that direction
     */
    public void endCpuAccess(Direction direction) {
        Objects.requireNonNull(direction, "direction");
        Thread me = Thread.currentThread();
        Fence toSignal = null;
        cpuLock.lock();
        try {
            Open open = perThread.get(me);
            if (direction.writes()) {
                if (open == null || open.write != direction) {
                    throw new IllegalStateException(mismatch(direction, open));
                }
                open.write = null;
                toSignal = writeFence;
                writeFence = null;
            } else {
                if (open == null || open.reads == 0) {
                    throw new IllegalStateException(mismatch(direction, open));
                }
                open.reads--;
                if (--readers == 0) {
                    toSignal = readFence;
                    readFence = null;
                }
            }
            if (open.reads == 0 && open.write == null) {
                perThread.remove(me);
            }
        } finally {
            cpuLock.unlock();
        }
        if (toSignal != null) {
            toSignal.signal();
        }
    }

    private String mismatch(Direction direction, Open open) {
        String has = open == null ? "no open access"
                : open.write != null ? "an open " + open.write + " access"
                : "open READ access(es)";
        return "endCpuAccess(" + direction + ") without a matching beginCpuAccess(" + direction
                + ") in this thread, which has " + has;
    }

    /**
     * A fence for the implicit fences {@code direction} must respect, the kernel's
     * {@code DMA_BUF_IOCTL_EXPORT_SYNC_FILE}: for READ, the writers; for WRITE and READ_WRITE, the
     * readers and writers. Lock-free.
     *
     * @param direction the direction of the work that will wait on the fence
     * @return a signalled fence if nothing is pending, else one fence (merged if several)
     * @throws NullPointerException if {@code direction} is null
     */
    public Fence exportFence(Direction direction) {
        Objects.requireNonNull(direction, "direction");
        return reservation.singleton(Usage.forAccess(direction.writes()));
    }

    /**
     * Adds an explicitly synchronized job's fence to the implicit fences, the kernel's
     * {@code DMA_BUF_IOCTL_IMPORT_SYNC_FILE}: containers are flattened, each pending member is
     * added with usage WRITE (for WRITE and READ_WRITE) or READ, following the reservation's
     * replacement rule (a READ import never weakens an existing WRITE entry). Locks the
     * reservation without a context.
     *
     * @param fence the fence to import
     * @param direction what the job does to the buffer
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if this thread already holds the reservation's lock
     */
    public void importFence(Fence fence, Direction direction) {
        Objects.requireNonNull(fence, "fence");
        Objects.requireNonNull(direction, "direction");
        Usage usage = direction.writes() ? Usage.WRITE : Usage.READ;
        List<Fence> members = new ArrayList<>();
        for (Fence f : Fences.unwrap(fence)) {
            if (!f.isSignaled()) {
                members.add(f);
            }
        }
        if (members.isEmpty()) {
            return;
        }
        reservation.lock();
        try {
            reservation.reserveFences(members.size());
            for (Fence f : members) {
                reservation.addFence(f, usage);
            }
        } finally {
            reservation.unlock();
        }
    }

    @Override
    public String toString() {
        return "SharedBuffer[" + buffer.capacity() + " bytes, " + reservation + ']';
    }
}
