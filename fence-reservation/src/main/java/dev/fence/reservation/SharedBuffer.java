package dev.fence.reservation;

import dev.fence.core.CallbackDeferral;
import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.core.FenceChain;
import dev.fence.core.SignallingSection;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
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
 * (many readers, or one writer). That exclusion does not rest on the reservation alone: a begin
 * also waits for this buffer's open CPU accesses whose fence the reservation no longer lists
 * (replaced through {@link Reservation#addExclusiveFence(Fence)}, for instance).
 *
 * <p>A CPU writer that is waiting goes first: a CPU read that begins while a write begin of this
 * buffer is waiting (for CPU readers, device work, or another writer) waits for that write to
 * begin and end, so readers that keep overlapping each other cannot keep a writer out. Two
 * kinds of read pass a waiting writer, because the writer may be waiting for them: a read nested
 * in this thread's open read of the buffer, and a read begun by a thread that has any other CPU
 * access open. Writers that keep coming can keep new readers out in turn.
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
 * {@link IllegalStateException}; so is a begin that would wait for this thread's own open access
 * to another buffer sharing the reservation. Reads may nest: a nested read does not wait (the
 * outer read already did, and writers queued since wait for it), so it cannot deadlock against a
 * writer queued behind the outer read.
 *
 * <h2>Several buffers at once</h2>
 * A thread that needs CPU access to several buffers at the same time must begin them together,
 * with {@link #beginCpuAccessAll(Direction, SharedBuffer...)}, and not by nesting single-buffer
 * begins across buffers. Nesting can deadlock with device work that uses more than one of them:
 * once this thread's access to X is installed, a device job submitted on X and Y waits for it and
 * installs its WRITE fence on Y; the begin on Y then waits for that job, which waits for the
 * access to X, which ends only after the begin on Y returns. The multi-buffer form waits for the
 * fences of every buffer without installing anything, then locks all their reservations through
 * one {@link ExecContext} and installs every CPU fence under those locks, so no device job can be
 * ordered between the accesses. (The kernel's ioctl installs no CPU fence, so device work never
 * waits for the CPU there and this cycle cannot form.)
 *
 * <pre>{@code
 * SharedBuffer.beginCpuAccessAll(SharedBuffer.Direction.READ, src, lut);
 * try {
 *     convert(src.buffer(), lut.buffer(), out);
 * } finally {
 *     SharedBuffer.endCpuAccessAll(SharedBuffer.Direction.READ, src, lut);
 * }
 * }</pre>
 *
 * <p>The same rule covers a thread that already has an open access: a read of a buffer it already
 * reads nests (no wait), but beginning any other buffer while an access is open is nesting across
 * buffers. Begin everything one step needs in one call.
 *
 * <p>With debug checks on ({@code -Ddev.fence.debug=true}), an open access counts as a
 * {@link SignallingSection} of its thread (its CPU fence waits for it to end): while this thread
 * has any access open, a blocking wait on a pending fence and every {@link WwMutex} lock that may
 * block throw {@link IllegalStateException}. So a begin on another buffer (it locks that buffer's
 * reservation, also through {@link #beginCpuAccessAll}), {@link #importFence(Fence, Direction)}
 * of a pending fence or {@link ExecContext#lockAll} inside an access is reported at once,
 * contended or not, instead of deadlocking only when device work happens to interleave. A read
 * nested in the same buffer's read neither waits nor locks and is allowed.
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
     * how many read accesses are open), openWriteFence (the open write's CPU fence: at most one
     * write is open, since a begin waits for this buffer's own open accesses; before the
     * twenty-sixth session a second writer began if the reservation had lost the first one's
     * fence) and perThread (open accesses by thread, for misuse checks; a write
     * access keeps its direction in its thread's Open). OPEN_BY_RESERVATION (a ThreadLocal, touched
     * only by its thread, no lock) counts the calling thread's open accesses per reservation across
     * buffers: a begin waits for the whole reservation, so an access this thread holds on a sibling
     * buffer would be waited for.
     *
     * beginCpuAccess: a read nested in this thread's open read only counts itself (no wait: see
     * the comment there). Otherwise wait (no lock held) for the fences of the direction's usage;
     * then lock the reservation (plain lock) and re-check: if new fences arrived meanwhile,
     * unlock and wait again. Otherwise, under cpuLock, check this buffer's own open accesses
     * (cpuBusyLocked: the open read fence for a writer, openWriteFence for anyone) and, if none
     * is in the way, install the CPU fence (a reader reuses the open read fence), and unlock the
     * reservation. The reservation alone is not enough: it can lose a CPU fence while the access
     * is open (addExclusiveFence replaces every listed fence; a device job that depends on the
     * CPU fence and is then force-completed leaves nothing pending), and before the twenty-sixth
     * session a second writer (or a reader beside a writer, a writer beside readers) then began
     * while the first access was still open. If one is in the way, unlock both and wait (no lock
     * held) for its fence, then start over. Every install holds the reservation lock, so the
     * check stays true until the install. Lock order: reservation, then cpuLock.
     *
     * Waiting writers go first. A write begin counts itself in writersWaiting from its start
     * until it returns or throws (enqueueWriter, dequeueWriter, under cpuLock); while any is
     * counted, cpuBusyLocked gives a new reader writerGate (a fence of gateContext, created by
     * the first reader held back and signalled by the last writer to leave), which it waits for
     * and then starts over (finding the writer's fence). Before the twenty-sixth session a
     * reader arriving while a writer waited for the open read fence joined that fence, so
     * readers that kept overlapping kept the writer out forever. A reader
     * that holds any open access (OPEN_BY_RESERVATION not empty) passes the gate: the waiting
     * writer may be waiting for that access (a sibling buffer's read on a shared reservation, or
     * a device job that depends on it), and holding the reader back would close a cycle. A
     * nested read looks at nothing. The last writer to leave signals the gate under cpuLock
     * (callbacks deferred), so a buffer's gates, like its read fences, signal in seqno order. The
     * price is the usual one of writer preference: writers that keep coming keep new readers out.
     *
     * beginCpuAccessAll: every check first (nulls, duplicates, one WwClass, no reservation held,
     * then each buffer's per-thread check under its cpuLock), so a refused call changes nothing.
     * Only this thread changes its own perThread entries, so the checks stay true until it acts on
     * them. Then the single-buffer loop over all the buffers that are not nested reads: wait for
     * each (no lock held), lock all their reservations through one ExecContext (INTERRUPTIBLE,
     * IGNORE_DUPLICATES: two buffers may share a reservation), re-check all (the reservations,
     * then each buffer's own open accesses; if one is in the way, close the context, wait for its
     * fence and start over; a reader waits for waiting writers' gates the same way; a writer is
     * counted as waiting on every buffer for the whole call), and install every CPU fence
     * before closing the context. A device job that locked some of them before us depends on
     * none of these CPU fences (none was installed) and the re-check waits for it; one that
     * locks after us depends on all of them and is waited for by none. So no job can wait for
     * one of our accesses while we wait for it: the cross-buffer cycle of nested begins cannot
     * form. Lock order: all the reservations, then one cpuLock at a time. Nested reads are
     * counted last, when nothing can throw any more (their fence stays installed meanwhile: this
     * thread's own read holds it).
     *
     * endCpuAccess: under cpuLock, check and close the access; the last reader (or the writer)
     * takes the fence out of the fields and signals it there, inside a CallbackDeferral, so
     * its callbacks (user code, parked waiters' wake-ups) run only after cpuLock is released.
     * Signalling under the lock keeps the read fences, which share one context, in seqno order:
     * the next read fence is created under cpuLock after this one has signalled. endCpuAccessAll
     * checks every buffer first, then ends each.
     *
     * Debug checks (-Ddev.fence.debug=true): an open access is code that a pending fence (its CPU
     * fence) waits for, so each Open holds a SignallingSection of its thread, opened when the
     * Open is created (installCpuFence) and closed when it is removed (endCpuAccess). A blocking
     * fence wait or WwMutex lock while any access is open then throws instead of risking the
     * cross-buffer cycle above; a nested read neither waits nor locks, so it passes. Without
     * debug checks the section is the shared no-op.
     */

    private static final class Open {
        int reads;
        Direction write;
        SignallingSection section; // this thread's, see the overview; set once, owner-only
    }

    private final ByteBuffer buffer;
    private final Reservation reservation;
    private final long readContext;
    private final long writeContext;
    private final long gateContext;
    private final ReentrantLock cpuLock = new ReentrantLock();
    private final Map<Thread, Open> perThread = new HashMap<>();
    /**
     * This thread's open (not nested) accesses per reservation, as {reading buffers, writing
     * buffers}: buffers may share a reservation, and a begin waits on the whole reservation, so
     * an access open on a sibling buffer is a wait for oneself. Only the owning thread touches it.
     */
    private static final ThreadLocal<Map<Reservation, int[]>> OPEN_BY_RESERVATION =
            ThreadLocal.withInitial(IdentityHashMap::new);
    private long cpuSeqno;
    private Fence readFence;
    private int readers;
    private Fence openWriteFence; // the open CPU write's fence (at most one write is open)
    private int writersWaiting; // CPU write begins that have not installed yet
    private Fence writerGate; // made by the first reader held back while writersWaiting > 0

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
        long ctx = Fence.allocateContexts(3);
        this.readContext = ctx;
        this.writeContext = ctx + 1;
        this.gateContext = ctx + 2;
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
     * {@code direction} must respect and for the open CPU accesses of this buffer it must not
     * overlap (a read for the open write, a write for the open reads and write, whether or not
     * the reservation still lists their fences; a read also for the write begins of this buffer
     * that are waiting, unless it is nested or this thread has an access open), then registers
     * the access so that work submitted later waits for it. See the class comment. To access
     * several buffers at once, begin them together with
     * {@link #beginCpuAccessAll(Direction, SharedBuffer...)}: beginning this buffer while this
     * thread has an open access to another one can deadlock with device work that uses both.
     *
     * @param direction what the CPU will do
     * @throws InterruptedException if the thread is interrupted while waiting, or already
     *     interrupted when the call starts, even if nothing is pending (taking the reservation's
     *     lock checks it); the interrupt status is cleared and no access is started. A nested
     *     read, which neither waits nor locks, does not look at the interrupt.
     * @throws NullPointerException if {@code direction} is null
     * @throws IllegalStateException if this thread holds the reservation's lock, has an open
     *     write access, or asks for a write while it has an open read access; or if the access
     *     would wait for this thread's own open access to another buffer on the same
     *     reservation (a write while it reads or writes one, a read while it writes one)
     */
    public void beginCpuAccess(Direction direction) throws InterruptedException {
        Objects.requireNonNull(direction, "direction");
        checkNotHeld("beginCpuAccess", direction);
        Thread me = Thread.currentThread();
        cpuLock.lock();
        try {
            if (checkBeginLocked("beginCpuAccess", direction, me)) {
                // A nested read: the outer one already waited for the writers before it, and its
                // fence (still installed: readers > 0) holds back every writer queued since, so
                // there is nothing to wait for. Waiting would deadlock: a device writer queued
                // behind the outer read waits for this thread to end it.
                nestReadLocked(me);
                return;
            }
        } finally {
            cpuLock.unlock();
        }
        boolean writes = direction.writes();
        // A reader that holds any access passes waiting writers: they may be waiting for it.
        boolean passGate = !writes && !OPEN_BY_RESERVATION.get().isEmpty();
        if (writes) {
            enqueueWriter();
        }
        try {
            Usage usage = Usage.forAccess(writes);
            for (;;) {
                reservation.await(usage);
                Fence cpuBusy;
                reservation.lockInterruptible();
                try {
                    if (!reservation.testSignaled(usage)) {
                        continue; // fences were added while we waited: wait for those too
                    }
                    cpuBusy = installCpuFence(direction, me, passGate);
                    if (cpuBusy == null) {
                        return;
                    }
                } finally {
                    reservation.unlock();
                }
                // An open CPU access of this buffer (its fence may be missing from the
                // reservation: a device job replaced it), or a writer that waits: wait for its
                // fence, no lock held.
                cpuBusy.await();
            }
        } finally {
            if (writes) {
                dequeueWriter();
            }
        }
    }

    /**
     * Starts a CPU access to every buffer in {@code buffers} at once: the way to access several
     * buffers at the same time (see "Several buffers at once" in the class comment). It waits
     * (interruptibly, without time limit, holding no lock) for the fences {@code direction} must
     * respect on every buffer; then locks all their reservations together through one
     * {@link ExecContext} and checks that no new fence arrived meanwhile and that no open CPU
     * access of a buffer is in the way (if so, it unlocks and waits again); then registers the
     * access on every buffer while it still holds all the locks, so no device work can be
     * submitted between two of the accesses. End each access with
     * {@link #endCpuAccess(Direction)} or all of them with
     * {@link #endCpuAccessAll(Direction, SharedBuffer...)}.
     *
     * <p>Each buffer follows the rules of {@link #beginCpuAccess(Direction)}: a READ of a buffer
     * this thread already reads nests and does not wait for it; a write inside this thread's own
     * read, or anything inside its own write, is refused. Every argument and rule is checked
     * before anything waits or changes: if this method throws, no access was started on any of
     * the buffers. An empty array does nothing.
     *
     * @param direction what the CPU will do to every buffer
     * @param buffers the buffers, each listed once; their reservations must share one
     *     {@link WwClass} (those of {@link #allocate(int)} and {@link #SharedBuffer(ByteBuffer)}
     *     share {@link Reservation#DEFAULT_CLASS}); two buffers may share a reservation
     * @throws InterruptedException if interrupted while waiting for fences or locks, or found
     *     interrupted when it locks (no access is started on any buffer)
     * @throws NullPointerException if {@code direction}, {@code buffers} or an element is null
     *     (the message names the index)
     * @throws IllegalArgumentException if a buffer is listed twice, or if the reservations belong
     *     to different {@link WwClass}es (one {@link ExecContext} cannot lock them together)
     * @throws IllegalStateException if this thread holds the lock of one of the reservations, or
     *     if a buffer's rules refuse the access (see {@link #beginCpuAccess(Direction)})
     */
    public static void beginCpuAccessAll(Direction direction, SharedBuffer... buffers)
            throws InterruptedException {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(buffers, "buffers");
        beginAll(direction, buffers.clone()); // a copy: the caller's array may change meanwhile
    }

    /**
     * {@link #beginCpuAccessAll(Direction, SharedBuffer...)} for the buffers of a list, in list
     * order.
     *
     * @param direction what the CPU will do to every buffer
     * @param buffers the buffers, each listed once, with reservations of one {@link WwClass}
     * @throws InterruptedException as for
     *     {@link #beginCpuAccessAll(Direction, SharedBuffer...)} (no access is started)
     * @throws NullPointerException if {@code direction}, {@code buffers} or an element is null
     * @throws IllegalArgumentException if a buffer is listed twice or the classes differ
     * @throws IllegalStateException as for {@link #beginCpuAccessAll(Direction, SharedBuffer...)}
     */
    public static void beginCpuAccessAll(Direction direction,
            List<? extends SharedBuffer> buffers) throws InterruptedException {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(buffers, "buffers");
        beginAll(direction, buffers.toArray(new SharedBuffer[0]));
    }

    private static void beginAll(Direction direction, SharedBuffer[] bufs)
            throws InterruptedException {
        String op = "beginCpuAccessAll";
        checkDistinct(op, bufs);
        if (bufs.length == 0) {
            return;
        }
        WwClass cls = bufs[0].reservation.mutex().wwClass();
        for (int i = 1; i < bufs.length; i++) {
            WwClass other = bufs[i].reservation.mutex().wwClass();
            if (other != cls) {
                throw new IllegalArgumentException(op + ": buffers[0] and buffers[" + i + "] have"
                        + " reservations of different classes (" + cls + ", " + other + "); one"
                        + " ExecContext cannot lock them together: give buffers accessed together"
                        + " reservations of one WwClass");
            }
        }
        for (SharedBuffer b : bufs) {
            b.checkNotHeld(op, direction);
        }
        Thread me = Thread.currentThread();
        boolean[] nested = new boolean[bufs.length];
        List<SharedBuffer> fresh = new ArrayList<>(bufs.length);
        for (int i = 0; i < bufs.length; i++) {
            SharedBuffer b = bufs[i];
            b.cpuLock.lock();
            try {
                nested[i] = b.checkBeginLocked(op, direction, me);
            } finally {
                b.cpuLock.unlock();
            }
            if (!nested[i]) {
                fresh.add(b);
            }
        }
        if (!fresh.isEmpty()) {
            beginFresh(direction, cls, fresh, me);
        }
        // Nested reads last, when nothing can throw: their fences stay installed meanwhile (this
        // thread's own open read holds each of them), as in beginCpuAccess.
        for (int i = 0; i < bufs.length; i++) {
            if (nested[i]) {
                SharedBuffer b = bufs[i];
                b.cpuLock.lock();
                try {
                    b.nestReadLocked(me);
                } finally {
                    b.cpuLock.unlock();
                }
            }
        }
    }

    /** beginCpuAccessAll's wait and install for the buffers that are not nested reads. */
    private static void beginFresh(Direction direction, WwClass cls, List<SharedBuffer> fresh,
            Thread me) throws InterruptedException {
        boolean writes = direction.writes();
        // As in beginCpuAccess: decided before anything is installed, which changes the count.
        boolean passGate = !writes && !OPEN_BY_RESERVATION.get().isEmpty();
        int queued = 0;
        try {
            if (writes) {
                for (SharedBuffer b : fresh) {
                    b.enqueueWriter();
                    queued++;
                }
            }
            Usage usage = Usage.forAccess(writes);
            for (;;) {
                Fence cpuBusy = null;
                for (SharedBuffer b : fresh) {
                    b.reservation.await(usage);
                }
                try (ExecContext exec = ExecContext.create(cls, ExecContext.Flag.INTERRUPTIBLE,
                        ExecContext.Flag.IGNORE_DUPLICATES)) {
                    exec.lockAll(e -> {
                        for (SharedBuffer b : fresh) {
                            e.lock(b.reservation);
                        }
                    });
                    if (!allSignaled(fresh, usage)) {
                        continue; // fences were added while we waited: close, wait for those too
                    }
                    cpuBusy = cpuBusy(fresh, direction, passGate);
                    if (cpuBusy == null) {
                        // No access can open on these buffers meanwhile (every install holds the
                        // reservation lock; a nested read needs an open read, which cpuBusy
                        // reported for a write), so no install finds one. A writer that starts
                        // waiting after the check came after us: the installs pass its gate.
                        for (SharedBuffer b : fresh) {
                            if (b.installCpuFence(direction, me, true) != null) {
                                throw new AssertionError("a CPU access opened under our locks");
                            }
                        }
                    }
                }
                if (cpuBusy == null) {
                    return;
                }
                cpuBusy.await(); // an open CPU access, or a waiting writer: see beginCpuAccess
            }
        } finally {
            for (int i = 0; i < queued; i++) {
                fresh.get(i).dequeueWriter();
            }
        }
    }

    /**
     * The first open CPU access (or, for a reader that does not pass them, waiting writer) of
     * {@code bufs} that a {@code direction} begin must wait for.
     */
    private static Fence cpuBusy(List<SharedBuffer> bufs, Direction direction, boolean passGate) {
        for (SharedBuffer b : bufs) {
            b.cpuLock.lock();
            try {
                Fence busy = b.cpuBusyLocked(direction, passGate);
                if (busy != null) {
                    return busy;
                }
            } finally {
                b.cpuLock.unlock();
            }
        }
        return null;
    }

    private static boolean allSignaled(List<SharedBuffer> bufs, Usage usage) {
        for (SharedBuffer b : bufs) {
            if (!b.reservation.testSignaled(usage)) {
                return false;
            }
        }
        return true;
    }

    /** Null elements (NPE naming the index) and duplicates (IAE naming both indexes). */
    private static void checkDistinct(String op, SharedBuffer[] bufs) {
        Map<SharedBuffer, Integer> seen = new IdentityHashMap<>();
        for (int i = 0; i < bufs.length; i++) {
            if (bufs[i] == null) {
                throw new NullPointerException(op + ": buffers[" + i + "] is null");
            }
            Integer earlier = seen.put(bufs[i], i);
            if (earlier != null) {
                throw new IllegalArgumentException(op + ": buffers[" + earlier + "] and buffers["
                        + i + "] are the same " + bufs[i] + "; list each buffer once");
            }
        }
    }

    /** Checked before waiting: the fences waited for may need this thread to unlock. */
    private void checkNotHeld(String op, Direction direction) {
        if (reservation.isHeldByCurrentThread()) {
            throw new IllegalStateException(op + "(" + direction + ") while this thread holds "
                    + reservation + "'s lock");
        }
    }

    /**
     * The per-thread rules of a begin, under cpuLock.
     *
     * @return {@code true} for a read nested in this thread's open read (it must not wait)
     */
    private boolean checkBeginLocked(String op, Direction direction, Thread me) {
        Open open = perThread.get(me);
        if (open != null && open.write != null) {
            throw new IllegalStateException(op + "(" + direction + ") inside this thread's own "
                    + open.write + " access to " + this);
        }
        if (open != null && open.reads > 0) {
            if (direction.writes()) {
                throw new IllegalStateException(op + "(" + direction + ") inside this thread's"
                        + " own READ access to " + this + " would wait for itself; end it first"
                        + " or begin with READ_WRITE");
            }
            return true;
        }
        int[] siblings = OPEN_BY_RESERVATION.get().get(reservation);
        if (siblings != null && (siblings[1] > 0 || (direction.writes() && siblings[0] > 0))) {
            throw new IllegalStateException(op + "(" + direction + ") on " + this + " would wait"
                    + " for this thread's own open " + (siblings[1] > 0 ? "write" : "read")
                    + " access to another buffer of " + reservation + "; end it first or begin"
                    + " them together with beginCpuAccessAll");
        }
        return false;
    }

    /** Counts ({@code delta} 1) or uncounts (-1) an access of this thread, see the field. */
    private void countOpen(boolean write, int delta) {
        Map<Reservation, int[]> m = OPEN_BY_RESERVATION.get();
        int[] c = m.computeIfAbsent(reservation, r -> new int[2]);
        c[write ? 1 : 0] += delta;
        if (c[0] == 0 && c[1] == 0) {
            m.remove(reservation);
        }
    }

    /** Counts a read nested in this thread's open read, under cpuLock. */
    private void nestReadLocked(Thread me) {
        perThread.get(me).reads++;
        readers++;
    }

    /**
     * Under cpuLock: the fence of an open CPU access of this buffer (another thread's: this
     * thread's own are refused or nested before) that a new {@code direction} access must wait
     * for, whether or not the reservation still lists it; {@code null} if there is none. A read
     * waits for the open write, and for the gate of waiting writers unless {@code passGate}; a
     * write waits for the open reads and the open write.
     */
    private Fence cpuBusyLocked(Direction direction, boolean passGate) {
        if (direction.writes()) {
            if (readFence != null) {
                return readFence;
            }
        } else if (!passGate && writersWaiting > 0) {
            if (writerGate == null) {
                // Created only when a reader must wait: an uncontended write begin allocates and
                // signals nothing. At most one gate exists at a time, so gates keep seqno order.
                writerGate = Fence.create(gateContext, ++cpuSeqno);
            }
            return writerGate;
        }
        return openWriteFence;
    }

    /** Counts a CPU writer that starts its begin: readers arriving from now on wait for it. */
    private void enqueueWriter() {
        cpuLock.lock();
        try {
            writersWaiting++;
        } finally {
            cpuLock.unlock();
        }
    }

    /**
     * Uncounts a CPU writer whose begin returned or threw; the last one signals the gate if a
     * reader made one (under cpuLock, so gates signal in seqno order, callbacks deferred as in
     * endCpuAccess).
     */
    private void dequeueWriter() {
        CallbackDeferral deferral = null;
        cpuLock.lock();
        try {
            if (--writersWaiting == 0 && writerGate != null) {
                Fence gate = writerGate;
                writerGate = null;
                deferral = CallbackDeferral.begin();
                gate.signal();
            }
        } finally {
            cpuLock.unlock();
            if (deferral != null) {
                deferral.close();
            }
        }
    }

    /**
     * Registers a new (not nested) access of {@code me} and adds its CPU fence to the
     * reservation, which the caller holds and has found free of fences {@code direction} must
     * wait for; unless an open CPU access of this buffer must be waited for first (see
     * {@link #cpuBusyLocked}), in which case nothing changes and its fence is returned. A reader
     * joining open CPU reads of other threads reuses their fence.
     *
     * @return {@code null} once installed, else the fence to wait for before trying again
     */
    private Fence installCpuFence(Direction direction, Thread me, boolean passGate) {
        Fence toAdd = null;
        Usage addUsage = null;
        cpuLock.lock();
        try {
            Fence busy = cpuBusyLocked(direction, passGate);
            if (busy != null) {
                return busy;
            }
            Open open = perThread.get(me);
            if (open == null) {
                open = new Open();
                open.section = SignallingSection.begin(); // the no-op without debug checks
                perThread.put(me, open);
            }
            if (direction.writes()) {
                openWriteFence = Fence.create(writeContext, ++cpuSeqno);
                open.write = direction;
                toAdd = openWriteFence;
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
        countOpen(direction.writes(), 1);
        if (toAdd != null) {
            reservation.reserveFences(1);
            reservation.addFence(toAdd, addUsage);
        }
        return null;
    }

    /**
     * Ends a CPU access begun by this thread with the same direction; the last CPU reader (or the
     * writer) signals its CPU fence, releasing work that waits for it. An access begun with
     * {@link #beginCpuAccessAll(Direction, SharedBuffer...)} may be ended buffer by buffer with
     * this method.
     *
     * @param direction the direction given to {@link #beginCpuAccess(Direction)}
     * @throws NullPointerException if {@code direction} is null
     * @throws IllegalStateException if this thread has no open access with that direction
     */
    public void endCpuAccess(Direction direction) {
        Objects.requireNonNull(direction, "direction");
        Thread me = Thread.currentThread();
        // The fence is signalled under cpuLock, its callbacks held back until the lock is
        // released. Read fences share one context, so they must signal in seqno order. A
        // signal after unlocking (before the eighteenth session) let another reader begin and
        // end in between, creating and signalling the next read fence first. Only an end that
        // signals opens the deferral: a nested or non-last read end allocates nothing.
        CallbackDeferral deferral = null;
        boolean closed = false;
        SignallingSection section = null;
        cpuLock.lock();
        try {
            Open open = perThread.get(me);
            checkEndLocked(direction, open);
            Fence toSignal = null;
            if (direction.writes()) {
                open.write = null;
                toSignal = openWriteFence; // ours: writes exclude each other
                openWriteFence = null;
            } else {
                open.reads--;
                if (--readers == 0) {
                    toSignal = readFence;
                    readFence = null;
                }
            }
            if (open.reads == 0 && open.write == null) {
                perThread.remove(me);
                closed = true;
                section = open.section;
            }
            if (toSignal != null) {
                deferral = CallbackDeferral.begin();
                toSignal.signal(); // its callbacks run when the deferral closes
            }
        } finally {
            cpuLock.unlock();
            if (closed) {
                countOpen(direction.writes(), -1);
            }
            if (section != null) {
                section.close();
            }
            if (deferral != null) {
                deferral.close();
            }
        }
    }

    /**
     * Ends this thread's CPU access with {@code direction} on every buffer in {@code buffers},
     * the counterpart of {@link #beginCpuAccessAll(Direction, SharedBuffer...)} (ending them one
     * by one with {@link #endCpuAccess(Direction)} is equivalent). Every buffer is checked first:
     * if this method throws, no access was ended. Then each access is ended, last buffer first;
     * the order does not matter for correctness. An empty array does nothing.
     *
     * @param direction the direction the accesses were begun with
     * @param buffers the buffers, each listed once
     * @throws NullPointerException if {@code direction}, {@code buffers} or an element is null
     *     (the message names the index)
     * @throws IllegalArgumentException if a buffer is listed twice
     * @throws IllegalStateException if this thread has no open access with that direction on one
     *     of the buffers
     */
    public static void endCpuAccessAll(Direction direction, SharedBuffer... buffers) {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(buffers, "buffers");
        endAll(direction, buffers.clone());
    }

    /**
     * {@link #endCpuAccessAll(Direction, SharedBuffer...)} for the buffers of a list.
     *
     * @param direction the direction the accesses were begun with
     * @param buffers the buffers, each listed once
     * @throws NullPointerException if {@code direction}, {@code buffers} or an element is null
     * @throws IllegalArgumentException if a buffer is listed twice
     * @throws IllegalStateException if this thread has no open access with that direction on one
     *     of the buffers (none is ended then)
     */
    public static void endCpuAccessAll(Direction direction, List<? extends SharedBuffer> buffers) {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(buffers, "buffers");
        endAll(direction, buffers.toArray(new SharedBuffer[0]));
    }

    private static void endAll(Direction direction, SharedBuffer[] bufs) {
        checkDistinct("endCpuAccessAll", bufs);
        Thread me = Thread.currentThread();
        for (SharedBuffer b : bufs) {
            // Only this thread changes its own entry, so the check still holds when we end below.
            b.cpuLock.lock();
            try {
                b.checkEndLocked(direction, b.perThread.get(me));
            } finally {
                b.cpuLock.unlock();
            }
        }
        for (int i = bufs.length - 1; i >= 0; i--) {
            bufs[i].endCpuAccess(direction);
        }
    }

    private void checkEndLocked(Direction direction, Open open) {
        boolean ok = direction.writes() ? open != null && open.write == direction
                : open != null && open.reads > 0;
        if (!ok) {
            throw new IllegalStateException(mismatch(direction, open));
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
     * @return as {@link Reservation#singleton(Usage)}: a signalled fence if nothing is pending,
     *     else one fence; a new {@link dev.fence.core.FenceArray} (holding a reference on each
     *     member until it is released) if several pending fences were merged into one, and
     *     otherwise a fence of the reservation, with no reference taken
     * @throws NullPointerException if {@code direction} is null
     */
    public Fence exportFence(Direction direction) {
        Objects.requireNonNull(direction, "direction");
        return reservation.singleton(Usage.forAccess(direction.writes()));
    }

    /**
     * Adds an explicitly synchronized job's fence to the implicit fences, the kernel's
     * {@code DMA_BUF_IOCTL_IMPORT_SYNC_FILE}: containers are flattened (a container that has
     * already signalled adds nothing, not even its unsignalled members: an any-array's other
     * members may never signal), each pending member is added with usage WRITE (for WRITE and
     * READ_WRITE) or READ, following the reservation's replacement rule (a READ import never
     * weakens an existing WRITE entry). Locks the reservation without a context.
     *
     * @param fence the fence to import
     * @param direction what the job does to the buffer
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if this thread already holds the reservation's lock (also
     *     when nothing would be added because {@code fence} has signalled)
     */
    public void importFence(Fence fence, Direction direction) {
        Objects.requireNonNull(fence, "fence");
        Objects.requireNonNull(direction, "direction");
        // Checked before the signalled members are filtered out: the lock is not reentrant, so
        // this call is misuse whatever the fence's state, and is refused every time rather than
        // only when the fence happens to be pending (as a missing reserveFences is).
        if (reservation.isHeldByCurrentThread()) {
            throw new IllegalStateException("importFence(" + direction + ") while this thread"
                    + " holds " + reservation + "'s lock (it is not reentrant)");
        }
        Usage usage = direction.writes() ? Usage.WRITE : Usage.READ;
        List<Fence> members = new ArrayList<>();
        addPendingLeaves(fence, members);
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

    /**
     * The pending leaves an import must add: a container is flattened (as the kernel's
     * {@code dma_fence_unwrap_for_each} does, so a pending any-array adds every alternative), but
     * one that has signalled adds nothing. Filtering only the leaves, as {@code Fences.unwrap}
     * gives them, would add the members of a signalled any-array that never signal, and the
     * buffer's next access would wait for them forever; a reached chain link has reached every
     * earlier point too.
     */
    private static void addPendingLeaves(Fence fence, List<Fence> out) {
        if (fence.isSignaled()) {
            return;
        }
        if (fence instanceof FenceChain) {
            Fence node = fence;
            while (node instanceof FenceChain && !node.isSignaled()) {
                FenceChain link = (FenceChain) node;
                addPendingLeaves(link.fence(), out);
                node = link.prev();
            }
            if (node != null && !(node instanceof FenceChain)) {
                addPendingLeaves(node, out); // a chain may start from a plain fence or an array
            }
        } else if (fence instanceof FenceArray) {
            for (Fence m : ((FenceArray) fence).fences()) {
                addPendingLeaves(m, out);
            }
        } else {
            out.add(fence);
        }
    }

    @Override
    public String toString() {
        return "SharedBuffer[" + buffer.capacity() + " bytes, " + reservation + ']';
    }
}
