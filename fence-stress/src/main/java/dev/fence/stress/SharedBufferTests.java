package dev.fence.stress;

import static dev.fence.stress.Probes.BROKEN;
import static dev.fence.stress.Probes.ISE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.fence.core.Fence;
import dev.fence.core.FenceArray;
import dev.fence.reservation.ExecContext;
import dev.fence.reservation.Reservation;
import dev.fence.reservation.SharedBuffer;
import dev.fence.reservation.SharedBuffer.Direction;
import dev.fence.reservation.Usage;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link SharedBuffer}: CPU accesses ({@code beginCpuAccess}/{@code endCpuAccess}), device work
 * following the reservation protocol, and the explicit bridge ({@code exportFence},
 * {@code importFence}) racing each other. Claims, one test each:
 * <ol>
 * <li>a CPU read waits for pending KERNEL and WRITE fences and sees what their work wrote
 *     ({@link CpuReadWaitsForDeviceWrite});</li>
 * <li>a CPU write (READ_WRITE) waits for pending READ fences
 *     ({@link CpuWriteWaitsForDeviceRead});</li>
 * <li>the CPU fence: device work submitted during a CPU access waits for it, and a CPU access
 *     begun while device work is being submitted waits for that work (the re-check under the
 *     reservation lock) ({@link DeviceReadVsCpuWrite}, {@link DeviceWriteVsCpuRead});</li>
 * <li>CPU readers and writers exclude each other ({@link CpuWriteVsCpuRead}), and there is one
 *     writer at a time ({@link CpuWriteVsCpuWrite});</li>
 * <li>concurrent CPU readers share one CPU fence, pending until the last of them ends
 *     ({@link ReadersShareFence});</li>
 * <li>reads nest ({@link NestedReadVsDeviceWrite});</li>
 * <li>an interrupted {@code beginCpuAccess} starts no access ({@link InterruptVsBegin});</li>
 * <li>accesses belong to threads: another thread cannot end one ({@link EndByAnotherThread});</li>
 * <li>{@code exportFence} (lock-free) sees a CPU access that has begun and signals only when it
 *     ends ({@link ExportDuringCpuWrite});</li>
 * <li>{@code importFence} of a container makes a CPU read begun after it wait for every member
 *     ({@link ImportVsCpuRead});</li>
 * <li>CPU accesses exclude each other also after the reservation lost the open access's CPU
 *     fence (a device job added with {@code addExclusiveFence} and reset with an error): a
 *     begin waits for the buffer's own open accesses ({@link LostWriteFenceVsCpuRead},
 *     {@link LostReadFenceVsCpuWrite});</li>
 * <li>a waiting CPU writer goes first: a read begun while it waits waits for it
 *     ({@link WaitingWriterGoesFirst}), and a writer that gives up (interrupted) lets the readers
 *     it held back in ({@link GivingUpWriterReleasesReaders});</li>
 * <li>the read fences, which share one context, signal in seqno order: a read that makes a new
 *     read fence finds the earlier one signalled, and the new one later
 *     ({@link ReadFenceSignalledBeforeNext});</li>
 * <li>{@code beginCpuAccessAll} installs every CPU fence under all the reservations' locks, so a
 *     device job that locks them sees all of its accesses or none
 *     ({@link AllInstalledTogetherVsDeviceJob}); two of them in opposite orders both begin, one
 *     after the other ({@link OppositeOrdersBothBegin}); and it excludes a single-buffer writer
 *     that starts waiting while it checks and installs ({@link AllReaderVsSingleWriter}).</li>
 * </ol>
 *
 * <p>Data outcomes are the two bytes of a two-byte buffer (0 before, 1 after a write); a writer
 * writes byte 1 first, then byte 0, so a reader (byte 0, then byte 1) that overlaps it can see
 * {@code 1, 0} or {@code 0, 1}: a half-written buffer. Because two bytes are written in a few
 * nanoseconds, the exclusion tests also count the two accesses in and out of their critical
 * sections and report an overlap (last value 1) even when the data happen to read whole. A
 * "device" is an actor that follows the
 * reservation protocol by hand (lock, take its dependencies, add its fence, unlock, wait, work,
 * signal).
 *
 * <p>Bounds: the tests of every claim (1 to 14) bound every CPU begin by a
 * {@link Probes.Deadline} ({@link #beginBounded}, or by hand where a test's own protocol needs
 * it; always {@link #BEGIN_BOUND_NANOS}) and every device fence wait by a timed await or a
 * deadline; waits for a partner's flag are bounded by {@link #spinUntil}. A call that runs past
 * its bound ends the sample with a FORBIDDEN outcome (its desc names the value) instead of
 * hanging the run.
 *
 * <p>How to run:
 * {@code java -jar fence-stress/target/jcstress.jar -t SharedBufferTests[.SubTestName]}
 */
public final class SharedBufferTests {

    /** How long a device waits before it looks for a deadlock (a wait that should end at once). */
    static final long DEADLOCK_PROBE_MILLIS = 200;
    /** The bound on a blocking call that should end at once (see {@link Probes.Deadline}). */
    static final long BEGIN_BOUND_NANOS = 1_000_000_000L;
    /**
     * Outcome code of the tests that tell their failures apart (InterruptVsBegin,
     * ReadFenceSignalledBeforeNext): a begin ran past its {@link #BEGIN_BOUND_NANOS} (or threw
     * because its deadline interrupted it). {@link Probes#BROKEN} there is the claim broken.
     */
    static final int PAST_BOUND = 7;
    /**
     * Outcome code of the same tests: a partner actor's flag was not seen within
     * {@link #BEGIN_BOUND_NANOS} ({@link #spinUntil} gave up).
     */
    static final int PARTNER_UNSEEN = 8;

    /**
     * Spins until {@code ready} holds, for at most {@link #BEGIN_BOUND_NANOS}: a partner actor
     * that died (an exception under a broken build) must not leave this one spinning for good.
     *
     * @return whether {@code ready} held in time
     */
    static boolean spinUntil(BooleanSupplier ready) {
        long deadline = System.nanoTime() + BEGIN_BOUND_NANOS;
        while (!ready.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /**
     * {@code buf.beginCpuAccess(direction)} bounded by a {@link Probes.Deadline} of
     * {@link #BEGIN_BOUND_NANOS}: a begin that should end at once, or once a partner actor has
     * done its few steps, but hangs under a broken build is interrupted and reported instead of
     * hanging the run.
     *
     * @return true if the access began within the bound (the caller ends it); false if the
     *     begin threw InterruptedException or returned only after the bound (no access is left
     *     open then)
     */
    static boolean beginBounded(SharedBuffer buf, Direction direction) {
        Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
        try {
            buf.beginCpuAccess(direction);
        } catch (InterruptedException e) {
            guard.close();
            return false;
        }
        if (guard.close()) {
            buf.endCpuAccess(direction); // began, but only past the bound: a failure all the same
            return false;
        }
        return true;
    }

    /**
     * {@code f.await()} bounded by {@link #BEGIN_BOUND_NANOS}, for a device whose dependencies
     * should signal at once, or once a partner actor has done its few steps.
     *
     * @return true if {@code f} signalled within the bound
     * @throws InterruptedException if interrupted while waiting
     */
    static boolean awaitBounded(Fence f) throws InterruptedException {
        return f.await(BEGIN_BOUND_NANOS, TimeUnit.NANOSECONDS);
    }

    private SharedBufferTests() {
    }

    static Fence newFence() {
        return Fence.create(Fence.allocateContexts(1), 1);
    }

    /** Adds {@code f} with {@code usage} under the lock, outside any actor. */
    static void add(Reservation r, Fence f, Usage usage) {
        r.lock();
        try {
            r.reserveFences(1);
            r.addFence(f, usage);
        } finally {
            r.unlock();
        }
    }

    /**
     * The device side of the reservation protocol: under the lock, takes what an access in this
     * direction must wait for and adds {@code job} (WRITE for a writer, READ for a reader).
     *
     * @return the dependencies to wait for before the work runs
     */
    static Fence submit(Reservation r, Fence job, boolean writes) {
        r.lock();
        try {
            Fence deps = r.singleton(Usage.forAccess(writes));
            r.reserveFences(1);
            r.addFence(job, writes ? Usage.WRITE : Usage.READ);
            return deps;
        } finally {
            r.unlock();
        }
    }

    /** Fills the two-byte buffer with 1, byte 1 first. */
    static void write(SharedBuffer buf) {
        buf.buffer().put(1, (byte) 1);
        Thread.onSpinWait();
        buf.buffer().put(0, (byte) 1);
    }

    /** Reads byte 0, then byte 1, into the result. */
    static void read(SharedBuffer buf, III_Result r) {
        r.r1 = buf.buffer().get(0);
        Thread.onSpinWait();
        r.r2 = buf.buffer().get(1);
    }

    /** Reads byte 0, then byte 1, into the first two results. */
    static void read(SharedBuffer buf, IIII_Result r) {
        r.r1 = buf.buffer().get(0);
        Thread.onSpinWait();
        r.r2 = buf.buffer().get(1);
    }

    /**
     * Two accesses that must exclude each other: each counts itself in and out around its work.
     * A second entrant that finds the other inside records the overlap, even when the data
     * happens to read whole.
     */
    abstract static class Exclusive {
        final SharedBuffer buf = SharedBuffer.allocate(2);
        private final AtomicInteger inside = new AtomicInteger();
        private volatile boolean overlap;
        private volatile boolean failed;

        final void enter() {
            if (inside.getAndIncrement() != 0) {
                overlap = true;
            }
        }

        final void exit() {
            inside.decrementAndGet();
        }

        /** Stays inside for about a microsecond, so that two writers let in together overlap. */
        static void hold() {
            long until = System.nanoTime() + 1_000;
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
        }

        /** Whether the two accesses were ever inside at once. */
        final int overlap() {
            return overlap ? 1 : 0;
        }

        /**
         * An access, or a device's wait, failed or ran past its bound: the arbiter reports a
         * last {@link Probes#BROKEN} (an actor without a result of its own reports it here).
         */
        final void fail() {
            failed = true;
        }

        /** Whether {@link #fail()} was called. */
        final boolean failed() {
            return failed;
        }

        /** The last result of the exclusion tests: BROKEN if an access failed, else the overlap. */
        final int overlapOrFailed() {
            return failed ? BROKEN : overlap();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 1. The buffer holds pending KERNEL and WRITE fences (a move, then a device write).
     * The device writes byte 0, signals K, writes byte 1, signals W. A CPU read must wait for
     * both, and then sees both bytes (the fences publish the device's writes).
     */

    @JCStressTest
    @Description("Pending KERNEL + WRITE fences, device writes then signals each vs beginCpuAccess(READ): the read sees both writes.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The CPU read began after K and W signalled and saw both device writes.")
    @Outcome(expect = FORBIDDEN, desc = "The CPU read began before K or W signalled (a device write missing), or the begin failed or ran past its bound (first 9).")
    @State
    public static class CpuReadWaitsForDeviceWrite {
        final SharedBuffer buf = SharedBuffer.allocate(2);
        final Fence k = newFence();
        final Fence w = newFence();

        {
            add(buf.reservation(), k, Usage.KERNEL);
            add(buf.reservation(), w, Usage.WRITE);
        }

        @Actor
        public void device() {
            buf.buffer().put(0, (byte) 1);
            k.signal();
            buf.buffer().put(1, (byte) 1);
            w.signal();
        }

        @Actor
        public void cpuReader(II_Result r) {
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = BROKEN;
                return;
            }
            try {
                r.r1 = buf.buffer().get(0);
                r.r2 = buf.buffer().get(1);
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 2. The buffer holds a pending READ fence: a device is reading it. The device reads
     * byte 0 and then signals R. A CPU READ_WRITE access (synchronizes like WRITE) must wait for
     * R, so the device never sees the CPU's write.
     */

    @JCStressTest
    @Description("Pending READ fence, device reads then signals vs beginCpuAccess(READ_WRITE) + write: the device never sees the CPU write.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The device read before the CPU wrote; the CPU access began after R signalled.")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "The CPU wrote while the device was still reading (did not wait for R).")
    @Outcome(expect = FORBIDDEN, desc = "The CPU access failed or ran past its bound (second 9).")
    @State
    public static class CpuWriteWaitsForDeviceRead {
        final SharedBuffer buf = SharedBuffer.allocate(2);
        final Fence rd = newFence();

        {
            add(buf.reservation(), rd, Usage.READ);
        }

        @Actor
        public void device(II_Result r) {
            r.r1 = buf.buffer().get(0);
            rd.signal();
        }

        @Actor
        public void cpuWriter(II_Result r) {
            if (!beginBounded(buf, Direction.READ_WRITE)) {
                r.r2 = BROKEN;
                return;
            }
            try {
                buf.buffer().put(0, (byte) 1);
            } finally {
                buf.endCpuAccess(Direction.READ_WRITE);
            }
            r.r2 = 1;
        }
    }

    /**
     * A device job racing a CPU access, with a check of the registration order on top of the
     * data and the overlap count. The device notes, under the reservation lock, whether nothing
     * was pending when it submitted (it registered first). If it did, the CPU access must not
     * begin until the job has signalled: the CPU, once inside, must find the job signalled, and
     * the device, before it signals, must not find the CPU inside (whichever of the two looks
     * second sees the other; the CPU clears its flag before it ends, and a CPU access that ended
     * before the device submitted makes the device "first" without having waited for it). The
     * device holds its job up to HOLD_NANOS after its work (less if the CPU shows up), so that
     * an access that wrongly registered behind it is seen even when the data happen to come out
     * clean; the device stays counted inside while it holds, so a device that did not wait for
     * a CPU access registered before it shows as an overlap.
     */
    abstract static class DeviceVsCpu extends Exclusive {
        static final long HOLD_NANOS = 20_000;
        final Fence job = newFence();
        private volatile boolean deviceFirst;
        private volatile boolean cpuInside;
        private volatile boolean misordered;

        /** The device's submission (lock, dependencies, add, unlock), noting who came first. */
        final Fence deviceSubmit(boolean writes) {
            Reservation r = buf.reservation();
            r.lock();
            try {
                Fence deps = r.singleton(Usage.forAccess(writes));
                deviceFirst = deps.isSignaled(); // the only fence that can be pending is the CPU's
                r.reserveFences(1);
                r.addFence(job, writes ? Usage.WRITE : Usage.READ);
                return deps;
            } finally {
                r.unlock();
            }
        }

        /**
         * The device's work is done: hold the job a little (still counted inside), check, count
         * out, signal.
         */
        final void deviceDone(boolean entered) {
            long until = System.nanoTime() + HOLD_NANOS;
            while (!cpuInside && System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
            if (deviceFirst && cpuInside) {
                misordered = true;
            }
            if (entered) {
                exit();
            }
            job.signal();
        }

        /** The CPU access has begun. */
        final void cpuBegun() {
            cpuInside = true;
            if (deviceFirst && !job.isSignaled()) {
                misordered = true;
            }
        }

        /** The CPU access is about to end. */
        final void cpuEnding() {
            cpuInside = false;
        }

        /**
         * 1 if the accesses overlapped or the CPU began behind a pending job that came first;
         * BROKEN if an access or the device's wait failed or ran past its bound.
         */
        final int broken() {
            return failed() ? BROKEN : overlap() == 1 || misordered ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 3a. A CPU write vs a device read submitted at the same time. Whoever registers first
     * (CPU fence or device fence, serialized by the reservation lock) goes first; the other
     * waits. The device never sees half of the CPU's write.
     */

    @JCStressTest
    @Description("beginCpuAccess(WRITE) + write vs a device reader (lock, deps, add READ, unlock, wait, read): never half-written, never out of registration order.")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "The device registered first and read before the CPU write.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The CPU registered first; the device waited for its CPU fence.")
    @Outcome(expect = FORBIDDEN, desc = "A half-written read, or (last 1) the two inside at once or the CPU write begun while the device's earlier READ fence was pending, or (last 9) the CPU begin or the device's wait failed or ran past its bound.")
    @State
    public static class DeviceReadVsCpuWrite extends DeviceVsCpu {

        @Actor
        public void cpuWriter() {
            if (!beginBounded(buf, Direction.WRITE)) {
                fail();
                return;
            }
            try {
                enter();
                cpuBegun();
                write(buf);
                cpuEnding();
                exit();
            } finally {
                buf.endCpuAccess(Direction.WRITE);
            }
        }

        @Actor
        public void deviceReader(III_Result r) {
            Fence deps = deviceSubmit(false);
            boolean entered = false;
            try {
                if (awaitBounded(deps)) {
                    enter();
                    entered = true;
                    read(buf, r);
                } else {
                    fail();
                }
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
            } finally {
                deviceDone(entered);
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = broken();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 3b. A device write submitted while a CPU read begins. If the device registers after
     * the CPU read's wait but before its lock, only the re-check under the reservation lock
     * stops the read from starting while the device's job is pending.
     */

    @JCStressTest
    @Description("A device writer (lock, deps, add WRITE, unlock, wait, write) vs beginCpuAccess(READ) + read: never half-written, never out of registration order.")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "The CPU read registered first; the device waited for its CPU fence.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The device registered first; the CPU read waited for the device's fence.")
    @Outcome(expect = FORBIDDEN, desc = "A half-written read, or (last 1) the two inside at once or the CPU read begun while the device's earlier WRITE fence was pending (no re-check), or the CPU begin (first 9) or the device's wait (last 9) failed or ran past its bound.")
    @State
    public static class DeviceWriteVsCpuRead extends DeviceVsCpu {

        @Actor
        public void deviceWriter() {
            Fence deps = deviceSubmit(true);
            boolean entered = false;
            try {
                if (awaitBounded(deps)) {
                    enter();
                    entered = true;
                    write(buf);
                } else {
                    fail();
                }
            } catch (InterruptedException e) {
                fail();
            } finally {
                deviceDone(entered);
            }
        }

        @Actor
        public void cpuReader(III_Result r) {
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = BROKEN;
                return;
            }
            try {
                enter();
                cpuBegun();
                read(buf, r);
                cpuEnding();
                exit();
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = broken();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 4a. A CPU writer and a CPU reader exclude each other.
     */

    @JCStressTest
    @Description("beginCpuAccess(WRITE) + write vs beginCpuAccess(READ) + read: the reader never sees a half-written buffer.")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "The read came first; the writer waited for the CPU read fence.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The write came first; the reader waited for the CPU write fence.")
    @Outcome(expect = FORBIDDEN, desc = "The read overlapped the write (half-written data, or both inside at once: last 1), or a begin failed or ran past its bound (the reader's: first 9, the writer's: last 9).")
    @State
    public static class CpuWriteVsCpuRead extends Exclusive {

        @Actor
        public void cpuWriter() {
            if (!beginBounded(buf, Direction.WRITE)) {
                fail();
                return;
            }
            try {
                enter();
                write(buf);
                exit();
            } finally {
                buf.endCpuAccess(Direction.WRITE);
            }
        }

        @Actor
        public void cpuReader(III_Result r) {
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = BROKEN;
                return;
            }
            try {
                enter();
                read(buf, r);
                exit();
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = overlapOrFailed();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 4b. One CPU writer at a time: two writers (WRITE and READ_WRITE) each increment
     * byte 0 non-atomically inside their access. No lost update.
     */

    @JCStressTest
    @Description("Two CPU writers (WRITE, READ_WRITE) each x = x + 1 inside their access: one reads 0, the other 1; x ends at 2.")
    @Outcome(id = "0, 1, 2, 0", expect = ACCEPTABLE, desc = "The WRITE access went first.")
    @Outcome(id = "1, 0, 2, 0", expect = ACCEPTABLE, desc = "The READ_WRITE access went first.")
    @Outcome(expect = FORBIDDEN, desc = "Both were inside at once (a lost update, or last 1), or an access failed or ran past its bound (9).")
    @State
    public static class CpuWriteVsCpuWrite extends Exclusive {

        int increment(Direction d) {
            if (!beginBounded(buf, d)) {
                return BROKEN;
            }
            try {
                enter();
                int v = buf.buffer().get(0);
                hold();
                buf.buffer().put(0, (byte) (v + 1));
                exit();
                return v;
            } finally {
                buf.endCpuAccess(d);
            }
        }

        @Actor
        public void writer(IIII_Result r) {
            r.r1 = increment(Direction.WRITE);
        }

        @Actor
        public void readWriter(IIII_Result r) {
            r.r2 = increment(Direction.READ_WRITE);
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r3 = buf.buffer().get(0);
            r.r4 = overlap();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 5. Two CPU readers: the second reuses the open read fence while the first is inside,
     * and only the last to end signals it. Inside its access each reader checks that a device
     * writer would wait (exportFence(WRITE) is pending); after both, nothing is pending.
     */

    @JCStressTest
    @Description("Two CPU readers, each checking exportFence(WRITE) pending inside its access: the shared CPU fence stays pending until the last ends.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Each reader saw its CPU fence pending throughout; all signalled after both ended.")
    @Outcome(expect = FORBIDDEN, desc = "A reader's CPU fence signalled while it was still inside (the other's end signalled the shared fence), a fence was left pending, or a begin failed or ran past its bound (9).")
    @State
    public static class ReadersShareFence {
        final SharedBuffer buf = SharedBuffer.allocate(2);

        int readAndCheck() {
            if (!beginBounded(buf, Direction.READ)) {
                return BROKEN;
            }
            try {
                boolean pending = !buf.exportFence(Direction.WRITE).isSignaled();
                Thread.onSpinWait();
                pending &= !buf.exportFence(Direction.WRITE).isSignaled();
                return pending ? 1 : BROKEN;
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }

        @Actor
        public void reader1(III_Result r) {
            r.r1 = readAndCheck();
        }

        @Actor
        public void reader2(III_Result r) {
            r.r2 = readAndCheck();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = buf.reservation().testSignaled(Usage.BOOKKEEP) ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 6. "Reads may nest." A CPU reader begins READ, then READ again inside it; a device
     * writer submits meanwhile. If the device registers between the two begins, its
     * dependencies hold the outer read's fence, while the nested begin waits for the device's
     * WRITE fence: a cycle. The device waits DEADLOCK_PROBE_MILLIS for its dependencies; if they
     * have not signalled and the reader is still inside its nested begin, that is the deadlock.
     * The device then signals its job anyway to break the cycle, so the test always ends.
     */

    @JCStressTest
    @Description("begin(READ), nested begin(READ) vs a device writer submitting between them: the nested read must not wait for a writer queued behind the outer read.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The device's dependencies signalled in time; both reads completed.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "The device's dependencies took over the probe time, but the reader was not blocked in its nested begin (a slow machine, not a cycle).")
    @Outcome(id = "9, 1", expect = FORBIDDEN,
            desc = "Deadlock: the nested begin waited for the device's WRITE fence, whose dependencies wait for the outer read (broken by the probe).")
    @Outcome(expect = FORBIDDEN, desc = "An access failed or ran past its bound (second 9), or the device's wait failed or ran past its bound (first -1).")
    @State
    public static class NestedReadVsDeviceWrite {
        final SharedBuffer buf = SharedBuffer.allocate(2);
        final Fence job = newFence();
        volatile boolean inNestedBegin;

        @Actor
        public void cpuReader(II_Result r) {
            // Both begins under one bound: the device breaks a cycle after DEADLOCK_PROBE_MILLIS
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                buf.beginCpuAccess(Direction.READ);
                try {
                    inNestedBegin = true;
                    buf.beginCpuAccess(Direction.READ);
                    inNestedBegin = false;
                    buf.endCpuAccess(Direction.READ);
                } finally {
                    buf.endCpuAccess(Direction.READ);
                }
                r.r2 = 1;
            } catch (InterruptedException e) {
                r.r2 = BROKEN;
            }
            if (guard.close()) {
                r.r2 = BROKEN;
            }
        }

        @Actor
        public void deviceWriter(II_Result r) {
            Fence deps = submit(buf.reservation(), job, true);
            try {
                if (deps.await(DEADLOCK_PROBE_MILLIS, TimeUnit.MILLISECONDS)) {
                    r.r1 = 1;
                } else {
                    r.r1 = inNestedBegin ? BROKEN : 0;
                    job.signal(); // break the cycle so that the reader can finish
                    if (!awaitBounded(deps)) {
                        r.r1 = -1;
                    }
                }
            } catch (InterruptedException e) {
                r.r1 = -1;
            } finally {
                job.signal();
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 7. An interrupt racing beginCpuAccess(WRITE), which waits for a pending device READ
     * fence. The interrupter signals the fence and then interrupts the CPU thread. Either the
     * access began (and is ended normally) or begin threw InterruptedException and no access
     * was started: endCpuAccess then throws ISE, and no CPU fence is left in the reservation.
     * The CPU actor waits until the interrupt was delivered and clears it, so it never leaks
     * into the next sample. Both waits for the partner are bounded (spinUntil): an interrupter
     * that never delivers reports a first 8 (PARTNER_UNSEEN), one that never sees the CPU thread
     * a second 9. A first 9 is the claim broken (an access registered although begin threw); a
     * first 7 (PAST_BOUND) a begin that ran past its bound. When several apply, the later check
     * wins: 8 over 7 over 9.
     */

    @JCStressTest
    @Description("Interrupt vs beginCpuAccess(WRITE) waiting for a READ fence: the access began, or InterruptedException and no access started.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The access began before the interrupt mattered and was ended; nothing pending after.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "beginCpuAccess threw InterruptedException; no access was registered (end threw ISE), nothing pending after.")
    @Outcome(expect = FORBIDDEN, desc = "InterruptedException but the access was registered anyway (first 9), or a CPU fence was left pending (second 0), or the begin ran past its bound (first 7), or the CPU actor never saw the interrupter's delivered flag (first 8), or the interrupter never saw the CPU thread (second 9).")
    @State
    public static class InterruptVsBegin {
        final SharedBuffer buf = SharedBuffer.allocate(2);
        final Fence rd = newFence();
        volatile Thread cpuThread;
        volatile boolean delivered;
        volatile boolean threadUnseen;

        {
            add(buf.reservation(), rd, Usage.READ);
        }

        @Actor
        public void cpuWriter(II_Result r) {
            cpuThread = Thread.currentThread();
            // By hand, not beginBounded: an InterruptedException from the interrupter is an
            // outcome of its own; only a deadline that fired is a failure.
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            boolean began;
            try {
                buf.beginCpuAccess(Direction.WRITE);
                began = true;
            } catch (InterruptedException e) {
                began = false;
            }
            boolean late = guard.close(); // clears the deadline's interrupt if it fired
            if (began) {
                buf.endCpuAccess(Direction.WRITE);
                r.r1 = 1;
            } else {
                try {
                    buf.endCpuAccess(Direction.WRITE);
                    r.r1 = BROKEN; // an access was registered although begin failed
                } catch (IllegalStateException expected) {
                    r.r1 = 0;
                }
            }
            if (late) {
                r.r1 = PAST_BOUND; // the deadline may have ended the begin
            }
            if (!spinUntil(() -> delivered)) {
                // The interrupter never reported its interrupt: one may still arrive and leak
                // into a later sample of this thread, so this sample is reported as failed.
                r.r1 = PARTNER_UNSEEN;
            }
            Thread.interrupted();
        }

        @Actor
        public void interrupter() {
            if (!spinUntil(() -> cpuThread != null)) {
                threadUnseen = true;
                rd.signal(); // a CPU actor that shows up late then begins instead of waiting
                return;
            }
            Thread t = cpuThread;
            rd.signal();
            t.interrupt();
            delivered = true;
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r2 = threadUnseen ? BROKEN : buf.reservation().testSignaled(Usage.BOOKKEEP) ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 8. Accesses belong to threads. While (or after) the owner has a READ access open,
     * another thread's endCpuAccess(READ) or (WRITE) is an ISE and changes nothing: the owner
     * ends its own access normally and the CPU fence is signalled once it does.
     */

    @JCStressTest
    @Description("begin/end(READ) in one thread vs endCpuAccess(READ) and (WRITE) in another: the other always gets ISE; the owner ends normally.")
    @Outcome(id = "1, 2, 1", expect = ACCEPTABLE, desc = "The owner's access was unaffected; both foreign ends threw ISE; nothing pending after.")
    @Outcome(expect = FORBIDDEN, desc = "A foreign end succeeded (ending the owner's access or corrupting its count), or the owner's begin (first 9: failed or past its bound) or end failed, or a fence stayed pending.")
    @State
    public static class EndByAnotherThread {
        final SharedBuffer buf = SharedBuffer.allocate(2);

        @Actor
        public void owner(III_Result r) {
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = BROKEN;
                return;
            }
            boolean pending = !buf.exportFence(Direction.WRITE).isSignaled();
            try {
                buf.endCpuAccess(Direction.READ);
                r.r1 = pending ? 1 : BROKEN;
            } catch (IllegalStateException e) {
                r.r1 = ISE;
            }
        }

        @Actor
        public void stranger(III_Result r) {
            int isEs = 0;
            for (Direction d : new Direction[] {Direction.READ, Direction.WRITE}) {
                try {
                    buf.endCpuAccess(d);
                } catch (IllegalStateException expected) {
                    isEs++;
                }
            }
            r.r2 = isEs == 2 ? ISE : BROKEN;
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = buf.reservation().testSignaled(Usage.BOOKKEEP) ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 9. exportFence is lock-free and sees a CPU access that has begun. The CPU writer
     * begins WRITE and announces it; the exporter, once it has seen the announcement, exports
     * for a reader and tells the writer to go on; the writer then writes and ends. The exported
     * fence must be pending (the access had begun), and once it has signalled the exporter sees
     * the whole write. Each actor's wait for the other's flag is bounded (spinUntil): a writer
     * that never hears of the export skips its write and leaves a 9 in byte 0 (the exporter
     * reads it as second 9), an exporter that never sees the begin reports a first 9.
     */

    @JCStressTest
    @Description("exportFence(READ) after beginCpuAccess(WRITE) returned, before endCpuAccess: pending, and after awaiting it the write is visible.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The export was pending while the CPU access was open; after it signalled both bytes were written.")
    @Outcome(expect = FORBIDDEN, desc = "The export missed the CPU fence (signalled at once), or signalled before the write was complete, or an actor waited for its partner's flag past the bound (9), or the exported fence did not signal within the bound (first 9).")
    @State
    public static class ExportDuringCpuWrite {
        final SharedBuffer buf = SharedBuffer.allocate(2);
        volatile boolean begun;
        volatile boolean exported;

        @Actor
        public void cpuWriter() {
            if (!beginBounded(buf, Direction.WRITE)) {
                buf.buffer().put(0, (byte) BROKEN); // no access open: the export reads signalled
                begun = true;
                return;
            }
            try {
                begun = true;
                if (spinUntil(() -> exported)) {
                    write(buf);
                } else {
                    buf.buffer().put(0, (byte) BROKEN); // no export: the test proved nothing
                }
            } finally {
                buf.endCpuAccess(Direction.WRITE);
            }
        }

        @Actor
        public void exporter(III_Result r) {
            if (!spinUntil(() -> begun)) {
                r.r1 = BROKEN;
                exported = true; // a writer that begins late need not wait out its own bound
                return;
            }
            Fence e = buf.exportFence(Direction.READ);
            r.r1 = e.isSignaled() ? 0 : 1;
            exported = true;
            try {
                if (!awaitBounded(e)) {
                    r.r1 = BROKEN; // the writer's end never signalled it
                    return;
                }
            } catch (InterruptedException ex) {
                r.r1 = BROKEN;
                return;
            }
            r.r2 = buf.buffer().get(0);
            r.r3 = buf.buffer().get(1);
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 10. importFence of an explicit job's container FenceArray.all(j1, j2) as WRITE: each
     * member is added, so a CPU read begun after the import returned waits for both. The job
     * writes byte 1, signals j1, writes byte 0, signals j2. The reader notes whether the import
     * had returned before it began; if it had, it must see both bytes. (If it had not, the
     * explicit job ran without waiting for the CPU read, which is the caller's race: export,
     * submit and import are not atomic, and this job did not even export.)
     */

    @JCStressTest
    @Description("importFence(all(j1, j2), WRITE), then the job writes and signals j1, j2 vs beginCpuAccess(READ): a read begun after the import sees the whole write.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The read began after the import returned and waited for both members.")
    @Outcome(id = {"0, 0, 0", "0, 1, 1"}, expect = ACCEPTABLE, desc = "The read began before the import returned; it saw the buffer before or after the job.")
    @Outcome(id = {"0, 0, 1", "0, 1, 0"}, expect = ACCEPTABLE,
            desc = "The read began before the import returned and overlapped the unsynchronized job (the caller's race, allowed).")
    @Outcome(expect = FORBIDDEN, desc = "A read begun after the import did not wait for every member of the imported fence, or the begin failed or ran past its bound (first 9).")
    @State
    public static class ImportVsCpuRead {
        final SharedBuffer buf = SharedBuffer.allocate(2);
        final Fence j1 = newFence();
        final Fence j2 = newFence();
        final Fence job = FenceArray.all(j1, j2);
        volatile boolean imported;

        @Actor
        public void importer() {
            buf.importFence(job, Direction.WRITE);
            imported = true;
            buf.buffer().put(1, (byte) 1);
            j1.signal();
            buf.buffer().put(0, (byte) 1);
            j2.signal();
        }

        @Actor
        public void cpuReader(III_Result r) {
            boolean after = imported;
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = BROKEN;
                return;
            }
            try {
                r.r1 = after ? 1 : 0;
                r.r2 = buf.buffer().get(0);
                r.r3 = buf.buffer().get(1);
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 11. The reservation can lose the CPU fence of an open access: a device job that
     * depends on it is added with addExclusiveFence (which drops every WRITE and READ fence) and
     * then reset, completing with an error while the access is still open. The reservation then
     * lists nothing pending, and only the buffer's own open accesses (the open read fence,
     * openWriteFence) keep a second CPU access out. The first access begins, the other actor
     * (once it has begun) replaces its fence that way and then begins the second access, which
     * must wait for the first one's end: the first raises a flag just before it ends, and the
     * second must find it raised once its begin returns (a sharper check than the overlap count,
     * which a second access that happens to run after the first one's work would pass). Both
     * waits for a partner's flag are bounded (spinUntil); one that runs out reports a last 9.
     */

    /** A device error standing for a GPU reset that abandoned a job. */
    static final RuntimeException RESET = new IllegalStateException("stress: job reset");

    /**
     * The two accesses of a lost-fence test: the first one's flags, and the device job that makes
     * the reservation lose its fence.
     */
    abstract static class LostCpuFence extends Exclusive {
        volatile boolean begun;
        volatile boolean replaced;
        volatile boolean firstEnding;
        private volatile boolean early;
        private volatile boolean partnerLate;

        /**
         * A device job that depends on the open access (its only dependency) replaces every fence
         * through the exclusive-fence view and is reset.
         *
         * @return 1 if the open access's fence was pending before and the reservation lists
         *     nothing pending after (the fence was lost, as the test needs), else 0
         */
        final int replaceAndReset() {
            Reservation r = buf.reservation();
            Fence job = newFence();
            boolean pendingBefore;
            r.lock();
            try {
                pendingBefore = !r.singleton(Usage.READ).isSignaled(); // the job's dependency
                r.reserveFences(1);
                r.addExclusiveFence(job);
            } finally {
                r.unlock();
            }
            job.signal(RESET);
            return pendingBefore && r.testSignaled(Usage.BOOKKEEP) ? 1 : 0;
        }

        /**
         * The first access, once begun: waits for the replacement, then works and ends. The
         * first access must stay open until its fence is lost, or the second one's wait proves
         * nothing; if the replacement has not come within the bound, the access goes on anyway
         * (it must end, or a healthy second access would wait for it for good) and the sample
         * is marked broken: a last 9 means the other actor never replaced the fence.
         */
        final void firstWaitsForReplacement() {
            begun = true;
            if (!spinUntil(() -> replaced)) {
                partnerLate = true;
            }
        }

        /**
         * The other actor, first thing: waits (bounded) until the first access has begun.
         *
         * @return whether it began in time; if not, the sample is marked broken (last 9), the
         *     first access is told to go on, and the caller replaces nothing and returns
         */
        final boolean awaitFirstBegun() {
            if (spinUntil(() -> begun)) {
                return true;
            }
            partnerLate = true;
            replaced = true; // a first access that begins late need not wait out its own bound
            return false;
        }

        /** The second access's begin has returned: the first must be ending already. */
        final void secondBegun() {
            if (!firstEnding) {
                early = true;
            }
        }

        /**
         * 1 if the two accesses overlapped or the second began before the first ended; BROKEN
         * if an actor's wait for the other's flag ran out, or an access without a result of
         * its own failed or ran past its bound ({@link #fail()}).
         */
        final int broken() {
            return partnerLate || failed() ? BROKEN : overlap() == 1 || early ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("A CPU write whose fence the reservation lost (addExclusiveFence + reset) vs beginCpuAccess(READ): the read waits for the open write.")
    @Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "The fence was lost; the read began after the write ended and saw it whole.")
    @Outcome(expect = FORBIDDEN, desc = "The read began while the write was open (last 1, or a half-written or unwritten buffer), the fence was not lost (third 0), a begin failed or ran past its bound (the reader's: first 9, the writer's: last 9), or an actor waited for its partner's flag past the bound (last 9).")
    @State
    public static class LostWriteFenceVsCpuRead extends LostCpuFence {

        @Actor
        public void cpuWriter() {
            if (!beginBounded(buf, Direction.WRITE)) {
                fail();
                begun = true; // the other actor need not wait out its bound for the flag
                return;
            }
            try {
                firstWaitsForReplacement();
                enter();
                write(buf);
                exit();
                firstEnding = true;
            } finally {
                buf.endCpuAccess(Direction.WRITE);
            }
        }

        @Actor
        public void resetThenCpuReader(IIII_Result r) {
            if (!awaitFirstBegun()) {
                return;
            }
            try {
                r.r3 = replaceAndReset();
            } finally {
                replaced = true;
            }
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = BROKEN;
                return;
            }
            try {
                secondBegun();
                enter();
                read(buf, r);
                exit();
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r4 = broken();
        }
    }

    @JCStressTest
    @Description("A CPU read whose fence the reservation lost (addExclusiveFence + reset) vs beginCpuAccess(WRITE): the write waits for the open read.")
    @Outcome(id = "0, 0, 1, 0", expect = ACCEPTABLE, desc = "The fence was lost; the write began after the read ended, which saw the buffer unwritten.")
    @Outcome(expect = FORBIDDEN, desc = "The write began while the read was open (last 1, or the read saw written bytes), the fence was not lost (third 0), a begin failed or ran past its bound (the reader's: first 9, the writer's: third 9), or an actor waited for its partner's flag past the bound (last 9).")
    @State
    public static class LostReadFenceVsCpuWrite extends LostCpuFence {

        @Actor
        public void cpuReader(IIII_Result r) {
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = BROKEN;
                begun = true;
                return;
            }
            try {
                firstWaitsForReplacement();
                enter();
                r.r1 = buf.buffer().get(0);
                hold();
                r.r2 = buf.buffer().get(1);
                exit();
                firstEnding = true;
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }

        @Actor
        public void resetThenCpuWriter(IIII_Result r) {
            if (!awaitFirstBegun()) {
                return;
            }
            try {
                r.r3 = replaceAndReset();
            } finally {
                replaced = true;
            }
            if (!beginBounded(buf, Direction.WRITE)) {
                r.r3 = BROKEN;
                return;
            }
            try {
                secondBegun();
                enter();
                write(buf);
                exit();
            } finally {
                buf.endCpuAccess(Direction.WRITE);
            }
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r4 = broken();
        }
    }

    /**
     * A CPU writer that waits for a device READ fence, and a CPU reader racing it. Both begins
     * are bounded by {@link SharedBufferTests#BEGIN_BOUND_NANOS}, as every begin here: each
     * should end once its partner has done a few steps (the reader ends the writer's wait at
     * most {@link #PARK_PATIENCE_NANOS} after seeing it start), so a begin parked for good on
     * a gate that is never signalled shows as a FORBIDDEN outcome instead of a hang. The reader
     * learns that the writer waits by seeing its thread parked ({@code WAITING}): a writer's
     * begin parks only after it has counted itself as waiting (nothing else holds the buffer's
     * locks then).
     */
    abstract static class WriterWaits extends Exclusive {
        /** How long the reader waits to see the writer parked before it goes on regardless. */
        static final long PARK_PATIENCE_NANOS = 100_000_000L;

        final Fence rd = newFence();
        private volatile Thread writerThread;

        {
            add(buf.reservation(), rd, Usage.READ); // a device reading: a CPU write waits for it
        }

        /** The writer, first thing. */
        final void writerStarts() {
            writerThread = Thread.currentThread();
        }

        /**
         * The reader, first thing: waits (bounded) until the writer is parked in its begin. If
         * the writer has not started within {@link SharedBufferTests#BEGIN_BOUND_NANOS}, signals
         * the device fence (so that a writer starting late begins instead of waiting for good)
         * and gives up.
         *
         * @return the writer's thread, and whether it was seen parked (1) or not (0) in
         *     {@code parked[0]}; {@code null} (and BROKEN in {@code parked[0]}) if it never started
         */
        final Thread readerAwaitsWaitingWriter(int[] parked) {
            if (!spinUntil(() -> writerThread != null)) {
                parked[0] = BROKEN;
                rd.signal();
                return null;
            }
            Thread w = writerThread;
            long deadline = System.nanoTime() + PARK_PATIENCE_NANOS;
            while (w.getState() != Thread.State.WAITING && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            parked[0] = w.getState() == Thread.State.WAITING ? 1 : 0;
            return w;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 12a. A waiting CPU writer goes first. The writer waits for a device READ fence; once
     * the reader has seen the writer parked (so counted as waiting), it signals the device fence
     * and at once begins a read. The writer, just woken, is still counted as waiting, so the read
     * must wait for the writer's gate and then for its write: it sees the whole write. A reader
     * that joins instead (the old rule) nearly always begins first and sees nothing written.
     */

    @JCStressTest
    @Description("A CPU writer waiting for a device READ fence vs a reader that signals that fence and begins READ: the read waits for the write.")
    @Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "The writer was seen waiting; the read waited for it and saw the whole write.")
    @Outcome(id = {"1, 1, 0, 0", "0, 0, 0, 0"}, expect = ACCEPTABLE_INTERESTING,
            desc = "The writer was not seen parked within 100 ms (a slow machine): not judged.")
    @Outcome(expect = FORBIDDEN, desc = "The read began before a writer seen waiting (0, 0, 1), a half-written read, the two inside at once or a reader stuck (last 1), an access failed, the writer's begin failed or ran past its bound (last 9), or the writer never started within the bound (third 9).")
    @State
    public static class WaitingWriterGoesFirst extends WriterWaits {
        private volatile boolean stuck;

        @Actor
        public void cpuWriter() {
            writerStarts();
            // The reader signals rd at most PARK_PATIENCE_NANOS after it sees this thread
            // start, a tenth of the bound, far inside it on a healthy build.
            if (!beginBounded(buf, Direction.WRITE)) {
                fail();
                return;
            }
            try {
                enter();
                write(buf);
                exit();
            } finally {
                buf.endCpuAccess(Direction.WRITE);
            }
        }

        @Actor
        public void signalThenCpuReader(IIII_Result r) {
            int[] parked = new int[1];
            Thread w = readerAwaitsWaitingWriter(parked);
            r.r3 = parked[0];
            if (w == null) {
                return;
            }
            rd.signal();
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                buf.beginCpuAccess(Direction.READ);
                try {
                    enter();
                    read(buf, r);
                    exit();
                } finally {
                    buf.endCpuAccess(Direction.READ);
                }
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
            }
            if (guard.close()) {
                stuck = true;
            }
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r4 = failed() ? BROKEN : overlap() == 1 || stuck ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 12b. A waiting writer that gives up lets the readers it held back in. The writer
     * waits for a device READ fence that never signals; once the reader has seen it parked, the
     * reader interrupts it and at once begins a read, which (the writer still counted as
     * waiting) usually waits for the writer's gate. The writer's begin throws
     * InterruptedException and, on its way out, must signal the gate: the read then begins (the
     * device READ fence does not hold a reader back). A gate left unsignalled keeps the reader
     * parked until the watchdog interrupts it. The third value says whether the reader saw the
     * writer parked (1) before its interrupt: only then did the interrupt end a begin that was
     * waiting, with the writer counted. A writer not seen parked within PARK_PATIENCE_NANOS is
     * interrupted all the same (its begin must end); that interrupt may land before the begin
     * starts, which then throws at once, perhaps before the reader arrives: such a sample
     * (third 0) passes without exercising the gate, and is reported apart so that a run shows
     * how many samples did.
     */

    @JCStressTest
    @Description("A CPU writer waiting for a device READ fence, interrupted by a reader that then begins READ: the writer gives up and the read begins.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The writer was seen parked in its begin; the reader's interrupt made it throw InterruptedException, and the read began in time.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "The writer was not seen parked within 100 ms (a slow machine), so the interrupt may have come before its begin waited: the gate not exercised, not judged.")
    @Outcome(expect = FORBIDDEN, desc = "The reader stayed parked until the watchdog interrupted it (second 9: the gate was not signalled), or the writer's begin returned although its device fence never signalled, or the reader's interrupt did not end it within its bound (first 9), or the writer never started within the bound (second 0, third 9: the reader gave up).")
    @State
    public static class GivingUpWriterReleasesReaders extends WriterWaits {
        /** Raised by the reader once it is past its interrupt of the writer (sent, or not). */
        private volatile boolean interruptDone;

        @Actor
        public void cpuWriter(III_Result r) {
            writerStarts();
            // By hand, not beginBounded: the reader's interrupt is this begin's expected end
            // (within PARK_PATIENCE_NANOS of seeing this thread start); only a deadline that
            // fired is a failure.
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                buf.beginCpuAccess(Direction.WRITE);
                r.r1 = BROKEN; // its device READ fence never signals
                buf.endCpuAccess(Direction.WRITE);
            } catch (InterruptedException e) {
                r.r1 = 1;
            }
            if (guard.close()) { // clears the deadline's interrupt if it fired
                r.r1 = BROKEN; // the reader's interrupt never ended the begin
            }
            // The reader's interrupt lands after this begin has ended when something else ended
            // it (it returned, or the deadline came first: both a 9 above). Left set, it would
            // end this thread's next begin (the next sample's) at once, before it ever parks,
            // and that sample would pass without testing the gate, then leave its own reader's
            // interrupt behind the same way. So wait (bounded) until the reader is past its
            // interrupt and drop a leftover. Only this sample's interrupt can be dropped here,
            // after its result is set; a drop at the start of the next sample would race a late
            // interrupt that arrives after it.
            spinUntil(() -> interruptDone);
            Thread.interrupted();
        }

        @Actor
        public void interruptThenCpuReader(III_Result r) {
            int[] parked = new int[1];
            Thread w = readerAwaitsWaitingWriter(parked);
            r.r3 = parked[0];
            if (w == null) {
                interruptDone = true;
                return; // second 0: no writer to interrupt, the device fence was signalled instead
            }
            w.interrupt();
            interruptDone = true;
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                buf.beginCpuAccess(Direction.READ);
                buf.endCpuAccess(Direction.READ);
                r.r2 = 1;
            } catch (InterruptedException e) {
                r.r2 = BROKEN;
            }
            if (guard.close()) {
                r.r2 = BROKEN;
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 13. A buffer's CPU read fences share one context, so they must signal in seqno
     * order: the last reader to end signals the read fence under cpuLock, and the next read
     * fence is made under cpuLock too, so a read that makes one finds the earlier one signalled,
     * and gives the new one a later seqno. The first reader raises a flag inside its access and
     * ends a random 0-2500 ns later; the second begins READ as soon as it sees the flag, so its
     * begin lands before, across or after that end. It joins the first read's fence (it began
     * first) or makes its own; if its own, the first must have signalled by the time the begin
     * returns. A signal after unlocking (before the eighteenth session) leaves a window in which
     * the new fence exists beside the earlier, still pending one. Each failure has its own code:
     * 9 (BROKEN) only for the claim (first: a new fence beside the pending earlier one; second:
     * a new fence not later than the earlier one); 6 a new fence on another context (second);
     * 5 no single pending read fence inside a read (second: the beginning reader's, third: the
     * ending reader's); 7 (PAST_BOUND) a begin that failed or ran past its bound (first: the
     * beginning reader's, third: the ending reader's); 8 (PARTNER_UNSEEN) the beginning reader
     * never saw the ending reader's flag (first).
     */

    /**
     * The spread of the first reader's end: the second reader's begin, started on a flag seen a
     * cross-CPU hand-over late, installs about a microsecond after the flag, so the end is spread
     * well past that to land before, inside and after the install.
     */
    static final int READ_END_SPREAD_NANOS = 2500;

    /** The one pending READ-usage fence of {@code buf} (a CPU read fence here), else null. */
    static Fence pendingReadFence(SharedBuffer buf) {
        List<Fence> pending = buf.reservation().unsignaledFences(Usage.READ);
        return pending.size() == 1 ? pending.get(0) : null;
    }

    @JCStressTest
    @Description("A reader ending (paced: a flag, then 0-2500 ns) vs a reader beginning READ: a new read fence is made only once the earlier one has signalled, and is later.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The second read began before the first ended and joined its fence.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The second read made its own fence, later than the first, which had signalled.")
    @Outcome(expect = FORBIDDEN, desc = "A new read fence while the earlier one was pending (first 9), a new fence not later than the earlier one (second 9) or on another context (second 6), no single pending read fence inside a read (the beginning reader's: second 5, the ending reader's: third 5), a begin failed or ran past its bound (the beginning reader's: first 7, the ending reader's: third 7), or the ending reader's flag never seen (first 8).")
    @State
    public static class ReadFenceSignalledBeforeNext {
        /** Second: the new read fence is on another context than the earlier one. */
        static final int OTHER_CONTEXT = 6;
        /** Second or third: no single pending read fence inside a read (none, or several). */
        static final int NO_READ_FENCE = 5;

        final SharedBuffer buf = SharedBuffer.allocate(2);
        volatile Fence first;

        @Actor
        public void endingReader(III_Result r) {
            if (!beginBounded(buf, Direction.READ)) {
                r.r3 = PAST_BOUND;
                first = Fence.signaledStub();
                return;
            }
            Fence mine = pendingReadFence(buf);
            r.r3 = mine != null ? 1 : NO_READ_FENCE;
            first = mine != null ? mine : Fence.signaledStub();
            Probes.spinRandomly(READ_END_SPREAD_NANOS);
            buf.endCpuAccess(Direction.READ);
        }

        @Actor
        public void beginningReader(III_Result r) {
            if (!spinUntil(() -> first != null)) {
                r.r1 = PARTNER_UNSEEN;
                return;
            }
            Fence earlier = first;
            if (!beginBounded(buf, Direction.READ)) {
                r.r1 = PAST_BOUND;
                return;
            }
            try {
                Fence mine = pendingReadFence(buf);
                if (mine == earlier) {
                    r.r1 = 0;
                    r.r2 = 1;
                } else if (mine == null) {
                    r.r2 = NO_READ_FENCE;
                } else if (mine.context() != earlier.context()) {
                    r.r2 = OTHER_CONTEXT;
                } else {
                    r.r1 = earlier.isSignaled() ? 1 : BROKEN;
                    r.r2 = Fence.isLater(mine, earlier) ? 1 : BROKEN;
                }
            } finally {
                buf.endCpuAccess(Direction.READ);
            }
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 14a. beginCpuAccessAll waits for every buffer without installing anything, then
     * locks all the reservations through one ExecContext and installs every CPU fence before it
     * unlocks, so no device job is ordered between its accesses. A device job that locks both
     * reservations (as a job on both buffers does) finds both CPU fences or neither: if neither,
     * the CPU's begin waits for the job (it finds the job signalled once inside); if both, the
     * job waits for the CPU (still pending while the CPU is inside). A device that saw one CPU
     * fence and not the other would have waited for one access and run beside the other. The
     * CPU ends only after the device has submitted, so the device sees no ended access.
     */

    @JCStressTest
    @Description("beginCpuAccessAll(READ, x, y) vs a device writer job locking x and y through an ExecContext: the job finds both CPU fences or neither.")
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The device locked first: it found no CPU fence, and the CPU access began after the job signalled.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The CPU locked first: the device found both CPU fences; the job was pending while the CPU began.")
    @Outcome(expect = FORBIDDEN, desc = "The device found the CPU fence of one buffer and not the other's (a job ordered between the accesses), an access begun before a job that found no CPU fence, or a begin or wait that failed or hit its bound (9).")
    @State
    public static class AllInstalledTogetherVsDeviceJob {
        final SharedBuffer x = SharedBuffer.allocate(2);
        final SharedBuffer y = SharedBuffer.allocate(2);
        final Fence job = newFence();
        volatile boolean submitted;

        @Actor
        public void cpuReader(III_Result r) {
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                SharedBuffer.beginCpuAccessAll(Direction.READ, x, y);
            } catch (InterruptedException e) {
                guard.close();
                r.r3 = BROKEN;
                return;
            }
            guard.close();
            r.r3 = job.isSignaled() ? 1 : 0;
            if (!spinUntil(() -> submitted)) { // set even if the device's locking failed
                r.r3 = BROKEN;
            }
            SharedBuffer.endCpuAccessAll(Direction.READ, x, y);
        }

        @Actor
        public void deviceWriter(III_Result r) {
            Fence dx;
            Fence dy;
            try (ExecContext e = ExecContext.create()) {
                e.lockAll(l -> {
                    l.prepare(x.reservation(), 1);
                    l.prepare(y.reservation(), 1);
                });
                dx = x.reservation().singleton(Usage.forAccess(true));
                dy = y.reservation().singleton(Usage.forAccess(true));
                // under the locks: once unlocked, the CPU may end its accesses one by one
                r.r1 = dx.isSignaled() ? 0 : 1;
                r.r2 = dy.isSignaled() ? 0 : 1;
                e.addFence(job, Usage.WRITE);
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
                submitted = true;
                job.signal();
                return;
            }
            submitted = true;
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                dx.await();
                dy.await();
            } catch (InterruptedException e) {
                r.r1 = BROKEN;
            }
            if (guard.close()) {
                r.r1 = BROKEN;
            }
            job.signal();
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 14b. Two beginCpuAccessAll(WRITE) calls on the same two buffers in opposite orders
     * (x, y and y, x) both begin, one after the other: the reservations are locked through one
     * ExecContext each (its back-off resolves the opposite order), and the second finds the
     * first's open writes and waits for them with no lock held. Each writer increments byte 0
     * of both buffers inside its accesses; it must find the two equal (the other writer did both
     * or neither) and no update is lost. Each begin is bounded by a Probes.Deadline: a deadlock
     * is reported (9), not a hang.
     */

    @JCStressTest
    @Description("beginCpuAccessAll(WRITE, x, y) vs beginCpuAccessAll(WRITE, y, x), each incrementing both buffers: both begin, one after the other.")
    @Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE, desc = "x, y went first; y, x waited for it and found both buffers incremented.")
    @Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "y, x went first; x, y waited for it and found both buffers incremented.")
    @Outcome(expect = FORBIDDEN, desc = "A begin that deadlocked or failed (9), the two buffers found unequal (9), a lost update (third 0), or both writers inside at once (last 1).")
    @State
    public static class OppositeOrdersBothBegin {
        final SharedBuffer x = SharedBuffer.allocate(2);
        final SharedBuffer y = SharedBuffer.allocate(2);
        private final AtomicInteger inside = new AtomicInteger();
        private volatile boolean overlap;

        /** Begins WRITE on both buffers in the given order and increments both. */
        int incrementBoth(SharedBuffer first, SharedBuffer second) {
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                SharedBuffer.beginCpuAccessAll(Direction.WRITE, first, second);
            } catch (InterruptedException e) {
                guard.close();
                return BROKEN;
            }
            guard.close();
            try {
                if (inside.getAndIncrement() != 0) {
                    overlap = true;
                }
                int vx = x.buffer().get(0);
                int vy = y.buffer().get(0);
                Exclusive.hold();
                x.buffer().put(0, (byte) (vx + 1));
                y.buffer().put(0, (byte) (vy + 1));
                inside.decrementAndGet();
                return vx == vy ? vx : BROKEN;
            } finally {
                SharedBuffer.endCpuAccessAll(Direction.WRITE, first, second);
            }
        }

        @Actor
        public void writerXy(IIII_Result r) {
            r.r1 = incrementBoth(x, y);
        }

        @Actor
        public void writerYx(IIII_Result r) {
            r.r2 = incrementBoth(y, x);
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r3 = x.buffer().get(0) == 2 && y.buffer().get(0) == 2 ? 1 : 0;
            r.r4 = overlap ? 1 : 0;
        }
    }

    /* ------------------------------------------------------------------------------------------
     * Claim 14c. beginCpuAccessAll(READ) vs a single-buffer writer of one of its buffers: they
     * exclude each other, and the writer may start waiting at any point of the multi-buffer
     * begin. A writer counted before the reader's check holds the reader back at its gate; one
     * counted between the check and the installs (the reader holds every reservation lock, the
     * writer's count takes only the buffer's cpuLock) came after the reader, whose installs pass
     * its gate: an install that looked at the gate again would find it and fail the
     * "no CPU access opened under our locks" assertion. The writer waits a random 0-1000 ns
     * before it begins, spreading its count over the reader's begin.
     */

    /** The spread of the writer's start over the multi-buffer begin (about a microsecond). */
    static final int ALL_BEGIN_SPREAD_NANOS = 1000;

    @JCStressTest
    @Description("beginCpuAccessAll(READ, buf, other) + read vs buf.beginCpuAccess(WRITE) after 0-1000 ns + write: they exclude each other, and the multi-buffer begin never fails.")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "The read came first; the writer waited for it.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The write came first (or held the reader back at its gate); the reader waited for it.")
    @Outcome(expect = FORBIDDEN, desc = "A half-written read, both inside at once (last 1), or the multi-buffer begin failed (AssertionError, interrupted or bounded: 9).")
    @State
    public static class AllReaderVsSingleWriter extends Exclusive {
        final SharedBuffer other = SharedBuffer.allocate(2);

        @Actor
        public void allReader(III_Result r) {
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                SharedBuffer.beginCpuAccessAll(Direction.READ, buf, other);
            } catch (InterruptedException | AssertionError e) {
                guard.close();
                r.r1 = BROKEN;
                r.r2 = BROKEN;
                return;
            }
            guard.close();
            try {
                enter();
                read(buf, r);
                exit();
            } finally {
                SharedBuffer.endCpuAccessAll(Direction.READ, buf, other);
            }
        }

        @Actor
        public void cpuWriter() {
            Probes.spinRandomly(ALL_BEGIN_SPREAD_NANOS);
            Probes.Deadline guard = Probes.Deadline.start(BEGIN_BOUND_NANOS);
            try {
                buf.beginCpuAccess(Direction.WRITE);
            } catch (InterruptedException e) {
                guard.close();
                buf.buffer().put(0, (byte) BROKEN);
                return;
            }
            guard.close();
            try {
                enter();
                write(buf);
                exit();
            } finally {
                buf.endCpuAccess(Direction.WRITE);
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = overlap();
        }
    }
}
